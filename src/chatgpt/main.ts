// ChatGPT mode, main step: serialize this job with every other job that uses the credential (the
// lease, the runner-local lock), restore the freshest valid copy of the login, write it where Codex
// reads it.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { AUTH_FILE, prepareCodexHome, readFileIfExists, writePrivateFile } from '../codex-home.js';
import { FILE_STORE, mergeCodexConfig, type ConfigChange } from '../codex-config.js';
import { CredentialError, errorMessage } from '../errors.js';
import { initCommand, type ChatGptInputs } from '../inputs.js';
import { runnerTemp, type MainState, type Runtime } from '../runtime.js';
import { CacheStore } from '../stores/cache.js';
import { acquireLease, leaseHolderFromEnv } from '../stores/lease.js';
import { LocalStore, LocalStoreError, resolveLocalStoreDir } from '../stores/local.js';
import { acquireLock, holderFromEnv, LockTimeoutError } from '../stores/lock.js';
import { consumerCopy, isConsumerCopy } from './consumer-copy.js';
import { compareFreshness, parseCredential, secretsOf, sha256, type ChatGptCredential } from './credential.js';
import { open, seal } from './envelope.js';
import { checkWhereWeRun } from './guard.js';
import { renewAheadIfDue, refuseInJobRefreshOffDefaultBranch } from './renewal-step.js';
import { decodeSeed } from './seed.js';

/**
 * A random value per job, exported (GITHUB_ENV) by the first use of the action in a job for its later
 * steps: the lease and the lock tell "this very job holds it" from "an earlier job on this runner
 * was killed" by it (GITHUB_JOB alone is the same for every leg of a matrix).
 */
export const JOB_NONCE_VARIABLE = 'CODEX_AUTH_JOB_NONCE';

interface Candidate {
  source: 'cache' | 'local' | 'seed' | 'codex-home';
  credential: ChatGptCredential;
}

