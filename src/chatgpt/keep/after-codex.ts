// Post step, first thing in ChatGPT mode: did Codex fail to renew the login in this job? Then the
// login is never stored and (in-job renewal) the chain is marked, so the next job stops at once.
// With `renewal: ahead` a refresh attempt means the access token was refused: nothing is marked.
import { readFileIfExists } from '../../codex/home.js';
import { CredentialError } from '../../action/errors.js';
import type { ChatGptInputs } from '../../action/chatgpt-inputs.js';
import type { MainState, Runtime } from '../../action/runtime.js';
import {
  accessTokenRefusedMessage,
  findRefreshFailure,
  refreshFailedMessage,
  type RefreshFailure
} from '../login/refresh-failure.js';
import { compareLastRefresh, parseCredential } from '../login/credential.js';

/** True when a failed refresh was found and handled (the caller then stores nothing). */
export async function handleFailedRefresh(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<boolean> {
  const failure = await findRefreshFailure(state.codexHome, state.startedAt ? new Date(state.startedAt) : undefined);
  if (!failure) return false;
  const name = inputs.credentialName;
  if (state.renewal === 'ahead') {
    report(accessTokenRefusedMessage(name, failure, inputs.secret), inputs, rt);
    return true;
  }
  if (await renewedInThisJob(state)) {
    // Another Codex process of the job renewed the login after all: that login is the live one, and dropping it would lose the chain.
    rt.warning(
      `Codex reported a failed renewal of the ChatGPT login '${name}' (${failure.codexMessage}), but auth.json holds a login renewed in this job: it is stored as usual.`
    );
    return false;
  }
  let message = refreshFailedMessage(name, failure, inputs.secret);
  if (state.lastRefresh) {
    const kept = await storeMark(inputs, state.localStore?.dir, state.lastRefresh, failure, rt);
    if (kept.failed.length)
      message += ` (The mark could not be stored in ${kept.failed.join('; ')}: a later job there runs Codex and fails the same way.)`;
  }
  report(message, inputs, rt);
  return true;
}

/** auth.json holds a valid login newer than the one the main step wrote. */
async function renewedInThisJob(state: MainState): Promise<boolean> {
  if (!state.authFile || !state.lastRefresh) return false;
  const text = await readFileIfExists(state.authFile);
  const parsed = text === undefined ? undefined : parseCredential(text);
  return parsed?.ok === true && compareLastRefresh(parsed.credential.lastRefreshText, state.lastRefresh) > 0;
}

function report(message: string, inputs: ChatGptInputs, rt: Runtime): void {
  if (inputs.onRefreshFailure === 'warn') rt.warning(message);
  else throw new CredentialError(message);
}

/** Stores the mark like a login copy: the Actions cache, and the runner-local store when on. */
async function storeMark(
  inputs: ChatGptInputs,
  localDir: string | undefined,
  lastRefresh: string,
  failure: RefreshFailure,
  rt: Runtime
): Promise<{ failed: string[] }> {
  const [{ openStores }, { keepsMarks, sealMark }] = await Promise.all([
    import('../restore/stores.js'),
    import('../login/reseed-mark.js')
  ]);
  const envelope = await sealMark(failure, { lastRefreshText: lastRefresh }, rt.env, {
    key: inputs.encryptionKey,
    credentialName: inputs.credentialName
  });
  const stores = await (rt.openStores ?? openStores)({
    inputs,
    env: rt.env,
    log: rt.info,
    localDir
  });
  const failed: string[] = [];
  for (const store of stores.filter(keepsMarks)) {
    const written = await store.write(envelope, Date.parse(lastRefresh));
    if (written.ok)
      rt.info(
        `Marked '${inputs.credentialName}' as needing a re-seed in the ${store.where}${written.entry ? ` (${written.entry})` : ''}.`
      );
    else failed.push(`the ${store.where} (${written.reason})`);
  }
  return { failed };
}
