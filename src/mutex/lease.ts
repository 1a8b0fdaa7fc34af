// A lease on one credential, held from a job's main step to its post step, across jobs, workflows
// and runners: a refresh token is single-use, so only one job at a time may hold a copy. The lease
// lives on GitHub itself, with no server of ours, as a git ref of the repository running the
// workflow:
//
//   refs/codex-auth/leases/<credential-name>  →  a commit (empty tree) whose message is the holder's
//                                                 record, as JSON: run, attempt, job, workflow,
//                                                 runner, acquired at, expires at, a random token
//
// Not under refs/heads or refs/tags, so it is no branch or tag: no workflow runs for it, clones and
// fetches with the default refspec do not see it, and branch protection rules do not apply. The
// REST API takes any `refs/…` name with at least two slashes.
//
// Operations, each one atomic request to GitHub (docs/design.md, "Lease", says why each bound holds):
// - acquire: read the ref first (a job that finds it held creates nothing: the rate budget); when
//   free, create our commit (POST git/commits), then the ref pointing at it (POST git/refs).
//   Creating a ref that exists fails (422 "Reference already exists"), so exactly one job gets it.
// - takeover of a lease whose holder is gone (judge(), runFinished()): create a commit whose parent
//   is the holder's commit and move the ref to it with `force: false` (PATCH git/refs). A non-forced
//   update must be a fast-forward, so it is a compare-and-swap: of several waiters that judged the
//   same holder gone, the first PATCH wins and the others get 422 "Update is not a fast forward".
// - release: GET the ref, compare, DELETE (the REST API has no conditional delete). A waiter takes
//   a live lease over only after its whole duration has passed on the waiter's own clock since it
//   first saw it (or on GitHub's clock since it was taken), so when less than `RELEASE_MARGIN_MS`
//   (10 min) is left on the holder's clock, the release first renews the lease by the same
//   compare-and-swap, then deletes it: no DELETE (at most ~5 min of retries and rate-limit waits)
//   can then meet a takeover.
//
// When is a lease over without a release? No process runs between main and post to renew it. A
// holder is judged gone only from evidence that holds on every runner and clock: its duration has
// passed since this waiter first saw it (the client-go leader election rule) or by GitHub's `Date`;
// its run has finished (`actions: read`); on a self-hosted runner only, its runner now runs this
// job. The holder's own timestamps are never compared with the waiter's clock.
//
// The token: the workflow's GITHUB_TOKEN can do all of this with `permissions: contents: write`
// (`actions: read` lets a waiter see that a holder's run has finished). Requests go through Octokit
// (src/github/request.ts, loaded on first use): retries on 5xx and network errors, rate
// limits waited out as GitHub asks; every other failure becomes a LeaseError saying what to fix.
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { formatDuration } from '../action/paths.js';
import { parseHolderRecord } from './holder-record.js';
import { githubFailure, githubMessage, type FailureWords, type GitHubAnswer } from '../github/failure.js';
import type { GitHubCall, GitHubClient } from '../github/request.js';

const LEASE_REF_PREFIX = 'refs/codex-auth/leases/';
/** git's empty tree: exists in every repository, so a lease commit needs no tree of its own. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const DEFAULT_LEASE_TTL_MS = 60 * 60 * 1000;
const MAX_LEASE_TTL_MS = 6 * 60 * 60 * 1000;
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
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SHA = /^[0-9a-f]{40}$/;
const TOKEN = /^[0-9a-f]{32}$/;

/** Who holds (or wants) the lease: what a waiting job logs about it. Everything is optional. */
export interface LeaseHolder {
  repository?: string;
  runId?: string;
  runAttempt?: string;
  job?: string;
  workflow?: string;
  runner?: string;
  /** Link to the holding run. */
  runUrl?: string;
  /** Opaque id of one runner process (hash of host, RUNNER_NAME and RUNNER_TEMP): a runner runs one job at a time. */
  runnerId?: string;
  /** RUNNER_ENVIRONMENT is `self-hosted`: only there does a runner's name identify one machine (hosted runners reuse names). */
  selfHosted?: boolean;
  /** Opaque id of one job (hash of repository, run, attempt, job and the per-job nonce). */
  jobId?: string;
}

/** The commit message of a lease commit (JSON). */
export interface LeaseRecord {
  codexAuthLease: 1;
  credential: string;
  /** Random, per acquisition. */
  token: string;
  /** On the holder's clock, taken before it read the ref as free: expiresAt − acquiredAt is the lease's duration, free of any skew. */
  acquiredAt: string;
  expiresAt: string;
  /** GitHub's clock (the Date of the answer the holder read just before taking it), when GitHub sent one. */
  serverAcquiredAt?: string;
  holder: LeaseHolder;
  /** Set on a takeover: the commit of the holder it replaced. */
  takeoverOf?: string;
  /** Set when the release renewed the lease before deleting it. */
  renewedAt?: string;
}

/** How the caller calls the things a user can change, for the messages (the action's future inputs by default). */
interface LeaseSettingNames {
  token: string;
  timeout: string;
  ttl: string;
}

