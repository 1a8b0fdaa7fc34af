// The real parts of a renewal (src/chatgpt/renewal/rule.ts): the stores it re-reads and writes,
// the claim on the generation in the Actions cache, the token endpoint. The renewed login is also
// published as the generation's successor, an exact key every branch can read (docs/design.md).
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CredentialError, clause, errorMessage } from '../../action/errors.js';
import type { Runtime } from '../../action/runtime.js';
import { CacheStore } from '../../stores/cache.js';
import { needsTheCache } from '../restore/stores.js';
import { storeProblem, type Written } from '../keep/save-outcome.js';
import type { EnvelopeStore, StoreWrite } from '../../stores/store.js';
import type { SecretTarget } from '../../stores/secret.js';
import { holdForRenewal, type Holder } from '../holds.js';
import { compareFreshness, parseCredential, type ChatGptCredential } from '../login/credential.js';
import { open, seal } from '../login/envelope.js';
import { refreshLogin } from './token-endpoint.js';
import { keepsMarks, needsReseedMessage, sealMark } from '../login/reseed-mark.js';
import { openStored, type Stored } from '../restore/open-stored.js';
import type { Claim, RenewalParts, RenewalPoint, StoreReport } from './parts.js';
import {
  claimSlot,
  releaseSlot,
  SPEND_WITHIN_MS,
  type ClaimBoard,
  type ClaimRecord,
  type FreeRecord
} from './claims.js';

/** Waits between attempts to publish a renewal as its generation's successor. */
const PUBLISH_RETRY_MS = [1000, 3000];

export interface RenewalContext {
  credentialName: string;
  encryptionKey: Uint8Array;
  /** The secret of `secret-name`, for the messages. */
  secret: SecretTarget | undefined;
  /** The lease and the lock held around a renewal (src/chatgpt/holds.ts). */
  holder: Holder;
  /** The credential's stores, as the main step opened them (src/chatgpt/restore/stores.ts). */
  stores: EnvelopeStore[];
  rt: Runtime;
}

type Sleep = (ms: number) => Promise<void>;

export function realRenewalParts(ctx: RenewalContext): RenewalParts {
  const { credentialName: name, encryptionKey: key, rt } = ctx;
  // The main step's cache store (its one-time checks done), which also keeps the claims and
  // successors: entries of exact keys beside its own.
  const cache =
    ctx.stores.find((store): store is CacheStore => store instanceof CacheStore) ??
    new CacheStore({ credentialName: name, env: rt.env, log: rt.info });
  const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  /** When this job first saw each claim record (its own clock): the age of a record without the service's time. */
  const firstSeen = new Map<string, number>();
  const keep = keeper(ctx, cache, sleep);
  return {
    ...copyReader(ctx, cache),
    async markDead(credential, generation, failure) {
      const envelope = await sealMark(failure, credential, rt.env, { key, credentialName: name });
      const { report } = await keep(envelope, credential.lastRefresh.getTime(), generation, keepsMarks);
      if (report.stored.length) rt.info(`Marked '${name}' as needing a re-seed in ${report.stored.join(', ')}.`);
      return report.failed.map((f) => `${f.where} (${f.reason})`);
    },
    claim: (generation) => claimRenewal(ctx, cache, generation, firstSeen, sleep),
    async recover(text, generation) {
      const envelope = await seal(text, key, name);
      const parsed = parseCredential(text);
      const lastRefreshMs = parsed.ok ? parsed.credential.lastRefresh.getTime() : Date.now();
      const { report } = await keep(envelope, lastRefreshMs, generation, () => true);
      report.failed.forEach((f) =>
        rt.warning(`The recovery copy could not be stored in ${f.where}: ${clause(f.reason)}.`)
      );
      return report.stored;
    },
    checkpoint: faultPoint(rt.env),
    async store(credential, generation) {
      const envelope = await seal(credential.text, key, name);
      const { report, published, written } = await keep(
        envelope,
        credential.lastRefresh.getTime(),
        generation,
        () => true
      );
      if (!published.ok)
        rt.info(
          `The renewed login was not published as this generation's successor (${published.reason}); jobs waiting for it use their copy while it is valid.`
        );
      return { ...report, problem: storeProblem({ secret: ctx.secret }, written, 'renewal') };
    },
    refresh: (text) => refreshLogin(text, { env: rt.env }),
    mask: rt.setSecret,
    info: rt.info,
    warning: rt.warning,
    now: () => Date.now(),
    sleep
  };
}

/** Reads the stores' newest copies and the generation's successor (a re-seed mark there is final). */
function copyReader(ctx: RenewalContext, cache: CacheStore): Pick<RenewalParts, 'readNewest' | 'successor'> {
  const { credentialName: name, rt } = ctx;
  /** A stored copy's login, unless it does not open or is a mark (masked: it may be newer than any seen). */
  const loginOf = (stored: Stored): ChatGptCredential | undefined => {
    const parsed = stored.kind === 'login' ? parseCredential(stored.text) : undefined;
    if (!parsed?.ok) return undefined;
    parsed.credential.secrets.forEach(rt.setSecret);
    return parsed.credential;
  };
  const openCopy = (envelope: string): Promise<Stored> => openStored(envelope, ctx.encryptionKey, name);
  return {
    async readNewest() {
      const copies: (ChatGptCredential | undefined)[] = [];
      for (const store of ctx.stores) {
        const read = store.readNewest ? await store.readNewest() : undefined;
        if (read?.status === 'found') copies.push(loginOf(await openCopy(read.envelope)));
      }
      return copies.filter((c): c is ChatGptCredential => !!c).sort((a, b) => compareFreshness(b, a))[0];
    },
    async successor(generation) {
      const envelope = await cache.restoreExact(successorFile(name), successorKey(name, generation));
      if (envelope === undefined) return undefined;
      const stored = await openCopy(envelope);
      if (stored.kind === 'mark') throw new CredentialError(needsReseedMessage(name, stored.mark, ctx.secret));
      return loginOf(stored);
    }
  };
}

