// Is a process still the one we recorded? The lock (src/mutex/lock.ts) records the job's runner
// worker process when it is taken and later asks whether that process has exited. A pid alone is
// not enough: pids are reused (quickly on Windows), so the identity is the pid plus the process's
// start time, read from where each OS keeps it:
// - Linux: /proc/<pid>/stat field 22 (clock ticks since boot), valid within one boot (boot_id) and
//   one pid namespace, both recorded and compared;
// - macOS (and Linux without /proc): `ps -o lstart=` (wall-clock, 1 s resolution), on this host;
// - Windows: the process's StartTime (wall-clock, sub-millisecond), on this host.
// The rule is the same everywhere: "gone" only when it is certain (the pid does not exist, or it
// now belongs to a process started at another time), "unknown" whenever something cannot be read
// or the identity was taken on another host, boot or pid namespace. Unknown is treated as alive.
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';

/** A process that lives exactly as long as a job, identified so that a reused pid is not mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  /** proc: field 22 of /proc/<pid>/stat; ps: epoch seconds; windows: epoch milliseconds. */
  startTime: string;
  /** How startTime was read. Records written before this field existed are 'proc'. */
  source?: IdentitySource;
  /** proc: /proc/sys/kernel/random/boot_id. */
  bootId?: string;
  /** proc: `pid:[inode]` of the pid namespace the pid is valid in. */
  pidNamespace?: string;
  /** ps, windows: the host name (wall-clock start times need no boot id; a reboot changes them). */
  host?: string;
}

export type IdentitySource = 'proc' | 'ps' | 'windows';
type Liveness = 'alive' | 'gone' | 'unknown';

export interface LivenessProbe {
  /** The identity of a live process, or undefined when it cannot be read. */
  identify(pid: number): ProcessIdentity | undefined;
  /** Whether the recorded process still runs. */
  check(identity: ProcessIdentity): Liveness;
}

/** What a probe needs from the system; tests replace parts of it. */
export interface ProbeSystem {
  platform: NodeJS.Platform;
  hostname(): string;
  /** Throws ESRCH when no such process exists (EPERM: it exists, owned by someone else). */
  signalZero(pid: number): void;
  readFile(file: string): string;
  readLink(file: string): string;
  /** Runs a program (no shell) and returns its stdout; throws when it fails. */
  run(file: string, args: string[], env?: NodeJS.ProcessEnv): string;
}

/** ps prints whole seconds, recomputed from the boot time on Linux: allow this much disagreement. */
const PS_TOLERANCE_S = 2;

const realSystem: ProbeSystem = {
  platform: process.platform,
  hostname: () => os.hostname(),
  signalZero: (pid) => void process.kill(pid, 0),
  readFile: (file) => readFileSync(file, 'utf8'),
  readLink: (file) => readlinkSync(file),
  run: (file, args, env) =>
    execFileSync(file, args, {
      encoding: 'utf8',
      timeout: 15_000,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: env ?? process.env
    })
};

/**
 * The probe for this OS. On Linux it reads /proc; where /proc cannot be read it falls back to ps,
 * as on macOS. `platform` can be given to use another OS's method where it also works (tests).
 */
export function livenessProbe(overrides: Partial<ProbeSystem> = {}): LivenessProbe {
  const sys: ProbeSystem = { ...realSystem, ...overrides };
  const sources: IdentitySource[] =
    sys.platform === 'win32' ? ['windows'] : sys.platform === 'linux' ? ['proc', 'ps'] : ['ps'];
  return {
    identify(pid) {
      if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
      for (const source of sources) {
        const identity = attempt(() => identifyWith(sys, source, pid));
        if (identity) return identity;
      }
      return undefined;
    },
    check(identity) {
      const source = identity.source ?? 'proc';
      if (!sources.includes(source)) return 'unknown';
      return attempt(() => checkWith(sys, source, identity)) ?? 'unknown';
    }
  };
}

/** Identity of a live process with this OS's probe (undefined when it cannot be read). */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  return livenessProbe().identify(pid);
}

