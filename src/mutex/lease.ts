// The lease on one credential (`lease: true`), held from a job's main step to its post step across
// jobs, workflows and runners: a refresh token is single-use, so one job at a time may hold a copy.
// It is the git ref refs/codex-auth/leases/<credential-name> of the workflow's repository, taken
// by creating the ref and taken over by a fast-forward (both atomic on GitHub). docs/design.md,
// "Lease", says why each operation and bound holds.
import { randomBytes } from 'node:crypto';
import { formatDuration } from '../action/paths.js';
import {
  LeaseClient,
  LeaseError,
  LeaseTimeoutError,
  TRANSIENT,
  type LeaseClientOptions,
  type LeaseTarget
} from './lease-client.js';
import { describeLeaseHolder, MAX_LEASE_TTL_MS, type LeaseHolder, type LeaseRecord } from './lease-holder.js';
import { describeObserved, isThisJob, judge, recordTtlMs, runFinished, until, type Observed } from './lease-judge.js';
import { waitFor, type Look, type Progress, type WaitState } from './wait.js';

export { LeaseError, LeaseTimeoutError } from './lease-client.js';
export { describeLeaseHolder, leaseHolderFromEnv, type LeaseHolder, type LeaseRecord } from './lease-holder.js';

const DEFAULT_LEASE_TTL_MS = 60 * 60 * 1000;
const DEFAULT_LEASE_TIMEOUT_MS = 30 * 60 * 1000;
const DEFAULT_LEASE_LOG_EVERY_MS = 30 * 1000;
/** A release renews a lease with less than this left before deleting it (see the header). */
export const RELEASE_MARGIN_MS = 10 * 60 * 1000;
const DEFAULT_POLL_MS = 3000;
/**
 * When a waiter reads a holder's record (one request per holder): at once by default, so that the
 * first progress line names the holder (the budget holds with it: see docs/design.md).
 */
const DEFAULT_READ_RECORD_AFTER_MS = 0;
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
/** Answers that may be transient (replication lag just after the commit was created): retried this often in a row. */
const MAX_TRANSIENT_REJECTIONS = 5;
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

/** One acquirer's looks at the lease: create the ref when free, or judge the holder it finds and take over. */
class LeaseAttempt {
  private readonly token = randomBytes(16).toString('hex');
  private readonly readRecordAfterMs: number;
  // Our own commits: a create or takeover whose answer was lost (a dropped connection after GitHub
  // applied it, then a retry refused) shows up as the ref pointing at one of them.
  private readonly mine = new Map<string, { record: LeaseRecord; tookOver?: Lease['tookOver'] }>();
  // What this job has seen of each holder, on its own clock (the expiry rule, see judge()).
  private readonly seenHolders = new Map<string, Observed>();
  private transient = 0;
  /** What the last look found: the holder, a fault ridden out. */
  private holder: Observed | undefined;
  private fault: LeaseError | undefined;
  private wait: WaitState | undefined;

  constructor(
    private readonly options: AcquireLeaseOptions,
    private readonly client: LeaseClient,
    private readonly ttlMs: number,
    private readonly timeoutMs: number
  ) {
    this.readRecordAfterMs = options.readRecordAfterMs ?? DEFAULT_READ_RECORD_AFTER_MS;
  }

  async look(wait: WaitState): Promise<Look<Lease>> {
    const { client } = this;
    this.wait = wait;
    this.holder = undefined;
    this.fault = undefined;
    // Before each look after a wait: a job whose work another job did stops (no request to GitHub).
    const stop = wait.waited && this.options.stopWaiting ? await this.options.stopWaiting() : undefined;
    if (stop) {
      client.log(
        `Stopped waiting for the lease on credential '${client.name}' after ${formatDuration(client.now() - wait.started)}: ${stop}.`
      );
      throw new LeaseError('not-needed', `The lease on credential '${client.name}' is not needed any more: ${stop}.`);
    }
    try {
      const readAt = client.now();
      const seen = await client.readRef();
      const ours = seen ? this.mine.get(seen) : undefined;
      if (seen && ours) {
        client.log(
          `The lease on credential '${client.name}' points at this job's commit: GitHub applied the request whose answer was lost.`
        );
        return { acquired: this.acquired(seen, ours.record, ours.tookOver) };
      }
      return seen ? await this.lookAtHolder(seen) : await this.create(readAt);
    } catch (error) {
      // A transient fault (network, 5xx, rate limit) while waiting is ridden out until the wait is over.
      if (!(error instanceof LeaseError) || !TRANSIENT.includes(error.kind) || client.now() >= wait.deadline)
        throw error;
      this.fault = error;
      return 'wait';
    }
  }

  timedOut(waitedMs: number): LeaseError {
    if (this.fault) return this.fault;
    const { client, holder } = this;
    const what = holder ? `it is held by ${describeObserved(holder)}, ${until(holder)}` : 'it kept changing hands';
    return new LeaseTimeoutError(
      `Timed out after ${formatDuration(waitedMs)} waiting for the lease on credential '${client.name}' (${client.ref} in ${client.repository}): ${what}. ` +
        'Nothing was restored: this job did not touch the credential. ' +
        `Another job that uses this credential is still running: re-run this job once it is done, or raise ${client.names.timeout}. ` +
        `If that job is no longer running, its lease ends by itself at its expiry, or delete it now: ${client.deleteCommand()}.`,
      holder?.record
    );
  }

