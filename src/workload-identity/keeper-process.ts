// Starting and stopping the detached keeper (dist/keeper/index.js). It is recorded by pid and start
// time (src/platform/liveness.ts), so the post step never signals a process that merely reuses its
// pid, and it takes its configuration on stdin, so the request token is on no command line.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { livenessProbe, processIdentity, type ProcessIdentity } from '../platform/liveness.js';
import type { KeeperConfig } from './keeper.js';

/** dist/keeper/index.js, beside dist/main and dist/post (every chunk of a step sits in its entry's directory). */
function keeperScript(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'keeper', 'index.js');
}

export function startKeeper(config: KeeperConfig, dir: string): ProcessIdentity | undefined {
  // detached: its own process group, so it outlives the main step; stdout/stderr ignored, so the
  // runner does not wait for them. It keeps RUNNER_TRACKING_ID, so the runner's end-of-job clean-up
  // of orphan processes still covers it (documented runner behaviour).
  const child = spawn(process.execPath, [keeperScript(), dir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    windowsHide: true
  });
  child.stdin?.on('error', () => {
    /* a keeper that died at once is reported by the post step from its log */
  });
  child.stdin?.end(JSON.stringify(config));
  child.unref();
  return child.pid ? (processIdentity(child.pid) ?? { pid: child.pid, startTime: '' }) : undefined;
}

export type StopOutcome = 'stopped' | 'not-running' | 'not-ours' | 'did-not-stop';

/** SIGTERM, then SIGKILL after a bounded wait; only when the recorded process is still the keeper. */
export async function stopKeeper(identity: ProcessIdentity, timeoutMs = 5_000): Promise<StopOutcome> {
  const probe = livenessProbe();
  const liveness = identity.startTime ? probe.check(identity) : 'unknown';
  if (liveness === 'gone') return 'not-running';
  if (!isRunning(identity.pid)) return 'not-running';
  // 'unknown' (no start time readable): the command line must still name the keeper.
  if (liveness === 'unknown' && !commandLineIsKeeper(identity.pid)) return 'not-ours';
  signal(identity.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(identity.pid)) return 'stopped';
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  signal(identity.pid, 'SIGKILL');
  return isRunning(identity.pid) ? 'did-not-stop' : 'stopped';
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    /* gone meanwhile */
  }
}

function commandLineIsKeeper(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path.join('keeper', 'index.js'));
  } catch {
    return false;
  }
}
