// The real parts of a renewal (src/chatgpt/renewal/rule.ts): the stores it re-reads and writes, the
// mutex, the token endpoint.
//
// The mutex is a claim on the generation in the Actions cache (src/chatgpt/renewal/claims.ts: numbered
// slots of write-once entries `codex-auth-claim-v2.<name>.<generation>.<slot>`, aged on the cache
// service's clock, given back when the refresh token was not spent). The renewed login is
// published, besides the ordinary stores, as the generation's successor
// `codex-auth-next-v1.<name>.<generation>`: a job that read the old generation (from the cache of
// its own branch, or from a secret read when the run was queued) finds the renewal by an exact key,
// which every branch can read from the default branch's scope. Cache scopes are per branch, so a
// claim excludes the jobs that write to its scope (and sees the default branch's claims): renewals
// happen on the default branch only (src/chatgpt/renewal/place.ts), unless the lease (`lease: true`,
// across branches) or the runner-local lock (one machine) is held around the claim as well, each
// for the seconds of the renewal. Without a cache service, the lease or the lock alone is the mutex.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CredentialError, errorMessage } from '../../action/errors.js';
import type { ChatGptInputs } from '../../action/chatgpt-inputs.js';
import type { Runtime } from '../../action/runtime.js';
import { CacheStore } from '../../stores/cache.js';
import { needsTheCache } from '../restore/stores.js';
import type { EnvelopeStore, StoreWrite } from '../../stores/store.js';
import { acquireLease, leaseHolderFromEnv, LeaseError, releaseLease } from '../../mutex/lease.js';
import type { LocalStore } from '../../stores/local.js';
import { acquireLock, holderFromEnv } from '../../mutex/lock.js';
import { compareFreshness, parseCredential, type ChatGptCredential } from '../login/credential.js';
import { open, seal } from '../login/envelope.js';
import { refreshLogin } from './token-endpoint.js';
import { makeMark, needsReseedMessage, parseMark } from '../login/reseed-mark.js';
import type { Claim, RenewalParts, RenewalPoint, StoreReport } from './rule.js';
import {
  claimSlot,
  releaseSlot,
  SPEND_WITHIN_MS,
  type ClaimBoard,
  type ClaimRecord,
  type FreeRecord
} from './claims.js';

/** How long the lease is taken for around a renewal: it ends by itself if the job dies in those seconds. */
const RENEWAL_LEASE_TTL_MS = 5 * 60_000;
/** Waits between attempts to publish a renewal as its generation's successor. */
const PUBLISH_RETRY_MS = [1000, 3000];

export interface RenewalContext {
  inputs: ChatGptInputs;
  rt: Runtime;
  /** The credential's stores, as the main step opened them (src/chatgpt/restore/stores.ts). */
  stores: EnvelopeStore[];
  /** The runner-local store when `local-store: true` (prepared): its lock is held around a renewal. */
  local: LocalStore | undefined;
  jobNonce: string;
}