  progress(waitedMs: number): Progress | undefined {
    const { client, holder, fault } = this;
    const waited = `waited ${formatDuration(waitedMs)} of ${formatDuration(this.timeoutMs)}`;
    if (fault) {
      return {
        everyWait: true,
        line: `The GitHub API failed while this job waits for the lease on credential '${client.name}' (${fault.kind}${fault.status ? ` ${fault.status}` : ''}): retrying until the wait runs out; ${waited}.`
      };
    }
    if (!holder?.read) return undefined;
    return {
      line: `Waiting for the lease on credential '${client.name}': held by ${describeObserved(holder)}, ${until(holder)}; ${waited}.`
    };
  }

  /** Wake up when the holder's record is due to be read, or when it runs out, rather than a poll later. */
  dueIn(at: number): number {
    const holder = this.holder;
    if (!holder) return Infinity;
    return holder.read ? holder.firstSeen + holder.ttlMs - at + 10 : holder.firstSeen + this.readRecordAfterMs - at;
  }

  /** The ref is free: create our commit, then the ref (created by exactly one of the jobs that try). */
  private async create(readAt: number): Promise<Look<Lease>> {
    const { client } = this;
    const record = this.newRecord(readAt, client.serverTimeOfLastAnswer());
    const sha = await client.createCommit(record, []);
    this.mine.set(sha, { record });
    const created = await client.createRef(sha);
    if (created === 'created') return { acquired: this.acquired(sha, record) };
    if (created === 'exists') this.transient = 0;
    else if (++this.transient > MAX_TRANSIENT_REJECTIONS) throw client.persistentRejection();
    // Another job was first (or GitHub was not ready): look at the ref again, a few times without waiting.
    return 'again';
  }

  /** The ref points at another holder's commit: read its record when due, and take over if it is gone. */
  private async lookAtHolder(seen: string): Promise<Look<Lease>> {
    const { client, options } = this;
    let holder = this.seenHolders.get(seen);
    if (!holder) {
      holder = { sha: seen, firstSeen: client.now(), ttlMs: this.ttlMs, lastRunCheck: undefined };
      this.seenHolders.set(seen, holder);
    }
    this.holder = holder;
    if (!holder.read && (client.now() - holder.firstSeen >= this.readRecordAfterMs || this.timeoutMs === 0)) {
      const { record } = await client.commit(seen);
      holder.read = true;
      holder.record = record;
      if (record) holder.ttlMs = recordTtlMs(record) ?? this.ttlMs;
    }
    if (!holder.read) return 'wait';
    if (holder.record && isThisJob(holder.record.holder, options.holder)) {
      throw new LeaseError(
        'this-job',
        `This job already holds the lease on credential '${client.name}' (${client.ref} in ${client.repository}), taken by an earlier step at ${holder.record.acquiredAt}. ` +
          'Use the action once per credential-name in a job, or give the other step its own credential-name. Nothing was restored. ' +
          `If the job that took it was killed and this is another job, delete the lease: ${client.deleteCommand()}.`,
        undefined,
        holder.record
      );
    }
    const verdict =
      judge(holder, options.holder, client.now(), client.serverNow()) ?? (await runFinished(client, holder, options));
    return verdict ? this.takeOver(seen, holder, verdict) : 'wait';
  }

  /** A compare-and-swap of the ref from the gone holder's commit to a child of it. */
  private async takeOver(seen: string, holder: Observed, verdict: string): Promise<Look<Lease>> {
    const { client } = this;
    const record = this.newRecord(client.now(), client.serverNow(), seen);
    const sha = await client.createCommit(record, [seen]);
    const tookOver = { sha: seen, record: holder.record, reason: verdict };
    this.mine.set(sha, { record, tookOver });
    const moved = await client.fastForward(sha);
    if (moved === 'moved') {
      client.log(
        `Took over the lease on credential '${client.name}' from ${describeLeaseHolder(holder.record)}: ${verdict}.`
      );
      return { acquired: this.acquired(sha, record, tookOver) };
    }
    if (moved === 'lost') client.log(`Another job took over the lease on credential '${client.name}' first.`);
    return 'again';
  }

  /**
   * A record whose times are taken before the request that reads the ref as free (or as the holder
   * to replace): the lease cannot have started earlier, on our clock or on GitHub's (`server`).
   */
  private newRecord(at: number, server: number | undefined, takeoverOf?: string): LeaseRecord {
    return {
      codexAuthLease: 1,
      credential: this.client.name,
      token: this.token,
      acquiredAt: new Date(at).toISOString(),
      expiresAt: new Date(at + this.ttlMs).toISOString(),
      ...(server !== undefined ? { serverAcquiredAt: new Date(server).toISOString() } : {}),
      holder: this.options.holder,
      ...(takeoverOf ? { takeoverOf } : {})
    };
  }

  private acquired(sha: string, record: LeaseRecord, tookOver?: Lease['tookOver']): Lease {
    const { client } = this;
    const wait = this.wait!;
    const waitedMs = client.now() - wait.started;
    client.log(
      `Acquired the lease on credential '${client.name}' (${client.ref} in ${client.repository})${wait.waited ? ` after waiting ${formatDuration(waitedMs)}` : ''}; it expires at ${record.expiresAt} unless the post step releases it first.`
    );
    const { ref } = client;
    const { token } = this;
    return { ref, sha, token, acquiredAt: record.acquiredAt, expiresAt: record.expiresAt, record, waitedMs, tookOver };
  }
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
    // Close the GET-DELETE window (see the header): renew by compare-and-swap, then delete.
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
