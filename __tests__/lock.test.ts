// The runner-local store's lock: held from a job's main step to its post step (different
// processes), exclusive across real OS processes, with a bounded wait, progress lines, and recovery
// of a lock its job abandoned.
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  acquireLock,
  describeHolder,
  holderFromEnv,
  LockError,
  LockTimeoutError,
  lockPath,
  processIdentity,
  readLock,
  releaseLock,
  type HeldLock,
  type LockHolder
} from '../src/mutex/lock.js';
import { livenessProbe } from '../src/platform/liveness.js';
import type { ChildConfig } from './support/lock-child.js';
import { NODE24, ROOT } from './support/paths.js';

const CHILD = path.join(ROOT, '__tests__', 'support', 'lock-child.ts');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const NAME = 'default';

let dir: string;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-lock-'));
});

afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A holder as a job on runner `runner` would describe itself. */
function holder(runner: string, runId: number, job = 'build'): LockHolder {
  return holderFromEnv(
    {
      RUNNER_NAME: runner,
      RUNNER_TEMP: `/srv/${runner}/_work/_temp`,
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: job
    },
    // No worker process: these holders are only judged by lease and runner.
    { workerPid: 0 }
  );
}

const fast = { pollMs: 5, maxPollMs: 25 };

interface ChildResult {
  code: number | null;
  stdout: string;
  result: {
    ok: boolean;
    token?: string;
    removedStale?: number;
    waitedMs?: number;
    message?: string;
    name?: string;
    released?: { released: boolean };
  };
}

/** Starts a child process; `ready` resolves once it has loaded and waits for its go file (if any). */
function startChild(config: ChildConfig): { ready: Promise<void>; done: Promise<ChildResult> } {
  let signalReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  const done = new Promise<ChildResult>((resolve, reject) => {
    const child = spawn(NODE24, ['--import', TSX, CHILD, JSON.stringify(config)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (/^ready$/m.test(stdout)) signalReady();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      signalReady();
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ code, stdout, result: JSON.parse(last) });
      } catch {
        reject(new Error(`child ${config.id} exited ${code} without a result:\n${stdout}\n${stderr}`));
      }
    });
  });
  return { ready, done };
}

const runChild = (config: ChildConfig): Promise<ChildResult> => startChild(config).done;

/** Runs the children so that they all begin at the same moment (once every one has started up). */
async function runTogether(configs: ChildConfig[]): Promise<ChildResult[]> {
  const started = configs.map(startChild);
  await Promise.all(started.map((c) => c.ready));
  await fs.writeFile(configs[0].goFile!, '');
  return Promise.all(started.map((c) => c.done));
}

/** The critical sections recorded in the shared file, as [id, start, end] in file order; throws on any overlap. */
async function sections(shared: string): Promise<{ order: string[]; overlaps: number }> {
  const lines = (await fs.readFile(shared, 'utf8')).trim().split('\n').filter(Boolean);
  const order: string[] = [];
  let overlaps = 0;
  let inside: string | undefined;
  for (const line of lines) {
    const [what, id] = line.split(' ');
    if (what === 'start') {
      if (inside !== undefined) overlaps++;
      inside = id;
      order.push(id);
    } else {
      if (inside !== id) overlaps++;
      inside = undefined;
    }
  }
  return { order, overlaps };
}

function children(count: number, extra: Partial<ChildConfig>): ChildConfig[] {
  const shared = path.join(dir, 'shared.log');
  const goFile = path.join(dir, 'go');
  return Array.from({ length: count }, (_, i) => ({
    id: `job${i}`,
    dir,
    name: NAME,
    shared,
    holder: holder(`runner-${i}`, 100 + i),
    holdMs: 60,
    timeoutMs: 15_000,
    goFile,
    ...extra
  }));
}

