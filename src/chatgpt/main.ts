// ChatGPT mode, main step: restore the freshest valid copy of the login, write it where Codex reads it.
import path from 'node:path';
import { AUTH_FILE, prepareCodexHome, readFileIfExists, writePrivateFile } from '../codex-home.js';
import { mergeCodexConfig, type ConfigChange } from '../codex-config.js';
import { FILE_STORE } from '../api-key.js';
import { CredentialError, errorMessage } from '../errors.js';
import { initCommand, type ChatGptInputs } from '../inputs.js';
import { runnerTemp, type Runtime } from '../runtime.js';
import { CacheStore } from '../stores/cache.js';
import { compareFreshness, parseCredential, secretsOf, type ChatGptCredential } from './credential.js';
import { open, seal } from './envelope.js';
import { checkWhereWeRun } from './guard.js';
import { decodeSeed } from './seed.js';

interface Candidate {
  source: 'cache' | 'seed' | 'codex-home';
  credential: ChatGptCredential;
  cacheKey?: string;
}

export async function setUpChatGpt(inputs: ChatGptInputs, rt: Runtime): Promise<void> {
  checkWhereWeRun(rt.env, inputs.allowPublicRepository).warnings.forEach(rt.warning);
  if (rt.env.CODEX_API_KEY) {
    rt.warning('CODEX_API_KEY is set in the environment: `codex exec` uses it instead of the ChatGPT login. Remove it from the job to run as the ChatGPT account.');
  }
  const home = await prepareCodexHome(inputs.codexHome, runnerTemp(rt.env));
  rt.saveState({ mode: 'chatgpt', codexHome: home.dir, createdHome: home.created });
  const authFile = path.join(home.dir, AUTH_FILE);

  const describe = (source: Candidate['source']): string => describeSource(source, inputs);
  const tried: string[] = [];
  const candidates: Candidate[] = [];
  const consider = (source: Candidate['source'], text: string, cacheKey?: string): void => {
    const parsed = parseCredential(text);
    secretsOf(parsed).forEach(rt.setSecret);
    let reason = parsed.ok ? workspaceMismatch(parsed.credential, inputs.workspaceId) : parsed.reason;
    if (parsed.ok && !reason) {
      candidates.push({ source, credential: parsed.credential, cacheKey });
      reason = `usable, last_refresh ${parsed.credential.lastRefreshText}`;
    } else {
      rt.warning(`Skipping the ${describe(source)}: ${reason}.`);
    }
    tried.push(`${describe(source)}: ${reason}`);
  };

  const store = new CacheStore({ credentialName: inputs.credentialName, env: rt.env, log: rt.info });
  const lookup = await store.restore();
  if (lookup.status === 'hit') {
    const opened = await open(lookup.copy.envelope, inputs.encryptionKey, inputs.credentialName);
    if (opened.ok) consider('cache', opened.plaintext, lookup.copy.key);
    else {
      rt.warning(`Skipping the Actions cache entry ${lookup.copy.key}: ${opened.reason}.`);
      tried.push(`Actions cache entry ${lookup.copy.key}: ${opened.reason}`);
    }
  } else {
    tried.push(`Actions cache: ${lookup.status === 'miss' ? 'no entry yet' : lookup.reason}`);
    if (lookup.status !== 'miss') rt.warning(`The Actions cache could not be read: ${lookup.reason}.`);
  }
  rt.setOutput('cache-hit', String(lookup.status === 'hit'));

  if (inputs.seed) {
    const seed = await decodeSeed(inputs.seed, inputs.encryptionKey, inputs.credentialName);
    if (seed.ok) consider('seed', seed.text);
    else {
      rt.warning(`Skipping the ${describe('seed')}: ${seed.reason}.`);
      tried.push(`${describe('seed')}: ${seed.reason}`);
    }
  } else tried.push(`${describe('seed')}: not given`);

  if (!home.created) {
    const existing = await readFileIfExists(authFile);
    if (existing !== undefined) consider('codex-home', existing);
  }

  const chosen = candidates.sort((a, b) => compareFreshness(b.credential, a.credential) || rank(a) - rank(b))[0];
  if (!chosen) {
    throw new CredentialError(
      `No usable ChatGPT credential for '${inputs.credentialName}'. Tried:\n  - ${tried.join('\n  - ')}\n` +
        "To re-seed: on a trusted machine run `codex login` (with cli_auth_credentials_store = \"file\"), then put the new ~/.codex/auth.json into the secret passed as 'chatgpt-auth-json'" +
        (inputs.secret ? ` (\`${initCommand(inputs.secret)}\` does it).` : '.')
    );
  }
  if (lookup.status === 'failed' && chosen.source !== 'cache') {
    // The newest stored copy is unknown: using an older one would spend a refresh token that
    // may already be used, and the server can revoke the whole login for that.
    throw new CredentialError(
      `The Actions cache could not be read (${lookup.reason}), so this job cannot know whether a newer copy of '${inputs.credentialName}' than the ${describe(chosen.source)} exists. Nothing was restored, to avoid spending an old refresh token. Re-run the job; if the cache stays unavailable, re-seed 'chatgpt-auth-json' from a fresh \`codex login\`.`
    );
  }

  const credential = chosen.credential;
  // The source as reported: with secret-name set, the seed input is the secret's copy.
  const source = chosen.source === 'seed' && inputs.secret ? 'secret' : chosen.source;
  if (inputs.secret) await proveWriteAccess(inputs, credential, chosen.source === 'seed' ? undefined : describe(chosen.source), rt);

  const changes: ConfigChange[] = [FILE_STORE];
  if (inputs.workspaceId) {
    changes.push({
      key: 'forced_chatgpt_workspace_id',
      value: inputs.workspaceId,
      onConflict: { input: 'workspace-id', fix: 'Give the same workspace id as the config.toml in codex-home, or use another codex-home.' }
    });
  }
  await mergeCodexConfig(home.dir, changes, rt.warning);
  await writePrivateFile(authFile, credential.text);
  rt.saveState({
    mode: 'chatgpt',
    codexHome: home.dir,
    createdHome: home.created,
    authFile,
    authSha256: credential.sha256,
    lastRefresh: credential.lastRefreshText,
    source,
    restoredKey: chosen.cacheKey
  });

  const expires = credential.accessTokenExpiresAt;
  if (expires && expires.getTime() <= Date.now()) {
    rt.warning(`The access token expired at ${expires.toISOString()}; Codex refreshes it on first use, and the post step stores the refreshed login.`);
  }
  rt.exportVariable('CODEX_HOME', home.dir);
  rt.setOutput('codex-home', home.dir);
  rt.setOutput('auth-file', authFile);
  rt.setOutput('auth-mode', 'chatgpt');
  rt.setOutput('source', source);
  rt.setOutput('last-refresh', credential.lastRefreshText);
  rt.setOutput('access-token-expires-at', expires?.toISOString() ?? '');
  rt.setOutput('plan-type', credential.planType ?? '');
  rt.info(`Codex will use the ChatGPT login '${inputs.credentialName}' from the ${describe(chosen.source)} (last_refresh ${credential.lastRefreshText}); CODEX_HOME=${home.dir}.`);
}

