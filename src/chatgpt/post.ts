// ChatGPT mode, post step: store the login Codex refreshed, encrypted, for the next job, but only
// a valid copy that is newer than what was restored and than anything stored since.
import { readFileIfExists } from '../codex-home.js';
import { CredentialError } from '../errors.js';
import type { ChatGptInputs } from '../inputs.js';
import type { MainState, Runtime } from '../runtime.js';
import { CacheStore } from '../stores/cache.js';
import { compareLastRefresh, parseCredential, secretsOf } from './credential.js';
import { seal } from './envelope.js';

export async function keepRefreshedCredential(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<void> {
  const text = state.authFile ? await readFileIfExists(state.authFile) : undefined;
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
      rt.warning(`Not saving an older copy: ${concurrent}`);
      return;
    }
    rt.warning(`Saving anyway, as this copy is newer: ${concurrent}`);
  }

  const envelope = await seal(credential.text, inputs.encryptionKey, inputs.credentialName);
  const saved = await store.save(envelope, credential.lastRefresh.getTime());
  if (saved.ok) {
    rt.info(`Saved the refreshed ChatGPT login (last_refresh ${credential.lastRefreshText}), encrypted, to the Actions cache as ${saved.key}.`);
    return;
  }
  const message =
    `The refreshed ChatGPT login could not be saved to the Actions cache: ${saved.reason}. ` +
    `Codex rotated the refresh token in this job, so the stored copy now holds a spent token and the next job will fail to authenticate. ` +
    "To recover: on a trusted machine run `codex login`, and put the new auth.json into the secret passed as 'chatgpt-auth-json'.";
  if (inputs.onSaveFailure === 'warn') rt.warning(message);
  else throw new CredentialError(message);
}
