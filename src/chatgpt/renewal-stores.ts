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
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as cache from '@actions/cache';
import { errorMessage } from '../errors.js';
import type { ChatGptInputs } from '../inputs.js';
import type { Runtime } from '../runtime.js';
import { CacheStore, CROSS_OS_ARCHIVE } from '../stores/cache.js';
import { createFileNoFollow } from '../paths.js';
import { withDeadline } from '../deadline.js';
import { acquireLease, leaseHolderFromEnv, releaseLease } from '../mutex/lease.js';
import { watchFailures } from '../log/library-log.js';
import type { LocalStore } from '../stores/local.js';
import { acquireLock, holderFromEnv } from '../mutex/lock.js';
import { compareFreshness, parseCredential, type ChatGptCredential } from './credential.js';
import { open, seal } from './envelope.js';
import { refreshLogin } from './refresh-client.js';
import type { Claim, RenewalParts, StoreReport } from './renewal.js';

/** How long the lease is taken for around a renewal: it ends by itself if the job dies in those seconds. */
const RENEWAL_LEASE_TTL_MS = 5 * 60_000;

export interface RenewalContext {
  inputs: ChatGptInputs;
  rt: Runtime;
  /** The runner-local store when `local-store: true` (prepared). */
  local: LocalStore | undefined;
  jobNonce: string;
}

export function realRenewalParts(ctx: RenewalContext): RenewalParts {
  const { inputs, rt } = ctx;
  const name = inputs.credentialName;
  const store = new CacheStore({ credentialName: name, env: rt.env, log: rt.info });
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

  return {
    async readNewest() {
      const lookup = await store.restore();
      const copies = [lookup.status === 'hit' ? await openCredential(lookup.copy.envelope) : undefined];
      if (ctx.local) copies.push(await openCredential(await ctx.local.read().catch(() => undefined)));
      return copies.filter((c): c is ChatGptCredential => !!c).sort((a, b) => compareFreshness(b, a))[0];
    },
    async successor(generation) {
      return openCredential(await restoreExact(successorFile(name), successorKey(name, generation)));
    },
    async claim(generation) {
      return claimRenewal(ctx, generation, sleep);
    },
    async store(credential, generation) {
      const envelope = await seal(credential.text, inputs.encryptionKey, name);
      const report: StoreReport = { stored: [], failed: [] };
      // One cache call at a time (the library's failures are read from its log lines); the secret and the local store alongside.
      const others = Promise.all([
        inputs.secret ? writeSecretCopy(inputs, envelope, rt, report) : undefined,
        ctx.local
          ? ctx.local.write(envelope).then(
              () => void report.stored.push(`the runner-local store (${ctx.local!.file})`),
              (error: unknown) =>
                void report.failed.push({
                  where: `the runner-local store (${ctx.local!.file})`,
                  reason: errorMessage(error)
                })
            )
          : undefined
      ]);
      const saved = await store.save(envelope, credential.lastRefresh.getTime());
      let published = await saveExact(successorFile(name), successorKey(name, generation), envelope);
      for (const delay of [1000, 3000]) {
        if (published.ok) break;
        await sleep(delay);
        published = await saveExact(successorFile(name), successorKey(name, generation), envelope);
      }
      if (saved.ok || published.ok)
        report.stored.push(`the Actions cache (${saved.ok ? saved.key : successorKey(name, generation)})`);
      else report.failed.push({ where: 'the Actions cache', reason: saved.ok ? '' : saved.reason });
      if (!published.ok)
        rt.info(
          `The renewed login was not published as this generation's successor (${published.reason}); jobs waiting for it use their copy while it is valid.`
        );
      await others;
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
      const lease = await acquireLease({
        ...target,
        holder: leaseHolderFromEnv(rt.env, { jobNonce: ctx.jobNonce }),
        ttlMs: RENEWAL_LEASE_TTL_MS,
        timeoutMs: settings.timeoutMs
      });
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
    const held = await claimInCache(ctx, generation, sleep);
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
    const saved = await saveExact(claimFile(name), key, record, true);
    // Reserved by this job, even if the upload or the finalization failed after: nobody else can reserve the key.
    if (saved.ok || saved.reserved) return { held: true, release: async () => undefined };
    const existing = await restoreExact(claimFile(name), key);
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

/**
 * Saves `content` under exactly `key`. `quiet`: a refused reservation is an expected answer (a claim
 * another job holds), so the library's warning for it is kept out of the job's annotations.
 */
async function saveExact(
  file: string,
  key: string,
  content: string,
  quiet = false
): Promise<{ ok: true } | { ok: false; reason: string; reserved: boolean }> {
  const output: string[] = [];
  try {
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.rm(file, { force: true });
    await createFileNoFollow(file, content);
    const watched = () =>
      withDeadline(
        'the Actions cache save',
        () => watchFailures(() => cache.saveCache([file], key, {}, CROSS_OS_ARCHIVE)),
        { deadlineMs: 180_000, log: (m) => console.log(m) }
      );
    const { result: id, failures } = await (quiet ? withoutWarnings(watched, output) : watched());
    // The library logs this (a debug line) only after the service reserved the key for this job.
    const reserved = output.some((chunk) => chunk.includes('Attempting to upload cache'));
    return id !== -1
      ? { ok: true }
      : { ok: false, reason: failures.join('; ') || 'the cache service did not accept the entry', reserved };
  } catch (error) {
    return { ok: false, reason: errorMessage(error), reserved: false };
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** Runs `call` with the library's `::warning::` lines turned into plain log lines (a watchFailures inside `call` still sees them), its output kept in `output`. */
async function withoutWarnings<T>(call: () => Promise<T>, output: string[]): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    output.push(String(chunk));
    return write(String(chunk).replace(/^::warning::/gm, ''), ...rest);
  }) as typeof process.stdout.write;
  try {
    return await call();
  } finally {
    process.stdout.write = write;
  }
}

/** The content of the entry with exactly this key (own scope, then the default branch's), or undefined. */
async function restoreExact(file: string, key: string): Promise<string | undefined> {
  try {
    const hit = await withDeadline(
      'the Actions cache lookup',
      () => cache.restoreCache([file], key, [], {}, CROSS_OS_ARCHIVE),
      { deadlineMs: 120_000, log: (m) => console.log(m) }
    );
    return hit === key ? await fs.readFile(file, 'utf8').catch(() => undefined) : undefined;
  } catch {
    return undefined;
  } finally {
    await fs.rm(file, { force: true });
  }
}

async function writeSecretCopy(
  inputs: ChatGptInputs,
  envelope: string,
  rt: Runtime,
  report: StoreReport
): Promise<void> {
  const { describeTarget, writeSecret } = await import('../stores/secret.js');
  const where = describeTarget(inputs.secret!);
  try {
    await writeSecret(inputs.secret!, envelope, { log: rt.info });
    report.stored.push(where);
  } catch (error) {
    report.failed.push({ where, reason: errorMessage(error) });
  }
}
