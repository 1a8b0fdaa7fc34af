// ChatGPT mode, main step: serialize this job with every other job that uses the credential (the
// lease, the runner-local lock), restore the freshest valid copy of the login, write it where Codex
// reads it.
import { randomBytes } from 'node:crypto';
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
import { CredentialError, errorMessage } from '../action/errors.js';
import { initCommand, type ChatGptInputs } from '../action/inputs.js';
import { runnerTemp, type MainState, type Runtime } from '../action/runtime.js';
import { acquireLease, leaseHolderFromEnv } from '../mutex/lease.js';
import { LocalStore, LocalStoreError, resolveLocalStoreDir } from '../stores/local.js';
import { acquireLock, holderFromEnv, LockTimeoutError } from '../mutex/lock.js';
import { consumerCopy } from './login/consumer-copy.js';
import { parseCredential, secretsOf, sha256, type ChatGptCredential } from './login/credential.js';
import { renewAheadIfDue, withholdInJobRefresh } from './renewal/step.js';
import { choose, judge, type Reading, type Source } from './restore/readings.js';
import { open, seal } from './login/envelope.js';
import { cacheOnlyWithoutCache, openStores } from './restore/stores.js';
import { secretVersions } from '../stores/secret-version.js';
import { JOB_NONCE_VARIABLE } from '../action/constants.js';
import type { EnvelopeStore, NewestRead } from '../stores/store.js';
import { checkWhereWeRun } from './report/guard.js';
import { placeOfRun, type RunPlace } from './renewal/place.js';
import { readRunEvent } from '../action/event.js';
import { apiUrlFromEnv } from '../github/request.js';
import { overrideWarnings } from '../codex/overrides.js';
import { decodeSeed } from './login/seed.js';
import { renderChatGptSummary, type ChatGptReport, type StoreName, type StoreReading } from './report/summary.js';
import { markBlocks, needsReseedMessage, parseMark, type ReseedMark } from './login/reseed-mark.js';
import { cacheLimitOf, earlyWarnings } from './report/early-warnings.js';

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
    report.readings = found.readings.map((r) => summaryRow(r, found.marks.get(r), inputs));
    rt.summary(renderChatGptSummary(report));
  }
}

/** What the main step read: every place's reading, and the re-seed marks among them. */
interface Found {
  readings: Reading[];
  marks: Map<Reading, ReseedMark>;
}

