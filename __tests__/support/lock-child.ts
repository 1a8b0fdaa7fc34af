// A separate OS process for the lock tests (run under Node 24 with tsx's loader): acquires the
// lock, appends "start <id>" to a shared file, holds it for a while, appends "end <id>", releases.
// With `mode: 'none'` it skips the lock, so the test can show that overlap is detected.
// With `release: false` it exits still holding the lock, as the main step of a job does.
// The last stdout line is a JSON result.
import { appendFileSync, existsSync } from 'node:fs';
import { acquireLock, type LockHolder } from '../../src/mutex/lock.js';

export interface ChildConfig {
  id: string;
  dir: string;
  name: string;
  shared: string;
  holder: LockHolder;
  mode?: 'lock' | 'none';
  holdMs?: number;
  release?: boolean;
  timeoutMs?: number;
  ttlMs?: number;
  pollMs?: number;
  maxPollMs?: number;
  logEveryMs?: number;
  /** A file to wait for after printing "ready", so that the children start together. */
  goFile?: string;
}

const config = JSON.parse(process.argv[2]) as ChildConfig;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mark = (what: string): void => appendFileSync(config.shared, `${what} ${config.id} ${Date.now()}\n`);

try {
  if (config.goFile) {
    console.log('ready');
    while (!existsSync(config.goFile)) await sleep(2);
  }
  if (config.mode === 'none') {
    mark('start');
    await sleep(config.holdMs ?? 100);
    mark('end');
    console.log(JSON.stringify({ ok: true }));
  } else {
    const lock = await acquireLock({
      dir: config.dir,
      name: config.name,
      holder: config.holder,
      timeoutMs: config.timeoutMs,
      ttlMs: config.ttlMs,
      pollMs: config.pollMs ?? 20,
      maxPollMs: config.maxPollMs ?? 100,
      logEveryMs: config.logEveryMs,
      log: (line) => console.log(`[lock] ${line}`)
    });
    mark('start');
    await sleep(config.holdMs ?? 100);
    mark('end');
    const released = config.release === false ? undefined : await lock.release();
    console.log(
      JSON.stringify({
        ok: true,
        token: lock.token,
        removedStale: lock.removedStale.length,
        waitedMs: lock.waitedMs,
        released
      })
    );
  }
} catch (error) {
  console.log(JSON.stringify({ ok: false, name: (error as Error).name, message: (error as Error).message }));
  process.exitCode = 2;
}