/**
 * Keeps `envelope` where later jobs look: the durable stores `durable` selects (at once), then the
 * generation's successor, which waiting jobs poll for, then the cache store's own entry (a 429
 * there may wait a minute). One cache call at a time: the library's failures are read from its
 * log lines. The published successor counts as a cached copy: every later job finds it by its key.
 * A store that throws is a failed store, never a lost answer: the others are still written.
 */
function keeper(ctx: RenewalContext, cache: CacheStore, sleep: Sleep) {
  const name = ctx.credentialName;
  const publish = async (envelope: string, generation: string): Promise<StoreWrite> => {
    let published = await cache.saveExact(successorFile(name), successorKey(name, generation), envelope);
    for (const delay of PUBLISH_RETRY_MS) {
      if (published.ok) break;
      await sleep(delay);
      published = await cache.saveExact(successorFile(name), successorKey(name, generation), envelope);
    }
    return published;
  };
  return async (
    envelope: string,
    lastRefreshMs: number,
    generation: string,
    durable: (store: EnvelopeStore) => boolean
  ) => {
    const report: StoreReport = { stored: [], failed: [] };
    // Each store's result, for the store policy (src/chatgpt/keep/save-outcome.ts).
    const written: Written = [];
    const record = (store: EnvelopeStore, where: string, result: StoreWrite): void => {
      written.push({ store, result });
      if (result.ok) report.stored.push(where);
      else report.failed.push({ where, reason: result.reason });
    };
    const guarded = (write: () => Promise<StoreWrite>): Promise<StoreWrite> =>
      write().catch((error: unknown) => ({ ok: false, reason: errorMessage(error) }));
    await Promise.all(
      ctx.stores
        .filter((store) => store.kind !== 'cache' && durable(store))
        .map(async (store) =>
          record(store, `the ${store.where}`, await guarded(() => store.write(envelope, lastRefreshMs)))
        )
    );
    const noCache = cache.unavailable('write');
    if (noCache) return { report, published: { ok: false as const, reason: noCache }, written };
    const published = await guarded(() => publish(envelope, generation));
    const saved = await guarded(() => cache.write(envelope, lastRefreshMs));
    const entry = saved.ok ? saved.entry : successorKey(name, generation);
    if (saved.ok || published.ok) record(cache, `the Actions cache (${entry})`, { ok: true, entry });
    else record(cache, 'the Actions cache', saved);
    return { report, published, written };
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
 * The lease and the lock (src/chatgpt/holds.ts), then the cache claim: one order, no deadlock. The
 * lease and the lock are released when the renewal is over; the claim is given back only when the
 * refresh token was not spent (a spent one names a generation that is over). Without the cache
 * service, the lease or the lock alone serializes renewals.
 */
async function claimRenewal(
  ctx: RenewalContext,
  cache: CacheStore,
  generation: string,
  firstSeen: Map<string, number>,
  sleep: Sleep
): Promise<Claim> {
  const { credentialName: name, rt } = ctx;
  const noCache = cache.unavailable('write') ?? cache.unavailable('read');
  if (noCache && !ctx.holder.lease && !ctx.holder.lock)
    throw new CredentialError(
      ctx.secret
        ? `Renewing the ChatGPT login '${name}' needs a claim every job sees, and ${noCache}. Set \`lease: true\` (the lease serializes renewals without the cache) or \`local-store: true\`. Codex did not run and nothing was spent.`
        : needsTheCache(name, noCache)
    );
  // The rate budget: a waiter whose renewal another job published stops polling GitHub.
  const published = async () =>
    (await cache.restoreExact(successorFile(name), successorKey(name, generation))) !== undefined
      ? 'another job renewed the login meanwhile'
      : undefined;
  const holds = await holdForRenewal(ctx.holder, rt, published);
  if (holds.notNeeded) return { held: false, holder: 'another job' };
  // No cache service (a local runner, GHES with caching off): the lease or the lock held above is the mutex.
  if (noCache) return { held: true, release: holds.release };
  try {
    const board = cacheClaimBoard(cache, ctx.encryptionKey, name, sleep);
    const keys = {
      claim: (slot: number) => claimKey(name, generation, slot),
      free: (slot: number) => freeKey(name, generation, slot)
    };
    const holder = `run ${rt.env.GITHUB_RUN_ID ?? '?'} job ${rt.env.GITHUB_JOB ?? '?'} on ${rt.env.RUNNER_NAME ?? 'a runner'}`;
    const slot = await claimSlot(board, keys, { nonce: randomBytes(16).toString('hex'), holder }, firstSeen);
    if (!slot.held) {
      await holds.release();
      return slot;
    }
    return {
      held: true,
      spendBy: slot.since + SPEND_WITHIN_MS,
      release: async (spent) => {
        if (!spent && !(await releaseSlot(board, keys, slot).catch(() => false)))
          rt.info('Could not give the renewal claim back; it ends by itself (docs/design.md).');
        await holds.release();
      }
    };
  } catch (error) {
    await holds.release();
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
