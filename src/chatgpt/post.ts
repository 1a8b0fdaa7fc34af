// ChatGPT mode, post step: store the login Codex refreshed, encrypted, for the next job, but only
// a valid copy that is newer than what was restored and than anything stored since; then release
// the lease and the lock the main step took, whatever happened. The stores: the Actions cache
// always, the secret of `secret-name` and the runner-local store when they are on (each gets the
// copy; a failure of each is reported on its own).
//
// The cache library and libsodium (the stores and the envelope) are loaded only once the login is
// known to have changed: a post step with an unchanged login loads neither and sends no request
// but the releases.
import { readFileIfExists } from '../codex-home.js';
import { CredentialError, errorMessage } from '../errors.js';
import { initCommand, type ChatGptInputs } from '../inputs.js';
import type { MainState, Runtime } from '../runtime.js';
import type { CacheSave } from '../stores/cache.js';
import { releaseLease } from '../stores/lease.js';
import { releaseLock } from '../stores/lock.js';
import type { SecretTarget } from '../stores/secret.js';
import { compareLastRefresh, parseCredential, secretsOf, type ChatGptCredential } from './credential.js';

export async function keepRefreshedCredential(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<void> {
  try {
    await saveRefreshedCredential(inputs, state, rt);
  } finally {
    // After saving, so that the next holder restores the copy this job stored; also after a failure.
    await releaseHolds(inputs, state, rt);
  }
}

async function saveRefreshedCredential(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<void> {
  if (!state.authFile) {
    rt.info('Nothing to save: the main step stopped before it gave Codex a credential.');
    return;
  }
  if (state.renewal === 'ahead') {
    // Codex had no refresh token, so there is nothing new to keep; every stored copy stays as it is.
    // (Whether Codex tried to refresh with the marker is reported from its rollout files: src/chatgpt/refresh-failure.ts.)
    rt.info('renewal: ahead: Codex got the login without its refresh token, so there is nothing to save; the stored copies are unchanged.');
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

  // Changed and newer: only now load the stores and the crypto.
  const [{ CacheStore }, { open, seal }, { LocalStore }] = await Promise.all([import('../stores/cache.js'), import('./envelope.js'), import('../stores/local.js')]);
  const store = new CacheStore({ credentialName: inputs.credentialName, env: rt.env, log: rt.info });
  const local = state.localStore
    ? new LocalStore({ dir: state.localStore.dir, credentialName: inputs.credentialName, workspace: rt.env.GITHUB_WORKSPACE, runnerTemp: rt.env.RUNNER_TEMP, log: rt.info })
    : undefined;

  const serialize =
    'Serialize the jobs that use it: `lease: true` (a lease held from the main step to the post step, across workflows and runners; needs `permissions: contents: write`), ' +
    'or one workflow `concurrency` group per credential-name (see "Serializing jobs" in the README); or give each job stream its own credential-name.';
  const newest = await store.newestKey();
  if (newest && newest !== state.restoredKey) {
    const newestMs = store.lastRefreshOfKey(newest) ?? 0;
    const concurrent = `another job stored a copy of '${inputs.credentialName}' (${newest}) after this job restored it: the credential is being used by more than one job at a time. ${serialize}`;
    if (newestMs > credential.lastRefresh.getTime()) {
      rt.warning(`Not saving an older copy${local ? ' (to no store at all)' : inputs.secret ? ' (neither to the cache nor to the secret)' : ''}: ${concurrent}`);
      return;
    }
    rt.warning(`Saving anyway, as this copy is newer: ${concurrent}`);
  }
  if (local) {
    // Under the lock nobody else writes the local store; a lock found stale while this job ran is the exception.
    const newer = await localCopyNewerThan(local, credential, (envelope) => open(envelope, inputs.encryptionKey, inputs.credentialName));
    if (newer) {
      rt.warning(
        `Not saving an older copy (to no store at all): the ${describeLocal(local.file)} holds a newer copy (last_refresh ${newer}) than this job's (${credential.lastRefreshText}), stored by another job while this one ran: the credential is being used by more than one job at a time. ${serialize}`
      );
      return;
    }
  }

  const envelope = await seal(credential.text, inputs.encryptionKey, inputs.credentialName);
  // Every store at once: none waits for another's retries.
  const [saved, written, kept] = await Promise.all([
    store.save(envelope, credential.lastRefresh.getTime()),
    inputs.secret ? writeToSecret(inputs.secret, envelope, rt) : Promise.resolve(undefined),
    local ? writeToLocal(local, envelope) : Promise.resolve(undefined)
  ]);
  if (saved.ok) rt.info(`Saved the refreshed ChatGPT login (last_refresh ${credential.lastRefreshText}), encrypted, to the Actions cache as ${saved.key}.`);
  if (written?.ok) rt.info(`Wrote the refreshed ChatGPT login (last_refresh ${credential.lastRefreshText}), encrypted, to the ${written.where} (${written.status}).`);
  if (kept?.ok) rt.info(`Wrote the refreshed ChatGPT login (last_refresh ${credential.lastRefreshText}), encrypted, to the ${kept.where}.`);

  const problem = kept ? failureWithLocalStore(inputs, saved, written, kept) : failureMessage(inputs, saved, written);
  if (!problem) return;
  // A durable store (the secret, the local store) has the refreshed login: a warning. Anything else is a save failure.
  if (problem.warnOnly || inputs.onSaveFailure === 'warn') rt.warning(problem.text);
  else throw new CredentialError(problem.text);
}

/**
 * Releases the lock on the runner-local store, then the lease (the reverse order of the main step).
 * A release that fails does not fail the step (the login is saved by now) but is a loud warning: the
 * next jobs wait until the lock or lease is found stale or expires.
 */
async function releaseHolds(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<void> {
  const name = inputs.credentialName;
  if (state.localStore) {
    const { dir, lockToken } = state.localStore;
    try {
      const result = await releaseLock({ dir, name, token: lockToken });
      if (result.released) rt.info(`Released the lock on credential '${name}' in the runner-local store ${dir}.`);
      else rt.warning(`The lock on credential '${name}' in the runner-local store was not released: ${result.reason}.`);
    } catch (error) {
      rt.warning(
        `Could not release the lock on credential '${name}' in the runner-local store ${dir}: ${errorMessage(error)}. ` +
          `Other jobs on this machine that use the credential wait until they find the lock stale (its runner runs another job, or its lease ends); remove ${dir}/${name}.lock if no job uses it.`
      );
    }
  }
  if (state.lease) {
    const { ref, sha, expiresAt } = state.lease;
    const settings = inputs.lease;
    if (!settings) {
      rt.warning(`Could not release the lease on credential '${name}' (${ref}): 'lease' is no longer true in the post step. It ends by itself at ${expiresAt}.`);
      return;
    }
    try {
      const result = await releaseLease({
        apiUrl: settings.apiUrl,
        token: settings.token,
        owner: settings.owner,
        repo: settings.repo,
        credentialName: name,
        sha,
        expiresAt,
        log: rt.info
      });
      if (result.released) rt.info(`Released the lease on credential '${name}' (${ref}).`);
      else rt.warning(`The lease on credential '${name}' was not released: ${result.reason}.`);
    } catch (error) {
      rt.warning(
        `Could not release the lease on credential '${name}' (${ref} in ${settings.owner}/${settings.repo}): ${errorMessage(error)} ` +
          `Other jobs that use the credential wait until it expires at ${expiresAt}, or delete it now: \`gh api -X DELETE repos/${settings.owner}/${settings.repo}/git/${ref}\`.`
      );
    }
  }
}

/** The last_refresh of the local store's copy when it is newer than `credential`, else undefined (none, unreadable, older). */
async function localCopyNewerThan(
  local: { read(): Promise<string | undefined> },
  credential: ChatGptCredential,
  open: (envelope: string) => Promise<{ ok: true; plaintext: string } | { ok: false; reason: string }>
): Promise<string | undefined> {
  const envelope = await local.read().catch(() => undefined);
  if (envelope === undefined) return undefined;
  const opened = await open(envelope);
  if (!opened.ok) return undefined;
  const stored = parseCredential(opened.plaintext);
  if (!stored.ok || compareLastRefresh(stored.credential.lastRefreshText, credential.lastRefreshText) <= 0) return undefined;
  return stored.credential.lastRefreshText;
}

type SecretWrite = { ok: true; where: string; status: 'created' | 'updated' } | { ok: false; where: string; reason: string };
type LocalWrite = { ok: true; where: string } | { ok: false; where: string; reason: string };

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

async function writeToLocal(local: { file: string; write(envelope: string): Promise<void> }, envelope: string): Promise<LocalWrite> {
  const where = describeLocal(local.file);
  try {
    await local.write(envelope);
    return { ok: true, where };
  } catch (error) {
    return { ok: false, where, reason: errorMessage(error) };
  }
}

function describeLocal(file: string): string {
  return `runner-local store (${file})`;
}

const RECOVER = 'To recover: on a trusted machine run `codex login`, and put the new auth.json into the secret passed as \'chatgpt-auth-json\'';

interface Problem {
  text: string;
  /** A durable store has the refreshed login: whatever on-save-failure says, only a warning. */
  warnOnly: boolean;
}

/**
 * What to report when a store failed, or undefined when every store has the copy. `warnOnly`: the
 * secret has the refreshed login and only the cache failed, so later runs are fine whatever
 * on-save-failure says.
 */
function failureMessage(inputs: ChatGptInputs, saved: CacheSave, written: SecretWrite | undefined): Problem | undefined {
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
    return {
      warnOnly: true,
      text: `The refreshed ChatGPT login was written to the ${where}, but could not be saved to the Actions cache: ${saved.reason}. The login is not lost: the next workflow run reads the new copy from the secret. ${sameRunCaveat(secret)}`
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

/** Repository and organization secrets are read when a run is queued: what that means for later jobs of this run. */
function sameRunCaveat(secret: SecretTarget): string {
  return secret.scope === 'environment'
    ? `Environment secrets are read when a job starts, so later jobs of this run that use the environment '${secret.environment}' get the new copy too.`
    : `But ${secret.scope} secrets are read when a run is queued: a later job of this same run still gets the old value, whose refresh token is now spent, and without the cache it has no newer copy, so Codex fails to refresh there (and reusing a spent refresh token can get the whole login revoked). Do not run another job with this login in this run.`;
}

/**
 * The same with the runner-local store on. The durable stores are the local store (for the jobs of
 * this machine) and the secret; the cache is evicted after 7 days without use. When a durable store
 * has the refreshed login, the login is not lost: a warning. When none has it, a save failure.
 */
function failureWithLocalStore(inputs: ChatGptInputs, saved: CacheSave, written: SecretWrite | undefined, kept: LocalWrite): Problem | undefined {
  const failed = [
    ...(saved.ok ? [] : [{ name: 'the Actions cache', reason: saved.reason }]),
    ...(written && !written.ok ? [{ name: `the ${written.where}`, reason: written.reason }] : []),
    ...(kept.ok ? [] : [{ name: `the ${kept.where}`, reason: kept.reason }])
  ];
  if (!failed.length) return undefined;
  const names = failed.map((f) => f.name).join(' and ');
  const reasons = failed.map((f) => `${f.name[0].toUpperCase()}${f.name.slice(1)}: ${f.reason.replace(/[.\s]+$/, '')}.`).join(' ');
  if (kept.ok) {
    return {
      warnOnly: true,
      text:
        `The refreshed ChatGPT login was written to the ${kept.where}, but could not be stored in ${names}. ${reasons} ` +
        'The login is not lost: the next job on this machine restores it from the local store. A job on another machine would restore the older copy, whose refresh token is now spent: ' +
        'until a job of this machine stores a refreshed copy everywhere, run the jobs of this credential on this machine only.'
    };
  }
  if (written?.ok) {
    return {
      warnOnly: true,
      text:
        `The refreshed ChatGPT login was written to the ${written.where}${saved.ok ? ` and saved to the Actions cache as ${saved.key}` : ''}, but could not be stored in ${names}. ${reasons} ` +
        `The login is not lost: the next run restores the newer copy from the secret (the newest copy wins over the spent one in the local store). ${saved.ok ? '' : `${sameRunCaveat(inputs.secret!)} `}` +
        'Fix the local store before its copy is the only one left.'
    };
  }
  if (saved.ok) {
    return {
      warnOnly: false,
      text:
        `The refreshed ChatGPT login was saved to the Actions cache as ${saved.key}, but could not be stored in ${names}. ${reasons} ` +
        'The local store still holds an older copy whose refresh token is now spent. The next jobs that can restore this cache entry (this branch or the default branch, before 7 days without use) get the new copy (the newest copy wins); ' +
        'if the entry is evicted first, or the next job runs on another branch, only the spent copy is left. Fix the local store before then.'
    };
  }
  return {
    warnOnly: false,
    text:
      `The refreshed ChatGPT login could not be stored anywhere. ${reasons} ` +
      `Codex rotated the refresh token in this job, so every stored copy now holds a spent token and the next job will fail to authenticate. ${RECOVER}` +
      (inputs.secret ? `: \`${initCommand(inputs.secret)}\` does it.` : '.')
  };
}