function identifyWith(sys: ProbeSystem, source: IdentitySource, pid: number): ProcessIdentity | undefined {
  if (source === 'proc') {
    const startTime = procStartTime(sys, pid);
    if (!startTime) return undefined;
    return { pid, startTime, source, bootId: procBootId(sys), pidNamespace: sys.readLink('/proc/self/ns/pid') };
  }
  const startTime = source === 'ps' ? psStartTime(sys, pid) : windowsStartTime(sys, pid);
  return startTime === undefined ? undefined : { pid, startTime, source, host: sys.hostname() };
}

function checkWith(sys: ProbeSystem, source: IdentitySource, identity: ProcessIdentity): Liveness {
  if (source === 'proc') {
    if (identity.bootId !== procBootId(sys) || identity.pidNamespace !== sys.readLink('/proc/self/ns/pid'))
      return 'unknown';
    let now: string | undefined;
    try {
      now = procStartTime(sys, identity.pid);
    } catch (error) {
      return isNoSuchProcess(error) ? 'gone' : 'unknown';
    }
    return now === identity.startTime ? 'alive' : 'gone';
  }
  if (!identity.host || identity.host !== sys.hostname()) return 'unknown';
  try {
    sys.signalZero(identity.pid);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    if (code !== 'EPERM') return 'unknown';
  }
  const now = source === 'ps' ? psStartTime(sys, identity.pid) : windowsStartTime(sys, identity.pid);
  if (now === undefined) return 'unknown';
  return sameStart(source, identity.startTime, now) ? 'alive' : 'gone';
}

/** Whether two start times of one pid are the same process start. */
export function sameStart(source: IdentitySource, recorded: string, now: string): boolean {
  if (source !== 'ps') return recorded === now;
  const a = Number(recorded);
  const b = Number(now);
  // Unparseable: cannot tell them apart, so the same (never "gone" on doubt).
  return !Number.isFinite(a) || !Number.isFinite(b) || Math.abs(a - b) <= PS_TOLERANCE_S;
}

/** Start time of a pid from /proc/<pid>/stat; undefined for a zombie (it has exited). Throws ENOENT when there is no such process. */
function procStartTime(sys: ProbeSystem, pid: number): string | undefined {
  const stat = sys.readFile(`/proc/${pid}/stat`);
  // "pid (comm) state ppid ...": comm may contain spaces and parentheses; fields resume after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

function procBootId(sys: ProbeSystem): string {
  return sys.readFile('/proc/sys/kernel/random/boot_id').trim();
}

/** `ps -o lstart=` in UTC and the C locale, as epoch seconds; undefined when there is no such process. */
function psStartTime(sys: ProbeSystem, pid: number): string | undefined {
  let out: string;
  try {
    out = sys.run('ps', ['-o', 'lstart=', '-p', String(pid)], { ...process.env, TZ: 'UTC', LC_ALL: 'C' });
  } catch {
    // ps exits 1 for a pid it does not list; the signal check before already said it exists.
    return undefined;
  }
  const seconds = parsePsLstart(out);
  return seconds === undefined ? undefined : String(seconds);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Wed Dec  2 04:20:50 2026" (UTC, C locale) → epoch seconds. */
export function parsePsLstart(text: string): number | undefined {
  const m = /^\s*[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})\s*$/.exec(text);
  const month = m ? MONTHS.indexOf(m[1]) : -1;
  if (!m || month < 0) return undefined;
  return Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) / 1000;
}

/** The PowerShell arguments that print a process's start time as epoch milliseconds (nothing when it does not exist). */
export function windowsStartTimeCommand(pid: number): { file: string; args: string[] } {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(`Not a process id: ${pid}`);
  const script = `$p = Get-Process -Id ${pid} -ErrorAction SilentlyContinue; if ($p -and $p.StartTime) { ([DateTimeOffset]$p.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() }`;
  return { file: 'powershell.exe', args: ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', script] };
}

/** The start time printed by windowsStartTimeCommand, or undefined for no output or anything else. */
export function parseWindowsStartTime(text: string): string | undefined {
  const value = text.trim();
  return /^\d{10,16}$/.test(value) ? value : undefined;
}

function windowsStartTime(sys: ProbeSystem, pid: number): string | undefined {
  const { file, args } = windowsStartTimeCommand(pid);
  return parseWindowsStartTime(sys.run(file, args));
}

function isNoSuchProcess(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