async function setUp(inputs: ChatGptInputs, rt: Runtime, report: ChatGptReport, found: Found): Promise<void> {
  const event = readRunEvent(rt.env);
  const lookup = { token: inputs.githubToken, apiUrl: apiUrlFromEnv(rt.env), log: rt.info };
  const guard = await checkWhereWeRun(event, lookup, inputs.allowPublicRepository);
  guard.warnings.forEach(rt.warning);
  const place: RunPlace = placeOfRun(event, guard.facts);
  overrideWarnings(rt.env, 'the ChatGPT login').forEach(rt.warning);
  const home = await prepareCodexHome(inputs.codexHome, runnerTemp(rt.env));
  // An auth.json this action did not write for this credential is left byte for byte: refused before anything is read.
  const existing = home.created ? undefined : await ownershipOf(home.dir, ownerOf(inputs.credentialName), loginOf);
  if (existing?.status === 'foreign') throw foreignAuthError(home.dir, existing);
  const state: MainState = {
    mode: 'chatgpt',
    codexHome: home.dir,
    createdHome: home.created,
    startedAt: report.now.toISOString()
  };
  rt.saveState(state);
  const authFile = path.join(home.dir, AUTH_FILE);

  // One job at a time per credential, from here to the post step: before anything is restored.
  const local = await serializeThisJob(inputs, state, rt);

  const describe = (source: Source): string => describeSource(source, inputs, local);
  const judging = { workspaceId: inputs.workspaceId, oauthIssuer: inputs.oauthIssuer };
  const { readings, marks } = found;
  const judged = (source: Source, text: string, entry?: string, where = describe(source)): Reading => {
    const { reading, parsed } = judge(source, where, text, judging, entry);
    secretsOf(parsed).forEach(rt.setSecret);
    return reading;
  };
  /** A store's newest envelope, opened and judged (unreadable when it does not open; a re-seed mark is noted). */
  const readingOf = async (store: EnvelopeStore, read: NewestRead): Promise<Reading> => {
    const source: Source = store.kind === 'local' ? 'local' : 'cache';
    if (read.status === 'found') {
      const where = store.kind === 'cache' ? `${store.where} entry ${read.entry}` : store.where;
      const opened = await open(read.envelope, inputs.encryptionKey, inputs.credentialName);
      if (!opened.ok) return { source, where, entry: read.entry, status: 'unreadable', reason: opened.reason };
      const mark = parseMark(opened.plaintext);
      if (!mark) return judged(source, opened.plaintext, read.entry, where);
      // An authenticated mark (src/chatgpt/login/reseed-mark.ts): not a login, and it does not block the chain like garbage would.
      const reading: Reading = {
        source,
        where,
        entry: read.entry,
        status: 'empty',
        reason: `marked as needing a re-seed (${mark.cause})`
      };
      marks.set(reading, mark);
      return reading;
    }
    if (read.status === 'off') rt.warning(`The ${store.where} could not be read: ${read.reason}.`);
    if (read.status === 'failed')
      return {
        source,
        where: store.where,
        status: 'unreadable',
        reason: store.kind === 'cache' ? `the lookup failed (${read.reason})` : read.reason
      };
    return { source, where: store.where, status: 'empty', reason: read.reason };
  };

  // Each store's newest copy first, then the seed; every copy judged from its decrypted contents only.
  const stores = await (rt.openStores ?? openStores)({ inputs, env: rt.env, log: rt.info, localDir: local?.dir });
  const noCache = cacheOnlyWithoutCache(inputs, stores);
  if (noCache) throw new CredentialError(noCache);
  let cacheHit = false;
  let restoredKey: string | undefined;
  for (const store of stores) {
    if (!store.readNewest) continue;
    const read = await store.readNewest();
    if (store.kind === 'cache' && read.status === 'found') [cacheHit, restoredKey] = [true, read.entry];
    readings.push(await readingOf(store, read));
  }
  rt.setOutput('cache-hit', String(cacheHit));

  if (inputs.seed) {
    const seed = await decodeSeed(inputs.seed, inputs.encryptionKey, inputs.credentialName);
    readings.push(
      seed.ok
        ? judged('seed', seed.text)
        : { source: 'seed', where: describe('seed'), status: 'unusable', reason: seed.reason }
    );
  } else readings.push({ source: 'seed', where: describe('seed'), status: 'empty', reason: 'not given' });

  // Only a login this action wrote here for this credential (a job whose post step did not run) is a copy to judge.
  if (existing?.status === 'ours') readings.push(judged('codex-home', existing.text, authFile));
  for (const r of readings) {
    if (r.status === 'unusable' && (r.source === 'seed' || r.source === 'codex-home'))
      rt.warning(`Skipping the ${r.where}: ${r.reason}.`);
  }

  // A mark stops the job unless a login newer than the marked one was given (a new seed clears it).
  const mark = strongestMark([...marks.values()]);
  if (mark) {
    for (const r of readings) {
      if (
        r.status === 'usable' &&
        r.credential &&
        markBlocks(mark, r.credential.lastRefreshText, r.credential.accessTokenIssuedAt)
      ) {
        Object.assign(r, {
          status: 'empty',
          reason: `not newer than the login marked as needing a re-seed (last_refresh ${mark.login_last_refresh})`
        });
      }
    }
    if (!readings.some((r) => r.status === 'usable'))
      throw new CredentialError(needsReseedMessage(inputs.credentialName, mark, inputs.secret));
  }

  const { chosen, warnings } = choose(readings, inputs.credentialName, (tried) => noUsableCredential(inputs, tried));
  warnings.forEach(rt.warning);

  let credential = chosen.credential;
  const source = reportedSource(chosen.source, inputs);
  report.chosen = { store: source, why: whyChosen(readings.filter((r) => r.status === 'usable').length, mark) };
  const ahead = inputs.renewal.mode === 'ahead';
  // renewal: ahead: jobs run at once, and one proving access by writing its (older) copy could overwrite a renewal just
  // stored; the secret is written only by a renewal, under its claim.
  if (inputs.secret && !ahead)
    await proveWriteAccess(inputs, credential, chosen.source === 'seed' ? undefined : describe(chosen.source), rt);

  const changes: ConfigChange[] = [FILE_STORE];
  if (inputs.workspaceId) {
    changes.push({
      key: 'forced_chatgpt_workspace_id',
      value: inputs.workspaceId,
      onConflict: {
        input: 'workspace-id',
        fix: 'Give the same workspace id as the config.toml in codex-home, or use another codex-home.'
      }
    });
  }
  await mergeCodexConfig(home.dir, changes, rt.warning);
  let renewed = false;
  if (ahead)
    ({ credential, renewed } = await renewAheadIfDue(inputs, credential, stores, local, ensureJobNonce(rt), rt, place));
  // renewal: ahead, and in-job where a refresh could not be stored for everyone: Codex never gets the refresh token (src/chatgpt/login/consumer-copy.ts).
  const withheld = ahead || withholdInJobRefresh(inputs, credential, local, place, rt);
  const written = withheld ? consumerCopy(credential.text) : credential.text;
  if (!home.created) await markOwner(home.dir, ownerOf(inputs.credentialName), written, accountDigest(credential));
  await writePrivateFile(authFile, written);
  rt.setOutput('renewed', String(renewed));
  if (renewed)
    report.renewed = { lastRefresh: credential.lastRefreshText, accessTokenExpiresAt: credential.accessTokenExpiresAt };
  rt.saveState({
    ...state,
    // `ahead` tells the post step that Codex had no refresh token (nothing to save).
    renewal: withheld ? 'ahead' : 'in-job',
    authFile,
    tokensSha256: credential.tokensSha256,
    lastRefresh: credential.lastRefreshText,
    source,
    // The newest cache entry seen, whichever copy won: the post step tells from it whether another job stored one since.
    restoredKey,
    account: { userId: credential.userId, workspaceId: credential.workspaceId }
  });

  const expires = credential.accessTokenExpiresAt;
  const seedReading = readings.find((r) => r.source === 'seed' && r.status === 'usable');
  const early = earlyWarnings({
    now: report.now,
    // A withheld refresh token cannot be spent here: nothing for the in-job rules to warn about.
    renewal: withheld ? 'ahead' : report.renewal,
    credentialName: inputs.credentialName,
    chosen: { store: source, lastRefresh: credential.lastRefreshText, accessTokenExpiresAt: expires },
    seedLastRefresh: seedReading?.credential?.lastRefreshText,
    writeBack: inputs.secret !== undefined,
    localStore: inputs.localStore !== undefined,
    cacheLimit: cacheLimitOf(rt.env, place)
  });
  for (const warning of early) (warning.level === 'notice' ? rt.notice : rt.warning)(warning.message);
  report.warnings = early.map((w) => w.name);
  if (!withheld && expires && expires.getTime() <= Date.now()) {
    rt.warning(
      `The access token expired at ${expires.toISOString()}; Codex refreshes it on first use, and the post step stores the refreshed login.`
    );
  }
  rt.exportVariable('CODEX_HOME', home.dir);
  rt.setOutput('codex-home', home.dir);
  rt.setOutput('auth-file', authFile);
  rt.setOutput('auth-mode', 'chatgpt');
  rt.setOutput('source', source);
  rt.setOutput('last-refresh', credential.lastRefreshText);
  rt.setOutput('access-token-expires-at', expires?.toISOString() ?? '');
  rt.setOutput('plan-type', credential.planType ?? '');
  rt.info(
    `Codex will use the ChatGPT login '${inputs.credentialName}' from the ${describe(chosen.source)} (last_refresh ${credential.lastRefreshText}); CODEX_HOME=${home.dir}.`
  );
}