function workspaceMismatch(credential: ChatGptCredential, workspaceId: string | undefined): string | undefined {
  if (!workspaceId || credential.workspaceId === workspaceId) return undefined;
  return `it belongs to another ChatGPT workspace than the input 'workspace-id' names (${credential.workspaceId ? 'a different account id' : 'no account id in its id token'}); log in to workspace ${workspaceId} and re-seed, or correct 'workspace-id'`;
}

/**
 * Secret write-back: before Codex can rotate anything, prove that the token may write the secret by
 * writing the chosen login to it (sealed, like every stored copy). A job that could not store its
 * refreshed login must fail here, while the login is still intact, not in the post step. The
 * secret store is loaded only when secret-name is set.
 */
async function proveWriteAccess(inputs: ChatGptInputs, credential: ChatGptCredential, otherSource: string | undefined, rt: Runtime): Promise<void> {
  const target = inputs.secret!;
  const { checkWriteAccess, describeTarget } = await import('../stores/secret.js');
  const envelope = await seal(credential.text, inputs.encryptionKey, inputs.credentialName);
  try {
    await checkWriteAccess(target, envelope, { log: rt.info });
  } catch (error) {
    throw new CredentialError(
      `Write-back is on (secret-name), but this job cannot write the secret, so it stops before Codex runs: ${errorMessage(error)} ` +
        'Codex did not get the login and nothing was refreshed, so every stored copy is still valid: fix this and re-run the job.'
    );
  }
  if (otherSource) {
    // The secret's own copy lost (older, unusable or missing): it now holds the one Codex will use.
    rt.info(`The ${describeTarget(target)} now holds the login from the ${otherSource} (last_refresh ${credential.lastRefreshText}), encrypted.`);
  }
}

/** On equal last_refresh, prefer the stored copy over the seed (the seed is usually the older original). */
function rank(candidate: Candidate): number {
  return candidate.source === 'cache' ? 0 : candidate.source === 'codex-home' ? 1 : 2;
}

function describeSource(source: Candidate['source'], inputs: ChatGptInputs): string {
  if (source === 'cache') return 'Actions cache';
  if (source === 'codex-home') return 'auth.json already in codex-home';
  return inputs.secret ? `secret ${inputs.secret.name} (input 'chatgpt-auth-json')` : "seed (input 'chatgpt-auth-json')";
}
