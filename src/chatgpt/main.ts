// ChatGPT mode, main step: serialize this job with every other job that uses the credential (the
// lease, the runner-local lock), restore the freshest valid copy of the login, write it where Codex
// reads it.
import path from 'node:path';
import {
  AUTH_FILE,
  foreignAuthError,
  markOwner,
  ownershipOf,
  prepareCodexHome,
  writePrivateFile
} from '../codex/home.js';
import { FILE_STORE, mergeCodexConfig, type ConfigChange } from '../codex/config.js';
import { overrideWarnings } from '../codex/overrides.js';
import { errorMessage } from '../action/errors.js';
import type { ChatGptInputs } from '../action/chatgpt-inputs.js';
import { runnerTemp, type MainState, type Runtime } from '../action/runtime.js';
import { readRunEvent } from '../action/event.js';
import { apiUrlFromEnv } from '../github/api-url.js';
import { ensureJobNonce, serializeThisJob } from './holds.js';
import { consumerCopy } from './login/consumer-copy.js';
import { parseCredential, sha256, type ChatGptCredential } from './login/credential.js';
import { describeSource, restoreFreshest, type Found } from './restore/copies.js';
import type { Source } from './restore/readings.js';
import { proveWriteAccess } from './restore/stores.js';
import { renewAheadIfDue, withholdInJobRefresh } from './renewal/step.js';
import type { RenewalResult } from './renewal/parts.js';
import { placeOfRun, type RunPlace } from './renewal/place.js';
import { checkWhereWeRun } from './report/guard.js';
import { cacheLimitOf, earlyWarnings } from './report/early-warnings.js';
import { reportedSource, summaryRow, whyChosen } from './report/rows.js';
import { renderChatGptSummary, type ChatGptReport, type StoreName } from './report/summary.js';

/** Sets up the login and, whatever happens, writes the job summary of what the stores held. */
export async function setUpChatGpt(inputs: ChatGptInputs, rt: Runtime): Promise<void> {
  const report: ChatGptReport = {
    credentialName: inputs.credentialName,
    now: new Date(),
    readings: [],
    renewal: inputs.renewal.mode,
    renewWindowMs: inputs.renewal.windowMs,
    durableStores: [...(inputs.secret ? (['secret'] as const) : []), ...(inputs.localStore ? (['local'] as const) : [])]
  };
  const found: Found = { readings: [], marks: new Map() };
  try {
    await setUp(inputs, rt, report, found);
  } catch (error) {
    report.failure = errorMessage(error);
    throw error;
  } finally {
    report.readings = found.readings.map((r) => summaryRow(r, found.marks.get(r), inputs.secret !== undefined));
    rt.summary(renderChatGptSummary(report));
  }
}

