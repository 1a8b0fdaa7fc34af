// When a waiter may judge a lease's holder gone: only on evidence that holds on every runner and
// clock (docs/design.md, "Lease"). The holder's own timestamps are never compared with the waiter's clock.
import { formatDuration } from '../action/paths.js';
import type { LeaseClient } from './lease-client.js';
import { describeLeaseHolder, MAX_LEASE_TTL_MS, type LeaseHolder, type LeaseRecord } from './lease-holder.js';

/** One holder (one commit of the ref) as this waiter saw it: when first, on this waiter's own clock. */
export interface Observed {
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
export function recordTtlMs(record: LeaseRecord): number | undefined {
  const ttl = Date.parse(record.expiresAt) - Date.parse(record.acquiredAt);
  return Number.isFinite(ttl) && ttl > 0 && ttl <= MAX_LEASE_TTL_MS ? ttl : undefined;
}

export function describeObserved(holder: Observed): string {
  return holder.read ? describeLeaseHolder(holder.record) : `the job of lease commit ${holder.sha.slice(0, 7)}`;
}

/** "until …" on this waiter's clock: the holder's own expiry time is on another machine's clock. */
export function until(holder: Observed): string {
  const rest = holder.read ? ` (its expiry, ${formatDuration(holder.ttlMs)} after this job first saw it)` : '';
  return `until ${new Date(holder.firstSeen + holder.ttlMs).toISOString()} at the latest${rest}`;
}

/** The same job (an earlier step of it): its id includes the per-job nonce, so no other job matches. */
export function isThisJob(holder: LeaseHolder | undefined, me: LeaseHolder): boolean {
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
export function judge(
  holder: Observed,
  me: LeaseHolder,
  at: number,
  serverNow: number | undefined
): string | undefined {
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
export async function runFinished(
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
