// One job's looks at the lease while it waits for it: create the ref when it is free, or judge the
// holder it finds and take the lease over when that holder is gone (src/mutex/lease-judge.ts).
import { randomBytes } from 'node:crypto';
import { formatDuration } from '../action/paths.js';
import { LeaseClient, LeaseError, LeaseTimeoutError, TRANSIENT } from './lease-client.js';
import { describeLeaseHolder, type LeaseRecord } from './lease-holder.js';
import { describeObserved, isThisJob, judge, recordTtlMs, runFinished, until, type Observed } from './lease-judge.js';
import type { AcquireLeaseOptions, Lease } from './lease.js';
import type { Look, Progress, WaitState } from './wait.js';

/**
 * When a waiter reads a holder's record (one request per holder): at once by default, so that the
 * first progress line names the holder (the budget holds with it: see docs/design.md).
 */
const DEFAULT_READ_RECORD_AFTER_MS = 0;
/** Answers that may be transient (replication lag just after the commit was created): retried this often in a row. */
const MAX_TRANSIENT_REJECTIONS = 5;

/** One acquirer's looks at the lease: create the ref when free, or judge the holder it finds and take over. */
export class LeaseAttempt {
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