async function setUp(inputs: ChatGptInputs, rt: Runtime, report: ChatGptReport, found: Found): Promise<void> {
  const place = await checkWhereItRuns(inputs, rt);
  const { home, existing, state } = await prepareHome(inputs.codexHome, inputs.credentialName, report.now, rt);
  const authFile = path.join(home.dir, AUTH_FILE);

  // One job at a time per credential, from here to the post step: before anything is restored.
  const { local, holder } = await serializeThisJob(inputs, state, rt);

  // Each store's newest copy first, then the seed; every copy judged from its decrypted contents only.
  const localPlace = local?.file ?? inputs.localStore?.dir;
  const describe = (source: Source): string => describeSource(source, inputs.secret?.name, localPlace);
  const leftInHome = existing?.status === 'ours' ? { text: existing.text, file: authFile } : undefined;
  const { stores, restoredKey, chosen, mark } = await restoreFreshest(
    inputs,
    { localDir: local?.dir, localPlace, leftInHome },
    found,
    rt
  );
  const usable = found.readings.filter((r) => r.status === 'usable').length;
  const source = reportedSource(chosen.source, inputs.secret !== undefined);
  report.chosen = { store: source, why: whyChosen(usable, mark) };

  const ahead = inputs.renewal.mode === 'ahead';
  // renewal: ahead: jobs run at once, and one proving access by writing its (older) copy could overwrite a renewal just
  // stored; the secret is written only by a renewal, under its claim.
  if (inputs.secret && !ahead)
    await proveWriteAccess(
      inputs,
      chosen.credential,
      chosen.source === 'seed' ? undefined : describe(chosen.source),
      rt
    );
  await writeConfig(home.dir, inputs.workspaceId, rt.warning);
  const { credential, renewed, unsaved }: RenewalResult = ahead
    ? await renewAheadIfDue(inputs, chosen.credential, stores, { ...holder, jobNonce: ensureJobNonce(rt) }, rt, place)
    : { credential: chosen.credential, renewed: false };
  // renewal: ahead, and in-job where a refresh could not be stored for everyone: Codex never gets the refresh token (src/chatgpt/login/consumer-copy.ts).
  const withheld = ahead || withholdInJobRefresh(inputs, credential, local !== undefined, place, rt);
  await writeForCodex(home, authFile, withheld ? consumerCopy(credential.text) : credential.text, credential, inputs);
  rt.setOutput('renewed', String(renewed));
  // Renewed, but only the cache holds it. Codex runs with it either way; on-save-failure: fail fails the job in the post step.
  const failLater = unsaved !== undefined && inputs.onSaveFailure === 'fail';
  if (unsaved)
    (failLater ? rt.info : rt.warning)(
      unsaved + (failLater ? ' The post step fails the job on this (on-save-failure: fail).' : '')
    );
  if (renewed)
    report.renewed = { lastRefresh: credential.lastRefreshText, accessTokenExpiresAt: credential.accessTokenExpiresAt };
  rt.saveState(
    handOver(state, credential, { authFile, source, restoredKey, withheld, unsaved: failLater ? unsaved : undefined })
  );

  const seed = found.readings.find((r) => r.source === 'seed' && r.status === 'usable');
  warnEarly(
    inputs,
    { credential, source, withheld, seedLastRefresh: seed?.credential?.lastRefreshText, place },
    report,
    rt
  );
  setOutputs(home.dir, authFile, source, credential, rt);
  rt.info(
    `Codex will use the ChatGPT login '${inputs.credentialName}' from the ${describe(chosen.source)} (last_refresh ${credential.lastRefreshText}); CODEX_HOME=${home.dir}.`
  );
}

/** Where this job runs (the repository's visibility, the branch), with what to warn about. */
async function checkWhereItRuns(inputs: ChatGptInputs, rt: Runtime): Promise<RunPlace> {
  const event = readRunEvent(rt.env);
  const lookup = { token: inputs.githubToken, apiUrl: apiUrlFromEnv(rt.env), log: rt.info };
  const guard = await checkWhereWeRun(event, lookup, inputs.allowPublicRepository);
  guard.warnings.forEach(rt.warning);
  overrideWarnings(rt.env, 'the ChatGPT login').forEach(rt.warning);
  return placeOfRun(event, guard.facts);
}

/**
 * The Codex home, prepared; an auth.json this action did not write for this credential is left byte
 * for byte: refused before anything is read. The state is saved at once (the post step cleans up).
 */
async function prepareHome(codexHome: string | undefined, credentialName: string, now: Date, rt: Runtime) {
  const home = await prepareCodexHome(codexHome, runnerTemp(rt.env));
  const existing = home.created ? undefined : await ownershipOf(home.dir, ownerOf(credentialName), loginOf);
  if (existing?.status === 'foreign') throw foreignAuthError(home.dir, existing);
  const state: MainState = {
    mode: 'chatgpt',
    codexHome: home.dir,
    createdHome: home.created,
    startedAt: now.toISOString()
  };
  rt.saveState(state);
  return { home, existing, state };
}

/** Codex's config.toml: the file store, and the workspace when 'workspace-id' names one. */
async function writeConfig(dir: string, workspaceId: string | undefined, warning: (message: string) => void) {
  const changes: ConfigChange[] = [FILE_STORE];
  if (workspaceId) {
    changes.push({
      key: 'forced_chatgpt_workspace_id',
      value: workspaceId,
      onConflict: {
        input: 'workspace-id',
        fix: 'Give the same workspace id as the config.toml in codex-home, or use another codex-home.'
      }
    });
  }
  await mergeCodexConfig(dir, changes, warning);
}