/** With secret-name set, the seed input is the secret's copy. */
function reportedSource(source: Source, inputs: ChatGptInputs): StoreName {
  return source === 'seed' && inputs.secret ? 'secret' : source;
}

/** Of several marks (cache, local store), the one on the newest login blocks the most. */
function strongestMark(marks: ReseedMark[]): ReseedMark | undefined {
  return marks.reduce<ReseedMark | undefined>(
    (best, m) => (!best || !markBlocks(best, m.login_last_refresh) ? m : best),
    undefined
  );
}

function whyChosen(usable: number, mark: ReseedMark | undefined): string {
  if (mark)
    return `it is newer than the login marked as needing a re-seed (last_refresh ${mark.login_last_refresh}), which it replaces`;
  return usable > 1 ? 'the freshest of the usable copies (latest last_refresh)' : 'the only usable copy';
}

/** One row of the job summary from a reading (no token: only times and the reasons the judges wrote). */
function summaryRow(r: Reading, mark: ReseedMark | undefined, inputs: ChatGptInputs): StoreReading {
  const store = reportedSource(r.source, inputs);
  if (mark)
    return {
      store,
      status: 'needs-reseed',
      lastRefresh: mark.login_last_refresh,
      reason: `renewing it failed (${mark.cause})`
    };
  const status = r.status === 'usable' ? 'usable' : r.status === 'empty' ? 'empty' : 'unreadable';
  return {
    store,
    status,
    ...(r.credential
      ? { lastRefresh: r.credential.lastRefreshText, accessTokenExpiresAt: r.credential.accessTokenExpiresAt }
      : {}),
    ...(r.reason ? { reason: r.reason } : {})
  };
}

