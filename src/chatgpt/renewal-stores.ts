// The real parts of a renewal (src/chatgpt/renewal.ts): the stores it re-reads and writes, the
// mutex, the token endpoint.
//
// The mutex is a claim on the generation in the Actions cache: an entry `codex-auth-claim-v1.<name>.<generation>`
// that only one job can create (the cache refuses a second reservation of a key; an entry is
// immutable and never released). It needs nothing the ChatGPT mode does not already use. The renewed
// login is published, besides the ordinary stores, as the generation's successor
// `codex-auth-next-v1.<name>.<generation>`: a job that read the old generation (from the cache of
// its own branch, or from a secret read when the run was queued) finds the renewal by an exact key,
// which every branch can read from the default branch's scope. Cache scopes are per branch, so a
// claim excludes the jobs that write to its scope (and sees the default branch's claims): renewals
// happen on the default branch only (src/chatgpt/branch.ts), unless the lease (`lease: true`,
// across branches) or the runner-local lock (one machine) is held around the claim as well, each
// for the seconds of the renewal.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CredentialError, errorMessage } from '../errors.js';
import type { ChatGptInputs } from '../inputs.js';
import type { Runtime } from '../runtime.js';
import { CacheStore } from '../stores/cache.js';
import type { EnvelopeStore, StoreWrite } from '../stores/store.js';
import { acquireLease, leaseHolderFromEnv, LeaseError, releaseLease } from '../mutex/lease.js';
import type { LocalStore } from '../stores/local.js';
import { acquireLock, holderFromEnv } from '../mutex/lock.js';
import { compareFreshness, parseCredential, type ChatGptCredential } from './credential.js';
import { open, seal } from './envelope.js';
import { refreshLogin } from './refresh-client.js';
import { makeMark, needsReseedMessage, parseMark } from './reseed-mark.js';
import type { Claim, RenewalParts, StoreReport } from './renewal.js';

/** How long the lease is taken for around a renewal: it ends by itself if the job dies in those seconds. */
const RENEWAL_LEASE_TTL_MS = 5 * 60_000;
/** Waits between attempts to publish a renewal as its generation's successor. */
const PUBLISH_RETRY_MS = [1000, 3000];

export interface RenewalContext {
  inputs: ChatGptInputs;
  rt: Runtime;
  /** The credential's stores, as the main step opened them (src/chatgpt/stores.ts). */
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
    await Promise.all(
      stores
        .filter((store) => store.kind !== 'cache' && durable(store))
        .map(async (store) => record(`the ${store.where}`, await store.write(envelope, lastRefreshMs)))
    );
    const published = await publish(envelope, generation);
    const saved = await cache.write(envelope, lastRefreshMs);
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
      const mark = JSON.stringify(makeMark(failure, credential.lastRefreshText, rt.env));
      const envelope = await seal(mark, inputs.encryptionKey, name);
      // Not the secret: it is the seed, which a re-seed replaces.
      const { report } = await keep(envelope, credential.lastRefresh.getTime(), generation, (s) => s.kind !== 'secret');
      if (report.stored.length) rt.info(`Marked '${name}' as needing a re-seed in ${report.stored.join(', ')}.`);
      return report.failed.map((f) => `${f.where} (${f.reason})`);
    },
    async claim(generation) {
      return claimRenewal(ctx, cache, generation, sleep);
    },
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

export function claimKey(name: string, generation: string): string {
  return `codex-auth-claim-v1.${name}.${generation}`;
}

export function successorKey(name: string, generation: string): string {
  return `codex-auth-next-v1.${name}.${generation}`;
}

// One spelling on every OS (the path enters the cache version), like the store's own file (cacheFile()).
const claimFile = (name: string): string => path.posix.join('.codex-auth', `${name}.claim`);
const successorFile = (name: string): string => path.posix.join('.codex-auth', `${name}.next`);

/**
 * The lease (with `lease: true`), then the local lock (with `local-store: true`), then the cache
 * claim: one order, no deadlock. The lease and the lock are released when the renewal is over; the
 * claim stays (it names a generation that is spent once renewed).
 */
async function claimRenewal(
  ctx: RenewalContext,
  cache: CacheStore,
  generation: string,
  sleep: (ms: number) => Promise<void>
): Promise<Claim> {
  const { inputs, rt } = ctx;
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
    const held = await claimInCache(ctx, cache, generation, sleep);
    if (!held.held) {
      await releaseAll();
      return held;
    }
    return { held: true, release: releaseAll };
  } catch (error) {
    await releaseAll();
    throw error;
  }
}

/**
 * Creates the claim entry. The library reports every failed reservation alike (taken, or a 429,
 * a 5xx), so a failure is followed by a lookup: a visible claim is ours (its nonce) or another
 * job's; none visible means a transient failure (try again) or a reservation still being
 * completed, or never completed by a job that died: after a few tries, another job's.
 */
async function claimInCache(
  ctx: RenewalContext,
  cache: CacheStore,
  generation: string,
  sleep: (ms: number) => Promise<void>
): Promise<Claim> {
  const { inputs, rt } = ctx;
  const name = inputs.credentialName;
  const key = claimKey(name, generation);
  const nonce = randomBytes(16).toString('hex');
  const holder = `run ${rt.env.GITHUB_RUN_ID ?? '?'} job ${rt.env.GITHUB_JOB ?? '?'} on ${rt.env.RUNNER_NAME ?? 'a runner'}`;
  const record = await seal(
    JSON.stringify({ nonce, holder, at: new Date().toISOString() }),
    inputs.encryptionKey,
    name
  );
  let other = 'a job whose claim is not readable yet';
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await sleep(1000 * attempt);
    const saved = await cache.saveExact(claimFile(name), key, record, true);
    // Reserved by this job, even if the upload or the finalization failed after: nobody else can reserve the key.
    if (saved.ok || saved.reserved) return { held: true, release: async () => undefined };
    const existing = await cache.restoreExact(claimFile(name), key);
    if (existing !== undefined) {
      const opened = await open(existing, inputs.encryptionKey, name);
      const claim = opened.ok ? (JSON.parse(opened.plaintext) as { nonce?: string; holder?: string }) : {};
      if (claim.nonce === nonce) return { held: true, release: async () => undefined };
      return { held: false, holder: claim.holder ?? 'another job' };
    }
    other = `a job whose claim ${key} is not readable yet (${saved.reason})`;
  }
  return { held: false, holder: other };
}