export function realRenewalParts(ctx: RenewalContext): RenewalParts {
  const { inputs, rt, stores } = ctx;
  const name = inputs.credentialName;
  // The main step's cache store (its one-time checks done), which also keeps the claims and
  // successors: entries of exact keys beside its own.
  const cache =
    stores.find((store): store is CacheStore => store instanceof CacheStore) ??
    new CacheStore({ credentialName: name, env: rt.env, log: rt.info });
  const openCredential = async (envelope: string | undefined): Promise<ChatGptCredential | undefined> => {
    if (envelope === undefined) return undefined;
    const opened = await open(envelope, inputs.encryptionKey, name);
    if (!opened.ok) return undefined;
    const parsed = parseCredential(opened.plaintext);
    if (!parsed.ok) return undefined;
    parsed.credential.secrets.forEach(rt.setSecret);
    return parsed.credential;
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  /** When this job first saw each claim record (its own clock): the age of a record without the service's time. */
  const firstSeen = new Map<string, number>();
  const publish = async (envelope: string, generation: string) => {
    let published = await cache.saveExact(successorFile(name), successorKey(name, generation), envelope);
    for (const delay of PUBLISH_RETRY_MS) {
      if (published.ok) break;
      await sleep(delay);
      published = await cache.saveExact(successorFile(name), successorKey(name, generation), envelope);
    }
    return published;
  };
  /**
   * Keeps `envelope` where later jobs look: the durable stores `durable` selects (at once), then the
   * generation's successor, which waiting jobs poll for, then the cache store's own entry (a 429
   * there may wait a minute). One cache call at a time: the library's failures are read from its
   * log lines. The published successor counts as a cached copy: every later job finds it by its key.
   * A store that throws is a failed store, never a lost answer: the others are still written.
   */
  const keep = async (
    envelope: string,
    lastRefreshMs: number,
    generation: string,
    durable: (store: EnvelopeStore) => boolean
  ) => {
    const report: StoreReport = { stored: [], failed: [] };
    const record = (where: string, written: StoreWrite): void =>
      void (written.ok ? report.stored.push(where) : report.failed.push({ where, reason: written.reason }));
    const guarded = (write: () => Promise<StoreWrite>): Promise<StoreWrite> =>
      write().catch((error: unknown) => ({ ok: false, reason: errorMessage(error) }));
    await Promise.all(
      stores
        .filter((store) => store.kind !== 'cache' && durable(store))
        .map(async (store) => record(`the ${store.where}`, await guarded(() => store.write(envelope, lastRefreshMs))))
    );
    const noCache = cache.unavailable('write');
    if (noCache) return { report, published: { ok: false as const, reason: noCache } };
    const published = await guarded(() => publish(envelope, generation));
    const saved = await guarded(() => cache.write(envelope, lastRefreshMs));
    if (saved.ok || published.ok)
      record(`the Actions cache (${saved.ok ? saved.entry : successorKey(name, generation)})`, { ok: true });
    else record('the Actions cache', saved);
    return { report, published };
  };

  return {
    async readNewest() {
      const copies: (ChatGptCredential | undefined)[] = [];
      for (const store of stores) {
        const read = store.readNewest ? await store.readNewest() : undefined;
        if (read?.status === 'found') copies.push(await openCredential(read.envelope));
      }
      return copies.filter((c): c is ChatGptCredential => !!c).sort((a, b) => compareFreshness(b, a))[0];
    },
    async successor(generation) {
      const envelope = await cache.restoreExact(successorFile(name), successorKey(name, generation));
      const opened = envelope === undefined ? undefined : await open(envelope, inputs.encryptionKey, name);
      const mark = opened?.ok ? parseMark(opened.plaintext) : undefined;
      if (mark) throw new CredentialError(needsReseedMessage(name, mark, inputs.secret));
      return openCredential(envelope);
    },
    async markDead(credential, generation, failure) {
      const mark = JSON.stringify(
        makeMark(failure, credential.lastRefreshText, rt.env, new Date(), credential.accessTokenIssuedAt)
      );
      const envelope = await seal(mark, inputs.encryptionKey, name);
      // Not the secret: it is the seed, which a re-seed replaces.
      const { report } = await keep(envelope, credential.lastRefresh.getTime(), generation, (s) => s.kind !== 'secret');
      if (report.stored.length) rt.info(`Marked '${name}' as needing a re-seed in ${report.stored.join(', ')}.`);
      return report.failed.map((f) => `${f.where} (${f.reason})`);
    },
    async claim(generation) {
      return claimRenewal(ctx, cache, generation, firstSeen, sleep);
    },
    async recover(text, generation) {
      const envelope = await seal(text, inputs.encryptionKey, name);
      const parsed = parseCredential(text);
      const lastRefreshMs = parsed.ok ? parsed.credential.lastRefresh.getTime() : Date.now();
      const { report } = await keep(envelope, lastRefreshMs, generation, () => true);
      report.failed.forEach((f) => rt.warning(`The recovery copy could not be stored in ${f.where}: ${f.reason}.`));
      return report.stored;
    },
    checkpoint: faultPoint(rt.env),
    async store(credential, generation) {
      const envelope = await seal(credential.text, inputs.encryptionKey, name);
      const { report, published } = await keep(envelope, credential.lastRefresh.getTime(), generation, () => true);
      if (!published.ok)
        rt.info(
          `The renewed login was not published as this generation's successor (${published.reason}); jobs waiting for it use their copy while it is valid.`
        );
      return report;
    },
    refresh(text) {
      return refreshLogin(text, { env: rt.env });
    },
    mask: rt.setSecret,
    info: rt.info,
    warning: rt.warning,
    now: () => Date.now(),
    sleep
  };
}

/** Slot `slot` of a generation's claim (src/chatgpt/renewal/claims.ts), and its release or sighting record. */
export function claimKey(name: string, generation: string, slot = 0): string {
  return `codex-auth-claim-v2.${name}.${generation}.${slot}`;
}

export function freeKey(name: string, generation: string, slot = 0): string {
  return `codex-auth-free-v1.${name}.${generation}.${slot}`;
}

function successorKey(name: string, generation: string): string {
  return `codex-auth-next-v1.${name}.${generation}`;
}

// One spelling on every OS (the path enters the cache version), like the store's own file (cacheFile()).
const claimFile = (name: string): string => path.posix.join('.codex-auth', `${name}.claim`);
const freeFile = (name: string): string => path.posix.join('.codex-auth', `${name}.free`);
const successorFile = (name: string): string => path.posix.join('.codex-auth', `${name}.next`);

/**
 * The lease (with `lease: true`), then the local lock (with `local-store: true`), then the cache
 * claim: one order, no deadlock. The lease and the lock are released when the renewal is over; the
 * claim is given back only when the refresh token was not spent (a spent one names a generation
 * that is over). Without the cache service, the lease or the lock alone serializes renewals.
 */
async function claimRenewal(
  ctx: RenewalContext,
  cache: CacheStore,
  generation: string,
  firstSeen: Map<string, number>,
  sleep: (ms: number) => Promise<void>
): Promise<Claim> {
  const { inputs, rt } = ctx;
  const noCache = cache.unavailable('write') ?? cache.unavailable('read');
  const mutex = !!inputs.lease || !!(ctx.local && inputs.localStore);
  if (noCache && !mutex)
    throw new CredentialError(
      inputs.secret
        ? `Renewing the ChatGPT login '${inputs.credentialName}' needs a claim every job sees, and ${noCache}. Set \`lease: true\` (the lease serializes renewals without the cache) or \`local-store: true\`. Codex did not run and nothing was spent.`
        : needsTheCache(inputs.credentialName, noCache)
    );
  const releases: (() => Promise<void>)[] = [];
  const releaseAll = async (): Promise<void> => {
    for (const release of releases.reverse())
      await release().catch((error: unknown) => rt.warning(`Releasing a renewal hold failed: ${errorMessage(error)}`));
  };
  try {
    if (inputs.lease) {
      const settings = inputs.lease;
      const target = {
        apiUrl: settings.apiUrl,
        token: settings.token,
        owner: settings.owner,
        repo: settings.repo,
        credentialName: inputs.credentialName,
        log: rt.info
      };
      let lease;
      try {
        lease = await acquireLease({
          ...target,
          holder: leaseHolderFromEnv(rt.env, { jobNonce: ctx.jobNonce }),
          ttlMs: RENEWAL_LEASE_TTL_MS,
          timeoutMs: settings.timeoutMs,
          // The rate budget: a waiter whose renewal another job published stops polling GitHub.
          stopWaiting: async () =>
            (await cache.restoreExact(
              successorFile(inputs.credentialName),
              successorKey(inputs.credentialName, generation)
            )) !== undefined
              ? 'another job renewed the login meanwhile'
              : undefined
        });
      } catch (error) {
        if (error instanceof LeaseError && error.kind === 'not-needed') return { held: false, holder: 'another job' };
        throw error;
      }
      releases.push(async () => void (await releaseLease({ ...target, sha: lease.sha, expiresAt: lease.expiresAt })));
    }
    if (ctx.local && inputs.localStore) {
      const lock = await acquireLock({
        dir: ctx.local.dir,
        name: inputs.credentialName,
        holder: holderFromEnv(rt.env, { jobNonce: ctx.jobNonce }),
        timeoutMs: inputs.localStore.lockTimeoutMs,
        log: rt.info
      });
      releases.push(async () => void (await lock.release()));
    }
    // No cache service (a local runner, GHES with caching off): the lease or the lock held above is the mutex.
    if (noCache) return { held: true, release: releaseAll };
    const board = cacheClaimBoard(cache, inputs.encryptionKey, inputs.credentialName, sleep);
    const keys = {
      claim: (slot: number) => claimKey(inputs.credentialName, generation, slot),
      free: (slot: number) => freeKey(inputs.credentialName, generation, slot)
    };
    const holder = `run ${rt.env.GITHUB_RUN_ID ?? '?'} job ${rt.env.GITHUB_JOB ?? '?'} on ${rt.env.RUNNER_NAME ?? 'a runner'}`;
    const slot = await claimSlot(board, keys, { nonce: randomBytes(16).toString('hex'), holder }, firstSeen);
    if (!slot.held) {
      await releaseAll();
      return slot;
    }
    return {
      held: true,
      spendBy: slot.since + SPEND_WITHIN_MS,
      release: async (spent) => {
        if (!spent && !(await releaseSlot(board, keys, slot).catch(() => false)))
          rt.info('Could not give the renewal claim back; it ends by itself (docs/design.md).');
        await releaseAll();
      }
    };
  } catch (error) {
    await releaseAll();
    throw error;
  }
}

/** The claim board over the Actions cache: sealed records under exact keys (src/chatgpt/renewal/claims.ts). */
export function cacheClaimBoard(
  cache: CacheStore,
  encryptionKey: Uint8Array,
  name: string,
  sleep: (ms: number) => Promise<void>
): ClaimBoard {
  const fileOf = (key: string): string => (key.startsWith('codex-auth-free-') ? freeFile(name) : claimFile(name));
  return {
    async create(key, record) {
      const envelope = await seal(JSON.stringify(record), encryptionKey, name);
      if (!(await cache.saveExact(fileOf(key), key, envelope, true)).ok) return false;
      // Judged by the result that counts: the entry can be read back. (The v1 client returns the
      // reserved id even when the upload or the commit then failed: @actions/cache saveCacheV1.)
      return (await cache.restoreExact(fileOf(key), key)) === envelope;
    },
    async read<T extends ClaimRecord | FreeRecord>(key: string) {
      const envelope = await cache.restoreExact(fileOf(key), key);
      if (envelope === undefined) return undefined;
      const opened = await open(envelope, encryptionKey, name);
      if (!opened.ok) return undefined;
      try {
        const record = JSON.parse(opened.plaintext) as T;
        return typeof record.nonce === 'string' ? record : undefined;
      } catch {
        return undefined;
      }
    },
    serverNow: () => cache.serverTime(),
    now: () => Date.now(),
    sleep
  };
}

/**
 * The fault tests' hook (CODEX_AUTH_TEST_FAULT=<point>:<kill|throw>): the step is killed (SIGKILL)
 * or throws at a named point between claim and store. Any other value is ignored.
 */
function faultPoint(env: NodeJS.ProcessEnv): ((point: RenewalPoint) => void) | undefined {
  const match = /^(claimed|answered|stored):(kill|throw)$/.exec(env.CODEX_AUTH_TEST_FAULT ?? '');
  if (!match) return undefined;
  return (point) => {
    if (point !== match[1]) return;
    if (match[2] === 'kill') process.kill(process.pid, 'SIGKILL');
    throw new Error(`injected fault at '${point}' (CODEX_AUTH_TEST_FAULT)`);
  };
}