export async function setUpChatGpt(inputs: ChatGptInputs, rt: Runtime): Promise<void> {
  checkWhereWeRun(rt.env, inputs.allowPublicRepository).warnings.forEach(rt.warning);
  if (rt.env.CODEX_API_KEY) {
    rt.warning('CODEX_API_KEY is set in the environment: `codex exec` uses it instead of the ChatGPT login. Remove it from the job to run as the ChatGPT account.');
  }
  const home = await prepareCodexHome(inputs.codexHome, runnerTemp(rt.env));
  const state: MainState = { mode: 'chatgpt', codexHome: home.dir, createdHome: home.created };
  rt.saveState(state);
  const authFile = path.join(home.dir, AUTH_FILE);

  // One job at a time per credential, from here to the post step: before anything is restored.
  const local = await serializeThisJob(inputs, state, rt);

  const describe = (source: Candidate['source']): string => describeSource(source, inputs, local);
  const tried: string[] = [];
  const candidates: Candidate[] = [];
  const consider = (source: Candidate['source'], text: string): void => {
    const parsed = parseCredential(text);
    secretsOf(parsed).forEach(rt.setSecret);
    let reason = parsed.ok ? workspaceMismatch(parsed.credential, inputs.workspaceId) : parsed.reason;
    if (parsed.ok && isConsumerCopy(text)) reason = 'it is a copy without the refresh token (renewal: ahead), not a login';
    if (parsed.ok && !reason) {
      candidates.push({ source, credential: parsed.credential });
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
    if (opened.ok) consider('cache', opened.plaintext);
    else {
      rt.warning(`Skipping the Actions cache entry ${lookup.copy.key}: ${opened.reason}.`);
      tried.push(`Actions cache entry ${lookup.copy.key}: ${opened.reason}`);
    }
  } else {
    tried.push(`Actions cache: ${lookup.status === 'miss' ? 'no entry yet' : lookup.reason}`);
    if (lookup.status !== 'miss') rt.warning(`The Actions cache could not be read: ${lookup.reason}.`);
  }
  rt.setOutput('cache-hit', String(lookup.status === 'hit'));

  if (local) {
    const envelope = await readLocalStore(local);
    if (envelope === undefined) tried.push(`${describe('local')}: no copy yet`);
    else {
      const opened = await open(envelope, inputs.encryptionKey, inputs.credentialName);
      if (opened.ok) consider('local', opened.plaintext);
      else {
        rt.warning(`Skipping the ${describe('local')}: ${opened.reason}.`);
        tried.push(`${describe('local')}: ${opened.reason}`);
      }
    }
  }

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

  let credential = chosen.credential;
  // The source as reported: with secret-name set, the seed input is the secret's copy.
  const source = chosen.source === 'seed' && inputs.secret ? 'secret' : chosen.source;
  // renewal: ahead: jobs run at once, and one proving access by writing its (older) copy could overwrite a renewal just stored;
  // the secret is written only by a renewal, under its claim (a failure there is a warning when the cache has the renewal).
  if (inputs.secret && inputs.renewal.mode === 'in-job') await proveWriteAccess(inputs, credential, chosen.source === 'seed' ? undefined : describe(chosen.source), rt);

  const changes: ConfigChange[] = [FILE_STORE];
  if (inputs.workspaceId) {
    changes.push({
      key: 'forced_chatgpt_workspace_id',
      value: inputs.workspaceId,
      onConflict: { input: 'workspace-id', fix: 'Give the same workspace id as the config.toml in codex-home, or use another codex-home.' }
    });
  }
  await mergeCodexConfig(home.dir, changes, rt.warning);
  const ahead = inputs.renewal.mode === 'ahead';
  let renewed = false;
  if (ahead) ({ credential, renewed } = await renewAheadIfDue(inputs, credential, local, ensureJobNonce(rt), rt));
  else refuseInJobRefreshOffDefaultBranch(inputs, credential, local, rt.env);
  // renewal: ahead: Codex never gets the refresh token (src/chatgpt/consumer-copy.ts).
  const written = ahead ? consumerCopy(credential.text) : credential.text;
  await writePrivateFile(authFile, written);
  rt.setOutput('renewed', String(renewed));
  rt.saveState({
    ...state,
    renewal: inputs.renewal.mode,
    authFile,
    authSha256: sha256(written),
    lastRefresh: credential.lastRefreshText,
    source,
    // The newest cache entry seen, whichever copy won: the post step tells from it whether another job stored one since.
    restoredKey: lookup.status === 'hit' ? lookup.copy.key : undefined
  });

  const expires = credential.accessTokenExpiresAt;
  if (!ahead && expires && expires.getTime() <= Date.now()) {
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

/**
 * `lease: true`: waits for the lease on the credential (every job, workflow and runner of the
 * repository). `local-store: true`: prepares the runner-local store and waits for its lock (every
 * runner process on this machine). Each is saved to the state as soon as it is held, so that the
 * post step releases it whatever fails after; a wait that times out fails the job before anything
 * is restored. Always the lease first, then the lock: one order, no deadlock.
 */
async function serializeThisJob(inputs: ChatGptInputs, state: MainState, rt: Runtime): Promise<LocalStore | undefined> {
  if (!inputs.lease && !inputs.localStore) return undefined;
  const jobNonce = ensureJobNonce(rt);
  // renewal: ahead holds the lease and the lock only for the seconds of a renewal (src/chatgpt/renewal-stores.ts).
  const forTheJob = inputs.renewal.mode === 'in-job';
  if (inputs.lease && forTheJob) {
    const { lease: settings } = inputs;
    const lease = await acquireLease({
      apiUrl: settings.apiUrl,
      token: settings.token,
      owner: settings.owner,
      repo: settings.repo,
      credentialName: inputs.credentialName,
      holder: leaseHolderFromEnv(rt.env, { jobNonce }),
      ttlMs: settings.ttlMs,
      timeoutMs: settings.timeoutMs,
      log: rt.info
    });
    state.lease = { ref: lease.ref, sha: lease.sha, expiresAt: lease.expiresAt };
    rt.saveState(state);
  }
  if (!inputs.localStore) return undefined;
  const env = rt.env;
  let local: LocalStore;
  try {
    const dir = resolveLocalStoreDir(inputs.localStore.dir, { home: env.HOME ?? '', workspace: env.GITHUB_WORKSPACE, runnerTemp: env.RUNNER_TEMP });
    local = new LocalStore({ dir, credentialName: inputs.credentialName, workspace: env.GITHUB_WORKSPACE, runnerTemp: env.RUNNER_TEMP, log: rt.info });
    await local.prepare();
  } catch (error) {
    if (error instanceof LocalStoreError) throw new CredentialError(`Input 'local-store-path': ${error.message} Nothing was restored.`);
    throw error;
  }
  if (!forTheJob) return local;
  try {
    const lock = await acquireLock({
      dir: local.dir,
      name: inputs.credentialName,
      holder: holderFromEnv(env, { jobNonce }),
      timeoutMs: inputs.localStore.lockTimeoutMs,
      log: rt.info
    });
    state.localStore = { dir: local.dir, lockToken: lock.token };
    rt.saveState(state);
  } catch (error) {
    if (error instanceof LockTimeoutError) {
      throw new CredentialError(`${error.message} (The wait is the input 'lock-timeout-minutes'.) Nothing was restored: this job did not touch the credential.`);
    }
    throw error;
  }
  return local;
}

/** This job's nonce (see JOB_NONCE_VARIABLE): the one an earlier step of the job exported, or a new one. */
function ensureJobNonce(rt: Runtime): string {
  const existing = rt.env[JOB_NONCE_VARIABLE]?.trim();
  if (existing && /^[0-9a-f]{32}$/.test(existing)) return existing;
  const nonce = randomBytes(16).toString('hex');
  rt.exportVariable(JOB_NONCE_VARIABLE, nonce);
  return nonce;
}

/** The envelope in the runner-local store, or undefined when there is none yet; a store that cannot be read fails the job. */
async function readLocalStore(local: LocalStore): Promise<string | undefined> {
  try {
    return await local.read();
  } catch (error) {
    throw new CredentialError(
      `The runner-local store (input 'local-store-path') could not be read: ${errorMessage(error)} Nothing was restored: the newest copy of the login may be there, and an older one would spend a refresh token that may already be used.`
    );
  }
}

/** On equal last_refresh, prefer a stored copy over the seed (the seed is usually the older original). */
function rank(candidate: Candidate): number {
  return { local: 0, cache: 1, 'codex-home': 2, seed: 3 }[candidate.source];
}

function describeSource(source: Candidate['source'], inputs: ChatGptInputs, local: LocalStore | undefined): string {
  if (source === 'cache') return 'Actions cache';
  if (source === 'local') return `runner-local store (${local?.file ?? inputs.localStore?.dir})`;
  if (source === 'codex-home') return 'auth.json already in codex-home';
  return inputs.secret ? `secret ${inputs.secret.name} (input 'chatgpt-auth-json')` : "seed (input 'chatgpt-auth-json')";
}