const LEASE_SETTING_NAMES: LeaseSettingNames = {
  token: "input 'lease-token'",
  timeout: "input 'lease-timeout-minutes'",
  ttl: "input 'lease-expiry-minutes'"
};

/** Where the lease lives. */
export interface LeaseTarget {
  /** REST API base: GITHUB_API_URL. */
  apiUrl: string;
  token: string;
  /** The repository holding the ref (GITHUB_REPOSITORY split). */
  owner: string;
  repo: string;
  credentialName: string;
}

export interface LeaseClientOptions {
  /** Progress, takeovers, retries (e.g. core.info). */
  log?: (message: string) => void;
  /** The wait between polls and between retries (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** The clock (injectable for tests): epoch ms. */
  now?: () => number;
  fetch?: typeof fetch;
  /** Tries after the first, on a 5xx or a network error (default 3: 1 s, 4 s, 9 s apart). */
  retries?: number;
  /** The unit of the backoff and of the waits GitHub asks for: ms per second (default 1000; tests shrink it). */
  retryBaseMs?: number;
  /** The longest wait a rate limit may impose before a request is given up (default 60 s). */
  maxRateLimitWaitMs?: number;
  /** Per attempt (default 30 s). */
  requestTimeoutMs?: number;
  names?: Partial<LeaseSettingNames>;
}

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

export type LeaseErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'rejected'
  | 'rate-limited'
  | 'unavailable'
  | 'network'
  | 'this-job'
  | 'not-needed'
  | 'timeout';

export class LeaseError extends Error {
  constructor(
    readonly kind: LeaseErrorKind,
    message: string,
    readonly status?: number,
    readonly holder?: LeaseRecord
  ) {
    super(message);
    this.name = 'LeaseError';
  }
}

export class LeaseTimeoutError extends LeaseError {
  constructor(message: string, holder?: LeaseRecord) {
    super('timeout', message, undefined, holder);
    this.name = 'LeaseTimeoutError';
  }
}

/** Faults worth waiting out while the lease wait has time left. */
const TRANSIENT: LeaseErrorKind[] = ['network', 'unavailable', 'rate-limited'];

function leaseRef(credentialName: string): string {
  return `${LEASE_REF_PREFIX}${credentialName}`;
}

/**
 * The holder description of the current step, from the variables the runner sets. `jobNonce`: a
 * random value the first use of the action in a job exports (GITHUB_ENV) for its later steps, so that
 * "this very job holds it" is told apart from "an earlier job on this runner was killed".
 */
export function leaseHolderFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: { jobNonce?: string; hostname?: string } = {}
): LeaseHolder {
  const runner = env.RUNNER_NAME || undefined;
  const runId = env.GITHUB_RUN_ID || undefined;
  const runAttempt = env.GITHUB_RUN_ATTEMPT || (runId ? '1' : undefined);
  const repository = env.GITHUB_REPOSITORY || undefined;
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  return {
    repository,
    runId,
    runAttempt,
    job: env.GITHUB_JOB || undefined,
    workflow: env.GITHUB_WORKFLOW || undefined,
    runner,
    runUrl:
      repository && runId
        ? `${server}/${repository}/actions/runs/${runId}${runAttempt && runAttempt !== '1' ? `/attempts/${runAttempt}` : ''}`
        : undefined,
    ...(env.RUNNER_ENVIRONMENT === 'self-hosted' ? { selfHosted: true } : {}),
    runnerId:
      runner && env.RUNNER_TEMP
        ? opaqueId([options.hostname ?? os.hostname(), runner, path.resolve(env.RUNNER_TEMP)])
        : undefined,
    jobId: runId
      ? opaqueId([repository ?? '', runId, runAttempt ?? '', env.GITHUB_JOB ?? '', options.jobNonce ?? ''])
      : undefined
  };
}