function noUsableCredential(inputs: ChatGptInputs, tried: string[]): string {
  return (
    `No usable ChatGPT credential for '${inputs.credentialName}'. Tried:\n  - ${tried.join('\n  - ')}\n` +
    'To re-seed: on a trusted machine run `codex login` (with cli_auth_credentials_store = "file"), then put the new ~/.codex/auth.json into the secret passed as \'chatgpt-auth-json\'' +
    (inputs.secret ? ` (\`${initCommand(inputs.secret)}\` does it).` : '.')
  );
}

/**
 * Secret write-back: before Codex can rotate anything, prove that the token may write the secret by
 * writing the chosen login to it (sealed, like every stored copy). A job that could not store its
 * refreshed login must fail here, while the login is still intact, not in the post step. The
 * secret store is loaded only when secret-name is set.
 */
async function proveWriteAccess(
  inputs: ChatGptInputs,
  credential: ChatGptCredential,
  otherSource: string | undefined,
  rt: Runtime
): Promise<void> {
  const target = inputs.secret!;
  const { checkWriteAccess, describeTarget } = await import('../stores/secret.js');
  const envelope = await seal(credential.text, inputs.encryptionKey, inputs.credentialName);
  // The secret's version (with the lease): a run queued before another job wrote a newer login holds
  // an older copy, which must not be written back over it (issue 21).
  const versions = secretVersions(inputs, rt.env, rt.info);
  const newer = await versions?.newerThan(credential.lastRefresh.getTime());
  if (newer)
    throw new CredentialError(
      `This job was given an older login than the ${describeTarget(target)} holds now: ${newer}. ` +
        'The secret was written by another job after this run was queued (a run reads its secrets when it is queued). ' +
        'Codex did not get the login and nothing was refreshed: re-run the job (a new run reads the secret again).'
    );
  try {
    await checkWriteAccess(target, envelope, { log: rt.info });
    await versions?.written(credential.lastRefresh.getTime());
  } catch (error) {
    throw new CredentialError(
      `Write-back is on (secret-name), but this job cannot write the secret, so it stops before Codex runs: ${errorMessage(error)} ` +
        'Codex did not get the login and nothing was refreshed, so every stored copy is still valid: fix this and re-run the job.'
    );
  }
  if (otherSource) {
    // The secret's own copy lost (older, unusable or missing): it now holds the one Codex will use.
    rt.info(
      `The ${describeTarget(target)} now holds the login from the ${otherSource} (last_refresh ${credential.lastRefreshText}), encrypted.`
    );
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
  // renewal: ahead holds the lease and the lock only for the seconds of a renewal (src/chatgpt/renewal/stores.ts).
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
    const dir = resolveLocalStoreDir(inputs.localStore.dir, {
      home: env.HOME ?? '',
      workspace: env.GITHUB_WORKSPACE,
      runnerTemp: env.RUNNER_TEMP
    });
    local = new LocalStore({
      dir,
      credentialName: inputs.credentialName,
      workspace: env.GITHUB_WORKSPACE,
      runnerTemp: env.RUNNER_TEMP,
      log: rt.info
    });
    await local.prepare();
  } catch (error) {
    if (error instanceof LocalStoreError)
      throw new CredentialError(`Input 'local-store-path': ${error.message} Nothing was restored.`);
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
      throw new CredentialError(
        `${error.message} (The wait is the input 'lock-timeout-minutes'.) Nothing was restored: this job did not touch the credential.`
      );
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

function describeSource(source: Source, inputs: ChatGptInputs, local: LocalStore | undefined): string {
  if (source === 'cache') return 'Actions cache';
  if (source === 'local') return `runner-local store (${local?.file ?? inputs.localStore?.dir})`;
  if (source === 'codex-home') return 'auth.json already in codex-home';
  return inputs.secret
    ? `secret ${inputs.secret.name} (input 'chatgpt-auth-json')`
    : "seed (input 'chatgpt-auth-json')";
}
