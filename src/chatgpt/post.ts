// ChatGPT mode, post step: store the login Codex refreshed, encrypted, for the next job, but only
// a valid copy that is newer than what was restored and than anything stored since. The stores:
// the Actions cache always, and the secret of `secret-name` when it is set (both get the copy; a
// failure of either is reported on its own).
import { readFileIfExists } from '../codex-home.js';
import { CredentialError, errorMessage } from '../errors.js';
import { initCommand, type ChatGptInputs } from '../inputs.js';
import type { MainState, Runtime } from '../runtime.js';
import { CacheStore, type CacheSave } from '../stores/cache.js';
import type { SecretTarget } from '../stores/secret.js';
import { compareLastRefresh, parseCredential, secretsOf } from './credential.js';
import { seal } from './envelope.js';

export async function keepRefreshedCredential(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<void> {
  if (!state.authFile) {
    rt.info('Nothing to save: the main step stopped before it gave Codex a credential.');
    return;
  }
  const text = await readFileIfExists(state.authFile);
  if (text === undefined) {
    rt.warning(
      `Not saving: ${state.authFile} is gone. Codex deletes it when it logs out (for example on a workspace mismatch with forced_chatgpt_workspace_id), or a step removed it. The stored copy is left as it was.`
    );
    return;
  }
  const parsed = parseCredential(text);
  secretsOf(parsed).forEach(rt.setSecret);
  if (!parsed.ok) {
    rt.warning(`Not saving: auth.json is no longer a usable ChatGPT login (${parsed.reason}). The stored copy is left as it was.`);
    return;
  }
  const credential = parsed.credential;
  if (credential.sha256 === state.authSha256) {
    rt.info('The ChatGPT login is unchanged since the main step (Codex did not refresh it): nothing to save.');
    return;
  }
  if (state.lastRefresh && compareLastRefresh(credential.lastRefreshText, state.lastRefresh) <= 0) {
    rt.warning(`Not saving: auth.json changed but its last_refresh (${credential.lastRefreshText}) is not newer than the restored copy's (${state.lastRefresh}).`);
    return;
  }

  const store = new CacheStore({ credentialName: inputs.credentialName, env: rt.env, log: rt.info });
  const newest = await store.newestKey();
  if (newest && newest !== state.restoredKey) {
    const newestMs = store.lastRefreshOfKey(newest) ?? 0;
    const concurrent = `another job stored a copy of '${inputs.credentialName}' (${newest}) after this job restored it: the credential is being used by more than one job at a time. Serialize the jobs that use it (a workflow \`concurrency\` group per credential-name, see the README), or give each stream its own credential-name.`;
    if (newestMs > credential.lastRefresh.getTime()) {
      rt.warning(`Not saving an older copy${inputs.secret ? ' (neither to the cache nor to the secret)' : ''}: ${concurrent}`);
      return;
    }
    rt.warning(`Saving anyway, as this copy is newer: ${concurrent}`);
  }

  const envelope = await seal(credential.text, inputs.encryptionKey, inputs.credentialName);
  // Both stores at once: neither waits for the other's retries.
  const [saved, written] = await Promise.all([
    store.save(envelope, credential.lastRefresh.getTime()),
    inputs.secret ? writeToSecret(inputs.secret, envelope, rt) : Promise.resolve(undefined)
  ]);
  if (saved.ok) rt.info(`Saved the refreshed ChatGPT login (last_refresh ${credential.lastRefreshText}), encrypted, to the Actions cache as ${saved.key}.`);
  if (written?.ok) rt.info(`Wrote the refreshed ChatGPT login (last_refresh ${credential.lastRefreshText}), encrypted, to the ${written.where} (${written.status}).`);

  const problem = failureMessage(inputs, saved, written);
  if (!problem) return;
  // The secret alone keeps the login for later runs: a warning. Anything else is a save failure.
  if (problem.warnOnly || inputs.onSaveFailure === 'warn') rt.warning(problem.text);
  else throw new CredentialError(problem.text);
}

type SecretWrite = { ok: true; where: string; status: 'created' | 'updated' } | { ok: false; where: string; reason: string };

async function writeToSecret(target: SecretTarget, envelope: string, rt: Runtime): Promise<SecretWrite> {
  const { describeTarget, writeSecret } = await import('../stores/secret.js');
  const where = describeTarget(target);
  try {
    const result = await writeSecret(target, envelope, { log: rt.info });
    return { ok: true, where, status: result.status };
  } catch (error) {
    return { ok: false, where, reason: errorMessage(error) };
  }
}

const RECOVER = 'To recover: on a trusted machine run `codex login`, and put the new auth.json into the secret passed as \'chatgpt-auth-json\'';

/**
 * What to report when a store failed, or undefined when every store has the copy. `warnOnly`: the
 * secret has the refreshed login and only the cache failed, so later runs are fine whatever
 * on-save-failure says.
 */
function failureMessage(inputs: ChatGptInputs, saved: CacheSave, written: SecretWrite | undefined): { text: string; warnOnly: boolean } | undefined {
  const secret = inputs.secret;
  if (!secret || !written) {
    if (saved.ok) return undefined;
    return {
      warnOnly: false,
      text:
        `The refreshed ChatGPT login could not be saved to the Actions cache: ${saved.reason}. ` +
        `Codex rotated the refresh token in this job, so the stored copy now holds a spent token and the next job will fail to authenticate. ${RECOVER}.`
    };
  }
  const where = written.where;
  if (written.ok) {
    if (saved.ok) return undefined;
    // Only the cache failed: the secret has the refreshed login.
    const sameRun =
      secret.scope === 'environment'
        ? `Environment secrets are read when a job starts, so later jobs of this run that use the environment '${secret.environment}' get the new copy too.`
        : `But ${secret.scope} secrets are read when a run is queued: a later job of this same run still gets the old value, whose refresh token is now spent, and without the cache it has no newer copy, so Codex fails to refresh there (and reusing a spent refresh token can get the whole login revoked). Do not run another job with this login in this run.`;
    return {
      warnOnly: true,
      text: `The refreshed ChatGPT login was written to the ${where}, but could not be saved to the Actions cache: ${saved.reason}. The login is not lost: the next workflow run reads the new copy from the secret. ${sameRun}`
    };
  }
  if (!saved.ok) {
    const init = initCommand(secret);
    return {
      warnOnly: false,
      text:
        `The refreshed ChatGPT login could not be stored anywhere. The Actions cache: ${saved.reason}. The ${where}: ${written.reason} ` +
        'Codex rotated the refresh token in this job, so every stored copy now holds a spent token and the next job will fail to authenticate. ' +
        `${RECOVER}: \`${init}\` does both (it also sets a new encryption key, in CODEX_AUTH_KEY unless --key-secret-name says otherwise).`
    };
  }
  // Only the secret failed: the cache has the refreshed login.
  return {
    warnOnly: false,
    text:
      `The refreshed ChatGPT login was saved to the Actions cache as ${saved.key}, but could not be written to the ${where}: ${written.reason} ` +
      'The secret still holds an older copy whose refresh token is now spent. The next jobs that can restore this cache entry (this branch or the default branch, before 7 days without use) get the new copy, and their main step writes it to the secret again; ' +
      'if the entry is evicted first, or the next job runs on another branch, only the spent copy is left. If the cause persists, the next main step stops on the same error before Codex runs, and the cached copy stays valid: fix it (secret-token, secret-scope, environment) before then.'
  };
}
