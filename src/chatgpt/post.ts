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
import type { EnvelopeStore, StoreWrite } from '../stores/store.js';
import { releaseLease } from '../mutex/lease.js';
import { releaseLock } from '../mutex/lock.js';
import type { SecretTarget } from '../stores/secret.js';
import {
  accountMismatch,
  compareLastRefresh,
  futureProblem,
  parseCredential,
  provenanceProblem,
  secretsOf,
  type ChatGptCredential
} from './credential.js';
import { reportForeignRewrite } from './foreign-rewrite.js';
import { judge } from './readings.js';

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
  // Codex run as another user (openai/codex-action's unprivileged-user) may have rewritten it.
  if (state.renewal !== 'ahead' && (await reportForeignRewrite(state.authFile, inputs.onSaveFailure, rt))) return;
  // A refresh that failed in this job (or, renewal: ahead, an access token refused): the login is never stored (src/chatgpt/after-codex.ts).
  const { handleFailedRefresh } = await import('./after-codex.js');
  if (await handleFailedRefresh(inputs, state, rt)) return;
  if (state.renewal === 'ahead') {
    // Codex had no refresh token, so there is nothing new to keep; every stored copy stays as it is.
    rt.info(
      'renewal: ahead: Codex got the login without its refresh token, so there is nothing to save; the stored copies are unchanged.'
    );
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
    rt.warning(
      `Not saving: auth.json is no longer a usable ChatGPT login (${parsed.reason}). The stored copy is left as it was.`
    );
    return;
  }
  const credential = parsed.credential;
  if (credential.sha256 === state.authSha256) {
    rt.info('The ChatGPT login is unchanged since the main step (Codex did not refresh it): nothing to save.');
    return;
  }
  const refused = refusalToSave(credential, state, inputs);
  if (refused) {
    const text = notSavedMessage(refused);
    if (inputs.onSaveFailure === 'warn') rt.warning(text);
    else throw new CredentialError(text);
    return;
  }
  if (state.lastRefresh && compareLastRefresh(credential.lastRefreshText, state.lastRefresh) <= 0) {
    rt.warning(
      `Not saving: auth.json changed but its last_refresh (${credential.lastRefreshText}) is not newer than the restored copy's (${state.lastRefresh}).`
    );
    return;
  }

  // Changed and newer: only now load the stores and the crypto.
  const [{ openStores }, { open, seal }] = await Promise.all([import('./stores.js'), import('./envelope.js')]);
  const stores = await (rt.openStores ?? openStores)({
    inputs,
    env: rt.env,
    log: rt.info,
    localDir: state.localStore?.dir
  });
  const hasLocal = stores.some((s) => s.kind === 'local');

  const serialize =
    'Serialize the jobs that use it: `lease: true` (a lease held from the main step to the post step, across workflows and runners; needs `permissions: contents: write`), ' +
    'or one workflow `concurrency` group per credential-name (see "Serializing jobs" in the README); or give each job stream its own credential-name.';
  // A copy stored since this job restored its own, judged by its decrypted contents (never by a key name).
  for (const store of stores) {
    if (!store.readNewest) continue;
    const newest = store.newestEntry ? await store.newestEntry() : undefined;
    if (store.newestEntry && (!newest || newest === state.restoredKey)) continue;
    const found = await judgeNewest(
      store,
      (envelope) => open(envelope, inputs.encryptionKey, inputs.credentialName),
      inputs,
      credential
    );
    const entry = found.entry ?? newest;
    const concurrent =
      store.kind === 'cache'
        ? `another job stored a copy of '${inputs.credentialName}' (${entry}) after this job restored it: the credential is being used by more than one job at a time. ${serialize}`
        : `the ${store.where} holds a copy stored by another job while this one ran: the credential is being used by more than one job at a time. ${serialize}`;
    if (found.newer) {
      const nowhere = hasLocal
        ? ' (to no store at all)'
        : inputs.secret
          ? ' (neither to the cache nor to the secret)'
          : '';
      rt.warning(
        `Not saving an older copy${nowhere}: ${concurrent} That copy (last_refresh ${found.newer}) is newer than this job's (${credential.lastRefreshText}).`
      );
      return;
    }
    if (found.problem)
      rt.warning(
        `Saving this job's copy over the newest copy in the ${store.where}${entry && store.kind === 'cache' ? ` (${entry})` : ''}, which is not a usable newer login: ${found.problem}.`
      );
    else if (store.kind === 'cache') rt.warning(`Saving anyway, as this copy is newer: ${concurrent}`);
  }

  const envelope = await seal(credential.text, inputs.encryptionKey, inputs.credentialName);
  // Every store at once: none waits for another's retries.
  const results = await Promise.all(
    stores.map(async (store) => ({ store, result: await store.write(envelope, credential.lastRefresh.getTime()) }))
  );
  for (const { store, result } of results) {
    if (!result.ok) continue;
    if (store.kind === 'cache')
      rt.info(
        `Saved the refreshed ChatGPT login (last_refresh ${credential.lastRefreshText}), encrypted, to the Actions cache as ${result.entry}.`
      );
    else
      rt.info(
        `Wrote the refreshed ChatGPT login (last_refresh ${credential.lastRefreshText}), encrypted, to the ${store.where}${result.detail ? ` (${result.detail})` : ''}.`
      );
  }
  const saved = cacheResult(results);
  const written = storeResult(results, 'secret');
  const kept = storeResult(results, 'local');

  const problem = kept ? failureWithLocalStore(inputs, saved, written, kept) : failureMessage(inputs, saved, written);
  if (!problem) return;
  if (results.every(({ result }) => !result.ok)) {
    // Stored nowhere: the runner's copy is about to be removed. Never lose it silently.
    rt.info(recoveryEnvelopeMessage(envelope, inputs));
    problem.text +=
      ' The refreshed login is printed above as an envelope encrypted with your encryption-key: set it as the seed to recover without a new `codex login`.';
  }
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
      rt.warning(
        `Could not release the lease on credential '${name}' (${ref}): 'lease' is no longer true in the post step. It ends by itself at ${expiresAt}.`
      );
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