/** "job 'build' of run 42 (attempt 2) of workflow 'CI' in acme/app on runner 'r1' (https://…)". */
export function describeLeaseHolder(record: Pick<LeaseRecord, 'holder'> | undefined): string {
  if (!record) return 'a holder whose record codex-auth cannot read';
  const h = record.holder ?? {};
  let text = h.job ? `job '${h.job}'` : 'a job';
  if (h.runId) text += ` of run ${h.runId}${h.runAttempt && h.runAttempt !== '1' ? ` (attempt ${h.runAttempt})` : ''}`;
  if (h.workflow) text += ` of workflow '${h.workflow}'`;
  if (h.repository) text += ` in ${h.repository}`;
  if (h.runner) text += ` on runner '${h.runner}'`;
  if (h.runUrl) text += ` (${h.runUrl})`;
  return text;
}

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
  const { names, name, ref, now, log } = client;
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
  const logEveryMs = options.logEveryMs ?? DEFAULT_LEASE_LOG_EVERY_MS;
  const readRecordAfterMs = options.readRecordAfterMs ?? DEFAULT_READ_RECORD_AFTER_MS;
  const maxPollMs = options.maxPollMs ?? defaultMaxPollMs(timeoutMs);
  let pollMs = Math.min(options.pollMs ?? DEFAULT_POLL_MS, maxPollMs);

  const started = now();
  const deadline = started + timeoutMs;
  const token = randomBytes(16).toString('hex');
  /**
   * A record whose times are taken before the request that reads the ref as free (or as the holder
   * to replace): the lease cannot have started earlier, on our clock or on GitHub's (`server`).
   */
  const newRecord = (at: number, server: number | undefined, takeoverOf?: string): LeaseRecord => ({
    codexAuthLease: 1,
    credential: name,
    token,
    acquiredAt: new Date(at).toISOString(),
    expiresAt: new Date(at + ttlMs).toISOString(),
    ...(server !== undefined ? { serverAcquiredAt: new Date(server).toISOString() } : {}),
    holder: options.holder,
    ...(takeoverOf ? { takeoverOf } : {})
  });
  let waited = false;
  const acquired = (sha: string, record: LeaseRecord, tookOver?: Lease['tookOver']): Lease => {
    const waitedMs = now() - started;
    log(
      `Acquired the lease on credential '${name}' (${ref} in ${client.repository})${waited ? ` after waiting ${formatDuration(waitedMs)}` : ''}; it expires at ${record.expiresAt} unless the post step releases it first.`
    );
    return { ref, sha, token, acquiredAt: record.acquiredAt, expiresAt: record.expiresAt, record, waitedMs, tookOver };
  };

  // Our own commits: a create or takeover whose answer was lost (a dropped connection after GitHub
  // applied it, then a retry refused) shows up as the ref pointing at one of them.
  const mine = new Map<string, { record: LeaseRecord; tookOver?: Lease['tookOver'] }>();
  // What this job has seen of each holder, on its own clock (the expiry rule, see judge()).
  const seenHolders = new Map<string, Observed>();
  let quickRetries = 0;
  let transient = 0;
  let lastLog = -Infinity;
  for (;;) {
    let holder: Observed | undefined;
    let fault: LeaseError | undefined;
    // Before each look after a wait: a job whose work another job did stops (no request to GitHub).
    const stop = waited && options.stopWaiting ? await options.stopWaiting() : undefined;
    if (stop) {
      log(`Stopped waiting for the lease on credential '${name}' after ${formatDuration(now() - started)}: ${stop}.`);
      throw new LeaseError('not-needed', `The lease on credential '${name}' is not needed any more: ${stop}.`);
    }
    try {
      const readAt = now();
      const seen = await client.readRef();
      const ours = seen ? mine.get(seen) : undefined;
      if (seen && ours) {
        log(
          `The lease on credential '${name}' points at this job's commit: GitHub applied the request whose answer was lost.`
        );
        return acquired(seen, ours.record, ours.tookOver);
      }
      if (!seen) {
        // Free: create our commit, then the ref (created by exactly one of the jobs that try).
        const record = newRecord(readAt, client.serverTimeOfLastAnswer());
        const sha = await client.createCommit(record, []);
        mine.set(sha, { record });
        const created = await client.createRef(sha);
        if (created === 'created') return acquired(sha, record);
        if (created === 'exists') transient = 0;
        else if (++transient > MAX_TRANSIENT_REJECTIONS) throw client.persistentRejection();
        // Another job was first (or GitHub was not ready): look at the ref again, a few times without waiting.
        if (++quickRetries <= 3) continue;
      } else {
        holder = seenHolders.get(seen);
        if (!holder) {
          holder = { sha: seen, firstSeen: now(), ttlMs, lastRunCheck: undefined };
          seenHolders.set(seen, holder);
        }
        if (!holder.read && (now() - holder.firstSeen >= readRecordAfterMs || timeoutMs === 0)) {
          const { record } = await client.commit(seen);
          holder.read = true;
          holder.record = record;
          if (record) holder.ttlMs = recordTtlMs(record) ?? ttlMs;
        }
        if (holder.read) {
          if (holder.record && isThisJob(holder.record.holder, options.holder)) {
            throw new LeaseError(
              'this-job',
              `This job already holds the lease on credential '${name}' (${ref} in ${client.repository}), taken by an earlier step at ${holder.record.acquiredAt}. ` +
                'Use the action once per credential-name in a job, or give the other step its own credential-name. Nothing was restored. ' +
                `If the job that took it was killed and this is another job, delete the lease: ${client.deleteCommand()}.`,
              undefined,
              holder.record
            );
          }
          const verdict =
            judge(holder, options.holder, now(), client.serverNow()) ?? (await runFinished(client, holder, options));
          if (verdict) {
            const takeoverAt = now();
            const record = newRecord(takeoverAt, client.serverNow(), seen);
            const sha = await client.createCommit(record, [seen]);
            const tookOver = { sha: seen, record: holder.record, reason: verdict };
            mine.set(sha, { record, tookOver });
            const moved = await client.fastForward(sha);
            if (moved === 'moved') {
              log(
                `Took over the lease on credential '${name}' from ${describeLeaseHolder(holder.record)}: ${verdict}.`
              );
              return acquired(sha, record, tookOver);
            }
            if (moved === 'lost') log(`Another job took over the lease on credential '${name}' first.`);
            if (++quickRetries <= 3) continue;
          }
        }
      }
    } catch (error) {
      // A transient fault (network, 5xx, rate limit) while waiting is ridden out until the wait is over.
      if (!(error instanceof LeaseError) || !TRANSIENT.includes(error.kind) || now() >= deadline) throw error;
      fault = error;
    }
    const at = now();
    const waitedMs = at - started;
    if (at >= deadline) {
      if (fault) throw fault;
      const what = holder ? `it is held by ${describeObserved(holder)}, ${until(holder)}` : 'it kept changing hands';
      throw new LeaseTimeoutError(
        `Timed out after ${formatDuration(waitedMs)} waiting for the lease on credential '${name}' (${ref} in ${client.repository}): ${what}. ` +
          'Nothing was restored: this job did not touch the credential. ' +
          `Another job that uses this credential is still running: re-run this job once it is done, or raise ${names.timeout}. ` +
          `If that job is no longer running, its lease ends by itself at its expiry, or delete it now: ${client.deleteCommand()}.`,
        holder?.record
      );
    }
    if (fault) {
      log(
        `The GitHub API failed while this job waits for the lease on credential '${name}' (${fault.kind}${fault.status ? ` ${fault.status}` : ''}): retrying until the wait runs out; waited ${formatDuration(waitedMs)} of ${formatDuration(timeoutMs)}.`
      );
    } else if (holder?.read && at - lastLog >= logEveryMs) {
      lastLog = at;
      log(
        `Waiting for the lease on credential '${name}': held by ${describeObserved(holder)}, ${until(holder)}; waited ${formatDuration(waitedMs)} of ${formatDuration(timeoutMs)}.`
      );
    }
    quickRetries = 0;
    // Exponential backoff with jitter, capped: each poll is one request against the hourly budget.
    const jittered = pollMs * (0.5 + Math.random() * 0.5);
    // Wake up when the holder's record is due to be read, or when it runs out, rather than a poll later.
    const dueIn = holder
      ? holder.read
        ? holder.firstSeen + holder.ttlMs - at + 10
        : holder.firstSeen + readRecordAfterMs - at
      : Infinity;
    waited = true;
    await client.sleep(Math.max(1, Math.min(jittered, Math.max(1, dueIn), deadline - at)));
    pollMs = Math.min(pollMs * 1.5, maxPollMs);
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

/** One holder (one commit of the ref) as this waiter saw it: when first, on this waiter's own clock. */
interface Observed {
  sha: string;
  firstSeen: number;
  /** The holder's lease duration (its record's expiresAt − acquiredAt: one clock, so no skew), else ours. */
  ttlMs: number;
  /** Whether its commit was read (lazily: most holders are gone within seconds). */
  read?: boolean;
  record?: LeaseRecord;
  /** When its run was last looked up (undefined: never; Infinity: the token cannot). */
  lastRunCheck: number | undefined;
}

/** The lease's duration as its holder set it: the difference of two times on the holder's one clock. */
function recordTtlMs(record: LeaseRecord): number | undefined {
  const ttl = Date.parse(record.expiresAt) - Date.parse(record.acquiredAt);
  return Number.isFinite(ttl) && ttl > 0 && ttl <= MAX_LEASE_TTL_MS ? ttl : undefined;
}

function describeObserved(holder: Observed): string {
  return holder.read ? describeLeaseHolder(holder.record) : `the job of lease commit ${holder.sha.slice(0, 7)}`;
}

/** "until …" on this waiter's clock: the holder's own expiry time is on another machine's clock. */
function until(holder: Observed): string {
  const rest = holder.read ? ` (its expiry, ${formatDuration(holder.ttlMs)} after this job first saw it)` : '';
  return `until ${new Date(holder.firstSeen + holder.ttlMs).toISOString()} at the latest${rest}`;
}

/** The same job (an earlier step of it): its id includes the per-job nonce, so no other job matches. */
function isThisJob(holder: LeaseHolder | undefined, me: LeaseHolder): boolean {
  return !!holder?.jobId && holder.jobId === me.jobId;
}

/**
 * Why a holder is gone (a reason for the log), or undefined while it may hold the lease. Only
 * evidence that holds on every runner and every clock (issue 21, the client-go leader election rule):
 * - its record has stayed unchanged for the lease's duration on THIS waiter's clock since it first
 *   saw it (the ref cannot have been set before we first read it, so it is at least that old); or
 * - GitHub's own clock (the `Date` of our last answer) is past the lease's start on GitHub's clock
 *   (the `Date` its holder read just before taking it) plus the duration, plus Date's 1 s rounding;
 * - on a self-hosted runner, the holder's runner now runs this job (a runner runs one job at a time).
 *   GitHub-hosted runners reuse host and runner names, so there a match says nothing.
 * The holder's own timestamps are never compared with this waiter's clock.
 */
function judge(holder: Observed, me: LeaseHolder, at: number, serverNow: number | undefined): string | undefined {
  if (at - holder.firstSeen >= holder.ttlMs) {
    return holder.record
      ? `its lease ran out: unchanged for ${formatDuration(holder.ttlMs)} (its duration) since this job first saw it`
      : `its record is unreadable and unchanged for ${formatDuration(holder.ttlMs)} since this job first saw it`;
  }
  const record = holder.record;
  const serverStart = record?.serverAcquiredAt ? Date.parse(record.serverAcquiredAt) : NaN;
  if (serverNow !== undefined && Number.isFinite(serverStart) && serverNow >= serverStart + holder.ttlMs + 1000) {
    return `its lease ran out: taken at ${record!.serverAcquiredAt} by GitHub's clock, for ${formatDuration(holder.ttlMs)}`;
  }
  const h = record?.holder;
  if (h?.selfHosted && me.selfHosted && h.runnerId && h.runnerId === me.runnerId) {
    return `runner '${h.runner ?? '?'}' (self-hosted) now runs this job, and a runner runs one job at a time, so the holding job ended without releasing it`;
  }
  return undefined;
}

/** How soon after first seeing a holder its run is looked up, and how often again (one request each). */
const RUN_CHECK_AFTER_MS = 60_000;
const RUN_CHECK_EVERY_MS = 5 * 60_000;

/**
 * The other evidence that holds on hosted runners: the holder's run (that attempt) has finished, so
 * its post step will never release. Needs `actions: read`; without it (403/404), the lease's expiry
 * decides, and the log says so once.
 */
async function runFinished(
  client: LeaseClient,
  holder: Observed,
  timing: { runCheckAfterMs?: number; runCheckEveryMs?: number }
): Promise<string | undefined> {
  const h = holder.record?.holder;
  if (!h?.runId || (h.repository && h.repository !== client.repository)) return undefined;
  const at = client.now();
  if (holder.lastRunCheck === Infinity) return undefined;
  if (
    holder.lastRunCheck === undefined
      ? at - holder.firstSeen < (timing.runCheckAfterMs ?? RUN_CHECK_AFTER_MS)
      : at - holder.lastRunCheck < (timing.runCheckEveryMs ?? RUN_CHECK_EVERY_MS)
  )
    return undefined;
  holder.lastRunCheck = at;
  const run = await client.runState(h.runId, h.runAttempt ?? '1');
  if (run === 'no-access') {
    holder.lastRunCheck = Infinity;
    if (!client.toldNoRunAccess) {
      client.toldNoRunAccess = true;
      client.log(
        `Cannot tell whether the run of the lease's holder has finished (the token in ${client.names.token} lacks \`actions: read\`): waiting for the lease's expiry instead.`
      );
    }
    return undefined;
  }
  if (run.status !== 'completed') return undefined;
  return `its run ${h.runId} (attempt ${h.runAttempt ?? '1'}) has finished${run.conclusion ? ` (${run.conclusion})` : ''}, so its post step will not release it`;
}

type CreateResult = 'created' | 'exists' | 'transient';
type MoveResult = 'moved' | 'lost' | 'gone';

/** The REST calls of the lease, with their retries and error messages. */
class LeaseClient {
  readonly names: LeaseSettingNames;
  readonly name: string;
  readonly ref: string;
  readonly repository: string;
  readonly log: (message: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  private readonly base: string;
  private readonly words: FailureWords;
  private readonly commits = new Map<string, { record: LeaseRecord | undefined; date: number }>();
  private lastRejection: GitHubAnswer | undefined;
  /** GitHub's clock: the Date of the last answer, and our clock when it arrived. */
  private serverClock: { server: number; local: number } | undefined;
  /** Octokit, loaded on first use: a job whose lease is off never loads it. */
  private client: Promise<GitHubClient> | undefined;
  toldNoRunAccess = false;

  constructor(
    private readonly options: LeaseTarget & LeaseClientOptions,
    private readonly purpose: 'acquire' | 'release' | 'read',
    ref?: string
  ) {
    this.names = { ...LEASE_SETTING_NAMES, ...options.names };
    this.log = options.log ?? (() => undefined);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    const invalid = (message: string): LeaseError =>
      new LeaseError('invalid', `Cannot ${purpose} the lease: ${message}`);
    if (!NAME.test(options.credentialName ?? ''))
      throw invalid(
        `'${options.credentialName}' is not a valid credential name (1 to 64 letters, digits, hyphens or underscores).`
      );
    this.name = options.credentialName;
    this.ref = ref ?? leaseRef(this.name);
    if (!options.owner || !options.repo) throw invalid('no repository was given (GITHUB_REPOSITORY).');
    this.repository = `${options.owner}/${options.repo}`;
    if (!options.token?.trim()) {
      throw invalid(
        `no token was given (${this.names.token}). The workflow's GITHUB_TOKEN works, with \`permissions: contents: write\`.`
      );
    }
    if (/\s/.test(options.token.trim())) throw invalid(`the token contains white space (${this.names.token}).`);
    let api: URL;
    try {
      api = new URL(options.apiUrl);
      if (api.protocol !== 'https:' && api.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw invalid(`the API URL '${options.apiUrl}' is not an http(s) URL (GITHUB_API_URL).`);
    }
    this.base = `${api.href.replace(/\/+$/, '')}/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}/git`;
    const permission =
      `The lease needs the \`contents: write\` permission on ${this.repository}: with the workflow's GITHUB_TOKEN (the default), add \`permissions: contents: write\` to the workflow or the job; ` +
      `with a token of your own in ${this.names.token}, grant it "Contents: Read and write" on ${this.repository}.`;
    this.words = {
      tokenName: this.names.token,
      apiUrl: options.apiUrl,
      secrets: [options.token],
      tail: purpose === 'acquire' ? ' Nothing was restored.' : '',
      unauthorized: "The workflow's GITHUB_TOKEN expires when its job ends: pass a valid token.",
      forbidden: (accepted: string) => `The token may not write git refs here${accepted}. ${permission}`,
      notFound: `The repository ${this.repository} does not exist, or the token in ${this.names.token} cannot see it (GitHub answers 404 rather than 403 then). ${permission}`,
      rejected: {
        409: `The lease is a git ref of ${this.repository}, which needs at least one commit; push one first.`
      },
      rateLimited: "the workflow's GITHUB_TOKEN may send 1,000 requests an hour per repository, shared by all its jobs."
    };
  }

  /** `gh api` command that deletes the lease by hand. */
  deleteCommand(): string {
    return `\`gh api -X DELETE repos/${this.repository}/git/${this.ref}\``;
  }

  /** GitHub's clock now (a lower bound: Date is rounded down to the second), from the last answer's Date. */
  serverNow(): number | undefined {
    return this.serverClock && this.serverClock.server + (this.now() - this.serverClock.local);
  }

  /** GitHub's clock when the last answer was sent (its Date), if GitHub sent one. */
  serverTimeOfLastAnswer(): number | undefined {
    return this.serverClock?.server;
  }

  /** Whether a run attempt of this repository has finished (GET …/actions/runs/{id}/attempts/{n}, `actions: read`). */
  async runState(runId: string, attempt: string): Promise<{ status: string; conclusion?: string } | 'no-access'> {
    if (!/^\d+$/.test(runId) || !/^\d+$/.test(attempt)) return { status: 'unknown' };
    const url = `${this.base.replace(/\/git$/, '')}/actions/runs/${runId}/attempts/${attempt}`;
    const answer = await this.call('GET', url, undefined, "read the lease holder's run");
    if (answer.status === 403 || answer.status === 404) return 'no-access';
    if (answer.status !== 200) throw this.failure(answer, "read the lease holder's run");
    const status = typeof answer.body?.status === 'string' ? answer.body.status : 'unknown';
    const conclusion = typeof answer.body?.conclusion === 'string' ? answer.body.conclusion : undefined;
    return { status, conclusion };
  }

  async createCommit(record: LeaseRecord, parents: string[]): Promise<string> {
    const date = (record.renewedAt ?? record.acquiredAt).replace(/\.\d{3}Z$/, 'Z');
    const sha = await this.createMessageCommit(JSON.stringify(record), parents, date, 'create a lease commit');
    this.commits.set(sha, { record, date: Date.parse(date) });
    return sha;
  }

  async createRef(sha: string): Promise<CreateResult> {
    const answer = await this.call('POST', `${this.base}/refs`, { ref: this.ref, sha }, 'create the lease ref');
    if (answer.status === 201) return 'created';
    if (answer.status === 422) {
      const said = githubMessage(answer, []);
      if (/already exists/i.test(said)) return 'exists';
      // "Reference update failed" (a concurrent update) and "Object does not exist" (the commit not
      // yet visible everywhere) can pass: look again, then try again.
      if (/update failed|does not exist/i.test(said)) {
        this.lastRejection = answer;
        return 'transient';
      }
    }
    throw this.failure(answer, 'create the lease ref');
  }

  /** The sha the ref points at, or undefined when it does not exist. */
  async readRef(): Promise<string | undefined> {
    const answer = await this.call('GET', `${this.base}/ref/${this.refPath()}`, undefined, 'read the lease ref');
    // The repository is visible (the call reached the git data API): a 404 is a missing ref... unless
    // nothing else was asked yet (release, read), where it may also be an invisible repository.
    if (answer.status === 404) return this.purpose === 'acquire' ? undefined : this.missingRefOrRepository(answer);
    const sha = answer.body?.object?.sha;
    if (answer.status === 200 && typeof sha === 'string') return sha;
    // A prefix match answers an array on some versions of the API: not our ref.
    if (answer.status === 200 && Array.isArray(answer.body))
      return answer.body.find((r: { ref?: string }) => r?.ref === this.ref)?.object?.sha;
    throw this.failure(answer, 'read the lease ref');
  }

  /** A commit's message (a secret version record), or undefined when there is no such commit. */
  async message(sha: string): Promise<string | undefined> {
    const answer = await this.call('GET', `${this.base}/commits/${sha}`, undefined, 'read the secret version');
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw this.failure(answer, 'read the secret version');
    return typeof answer.body?.message === 'string' ? answer.body.message : undefined;
  }

  /** A commit carrying `message`, dated `date` (ISO), with `parents`. */
  async createMessageCommit(
    message: string,
    parents: string[],
    date: string,
    purpose = 'record the secret version'
  ): Promise<string> {
    const author = {
      name: 'codex-auth',
      email: 'codex-auth@users.noreply.github.com',
      date: date.replace(/\.\d{3}Z$/, 'Z')
    };
    const answer = await this.call(
      'POST',
      `${this.base}/commits`,
      { message, tree: EMPTY_TREE, parents, author },
      purpose
    );
    if (answer.status !== 201 || typeof answer.body?.sha !== 'string') throw this.failure(answer, purpose);
    return answer.body.sha;
  }

  /** The record and date of a lease commit (cached: commits never change). */
  async commit(sha: string): Promise<{ record: LeaseRecord | undefined; date: number }> {
    const cached = this.commits.get(sha);
    if (cached) return cached;
    const answer = await this.call('GET', `${this.base}/commits/${sha}`, undefined, 'read the lease commit');
    if (answer.status !== 200 && answer.status !== 404) throw this.failure(answer, 'read the lease commit');
    const date = Date.parse(answer.body?.committer?.date ?? answer.body?.author?.date ?? '');
    const found = {
      record: answer.status === 200 ? parseRecord(answer.body?.message) : undefined,
      date: Number.isNaN(date) ? 0 : date
    };
    this.commits.set(sha, found);
    return found;
  }

  /** Moves the ref to `sha` if that is a fast-forward: the compare-and-swap. */
  async fastForward(sha: string): Promise<MoveResult> {
    const answer = await this.call(
      'PATCH',
      `${this.base}/refs/${this.refPath()}`,
      { sha, force: false },
      'take over the lease ref'
    );
    if (answer.status === 200) return 'moved';
    if (answer.status === 422)
      return /does not exist/i.test(githubMessage(answer, [])) && !/object/i.test(githubMessage(answer, []))
        ? 'gone'
        : 'lost';
    throw this.failure(answer, 'take over the lease ref');
  }

  /** True when deleted, false when it was gone already. */
  async deleteRef(): Promise<boolean> {
    const { answer, attempts } = await this.send(
      'DELETE',
      `${this.base}/refs/${this.refPath()}`,
      undefined,
      'delete the lease ref'
    );
    if (answer.status === 204 || answer.status === 200) return true;
    // Gone: released already, unless it was our own retry after a lost answer (the ref was ours just before).
    if (answer.status === 422 && /does not exist/i.test(githubMessage(answer, []))) return attempts > 1;
    throw this.failure(answer, 'delete the lease ref');
  }

  persistentRejection(): LeaseError {
    return this.failure(this.lastRejection!, 'create the lease ref');
  }

  private refPath(): string {
    return this.ref.slice('refs/'.length).split('/').map(encodeURIComponent).join('/');
  }

  /** release/read start with the GET: tell a missing ref from a repository the token cannot see. */
  private async missingRefOrRepository(answer: GitHubAnswer): Promise<undefined> {
    const others = await this.call(
      'GET',
      `${this.base}/matching-refs/${this.refPath()}`,
      undefined,
      'read the lease ref'
    );
    if (others.status === 200) return undefined;
    throw this.failure(others.status === 404 ? others : answer, 'read the lease ref');
  }

  private async call(method: string, url: string, body: unknown, action: string): Promise<GitHubAnswer> {
    return (await this.send(method, url, body, action)).answer;
  }

  private async send(
    method: string,
    url: string,
    body: unknown,
    action: string
  ): Promise<{ answer: GitHubAnswer; attempts: number }> {
    this.client ??= import('../github/request.js').then(({ githubClient }) =>
      githubClient({
        apiUrl: this.options.apiUrl,
        token: this.options.token,
        log: this.log,
        fetch: this.options.fetch,
        retries: this.options.retries,
        retryBaseMs: this.options.retryBaseMs,
        maxRateLimitWaitMs: this.options.maxRateLimitWaitMs,
        timeoutMs: this.options.requestTimeoutMs
      })
    );
    const sent = await (await this.client).request(method, url, body, this.callFor(action));
    const date = Date.parse(sent.answer.headers.get('date') ?? '');
    if (Number.isFinite(date)) this.serverClock = { server: date, local: this.now() };
    return sent;
  }

  private callFor(action: string): GitHubCall {
    return {
      head: `Cannot ${action} for credential '${this.name}' (${this.ref} in ${this.repository})`,
      words: this.words,
      error: (f) => new LeaseError(f.kind, f.message, f.status)
    };
  }

  private failure(answer: GitHubAnswer, action: string): LeaseError {
    const f = githubFailure(answer, {
      ...this.callFor(action),
      attempts: (this.options.retries ?? 3) + 1,
      maxRateLimitWaitMs: this.options.maxRateLimitWaitMs ?? 60_000
    });
    return new LeaseError(f.kind, f.message, f.status);
  }
}

// --- The secret's version --------------------------------------------------------------------------
// With `secret-name` and `lease: true`, the newest copy of the login in the secret wins by a version
// the repository keeps, not by the order in which jobs ran (issue 21): a job reads the secret when
// its run is queued, so a job queued before another job's write holds an older copy and must not
// write it back. Every write of the secret is recorded, after it succeeded, in
// `refs/codex-auth/secret-versions/<credential-name>` (a commit whose message is the record: the
// login's last_refresh, when, by which job); before writing, a job reads the record and refuses to
// write a login older than the recorded one. The record moves by compare-and-swap (a child commit,
// `force: false`), so of two recorders one wins and the other reads again.

const SECRET_VERSION_REF_PREFIX = 'refs/codex-auth/secret-versions/';

/** What the repository keeps about the newest login written to the secret. */
export interface SecretVersion {
  codexAuthSecretVersion: 1;
  credential: string;
  /** The written login's last_refresh, as the login says it (its own ordering within one chain). */
  lastRefresh: string;
  writtenAt: string;
  holder: LeaseHolder;
}

/** The recorded version of the credential's secret, or undefined when none was recorded yet. */
export async function readSecretVersion(
  options: LeaseTarget & LeaseClientOptions & { patienceMs?: number }
): Promise<{ sha: string; version: SecretVersion } | undefined> {
  const client = new LeaseClient(options, 'acquire', `${SECRET_VERSION_REF_PREFIX}${options.credentialName}`);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // Read while this job holds the lease, so it rides out a GitHub fault (5xx, network, rate limit)
  // longer than one request's retries, as the lease's own wait does, rather than fail the job.
  const deadline = now() + (options.patienceMs ?? VERSION_READ_PATIENCE_MS);
  for (;;) {
    try {
      const sha = await client.readRef();
      if (!sha) return undefined;
      const version = parseVersion(await client.message(sha));
      return version ? { sha, version } : undefined;
    } catch (error) {
      if (!(error instanceof LeaseError) || !TRANSIENT.includes(error.kind) || now() >= deadline) throw error;
      options.log?.(`Reading the secret's version failed for now (${error.kind}); trying again in 5 s.`);
      await sleep(VERSION_READ_PAUSE_MS);
    }
  }
}

/** How long reading the secret's version rides out GitHub faults, and the pause between tries. */
const VERSION_READ_PATIENCE_MS = 120_000;
const VERSION_READ_PAUSE_MS = 5_000;

/**
 * Records that the secret now holds a login of `lastRefresh` (after the write succeeded). Never moves
 * the record back: a newer recorded version is left in place, and the result says so.
 */
export async function recordSecretVersion(
  options: LeaseTarget & LeaseClientOptions & { lastRefresh: string; holder: LeaseHolder }
): Promise<'recorded' | 'newer-recorded'> {
  const client = new LeaseClient(options, 'acquire', `${SECRET_VERSION_REF_PREFIX}${options.credentialName}`);
  for (let attempt = 0; attempt < 5; attempt++) {
    const seen = await client.readRef();
    const current = seen ? parseVersion(await client.message(seen)) : undefined;
    if (current && Date.parse(current.lastRefresh) > Date.parse(options.lastRefresh)) return 'newer-recorded';
    const version: SecretVersion = {
      codexAuthSecretVersion: 1,
      credential: client.name,
      lastRefresh: options.lastRefresh,
      writtenAt: new Date(client.now()).toISOString(),
      holder: options.holder
    };
    const sha = await client.createMessageCommit(JSON.stringify(version), seen ? [seen] : [], version.writtenAt);
    const moved = seen ? await client.fastForward(sha) : (await client.createRef(sha)) === 'created' ? 'moved' : 'lost';
    if (moved === 'moved') return 'recorded';
  }
  throw new LeaseError(
    'rejected',
    `Cannot record the version of the secret of credential '${client.name}': it kept changing while this job wrote it.`
  );
}

function parseVersion(message: unknown): SecretVersion | undefined {
  if (typeof message !== 'string') return undefined;
  try {
    const v = JSON.parse(message) as SecretVersion;
    return v?.codexAuthSecretVersion === 1 && !Number.isNaN(Date.parse(v.lastRefresh)) ? v : undefined;
  } catch {
    return undefined;
  }
}

function parseRecord(message: unknown): LeaseRecord | undefined {
  return parseHolderRecord<LeaseRecord>(message, (r) => r.codexAuthLease === 1 && TOKEN.test(r.token ?? ''));
}

function opaqueId(parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24);
}
