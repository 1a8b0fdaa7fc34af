// The lease on one credential (`lease: true`), held from a job's main step to its post step across
// jobs, workflows and runners: a refresh token is single-use, so one job at a time may hold a copy.
// It is the git ref refs/codex-auth/leases/<credential-name> of the workflow's repository, taken
// by creating the ref and taken over by a fast-forward (both atomic on GitHub). docs/design.md,
// "Lease", says why each operation and bound holds.
import { randomBytes } from 'node:crypto';
import { formatDuration } from '../action/paths.js';
import { LeaseAttempt } from './lease-attempt.js';
import { LeaseClient, LeaseError, type LeaseClientOptions, type LeaseTarget } from './lease-client.js';
import { describeLeaseHolder, MAX_LEASE_TTL_MS, type LeaseHolder, type LeaseRecord } from './lease-holder.js';
import { waitFor } from './wait.js';

export { LeaseError, LeaseTimeoutError } from './lease-client.js';
export { describeLeaseHolder, leaseHolderFromEnv, type LeaseHolder, type LeaseRecord } from './lease-holder.js';

const DEFAULT_LEASE_TTL_MS = 60 * 60 * 1000;
const DEFAULT_LEASE_TIMEOUT_MS = 30 * 60 * 1000;
const DEFAULT_LEASE_LOG_EVERY_MS = 30 * 1000;
/**
 * A release renews a lease with less than this left (on the holder's clock) before deleting it: the
 * REST API has no conditional delete, and a DELETE with its retries (~5 min at most) must not meet a takeover.
 */
export const RELEASE_MARGIN_MS = 10 * 60 * 1000;
const DEFAULT_POLL_MS = 3000;
/**
 * Each poll is one request, and GITHUB_TOKEN may send 1,000 an hour per repository: the longest
 * wait between polls scales with the timeout, so that a waiter sends about 100 polls over its whole
 * wait at most, between MIN_MAX_POLL_MS and MAX_MAX_POLL_MS apart. A job that waits a few minutes
 * at most (short jobs) gets the lease within a few seconds of its release; one that waits half an
 * hour polls every 18 s.
 */
const MIN_MAX_POLL_MS = 3000;
const MAX_MAX_POLL_MS = 20_000;
const POLLS_PER_TIMEOUT = 100;
const SHA = /^[0-9a-f]{40}$/;

export interface AcquireLeaseOptions extends LeaseTarget, LeaseClientOptions {
  holder: LeaseHolder;
  /** The lease ends this long after it was taken, unless released (default 60 min, at most 6 h). */
  ttlMs?: number;
  /** How long to wait for another holder (default 30 min). 0: one attempt. */
  timeoutMs?: number;
  /** A progress line while waiting, this often (default 30 s; the first one at once). */
  logEveryMs?: number;
  /** First wait between polls (default 3 s), growing 1.5x per poll up to maxPollMs (default: a hundredth of the timeout, 3 s to 20 s), with jitter. */
  pollMs?: number;
  maxPollMs?: number;
  /** A holder's record is read once this job has seen it hold the lease this long (default 0: at once), or when the wait ends. */
  readRecordAfterMs?: number;
  /** A holder's run is first looked up once it has held the lease this long (default 1 min), then this often (default 5 min). */
  runCheckAfterMs?: number;
  runCheckEveryMs?: number;
  /**
   * Asked between polls: a reason to stop waiting (e.g. another job did what this one waits to do),
   * or undefined. A stop throws a LeaseError of kind 'not-needed'.
   */
  stopWaiting?: () => Promise<string | undefined>;
}

export interface Lease {
  /** `refs/codex-auth/leases/<credential-name>`. */
  ref: string;
  /** The lease commit: what the post step passes to releaseLease. */
  sha: string;
  token: string;
  acquiredAt: string;
  expiresAt: string;
  record: LeaseRecord;
  waitedMs: number;
  /** Set when the lease was taken over from a holder that was gone. */
  tookOver?: { sha: string; record: LeaseRecord | undefined; reason: string };
}

export interface ReleaseLeaseOptions extends LeaseTarget, LeaseClientOptions {
  /** The lease commit acquireLease returned. */
  sha: string;
  /** The lease's expiry as acquireLease returned it (read from the commit when not given). */
  expiresAt?: string;
}

export type LeaseReleaseResult =
  { released: true; renewed: boolean } | { released: false; reason: string; heldBy?: LeaseRecord; heldBySha?: string };

/** The longest wait between two polls when none is given: a hundredth of the timeout, 3 s to 20 s. */
function defaultMaxPollMs(timeoutMs: number): number {
  return Math.min(MAX_MAX_POLL_MS, Math.max(MIN_MAX_POLL_MS, Math.round(timeoutMs / POLLS_PER_TIMEOUT)));
}

/** The lease's current commit and record, or undefined when nobody holds it. */
export async function readLease(
  options: LeaseTarget & LeaseClientOptions
): Promise<{ sha: string; record: LeaseRecord | undefined } | undefined> {
  const client = new LeaseClient(options, 'read');
  const sha = await client.readRef();
  return sha ? { sha, record: (await client.commit(sha)).record } : undefined;
}