type SecretWrite = { ok: true; where: string; status: string } | { ok: false; where: string; reason: string };
type LocalWrite = { ok: true; where: string } | { ok: false; where: string; reason: string };
type Written = { store: EnvelopeStore; result: StoreWrite }[];

/** The cache's result in the form the failure messages take. */
function cacheResult(results: Written): CacheSave {
  const found = results.find((r) => r.store.kind === 'cache');
  if (!found) return { ok: false, reason: 'no Actions cache store', retryable: false };
  const r = found.result;
  return r.ok ? { ok: true, key: r.entry ?? '' } : { ok: false, reason: r.reason, retryable: r.retryable ?? false };
}

function storeResult(results: Written, kind: 'secret' | 'local'): (SecretWrite & LocalWrite) | undefined {
  const found = results.find((r) => r.store.kind === kind);
  if (!found) return undefined;
  const where = found.store.where;
  return found.result.ok
    ? { ok: true, where, status: found.result.detail ?? '' }
    : { ok: false, where, reason: found.result.reason };
}

const RECOVER =
  "To recover: on a trusted machine run `codex login`, and put the new auth.json into the secret passed as 'chatgpt-auth-json'";

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
function failureMessage(
  inputs: ChatGptInputs,
  saved: CacheSave,
  written: SecretWrite | undefined
): Problem | undefined {
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
function failureWithLocalStore(
  inputs: ChatGptInputs,
  saved: CacheSave,
  written: SecretWrite | undefined,
  kept: LocalWrite
): Problem | undefined {
  const failed = [
    ...(saved.ok ? [] : [{ name: 'the Actions cache', reason: saved.reason }]),
    ...(written && !written.ok ? [{ name: `the ${written.where}`, reason: written.reason }] : []),
    ...(kept.ok ? [] : [{ name: `the ${kept.where}`, reason: kept.reason }])
  ];
  if (!failed.length) return undefined;
  const names = failed.map((f) => f.name).join(' and ');
  const reasons = failed
    .map((f) => `${f.name[0].toUpperCase()}${f.name.slice(1)}: ${f.reason.replace(/[.\s]+$/, '')}.`)
    .join(' ');
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

/** Why auth.json as the post step finds it must not replace the stored copy, or undefined. */
function refusalToSave(credential: ChatGptCredential, state: MainState, inputs: ChatGptInputs): string | undefined {
  if (state.account) {
    const mismatch = accountMismatch(
      { userId: state.account.userId, workspaceId: state.account.workspaceId },
      credential
    );
    if (mismatch)
      return `auth.json now holds ${mismatch.replace(/^it is /, '')} (a step replaced the login Codex was given)`;
  }
  if (inputs.workspaceId && credential.workspaceId !== inputs.workspaceId)
    return `auth.json now holds a login of another workspace than the input 'workspace-id' names`;
  const future = futureProblem(credential);
  if (future) return `auth.json: ${future}`;
  const provenance = provenanceProblem(credential, inputs.oauthIssuer);
  if (provenance) return `auth.json: ${provenance}`;
  return undefined;
}

function notSavedMessage(reason: string): string {
  return (
    `Not saving the login in auth.json: ${reason}. The stored copy is left as it was. ` +
    'Check the steps between this action and its post step: none should write auth.json in CODEX_HOME (only Codex refreshing the login should change it).'
  );
}

/** A store's newest copy, read and judged: `newer` is its last_refresh when it is a usable, newer login (of any account: a re-seed wins). */
async function judgeNewest(
  store: EnvelopeStore,
  open: (envelope: string) => Promise<{ ok: true; plaintext: string } | { ok: false; reason: string }>,
  inputs: ChatGptInputs,
  credential: ChatGptCredential
): Promise<{ entry?: string; newer?: string; problem?: string }> {
  const read = await store.readNewest!();
  if (read.status !== 'found')
    return read.status === 'empty' ? {} : { problem: `it could not be read (${read.reason})` };
  const entry = read.entry;
  const opened = await open(read.envelope);
  if (!opened.ok) return { entry, problem: opened.reason };
  const { reading } = judge(
    store.kind === 'local' ? 'local' : 'cache',
    store.where,
    opened.plaintext,
    { workspaceId: inputs.workspaceId, oauthIssuer: inputs.oauthIssuer },
    entry
  );
  if (reading.status !== 'usable' || !reading.credential) return { entry, problem: reading.reason };
  if (compareLastRefresh(reading.credential.lastRefreshText, credential.lastRefreshText) > 0)
    return { entry, newer: reading.credential.lastRefreshText };
  return { entry };
}

/**
 * The refreshed login, sealed with the encryption key, for the log: without the key it reveals
 * nothing (the same envelope the cache would have held), and it is the one copy left once the
 * runner removes auth.json.
 */
function recoveryEnvelopeMessage(envelope: string, inputs: ChatGptInputs): string {
  const secret = inputs.secret?.name ?? 'the secret you pass as chatgpt-auth-json';
  return (
    `Recovery copy of the refreshed login '${inputs.credentialName}' (encrypted with encryption-key; useless without it). ` +
    `Put this one line into ${secret} (for example \`gh secret set ${inputs.secret?.name ?? 'CODEX_AUTH_JSON'}\` and paste it), then re-run: the next job restores it as the seed.\n${envelope}`
  );
}
