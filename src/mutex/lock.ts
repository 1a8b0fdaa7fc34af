// The lock on one credential of the runner-local store (`local-store: true`), held from a job's main
// step to its post step: several runner processes on one machine run jobs at once, and a refresh
// token is single-use. The main step's process exits before the post step, so the lock is a
// directory entry, <dir>/<name>.lock/<token>.json, taken by rename() and released by a keyed
// unlink (both atomic). docs/design.md, "The runner-local lock", says why and when it is stale.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { livenessProbe, type LivenessProbe } from '../platform/liveness.js';
import { describeHolder, seconds, staleness, type LockHolder, type LockRecord } from './lock-holder.js';
import { parseHolderRecord } from './holder-record.js';
import { waitFor, type Look, type Progress } from './wait.js';
import { CREDENTIAL_NAME_RULE, isCredentialName } from '../action/credential-name.js';
import { JOB_LIMIT_MINUTES } from '../action/constants.js';

export { processIdentity } from '../platform/liveness.js';
export { describeHolder, holderFromEnv, type LockHolder } from './lock-holder.js';

const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60 * 1000;
const DEFAULT_LOCK_TTL_MS = JOB_LIMIT_MINUTES * 60_000;
const DEFAULT_LOCK_LOG_EVERY_MS = 30 * 1000;
const DEFAULT_POLL_MS = 250;
const DEFAULT_MAX_POLL_MS = 2000;
/** Staging directories older than this were left by an acquirer that died. */
const STALE_STAGING_MS = 60 * 60 * 1000;

const TOKEN = /^[0-9a-f]{32}$/;
const RECORD_FILE = /^([0-9a-f]{32})\.json$/;
/** rename() of a directory onto a non-empty one: ENOTEMPTY (Linux, macOS) or EEXIST; Windows refuses any existing directory with EPERM/EACCES. */
const BUSY = new Set(
  process.platform === 'win32' ? ['ENOTEMPTY', 'EEXIST', 'EPERM', 'EACCES', 'EBUSY'] : ['ENOTEMPTY', 'EEXIST']
);

export interface AcquireOptions {
  /** The store directory (it must exist; LocalStore.prepare() creates it 0700). */
  dir: string;
  /** The credential name: the lock is `<dir>/<name>.lock`. */
  name: string;
  holder: LockHolder;
  /** How long to wait for another holder (default 10 min). 0: one attempt. */
  timeoutMs?: number;
  /** Lease: the lock is considered abandoned this long after it was taken (default 6 h). */
  ttlMs?: number;
  /** A progress line while waiting, this often (default 30 s; the first one at once). */
  logEveryMs?: number;
  /** First wait between attempts (default 250 ms), growing 1.5x per attempt up to maxPollMs (default 2 s), with jitter. */
  pollMs?: number;
  maxPollMs?: number;
  log?: (message: string) => void;
  /** How a holder's worker process is judged (default: this OS's probe). */
  probe?: LivenessProbe;
}

interface StaleRemoval {
  record: LockRecord | undefined;
  reason: string;
}

export interface HeldLock {
  token: string;
  /** `<dir>/<name>.lock`. */
  path: string;
  record: LockRecord;
  waitedMs: number;
  /** Stale locks this acquirer removed while waiting (another waiter may have removed others). */
  removedStale: StaleRemoval[];
  release(): Promise<ReleaseResult>;
}

export type ReleaseResult = { released: true } | { released: false; reason: string; heldBy?: LockRecord };

export class LockError extends Error {
  constructor(
    message: string,
    readonly holder?: LockRecord
  ) {
    super(message);
    this.name = 'LockError';
  }
}

export class LockTimeoutError extends LockError {
  constructor(message: string, holder?: LockRecord) {
    super(message, holder);
    this.name = 'LockTimeoutError';
  }
}

export function lockPath(dir: string, name: string): string {
  return path.join(dir, `${name}.lock`);
}

/** The current holder's record, if the lock is held and its record readable. */
export async function readLock(options: { dir: string; name: string }): Promise<LockRecord | undefined> {
  const state = await inspect(lockPath(options.dir, checkName(options.name)));
  return state.kind === 'held' ? state.record : undefined;
}

