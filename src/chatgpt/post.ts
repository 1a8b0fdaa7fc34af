// ChatGPT mode, post step: store the login Codex refreshed, encrypted, in every store, but only a
// valid copy newer than what was restored and than anything stored since; then release the holds.
// The stores and libsodium are loaded only once the login is known to have changed.
import { readFileIfExists } from '../codex/home.js';
import { CredentialError, errorMessage } from '../action/errors.js';
import type { ChatGptInputs } from '../action/chatgpt-inputs.js';
import type { MainState, Runtime } from '../action/runtime.js';
import type { EnvelopeStore } from '../stores/store.js';
import { releaseJobHolds } from './holds.js';
import type { Stored } from './restore/open-stored.js';
import { compareLastRefresh, parseCredential, secretsOf, type ChatGptCredential } from './login/credential.js';
import { reportForeignRewrite } from './keep/foreign-rewrite.js';
import { reseedSteps, SERIALIZE_JOBS } from './login/instructions.js';
import { judge } from './restore/readings.js';
import { afterRestored, notSavedMessage, refusalToSave } from './keep/refusal.js';
import { recoveryEnvelopeMessage, storeProblem } from './keep/save-outcome.js';

/** Keeps the login Codex refreshed (when it may be kept), then releases the holds whatever happened. */
export async function keepRefreshedCredential(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<void> {
  try {
    await saveRefreshedCredential(inputs, state, rt);
  } catch (error) {
    // A decision (CredentialError) stands; anything else must not cost a login Codex refreshed.
    if (error instanceof CredentialError) throw error;
    throw new Error(`${errorMessage(error)}.${await recoverRefreshed(inputs, state, rt)}`, { cause: error });
  } finally {
    // After saving, so that the next holder restores the copy this job stored; also after a failure.
    await releaseJobHolds(inputs.credentialName, inputs.lease, state, rt);
  }
}

async function saveRefreshedCredential(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<void> {
  const credential = await refreshedLogin(inputs, state, rt);
  if (!credential) return;
  // Changed and newer: only now load the stores and the crypto.
  const [{ openStores }, { openStored }, { seal }] = await Promise.all([
    import('./restore/stores.js'),
    import('./restore/open-stored.js'),
    import('./login/envelope.js')
  ]);
  const stores = await (rt.openStores ?? openStores)({
    inputs,
    env: rt.env,
    log: rt.info,
    localDir: state.localStore?.dir
  });
  const open = (envelope: string) => openStored(envelope, inputs.encryptionKey, inputs.credentialName);
  if (await newerStoredSince(stores, open, state.restoredKey, credential, inputs, rt)) return;
  const envelope = await seal(credential.text, inputs.encryptionKey, inputs.credentialName);
  await writeEverywhere(stores, envelope, credential, inputs, rt);
}

/**
 * The login Codex refreshed, as auth.json holds it now, checked and ordered after the restored
 * copy; undefined (having said why) when there is nothing to save.
 */
async function refreshedLogin(
  inputs: ChatGptInputs,
  state: MainState,
  rt: Runtime
): Promise<ChatGptCredential | undefined> {
  if (!state.authFile) {
    rt.info('Nothing to save: the main step stopped before it gave Codex a credential.');
    return undefined;
  }
  // Codex run as another user (openai/codex-action's unprivileged-user) may have rewritten it.
  if (state.renewal !== 'ahead' && (await reportForeignRewrite(state.authFile, inputs.onSaveFailure, rt)))
    return undefined;
  // A refresh that failed in this job (or, renewal: ahead, an access token refused): the login is never stored (src/chatgpt/keep/after-codex.ts).
  const { handleFailedRefresh } = await import('./keep/after-codex.js');
  if (await handleFailedRefresh(inputs, state, rt)) return undefined;
  if (state.renewal === 'ahead') {
    // Codex had no refresh token, so there is nothing new to keep; every stored copy stays as it is.
    rt.info(
      'Codex got the login without its refresh token (renewal: ahead, or in-job off the default branch), so there is nothing to save; the stored copies are unchanged.'
    );
    // The main step's renewal reached only the cache (on-save-failure: fail): a save failure, said once Codex has run.
    if (state.unsaved) throw new CredentialError(state.unsaved);
    return undefined;
  }
  const text = await readFileIfExists(state.authFile);
  if (text === undefined) {
    rt.warning(
      `Not saving: ${state.authFile} is gone. Codex deletes it when it logs out (for example on a workspace mismatch with forced_chatgpt_workspace_id), or a step removed it. The stored copy is left as it was.`
    );
    return undefined;
  }
  const parsed = parseCredential(text);
  secretsOf(parsed).forEach(rt.setSecret);
  if (!parsed.ok) {
    rt.warning(
      `Not saving: auth.json is no longer a usable ChatGPT login (${parsed.reason}). The stored copy is left as it was.`
    );
    return undefined;
  }
  if (parsed.credential.tokensSha256 === state.tokensSha256) {
    rt.info('The ChatGPT login is unchanged since the main step (Codex did not refresh it): nothing to save.');
    return undefined;
  }
  const refused = refusalToSave(parsed.credential, state, inputs);
  const ordered = refused ? { refused } : afterRestored(parsed.credential, state);
  if ('refused' in ordered) {
    const message = notSavedMessage(ordered.refused);
    if (inputs.onSaveFailure === 'warn') rt.warning(message);
    else throw new CredentialError(message);
    return undefined;
  }
  if (ordered.credential !== parsed.credential)
    rt.info(
      `Codex refreshed the login in this job, but the restored copy's last_refresh (${state.lastRefresh}) was stamped by a clock ahead of this runner's: the refreshed login is stored stamped ${ordered.credential.lastRefreshText}, so it outranks the copy whose refresh token it spent.`
    );
  return ordered.credential;
}

/**
 * A copy another job stored since this one restored its own, judged by its decrypted contents
 * (never by a key name): true when it is newer, so this job's older login must not be saved.
 */
async function newerStoredSince(
  stores: EnvelopeStore[],
  open: (envelope: string) => Promise<Stored>,
  restoredKey: string | undefined,
  credential: ChatGptCredential,
  inputs: ChatGptInputs,
  rt: Runtime
): Promise<boolean> {
  const hasLocal = stores.some((s) => s.kind === 'local');
  for (const store of stores) {
    if (!store.readNewest) continue;
    const newest = store.newestEntry ? await store.newestEntry() : undefined;
    if (store.newestEntry && (!newest || newest === restoredKey)) continue;
    const found = await judgeNewest(store, open, inputs, credential);
    const entry = found.entry ?? newest;
    const concurrent =
      store.kind === 'cache'
        ? `another job stored a copy of '${inputs.credentialName}' (${entry}) after this job restored it: the credential is being used by more than one job at a time. ${SERIALIZE_JOBS}`
        : `the ${store.where} holds a copy stored by another job while this one ran: the credential is being used by more than one job at a time. ${SERIALIZE_JOBS}`;
    if (found.newer) {
      const nowhere = hasLocal
        ? ' (to no store at all)'
        : inputs.secret
          ? ' (neither to the cache nor to the secret)'
          : '';
      rt.warning(
        `Not saving an older copy${nowhere}: ${concurrent} That copy (last_refresh ${found.newer}) is newer than this job's (${credential.lastRefreshText}).`
      );
      return true;
    }
    if (found.problem)
      rt.warning(
        `Saving this job's copy over the newest copy in the ${store.where}${entry && store.kind === 'cache' ? ` (${entry})` : ''}, which is not a usable newer login: ${found.problem}.`
      );
    else if (store.kind === 'cache') rt.warning(`Saving anyway, as this copy is newer: ${concurrent}`);
  }
  return false;
}

/** A store's newest copy, read and judged: `newer` is its last_refresh when it is a usable, newer login (of any account: a re-seed wins). */
async function judgeNewest(
  store: EnvelopeStore,
  open: (envelope: string) => Promise<Stored>,
  inputs: ChatGptInputs,
  credential: ChatGptCredential
): Promise<{ entry?: string; newer?: string; problem?: string }> {
  const read = await store.readNewest!();
  if (read.status !== 'found')
    return read.status === 'empty' ? {} : { problem: `it could not be read (${read.reason})` };
  const entry = read.entry;
  const stored = await open(read.envelope);
  if (stored.kind === 'unreadable') return { entry, problem: stored.reason };
  // A re-seed mark is judged like any copy: not a usable newer login, so this job's login is kept over it.
  const { reading } = judge(
    store.kind === 'local' ? 'local' : 'cache',
    store.where,
    stored.text,
    { workspaceId: inputs.workspaceId, oauthIssuer: inputs.oauthIssuer },
    entry
  );
  if (reading.status !== 'usable' || !reading.credential) return { entry, problem: reading.reason };
  if (compareLastRefresh(reading.credential.lastRefreshText, credential.lastRefreshText) > 0)
    return { entry, newer: reading.credential.lastRefreshText };
  return { entry };
}

/** Writes the sealed login to every store at once (none waits for another's retries), then reports by one policy. */
async function writeEverywhere(
  stores: EnvelopeStore[],
  envelope: string,
  credential: ChatGptCredential,
  inputs: ChatGptInputs,
  rt: Runtime
): Promise<void> {
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
  const problem = storeProblem(inputs, results);
  if (!problem) return;
  if (problem.nowhere) {
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
 * After an unexpected exception while saving: the login Codex refreshed in auth.json (its old
 * refresh token is spent) goes, sealed, to every store as a recovery copy before the post step
 * removes auth.json. Returns what to add to the failure.
 */
async function recoverRefreshed(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<string> {
  try {
    if (!state.authFile || state.renewal === 'ahead') return '';
    const text = await readFileIfExists(state.authFile);
    const parsed = text === undefined ? undefined : parseCredential(text);
    if (!parsed?.ok || parsed.credential.tokensSha256 === state.tokensSha256) return '';
    if (refusalToSave(parsed.credential, state, inputs)) return '';
    const ordered = afterRestored(parsed.credential, state);
    if ('refused' in ordered) return '';
    const [{ openStores }, { seal }] = await Promise.all([
      import('./restore/stores.js'),
      import('./login/envelope.js')
    ]);
    const envelope = await seal(ordered.credential.text, inputs.encryptionKey, inputs.credentialName);
    const stores = await (rt.openStores ?? openStores)({
      inputs,
      env: rt.env,
      log: rt.info,
      localDir: state.localStore?.dir
    });
    const kept: string[] = [];
    for (const store of stores) {
      const written = await store
        .write(envelope, ordered.credential.lastRefresh.getTime())
        .catch((error: unknown) => ({ ok: false as const, reason: errorMessage(error) }));
      if (written.ok) kept.push(`the ${store.where}`);
    }
    return kept.length
      ? ` The login Codex refreshed was kept, encrypted, as a recovery copy in ${kept.join(', ')}: the next job uses it.`
      : ` The login Codex refreshed could not be kept anywhere. ${reseedSteps(inputs.secret)}`;
  } catch (error) {
    return ` The login Codex refreshed could not be kept (${errorMessage(error)}). ${reseedSteps(inputs.secret)}`;
  }
}