/**
 * Waits (bounded) until this job holds the lease on the credential; throws a LeaseTimeoutError
 * naming the holder when the wait is over, a LeaseError for anything the user must fix.
 */
export async function acquireLease(options: AcquireLeaseOptions): Promise<Lease> {
  const client = new LeaseClient(options, 'acquire');
  const { ttlMs, timeoutMs } = checkDurations(options, client);
  const maxPollMs = options.maxPollMs ?? defaultMaxPollMs(timeoutMs);
  const attempt = new LeaseAttempt(options, client, ttlMs, timeoutMs);
  return waitFor<Lease>({
    timeoutMs,
    pollMs: options.pollMs ?? DEFAULT_POLL_MS,
    maxPollMs,
    // Each poll is one request against the hourly budget: a wider jitter spreads the waiters out.
    jitter: { from: 0.5, spread: 0.5 },
    logEveryMs: options.logEveryMs ?? DEFAULT_LEASE_LOG_EVERY_MS,
    log: client.log,
    now: client.now,
    sleep: client.sleep,
    look: (wait) => attempt.look(wait),
    timedOut: (waitedMs) => attempt.timedOut(waitedMs),
    progress: (waitedMs) => attempt.progress(waitedMs),
    dueIn: (at) => attempt.dueIn(at)
  });
}

function checkDurations(options: AcquireLeaseOptions, client: LeaseClient): { ttlMs: number; timeoutMs: number } {
  const { names, name } = client;
  const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_LEASE_TTL_MS) {
    throw new LeaseError(
      'invalid',
      `Cannot acquire the lease on credential '${name}': its expiry must be more than 0 and at most 6 hours (${names.ttl}); it was ${formatDuration(ttlMs)}.`
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_LEASE_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new LeaseError(
      'invalid',
      `Cannot acquire the lease on credential '${name}': the wait must be 0 or more (${names.timeout}).`
    );
  }
  return { ttlMs, timeoutMs };
}

/**
 * Releases the lease if it still points at `sha` (the post step passes what the main step got). A
 * lease that was taken over, or released already, is left alone and the result says by whom.
 * Throws a LeaseError when GitHub refuses or cannot be reached.
 */
export async function releaseLease(options: ReleaseLeaseOptions): Promise<LeaseReleaseResult> {
  const client = new LeaseClient(options, 'release');
  const { name, now } = client;
  if (!SHA.test(options.sha ?? '')) return { released: false, reason: `'${options.sha}' is not a lease commit id` };
  const notHeld = `the lease on credential '${name}' was not held by this job any more (released already, or it expired, was taken over and released)`;
  const takenOver = async (sha: string): Promise<LeaseReleaseResult> => {
    const heldBy = (await client.commit(sha)).record;
    return {
      released: false,
      reason: `the lease on credential '${name}' is now held by ${describeLeaseHolder(heldBy)}: this job's lease expired before its post step ran and another job took it over, so the credential may have been used by two jobs at once. Raise ${client.names.ttl} above the longest job.`,
      heldBy,
      heldBySha: sha
    };
  };

  const readAt = now();
  const seen = await client.readRef();
  const serverAt = client.serverTimeOfLastAnswer();
  if (!seen) return { released: false, reason: notHeld };
  if (seen !== options.sha) return takenOver(seen);

  let expiresAtMs = options.expiresAt ? Date.parse(options.expiresAt) : NaN;
  let record: LeaseRecord | undefined;
  if (Number.isNaN(expiresAtMs)) {
    record = (await client.commit(options.sha)).record;
    expiresAtMs = record ? Date.parse(record.expiresAt) : NaN;
  }
  let renewed = false;
  if (Number.isNaN(expiresAtMs) || expiresAtMs - now() < RELEASE_MARGIN_MS) {
    // Close the GET-DELETE window (RELEASE_MARGIN_MS): renew by compare-and-swap, then delete.
    record ??= (await client.commit(options.sha)).record;
    // A new commit is a new holder to every waiter: its duration counts from our read of the ref.
    const renewal: LeaseRecord = {
      codexAuthLease: 1,
      credential: name,
      token: record?.token ?? randomBytes(16).toString('hex'),
      acquiredAt: new Date(readAt).toISOString(),
      expiresAt: new Date(readAt + 2 * RELEASE_MARGIN_MS).toISOString(),
      ...(serverAt !== undefined ? { serverAcquiredAt: new Date(serverAt).toISOString() } : {}),
      holder: record?.holder ?? {},
      renewedAt: new Date(readAt).toISOString()
    };
    const sha = await client.createCommit(renewal, [options.sha]);
    const moved = await client.fastForward(sha);
    if (moved === 'gone') return { released: false, reason: notHeld };
    if (moved !== 'moved') {
      const current = await client.readRef();
      return current ? takenOver(current) : { released: false, reason: notHeld };
    }
    renewed = true;
  }
  const deleted = await client.deleteRef();
  return deleted ? { released: true, renewed } : { released: false, reason: notHeld };
}
