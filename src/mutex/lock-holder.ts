// Who holds a lock on the runner-local store, and when a holder is gone: only on evidence that holds
// whatever the holder's clock (docs/design.md, "The runner-local lock").
import os from 'node:os';
import path from 'node:path';
import { livenessProbe, type LivenessProbe, type ProcessIdentity } from '../platform/liveness.js';

/** Who holds (or wants) the lock. Everything is optional except host and pid: outside Actions little is known. */
export interface LockHolder {
  host: string;
  pid: number;
  /** RUNNER_NAME. */
  runner?: string;
  /** One runner process: host, RUNNER_NAME and RUNNER_TEMP. A runner runs one job at a time. */
  runnerId?: string;
  /** One job: repository, run id, attempt, job id (and a per-job nonce when the caller has one). */
  jobId?: string;
  repository?: string;
  runId?: string;
  runAttempt?: string;
  job?: string;
  /** The job's runner worker (the step's parent process). */
  worker?: ProcessIdentity;
}

export interface LockRecord {
  version: 1;
  name: string;
  token: string;
  createdAt: string;
  expiresAt: string;
  holder: LockHolder;
}

/** The holder description of the current step, from the variables the runner sets. */
export function holderFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: { jobNonce?: string; workerPid?: number; probe?: LivenessProbe } = {}
): LockHolder {
  const host = os.hostname();
  const runner = env.RUNNER_NAME || undefined;
  const runnerId = runner && env.RUNNER_TEMP ? [host, runner, path.resolve(env.RUNNER_TEMP)].join('|') : undefined;
  const runAttempt = env.GITHUB_RUN_ATTEMPT || (env.GITHUB_RUN_ID ? '1' : undefined);
  const jobId = env.GITHUB_RUN_ID
    ? [env.GITHUB_REPOSITORY ?? '', env.GITHUB_RUN_ID, runAttempt, env.GITHUB_JOB ?? '', options.jobNonce ?? ''].join(
        '|'
      )
    : undefined;
  return {
    host,
    pid: process.pid,
    runner,
    runnerId,
    jobId,
    repository: env.GITHUB_REPOSITORY || undefined,
    runId: env.GITHUB_RUN_ID || undefined,
    runAttempt,
    job: env.GITHUB_JOB || undefined,
    worker: (options.probe ?? livenessProbe()).identify(options.workerPid ?? process.ppid)
  };
}

/** "job 'build' of run 42 (attempt 2) in acme/app on runner 'r1' (host h, pid 123), since <time>". */
export function describeHolder(record: LockRecord | undefined): string {
  if (!record) return 'an unreadable lock record';
  const h = record.holder;
  let text = h.job ? `job '${h.job}'` : 'a process';
  if (h.runId) text += ` of run ${h.runId}${h.runAttempt && h.runAttempt !== '1' ? ` (attempt ${h.runAttempt})` : ''}`;
  if (h.repository) text += ` in ${h.repository}`;
  if (h.runner) text += ` on runner '${h.runner}'`;
  return `${text} (host ${h.host}, pid ${h.pid}), since ${record.createdAt}`;
}

/** Why the held lock is stale, 'this-job' if it is held by the asking job itself, or undefined while it is live. */
export function staleness(
  state: { record: LockRecord | undefined; mtimeMs: number },
  me: LockHolder,
  ttlMs: number,
  probe: LivenessProbe,
  firstSeenMs: number
): string | 'this-job' | undefined {
  const record = state.record;
  const now = Date.now();
  // The holder's duration: the difference of two times on its one clock (no skew); else ours.
  const duration = record ? Date.parse(record.expiresAt) - Date.parse(record.createdAt) : NaN;
  const leaseMs = Number.isFinite(duration) && duration > 0 ? duration : ttlMs;
  const ranOut =
    now - state.mtimeMs >= leaseMs
      ? 'its record was written'
      : now - firstSeenMs >= leaseMs
        ? 'this job first saw it'
        : undefined;
  // A record that cannot be read (a crash while it was written): judged by its age alone.
  if (!record) return ranOut ? `its record is unreadable and older than the lease (${seconds(ttlMs)})` : undefined;
  if (ranOut)
    return `its lease expired: ${seconds(leaseMs)} have passed since ${ranOut} (the holder set it to end at ${record.expiresAt} by its own clock)`;
  const holder = record.holder;
  if (holder.runnerId && me.runnerId && holder.runnerId === me.runnerId) {
    if (holder.jobId && me.jobId && holder.jobId === me.jobId) return 'this-job';
    if (me.jobId)
      return `runner '${holder.runner ?? holder.runnerId}' is now running this job, and a runner runs one job at a time, so the holding job has ended without releasing it`;
  }
  if (holder.worker && probe.check(holder.worker) === 'gone') {
    return `the holding job's runner worker process (pid ${holder.worker.pid}) has exited, so the job has ended without releasing it`;
  }
  return undefined;
}

export function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