/** auth.json as Codex gets it, recorded as this action's for this credential when codex-home is the user's. */
async function writeForCodex(
  home: { dir: string; created: boolean },
  authFile: string,
  written: string,
  credential: ChatGptCredential,
  inputs: Pick<ChatGptInputs, 'credentialName'>
): Promise<void> {
  if (!home.created) await markOwner(home.dir, ownerOf(inputs.credentialName), written, accountDigest(credential));
  await writePrivateFile(authFile, written);
}

/** What the post step needs of the login Codex got. */
function handOver(
  state: MainState,
  credential: ChatGptCredential,
  given: {
    authFile: string;
    source: StoreName;
    restoredKey: string | undefined;
    withheld: boolean;
    unsaved: string | undefined;
  }
): MainState {
  return {
    ...state,
    // `ahead` tells the post step that Codex had no refresh token (nothing to save).
    renewal: given.withheld ? 'ahead' : 'in-job',
    authFile: given.authFile,
    tokensSha256: credential.tokensSha256,
    lastRefresh: credential.lastRefreshText,
    source: given.source,
    // The newest cache entry seen, whichever copy won: the post step tells from it whether another job stored one since.
    restoredKey: given.restoredKey,
    account: { userId: credential.userId, workspaceId: credential.workspaceId },
    unsaved: given.unsaved
  };
}

/** The early warnings (src/chatgpt/report/early-warnings.ts) as annotations, and an access token already expired. */
function warnEarly(
  inputs: ChatGptInputs,
  run: {
    credential: ChatGptCredential;
    source: StoreName;
    withheld: boolean;
    seedLastRefresh?: string;
    place: RunPlace;
  },
  report: ChatGptReport,
  rt: Runtime
): void {
  const { credential, withheld } = run;
  const expires = credential.accessTokenExpiresAt;
  const early = earlyWarnings({
    now: report.now,
    // A withheld refresh token cannot be spent here: nothing for the in-job rules to warn about.
    renewal: withheld ? 'ahead' : report.renewal,
    credentialName: inputs.credentialName,
    chosen: { store: run.source, lastRefresh: credential.lastRefreshText, accessTokenExpiresAt: expires },
    seedLastRefresh: run.seedLastRefresh,
    writeBack: inputs.secret !== undefined,
    localStore: inputs.localStore !== undefined,
    cacheLimit: cacheLimitOf(rt.env, run.place)
  });
  for (const warning of early) (warning.level === 'notice' ? rt.notice : rt.warning)(warning.message);
  report.warnings = early.map((w) => w.name);
  if (!withheld && expires && expires.getTime() <= Date.now()) {
    rt.warning(
      `The access token expired at ${expires.toISOString()}; Codex refreshes it on first use, and the post step stores the refreshed login.`
    );
  }
}

function setOutputs(dir: string, authFile: string, source: StoreName, credential: ChatGptCredential, rt: Runtime) {
  rt.exportVariable('CODEX_HOME', dir);
  rt.setOutput('codex-home', dir);
  rt.setOutput('auth-file', authFile);
  rt.setOutput('auth-mode', 'chatgpt');
  rt.setOutput('source', source);
  rt.setOutput('last-refresh', credential.lastRefreshText);
  rt.setOutput('access-token-expires-at', credential.accessTokenExpiresAt?.toISOString() ?? '');
  rt.setOutput('plan-type', credential.planType ?? '');
}

/** The owner recorded beside the auth.json of a ChatGPT credential (src/codex/home.ts OWNER_FILE). */
function ownerOf(credentialName: string): string {
  return `chatgpt:${credentialName}`;
}

/** Which account a login is, as a digest (no identifier in plain text on disk): Codex's refresh keeps it. */
function accountDigest(credential: Pick<ChatGptCredential, 'userId' | 'workspaceId'>): string {
  return sha256(JSON.stringify(['codex-auth login', credential.userId ?? null, credential.workspaceId ?? null]));
}

function loginOf(text: string): string | undefined {
  const parsed = parseCredential(text);
  return parsed.ok ? accountDigest(parsed.credential) : undefined;
}