export async function acquireLock(options: AcquireOptions): Promise<HeldLock> {
  const name = checkName(options.name);
  const dir = path.resolve(options.dir);
  const dirStat = await fs.lstat(dir).catch(() => undefined);
  if (!dirStat?.isDirectory()) {
    throw new LockError(
      `Cannot lock credential '${name}': the store directory ${dir} ${dirStat ? 'is not a directory' : 'does not exist'}.`
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const log = options.log ?? (() => undefined);
  const token = randomBytes(16).toString('hex');
  const target = lockPath(dir, name);
  const staging = path.join(dir, `.${name}.lock.${token}.new`);
  await removeStaleStaging(dir, name);
  await fs.mkdir(staging, { mode: 0o700 });

  const attempt = new LockAttempt(options, { name, dir, token, target, staging, log });
  try {
    return await waitFor<HeldLock>({
      timeoutMs,
      pollMs: options.pollMs ?? DEFAULT_POLL_MS,
      maxPollMs: options.maxPollMs ?? DEFAULT_MAX_POLL_MS,
      jitter: { from: 0.8, spread: 0.4 },
      logEveryMs: options.logEveryMs ?? DEFAULT_LOCK_LOG_EVERY_MS,
      log,
      now: Date.now,
      sleep,
      look: (wait) => attempt.look(wait.started),
      timedOut: (waitedMs) => attempt.timedOut(waitedMs),
      progress: (waitedMs) => attempt.progress(waitedMs, timeoutMs)
    });
  } finally {
    // After a successful rename the staging directory no longer exists; otherwise remove it.
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** One acquirer's looks at the lock: rename its record into place, or judge the holder it finds. */
class LockAttempt {
  readonly removedStale: StaleRemoval[] = [];
  /** When this waiter first saw each holder's record (by its token), on its own clock. */
  private readonly firstSeen = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly probe: LivenessProbe;
  /** What the last look found. */
  private state: LockState = { kind: 'free' };

  constructor(
    private readonly options: AcquireOptions,
    private readonly at: {
      name: string;
      dir: string;
      token: string;
      target: string;
      staging: string;
      log: (message: string) => void;
    }
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
    this.probe = options.probe ?? livenessProbe();
  }

  async look(started: number): Promise<Look<HeldLock>> {
    const held = await this.take(started);
    if (held) return { acquired: held };
    const state = (this.state = await inspect(this.at.target));
    if (state.kind === 'free' || state.kind === 'empty') {
      // Released in between (or left empty by a release): try again, a few times without waiting.
      if (state.kind === 'empty') await fs.rmdir(this.at.target).catch(() => undefined);
      return 'again';
    }
    return (await this.removeIfStale(state)) ? 'again' : 'wait';
  }

  timedOut(waitedMs: number): LockTimeoutError {
    const { name, target } = this.at;
    const state = this.state;
    const holder = state.kind === 'held' ? state.record : undefined;
    return new LockTimeoutError(
      `Timed out after ${seconds(waitedMs)} waiting for the lock on credential '${name}' (${target}), held by ${state.kind === 'held' ? describeHolder(holder) : 'another job'}` +
        `${holder ? `; its lease expires at ${holder.expiresAt}` : ''}. Another job that uses this credential on this machine is still running. ` +
        `Wait for it and re-run, or raise the lock timeout; if that job is no longer running, remove ${target}.`,
      holder
    );
  }

  progress(waitedMs: number, timeoutMs: number): Progress | undefined {
    const state = this.state;
    if (state.kind !== 'held') return undefined;
    return {
      line:
        `Waiting for ${describeHolder(state.record)} to release the lock on credential '${this.at.name}' ` +
        `(lease until ${state.record?.expiresAt ?? 'unknown'}); waited ${seconds(waitedMs)} of ${seconds(timeoutMs)}.`
    };
  }

  /** Writes a fresh record into the staging directory and renames it into place: the lock, or undefined while held. */
  private async take(started: number): Promise<HeldLock | undefined> {
    const { name, dir, token, target, staging, log } = this.at;
    const now = Date.now();
    const record: LockRecord = {
      version: 1,
      name,
      token,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.ttlMs).toISOString(),
      holder: this.options.holder
    };
    await fs.writeFile(path.join(staging, `${token}.json`), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    try {
      await fs.rename(staging, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'ENOTDIR') throw notADirectory(target);
      if (!BUSY.has(code)) throw error;
      return undefined;
    }
    const waitedMs = Date.now() - started;
    log(
      `Acquired the lock on credential '${name}'${waitedMs >= 1000 ? ` after waiting ${seconds(waitedMs)}` : ''}; lease until ${record.expiresAt}.`
    );
    return {
      token,
      path: target,
      record,
      waitedMs,
      removedStale: this.removedStale,
      release: () => releaseLock({ dir, name, token })
    };
  }

  /** Removes the holder's record if it is stale: true when the lock may be free now (look again at once). */
  private async removeIfStale(state: Extract<LockState, { kind: 'held' }>): Promise<boolean> {
    const { name, target, log } = this.at;
    if (!this.firstSeen.has(state.file)) this.firstSeen.set(state.file, Date.now());
    const stale = staleness(state, this.options.holder, this.ttlMs, this.probe, this.firstSeen.get(state.file)!);
    if (stale === 'this-job') {
      throw new LockError(
        `This job already holds the lock on credential '${name}' (${target}), taken by an earlier step of the job at ${state.record?.createdAt}. ` +
          'Use the action once per credential-name in a job, or give the other step its own credential-name. ' +
          `If the job that took it was killed and this is a new job, remove ${target}.`,
        state.record
      );
    }
    if (!stale) return false;
    // Keyed on the stale holder's token: of several waiters, exactly one succeeds.
    const removed = await fs.unlink(path.join(target, state.file)).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false;
        throw error;
      }
    );
    if (removed) {
      this.removedStale.push({ record: state.record, reason: stale });
      log(`Removed the stale lock on credential '${name}' held by ${describeHolder(state.record)}: ${stale}.`);
      await fs.rmdir(target).catch(() => undefined);
    }
    // Removed, or another waiter removed it first (or it was released): compete for it now.
    return true;
  }
}

/**
 * Releases the lock if `token` still holds it (the post step passes the token it got from the main
 * step's state). A lock that was taken over, or released already, is left alone.
 */
export async function releaseLock(options: { dir: string; name: string; token: string }): Promise<ReleaseResult> {
  const name = checkName(options.name);
  const target = lockPath(path.resolve(options.dir), name);
  if (!TOKEN.test(options.token)) return { released: false, reason: 'the token is not a lock token' };
  try {
    await fs.unlink(path.join(target, `${options.token}.json`));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    const state = await inspect(target).catch(() => ({ kind: 'free' as const }));
    const heldBy = state.kind === 'held' ? state.record : undefined;
    return {
      released: false,
      reason: heldBy
        ? `the lock on credential '${name}' is no longer this job's: it is held by ${describeHolder(heldBy)} (this job's lease expired or was found stale)`
        : `the lock on credential '${name}' was not held by this job any more (released already, or removed as stale)`,
      heldBy
    };
  }
  // Empty now, which means free; remove it unless a new holder has already replaced it.
  await fs.rmdir(target).catch(() => undefined);
  return { released: true };
}

type LockState =
  | { kind: 'free' }
  | { kind: 'empty' }
  | { kind: 'held'; file: string; record: LockRecord | undefined; mtimeMs: number };

async function inspect(target: string): Promise<LockState> {
  let names: string[];
  try {
    names = await fs.readdir(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'free' };
    if (code === 'ENOTDIR') throw notADirectory(target);
    throw error;
  }
  if (names.length === 0) return { kind: 'empty' };
  const file = names.find((n) => RECORD_FILE.test(n));
  if (!file) {
    throw new LockError(
      `The lock ${target} contains files codex-auth did not write (${names.slice(0, 5).join(', ')}). Remove the directory ${target}.`
    );
  }
  const full = path.join(target, file);
  const [text, stat] = await Promise.all([
    fs.readFile(full, 'utf8').catch(() => undefined),
    fs.stat(full).catch(() => undefined)
  ]);
  if (text === undefined || !stat) return { kind: 'free' }; // released (or removed) between readdir and read
  return { kind: 'held', file, record: parseRecord(text, RECORD_FILE.exec(file)![1]), mtimeMs: stat.mtimeMs };
}

function parseRecord(text: string, token: string): LockRecord | undefined {
  return parseHolderRecord<LockRecord>(text, (r) => r.version === 1 && r.token === token);
}

async function removeStaleStaging(dir: string, name: string): Promise<void> {
  const prefix = `.${name}.lock.`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const entry of names) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.new')) continue;
    const full = path.join(dir, entry);
    const stat = await fs.lstat(full).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > STALE_STAGING_MS) await fs.rm(full, { recursive: true, force: true });
  }
}

function checkName(name: string): string {
  if (!isCredentialName(name))
    throw new LockError(`'${name}' is not a valid credential name for a lock (${CREDENTIAL_NAME_RULE}).`);
  return name;
}

function notADirectory(target: string): LockError {
  return new LockError(`The lock path ${target} exists and is not a directory. Remove it.`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
