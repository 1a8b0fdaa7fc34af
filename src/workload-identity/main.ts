// Main step of `auth-mode: workload-identity`: no stored credential. The job's GitHub OIDC token is
// written to a private file that Codex reads (OPENAI_IDENTITY_TOKEN_FILE) and exchanges with OpenAI
// under the federation rule (OPENAI_FEDERATION_RULE_ID); a detached keeper renews the file until
// the post step. Order matters for clean-up: the state names the directory before anything is
// written in it, and the keeper before anything can fail after it started.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { prepareCodexHome, writePrivateFile } from '../codex/home.js';
import { FILE_STORE, mergeCodexConfig } from '../codex/config.js';
import { exposureWarnings } from '../chatgpt/report/guard.js';
import { protect } from '../platform/acl.js';
import { runnerTemp, type MainState, type Runtime } from '../action/runtime.js';
import { JOB_LIMIT_MINUTES } from '../action/constants.js';
import type { WorkloadIdentityInputs } from './inputs.js';
import { backoff, requestIdToken, type IdToken, OidcError, MATCHED_CLAIMS } from './oidc.js';
import { REQUEST_TIMEOUT_MS, type KeeperConfig } from './keeper.js';
import { startKeeper } from './keeper-process.js';
import { exchangeOnce } from './verify.js';
import { claimsTable, renderWorkloadIdentitySummary } from './summary.js';

const TOKEN_FILE = 'token.jwt';
export const KEEPER_LOG = 'keeper.log';
/** The keeper stops once the longest a job can run has passed. */
const JOB_LIMIT_MS = JOB_LIMIT_MINUTES * 60_000;
const FIRST_TOKEN_ATTEMPTS = 4;

/** Variables Codex reads for workload identity (docs/workload-identity.md). */
const WI_VARIABLES = {
  ruleId: 'OPENAI_FEDERATION_RULE_ID',
  tokenFile: 'OPENAI_IDENTITY_TOKEN_FILE',
  context: 'OPENAI_WORKLOAD_IDENTITY_CONTEXT'
} as const;

export interface WorkloadIdentityDeps {
  startKeeper: typeof startKeeper;
  sleep(ms: number): Promise<void>;
}

const realDeps: WorkloadIdentityDeps = {
  startKeeper,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
};

export async function setUpWorkloadIdentity(
  inputs: WorkloadIdentityInputs,
  rt: Runtime,
  deps: WorkloadIdentityDeps = realDeps
): Promise<void> {
  rt.setSecret(inputs.request.token);
  exposureWarnings(rt.env, "this job's OpenAI access (through its OIDC token)").forEach(rt.warning);
  conflictWarnings(rt.env, inputs).forEach(rt.warning);

  const temp = runnerTemp(rt.env);
  const home = await prepareCodexHome(inputs.codexHome, temp);
  const state: MainState = { mode: inputs.mode, codexHome: home.dir, createdHome: home.created };
  rt.saveState(state);
  // The token's own directory, 0700 (mkdtemp), under RUNNER_TEMP: outside the workspace, emptied by the runner after the job.
  const dir = await fs.mkdtemp(path.join(temp, 'codex-auth-oidc-'));
  if (process.platform === 'win32') await protect(dir, 'directory');
  const tokenFile = path.join(dir, TOKEN_FILE);
  state.workloadIdentity = { dir, tokenFile };
  rt.saveState(state);

  const token = await firstToken(inputs, deps);
  rt.setSecret(token.value);
  await writePrivateFile(tokenFile, token.value);

  const config: KeeperConfig = {
    request: inputs.request,
    audience: inputs.audience,
    tokenFile,
    logFile: path.join(dir, KEEPER_LOG),
    issuedAt: token.issuedAt,
    expiresAt: token.expiresAt,
    stopAt: Date.now() + JOB_LIMIT_MS
  };
  state.workloadIdentity.keeper = deps.startKeeper(config, dir);
  rt.saveState(state);

  if (inputs.verify) {
    await verify(inputs, token, rt);
    // The check spent that token where the provider enforces single-use `jti`: Codex gets a fresh one.
    const fresh = await firstToken(inputs, deps);
    rt.setSecret(fresh.value);
    await writePrivateFile(tokenFile, fresh.value);
  }

  await mergeCodexConfig(home.dir, [FILE_STORE], rt.warning);
  rt.exportVariable('CODEX_HOME', home.dir);
  rt.exportVariable(WI_VARIABLES.ruleId, inputs.ruleId);
  rt.exportVariable(WI_VARIABLES.tokenFile, tokenFile);
  if (inputs.context) rt.exportVariable(WI_VARIABLES.context, inputs.context);
  rt.setOutput('codex-home', home.dir);
  rt.setOutput('auth-mode', inputs.mode);
  rt.setOutput('identity-token-file', tokenFile);
  rt.summary(
    renderWorkloadIdentitySummary({
      ruleId: inputs.ruleId,
      audience: inputs.audience,
      claims: token.claims,
      verified: inputs.verify
    })
  );
  rt.info(
    `Codex will use workload identity: rule ${inputs.ruleId}, token file ${tokenFile} (renewed by a keeper, pid ${state.workloadIdentity.keeper?.pid ?? '?'}), CODEX_HOME=${home.dir}. Claims: ${MATCHED_CLAIMS.map((c) => `${c}=${String(token.claims[c] ?? '')}`).join(', ')}.`
  );
}