describe('lock across processes', () => {
  test('several OS processes that start together enter the critical section one at a time', async () => {
    const configs = children(6, {});
    const results = await runTogether(configs);
    for (const r of results) expect(r.result).toMatchObject({ ok: true, released: { released: true } });
    const { order, overlaps } = await sections(configs[0].shared);
    expect(overlaps).toBe(0);
    expect(order.sort()).toEqual(configs.map((c) => c.id).sort());
    // They did contend: most had to wait for others (else this test would prove nothing).
    expect(results.filter((r) => (r.result.waitedMs ?? 0) >= 50).length).toBeGreaterThanOrEqual(3);
    // Released and free: nothing left but an empty store directory.
    expect((await fs.readdir(dir)).sort()).toEqual(['go', 'shared.log']);
  });

  test('control: the same processes without the lock do overlap (the check above can fail)', async () => {
    const configs = children(6, { mode: 'none', holdMs: 300 });
    await runTogether(configs);
    expect((await sections(configs[0].shared)).overlaps).toBeGreaterThan(0);
  });

  test("the lock outlives the main step's process; another job waits, times out naming the holder; the post step's process releases it by token", async () => {
    const shared = path.join(dir, 'shared.log');
    const main = await runChild({
      id: 'main',
      dir,
      name: NAME,
      shared,
      holder: holder('runner-A', 4242, 'codex'),
      holdMs: 0,
      release: false
    });
    expect(main.result.ok).toBe(true);
    const token = main.result.token!;
    // The main step's process is gone; the lock is still held.
    expect((await readLock({ dir, name: NAME }))?.token).toBe(token);

    const other = await runChild({
      id: 'other',
      dir,
      name: NAME,
      shared,
      holder: holder('runner-B', 5151),
      timeoutMs: 600,
      logEveryMs: 200
    });
    expect(other.code).toBe(2);
    expect(other.result.name).toBe('LockTimeoutError');
    expect(other.result.message).toMatch(/Timed out after .* waiting for the lock on credential 'default'/);
    expect(other.result.message).toContain("job 'codex' of run 4242 in acme/app on runner 'runner-A'");
    expect(other.result.message).toContain(lockPath(dir, NAME));
    // Progress lines while waiting, naming the holder.
    const waiting = other.stdout.split('\n').filter((l) => l.startsWith('[lock] Waiting for '));
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    expect(waiting[0]).toContain("job 'codex' of run 4242 in acme/app on runner 'runner-A'");

    // The post step: a new process with only the token from the main step's state.
    expect(await releaseLock({ dir, name: NAME, token })).toEqual({ released: true });
    const after = await runChild({
      id: 'after',
      dir,
      name: NAME,
      shared,
      holder: holder('runner-B', 5151),
      timeoutMs: 2000
    });
    expect(after.result.ok).toBe(true);
  });

  test('an expired lock is removed exactly once by several waiting processes, which then take turns', async () => {
    await acquireLock({ dir, name: NAME, holder: holder('runner-dead', 1), ttlMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const configs = children(5, {});
    const results = await runTogether(configs);
    for (const r of results) expect(r.result.ok).toBe(true);
    expect(results.reduce((sum, r) => sum + (r.result.removedStale ?? 0), 0)).toBe(1);
    expect((await sections(configs[0].shared)).overlaps).toBe(0);
    const removals = results.flatMap((r) => r.stdout.split('\n').filter((l) => l.includes('Removed the stale lock')));
    expect(removals).toHaveLength(1);
    expect(removals[0]).toContain("runner 'runner-dead'");
    expect(removals[0]).toContain('lease expired');
  });
});

describe('lock in one process (many concurrent acquirers)', () => {
  /** Runs `count` acquirers at once; each holds the lock briefly and checks that nobody else is inside. */
  async function contend(
    count: number,
    options: { ttlMs?: number } = {}
  ): Promise<{ locks: HeldLock[]; maxInside: number }> {
    let inside = 0;
    let maxInside = 0;
    const locks = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const lock = await acquireLock({
          dir,
          name: NAME,
          holder: holder(`r${i}`, 200 + i),
          timeoutMs: 10_000,
          ...fast,
          ...options
        });
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 3));
        inside--;
        await lock.release();
        return lock;
      })
    );
    return { locks, maxInside };
  }

  test('twenty waiters on one expired lock: it is removed once, and they never overlap', async () => {
    const dead = await acquireLock({ dir, name: NAME, holder: holder('runner-dead', 1), ttlMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const { locks, maxInside } = await contend(20);
    expect(maxInside).toBe(1);
    const removed = locks.flatMap((l) => l.removedStale);
    expect(removed).toHaveLength(1);
    expect(removed[0].record?.token).toBe(dead.token);
    // The old holder's late release (its post step) does nothing.
    expect(await dead.release()).toMatchObject({ released: false });
  });

  test('a non-holder cannot release: a wrong token, a malformed token, or the holder whose lock was taken over', async () => {
    const current = await acquireLock({ dir, name: NAME, holder: holder('runner-A', 1) });
    const wrong = await releaseLock({ dir, name: NAME, token: '0123456789abcdef0123456789abcdef' });
    expect(wrong.released).toBe(false);
    expect(wrong).toMatchObject({ heldBy: { token: current.token } });
    expect(await releaseLock({ dir, name: NAME, token: '../../etc/passwd' })).toMatchObject({ released: false });
    expect((await readLock({ dir, name: NAME }))?.token).toBe(current.token);
    await current.release();

    const expired = await acquireLock({ dir, name: NAME, holder: holder('runner-A', 2), ttlMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    const next = await acquireLock({ dir, name: NAME, holder: holder('runner-B', 3), timeoutMs: 1000, ...fast });
    expect(next.removedStale).toHaveLength(1);
    const late = await expired.release();
    expect(late.released).toBe(false);
    if (!late.released) expect(late.reason).toContain("held by job 'build' of run 3");
    expect((await readLock({ dir, name: NAME }))?.token).toBe(next.token);
    expect(await next.release()).toEqual({ released: true });
    expect(await next.release()).toMatchObject({ released: false });
    expect(await readLock({ dir, name: NAME })).toBeUndefined();
  });

  test('the lock directory is 0700 and the record 0600, naming the holder and its lease', async () => {
    const before = Date.now();
    const lock = await acquireLock({ dir, name: NAME, holder: holder('runner-A', 9), ttlMs: 60_000 });
    const stat = await fs.stat(lock.path);
    expect(stat.mode & 0o777).toBe(0o700);
    const record = path.join(lock.path, `${lock.token}.json`);
    expect((await fs.stat(record)).mode & 0o777).toBe(0o600);
    const parsed = JSON.parse(await fs.readFile(record, 'utf8'));
    expect(parsed).toMatchObject({
      version: 1,
      name: NAME,
      token: lock.token,
      holder: { runner: 'runner-A', runId: '9', job: 'build', pid: process.pid }
    });
    const expires = Date.parse(parsed.expiresAt) - Date.parse(parsed.createdAt);
    expect(expires).toBe(60_000);
    expect(Date.parse(parsed.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    // Only the lock is left: no staging directory.
    expect(await fs.readdir(dir)).toEqual([`${NAME}.lock`]);
    await lock.release();
  });

  test('a timeout leaves the holder in place and no staging directory behind; timeout 0 tries once', async () => {
    const held = await acquireLock({ dir, name: NAME, holder: holder('runner-A', 11) });
    const lines: string[] = [];
    const started = Date.now();
    const error = await acquireLock({
      dir,
      name: NAME,
      holder: holder('runner-B', 12),
      timeoutMs: 300,
      logEveryMs: 100,
      log: (l) => lines.push(l),
      ...fast
    }).catch((e) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(30_000); // bounded, even on a loaded machine
    expect(error.holder.token).toBe(held.token);
    expect(error.message).toContain(describeHolder(held.record));
    expect(error.message).toContain(`its lease expires at ${held.record.expiresAt}`);
    expect(lines.filter((l) => l.startsWith('Waiting for ')).length).toBeGreaterThanOrEqual(2);
    expect(await fs.readdir(dir)).toEqual([`${NAME}.lock`]);
    await expect(acquireLock({ dir, name: NAME, holder: holder('runner-B', 12), timeoutMs: 0 })).rejects.toThrow(
      LockTimeoutError
    );
    expect((await readLock({ dir, name: NAME }))?.token).toBe(held.token);
  });

  test('other credential names are independent locks', async () => {
    const a = await acquireLock({ dir, name: 'alpha', holder: holder('runner-A', 1) });
    const b = await acquireLock({ dir, name: 'beta', holder: holder('runner-B', 2), timeoutMs: 0 });
    expect(a.path).not.toBe(b.path);
    await a.release();
    await b.release();
  });
});

describe('recovery of a lock its job abandoned', () => {
  test("the holder's runner running a new job means the holding job ended: taken over at once", async () => {
    const lines: string[] = [];
    await acquireLock({ dir, name: NAME, holder: holder('runner-A', 1, 'build') });
    const started = Date.now();
    const lock = await acquireLock({
      dir,
      name: NAME,
      holder: holder('runner-A', 2, 'build'),
      timeoutMs: 60_000,
      log: (l) => lines.push(l)
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(lock.removedStale).toHaveLength(1);
    expect(lock.removedStale[0].reason).toContain("runner 'runner-A' is now running this job");
    expect(lines.join('\n')).toContain("Removed the stale lock on credential 'default' held by job 'build' of run 1");
  });

  test('another step of the same job asking again fails at once instead of waiting for itself', async () => {
    const first = await acquireLock({ dir, name: NAME, holder: holder('runner-A', 7, 'codex') });
    const started = Date.now();
    const error = await acquireLock({
      dir,
      name: NAME,
      holder: holder('runner-A', 7, 'codex'),
      timeoutMs: 60_000
    }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(error).toBeInstanceOf(LockError);
    expect(error).not.toBeInstanceOf(LockTimeoutError);
    expect(error.message).toContain("This job already holds the lock on credential 'default'");
    expect((await readLock({ dir, name: NAME }))?.token).toBe(first.token);
  });

  test('the same runner name on another runner process (another RUNNER_TEMP) is not taken for the same runner', async () => {
    const a = holderFromEnv({ RUNNER_NAME: 'build-1', RUNNER_TEMP: '/a/_temp', GITHUB_RUN_ID: '1' }, { workerPid: 0 });
    const b = holderFromEnv({ RUNNER_NAME: 'build-1', RUNNER_TEMP: '/b/_temp', GITHUB_RUN_ID: '2' }, { workerPid: 0 });
    await acquireLock({ dir, name: NAME, holder: a });
    await expect(acquireLock({ dir, name: NAME, holder: b, timeoutMs: 200, ...fast })).rejects.toThrow(
      LockTimeoutError
    );
  });

  const linux = process.platform === 'linux' ? test : test.skip;

  linux("on Linux: the holding job's worker process has exited: taken over; while it lives: waited for", async () => {
    const worker = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => worker.on('exit', resolve));
    try {
      const identity = processIdentity(worker.pid!);
      expect(identity).toMatchObject({ pid: worker.pid, startTime: expect.stringMatching(/^\d+$/) });
      await acquireLock({ dir, name: NAME, holder: { ...holder('runner-A', 1), worker: identity } });
      await expect(
        acquireLock({ dir, name: NAME, holder: holder('runner-B', 2), timeoutMs: 300, ...fast })
      ).rejects.toThrow(LockTimeoutError);
    } finally {
      worker.kill('SIGKILL');
      await exited;
    }
    const lock = await acquireLock({ dir, name: NAME, holder: holder('runner-B', 2), timeoutMs: 1000, ...fast });
    expect(lock.removedStale[0].reason).toContain(`runner worker process (pid ${worker.pid}) has exited`);
  });

  linux('on Linux: a pid reused by another process (other start time) is not taken for the worker', async () => {
    const self = processIdentity(process.pid)!;
    // On Linux the identity is read from /proc: this process, with its start time in clock ticks.
    expect(self).toMatchObject({ pid: process.pid, source: 'proc', startTime: expect.stringMatching(/^\d+$/) });
    await acquireLock({
      dir,
      name: NAME,
      holder: { ...holder('runner-A', 1), worker: { ...self, startTime: String(Number(self.startTime) + 1) } }
    });
    const lock = await acquireLock({ dir, name: NAME, holder: holder('runner-B', 2), timeoutMs: 1000, ...fast });
    expect(lock.removedStale).toHaveLength(1);
    // The live process itself (same start time) keeps the lock.
    await acquireLock({ dir: dir, name: 'other', holder: { ...holder('runner-A', 3), worker: self } });
    await expect(
      acquireLock({ dir, name: 'other', holder: holder('runner-B', 4), timeoutMs: 200, ...fast })
    ).rejects.toThrow(LockTimeoutError);
  });

  linux('on Linux: a worker identity from another boot or pid namespace is never judged', async () => {
    const self = processIdentity(process.pid)!;
    await acquireLock({
      dir,
      name: NAME,
      holder: { ...holder('runner-A', 1), worker: { ...self, pid: 999_999_9, bootId: 'another-boot' } }
    });
    await expect(
      acquireLock({ dir, name: NAME, holder: holder('runner-B', 2), timeoutMs: 200, ...fast })
    ).rejects.toThrow(LockTimeoutError);
    await acquireLock({
      dir,
      name: 'ns',
      holder: { ...holder('runner-A', 1), worker: { ...self, pid: 999_999_9, pidNamespace: 'pid:[1]' } }
    });
    await expect(
      acquireLock({ dir, name: 'ns', holder: holder('runner-B', 2), timeoutMs: 200, ...fast })
    ).rejects.toThrow(LockTimeoutError);
  });

  // The portable method (process.kill(pid, 0) + `ps -o lstart=`, as on macOS), here with /proc made
  // unreadable for the probe: the same decisions as the /proc method above.
  const posixHost = process.platform !== 'win32' ? test : test.skip;
  const noProc = (file: string): never => {
    throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
  };
  const portable = livenessProbe({
    platform: 'linux',
    readFile: (file) => (file.startsWith('/proc/') ? noProc(file) : readFileSync(file, 'utf8')),
    readLink: (file) => (file.startsWith('/proc/') ? noProc(file) : readlinkSync(file))
  });

  posixHost(
    'without /proc: the holding worker has exited: taken over; while it lives: waited for; a reused pid is not the worker',
    async () => {
      const worker = spawn('sleep', ['30'], { stdio: 'ignore' });
      const exited = new Promise((resolve) => worker.on('exit', resolve));
      let identity;
      try {
        identity = holderFromEnv({}, { workerPid: worker.pid, probe: portable }).worker;
        expect(identity).toMatchObject({ pid: worker.pid, source: 'ps', host: os.hostname() });
        await acquireLock({ dir, name: NAME, holder: { ...holder('runner-A', 1), worker: identity }, probe: portable });
        await expect(
          acquireLock({ dir, name: NAME, holder: holder('runner-B', 2), timeoutMs: 300, probe: portable, ...fast })
        ).rejects.toThrow(LockTimeoutError);
        // The same pid with another start time (the pid was reused): the recorded worker is gone.
        const reused = { ...identity!, startTime: String(Number(identity!.startTime) - 600) };
        await acquireLock({
          dir,
          name: 'reused',
          holder: { ...holder('runner-A', 3), worker: reused },
          probe: portable
        });
        const taken = await acquireLock({
          dir,
          name: 'reused',
          holder: holder('runner-B', 4),
          timeoutMs: 1000,
          probe: portable,
          ...fast
        });
        expect(taken.removedStale[0].reason).toContain(`runner worker process (pid ${worker.pid}) has exited`);
      } finally {
        worker.kill('SIGKILL');
        await exited;
      }
      const lock = await acquireLock({
        dir,
        name: NAME,
        holder: holder('runner-B', 2),
        timeoutMs: 1000,
        probe: portable,
        ...fast
      });
      expect(lock.removedStale[0].reason).toContain(`runner worker process (pid ${worker.pid}) has exited`);
    }
  );

  test('an unreadable record (a crash while it was written) is judged by its age', async () => {
    const target = lockPath(dir, NAME);
    await fs.mkdir(target, { mode: 0o700 });
    const record = path.join(target, `${'ab'.repeat(16)}.json`);
    await fs.writeFile(record, '{"version":1,"tok');
    await expect(
      acquireLock({ dir, name: NAME, holder: holder('runner-B', 2), timeoutMs: 200, ttlMs: 60_000, ...fast })
    ).rejects.toThrow(/held by an unreadable lock record/);
    const old = new Date(Date.now() - 120_000);
    await fs.utimes(record, old, old);
    const lock = await acquireLock({
      dir,
      name: NAME,
      holder: holder('runner-B', 2),
      timeoutMs: 1000,
      ttlMs: 60_000,
      ...fast
    });
    expect(lock.removedStale[0].reason).toContain('unreadable');
  });

  test("a holder whose clock runs an hour behind does not lose its live lock: expiry is measured on this host, not the holder's timestamps", async () => {
    const target = lockPath(dir, NAME);
    await fs.mkdir(target, { mode: 0o700 });
    const token = 'cd'.repeat(16);
    const skewed = Date.now() - 60 * 60_000; // the holder's clock: an hour behind
    const record = {
      version: 1,
      name: NAME,
      token,
      createdAt: new Date(skewed).toISOString(),
      expiresAt: new Date(skewed + 30 * 60_000).toISOString(), // "expired" 30 min ago by our clock
      holder: { ...holder('runner-A', 1), worker: undefined }
    };
    await fs.writeFile(path.join(target, `${token}.json`), JSON.stringify(record), { mode: 0o600 });
    await expect(
      acquireLock({ dir, name: NAME, holder: holder('runner-B', 2), timeoutMs: 200, ...fast })
    ).rejects.toThrow(LockTimeoutError);
    expect(await readLock({ dir, name: NAME })).toMatchObject({ token });
    // Its 30 minutes after the record was written (the file system's time on this host): then stale.
    const old = new Date(Date.now() - 31 * 60_000);
    await fs.utimes(path.join(target, `${token}.json`), old, old);
    const lock = await acquireLock({ dir, name: NAME, holder: holder('runner-B', 2), timeoutMs: 5000, ...fast });
    expect(lock.removedStale[0].reason).toMatch(/^its lease expired: 1800 s have passed since its record was written/);
    await lock.release();
  });

  test('an empty lock directory (left by a release) is free', async () => {
    await fs.mkdir(lockPath(dir, NAME));
    const lock = await acquireLock({ dir, name: NAME, holder: holder('runner-B', 2), timeoutMs: 0 });
    expect(lock.removedStale).toEqual([]);
  });
});

describe('lock refusals', () => {
  test('a lock path that is not ours to judge is refused with a clear error, not waited on', async () => {
    await fs.writeFile(lockPath(dir, NAME), 'x');
    await expect(acquireLock({ dir, name: NAME, holder: holder('r', 1) })).rejects.toThrow(
      `The lock path ${lockPath(dir, NAME)} exists and is not a directory. Remove it.`
    );
    await fs.rm(lockPath(dir, NAME));
    await fs.mkdir(lockPath(dir, NAME));
    await fs.writeFile(path.join(lockPath(dir, NAME), 'README'), 'x');
    await expect(acquireLock({ dir, name: NAME, holder: holder('r', 1) })).rejects.toThrow(
      /contains files codex-auth did not write \(README\)/
    );
  });

  test('a missing store directory and an unsafe name are refused', async () => {
    await expect(acquireLock({ dir: path.join(dir, 'missing'), name: NAME, holder: holder('r', 1) })).rejects.toThrow(
      /store directory .*missing does not exist/
    );
    await expect(acquireLock({ dir, name: '../x', holder: holder('r', 1) })).rejects.toThrow(
      /not a valid credential name/
    );
    await expect(releaseLock({ dir, name: '../x', token: 'ab'.repeat(16) })).rejects.toThrow(
      /not a valid credential name/
    );
  });
});

describe('holderFromEnv', () => {
  test('identifies the runner process and the job from the runner variables', () => {
    const env = {
      RUNNER_NAME: 'r1',
      RUNNER_TEMP: '/w/_temp',
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_RUN_ID: '5',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_JOB: 'test'
    };
    const h = holderFromEnv(env, { jobNonce: 'n1' });
    expect(h).toMatchObject({
      host: os.hostname(),
      pid: process.pid,
      runner: 'r1',
      repository: 'acme/app',
      runId: '5',
      runAttempt: '2',
      job: 'test'
    });
    expect(h.runnerId).toBe(`${os.hostname()}|r1|${path.resolve('/w/_temp')}`);
    expect(h.jobId).toBe('acme/app|5|2|test|n1');
    expect(holderFromEnv(env, { jobNonce: 'n2' }).jobId).not.toBe(h.jobId);
    // Every OS has a probe (/proc, ps, PowerShell): the worker is the step's parent process.
    expect(h.worker?.pid).toBe(process.ppid);
    // Outside a runner: nothing that could make two processes look like one runner or one job.
    const bare = holderFromEnv({}, { workerPid: 0 });
    expect(bare.runnerId).toBeUndefined();
    expect(bare.jobId).toBeUndefined();
    expect(bare.worker).toBeUndefined();
  });

  test('describes a holder for log lines', () => {
    const record = {
      version: 1 as const,
      name: NAME,
      token: 'ab'.repeat(16),
      createdAt: '2026-11-29T10:00:00.000Z',
      expiresAt: '2026-11-29T16:00:00.000Z',
      holder: holder('runner-A', 42, 'codex')
    };
    expect(describeHolder(record)).toBe(
      `job 'codex' of run 42 in acme/app on runner 'runner-A' (host ${os.hostname()}, pid ${process.pid}), since 2026-11-29T10:00:00.000Z`
    );
    expect(describeHolder({ ...record, holder: { ...record.holder, runAttempt: '3' } })).toContain(
      'of run 42 (attempt 3) in'
    );
  });
});