/** The first token, retried with back-off on 5xx and network errors; a refusal (4xx) fails at once. */
async function firstToken(inputs: WorkloadIdentityInputs, deps: WorkloadIdentityDeps): Promise<IdToken> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await requestIdToken(inputs.request, inputs.audience, REQUEST_TIMEOUT_MS);
    } catch (error) {
      if (!(error instanceof OidcError) || !error.retryable || attempt >= FIRST_TOKEN_ATTEMPTS) {
        throw new Error(
          `${(error as Error).message} ${attempt > 1 ? `(${attempt} attempts) ` : ''}Codex cannot authenticate without the job's OIDC token: check that the job has \`permissions: id-token: write\`, and re-run the job if GitHub had an outage.`,
          { cause: error }
        );
      }
      await deps.sleep(backoff(attempt, 8_000));
    }
  }
}

async function verify(inputs: WorkloadIdentityInputs, token: IdToken, rt: Runtime): Promise<void> {
  const result = await exchangeOnce(token.value, inputs.ruleId, inputs.context, REQUEST_TIMEOUT_MS);
  if (result.accessToken) rt.setSecret(result.accessToken);
  if (result.ok) {
    rt.info(`verify: OpenAI accepted this job's token under the federation rule ${inputs.ruleId}.`);
    return;
  }
  rt.summary(
    `### Codex auth: workload identity was refused\n\nOpenAI refused the exchange under the federation rule \`${inputs.ruleId}\` (audience \`${inputs.audience}\`): ${result.error}.\n\nCompare the rule's conditions with this job's claims:\n\n${claimsTable(token.claims)}\n`
  );
  throw new Error(
    `verify: OpenAI refused this job's OIDC token under the federation rule ${inputs.ruleId}: ${result.error}. Compare the rule's conditions (issuer https://token.actions.githubusercontent.com, audience '${inputs.audience}', claims) with this job's claims: ${MATCHED_CLAIMS.map((c) => `${c}=${String(token.claims[c] ?? '(not set)')}`).join(', ')}; check that the workspace has the workload identity beta. See docs/workload-identity.md.`
  );
}

/** Credentials Codex would otherwise use, now overridden, and earlier workload-identity settings replaced. */
function conflictWarnings(env: NodeJS.ProcessEnv, inputs: WorkloadIdentityInputs): string[] {
  const warnings: string[] = [];
  const keys = ['OPENAI_API_KEY', 'CODEX_API_KEY'].filter((name) => env[name]);
  if (keys.length) {
    warnings.push(
      `${keys.join(' and ')} ${keys.length > 1 ? 'are' : 'is'} set in this job, but Codex uses workload identity over every other credential once OPENAI_FEDERATION_RULE_ID is set: ${keys.length > 1 ? 'they are' : 'it is'} ignored by Codex. Remove ${keys.length > 1 ? 'them' : 'it'} from the job's env to avoid confusion.`
    );
  }
  if (env[WI_VARIABLES.ruleId] && env[WI_VARIABLES.ruleId] !== inputs.ruleId) {
    warnings.push(
      `${WI_VARIABLES.ruleId} was already set (${env[WI_VARIABLES.ruleId]}); the following steps get ${inputs.ruleId} from 'federation-rule-id'.`
    );
  }
  if (env[WI_VARIABLES.tokenFile]) {
    warnings.push(`${WI_VARIABLES.tokenFile} was already set; the following steps get this step's token file.`);
  }
  if (env[WI_VARIABLES.context] && !inputs.context) {
    warnings.push(
      `${WI_VARIABLES.context} is set in this job's env and 'workload-context' is empty: Codex sends the job's value. Pass it as 'workload-context' so it is checked before use.`
    );
  }
  return warnings;
}
