// The lock's liveness probe on every OS: the real /proc and ps methods run here (Linux), the Windows
// method with its PowerShell call replaced by a scripted one (same parser, same decisions).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import {
  livenessProbe,
  parsePsLstart,
  parseWindowsStartTime,
  sameStart,
  windowsStartTimeCommand,
  type ProbeSystem
} from '../src/platform/liveness.js';

const linux = process.platform === 'linux' ? test : test.skip;
const posixHost = process.platform !== 'win32' ? test : test.skip;

function noSuchFile(file: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: 'ENOENT' });
}

/** This Linux machine as if /proc were not mounted (a hardened container, a BSD-like system). */
const withoutProc: Partial<ProbeSystem> = {
  readFile: (file) => {
    if (file.startsWith('/proc/')) throw noSuchFile(file);
    return readFileSync(file, 'utf8');
  },
  readLink: (file) => {
    if (file.startsWith('/proc/')) throw noSuchFile(file);
    return readlinkSync(file);
  }
};

async function withSleeper<T>(fn: (child: ChildProcess, stop: () => Promise<void>) => Promise<T>): Promise<T> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const stop = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited;
  };
  try {
    return await fn(child, stop);
  } finally {
    await stop();
  }
}

describe('liveness probe, real processes', () => {
  linux('Linux (/proc): alive while it runs, gone once it exited, gone for a reused pid', async () => {
    const probe = livenessProbe();
    await withSleeper(async (child, stop) => {
      const identity = probe.identify(child.pid!)!;
      expect(identity).toMatchObject({ pid: child.pid, source: 'proc', startTime: expect.stringMatching(/^\d+$/) });
      expect(probe.check(identity)).toBe('alive');
      expect(probe.check({ ...identity, startTime: String(Number(identity.startTime) + 1) })).toBe('gone');
      await stop();
      expect(probe.check(identity)).toBe('gone');
    });
  });

  linux('Linux: another boot or pid namespace is never judged', () => {
    const self = livenessProbe().identify(process.pid)!;
    expect(livenessProbe().check({ ...self, pid: 9_999_999, bootId: 'another-boot' })).toBe('unknown');
    expect(livenessProbe().check({ ...self, pid: 9_999_999, pidNamespace: 'pid:[1]' })).toBe('unknown');
    // A record written before identities named their source is a /proc identity.
    const { source: _source, ...legacy } = self;
    expect(livenessProbe().check(legacy)).toBe('alive');
  });

  for (const [label, overrides] of [
    ['macOS method (ps)', { platform: 'darwin' as const }],
    ['Linux with /proc unavailable (falls back to ps)', { platform: 'linux' as const, ...withoutProc }]
  ] as const) {
    posixHost(
      `${label}: alive while it runs, gone once it exited, gone for a reused pid, unknown from another host`,
      async () => {
        const probe = livenessProbe(overrides);
        await withSleeper(async (child, stop) => {
          const identity = probe.identify(child.pid!)!;
          expect(identity).toMatchObject({
            pid: child.pid,
            source: 'ps',
            host: os.hostname(),
            startTime: expect.stringMatching(/^\d+$/)
          });
          expect(Math.abs(Number(identity.startTime) - Date.now() / 1000)).toBeLessThan(120);
          expect(probe.check(identity)).toBe('alive');
          // The same pid, started an hour later: another process.
          expect(probe.check({ ...identity, startTime: String(Number(identity.startTime) - 3600) })).toBe('gone');
          expect(probe.check({ ...identity, host: 'another-host' })).toBe('unknown');
          await stop();
          expect(probe.check(identity)).toBe('gone');
        });
      }
    );
  }

  posixHost('a /proc identity is not judged by a probe that cannot read /proc', () => {
    const self = livenessProbe({ platform: 'linux' }).identify(process.pid);
    if (self?.source !== 'proc') return; // no /proc on this machine
    expect(livenessProbe({ platform: 'darwin' }).check(self)).toBe('unknown');
    expect(livenessProbe({ platform: 'linux', ...withoutProc }).check({ ...self, pid: 9_999_999 })).toBe('unknown');
  });

  test('no identity for pid 0, 1 or a pid that does not exist', () => {
    const probe = livenessProbe();
    expect(probe.identify(0)).toBeUndefined();
    expect(probe.identify(1)).toBeUndefined();
    expect(probe.identify(2 ** 22 + 12345)).toBeUndefined();
  });
});

describe('liveness probe, Windows method (scripted PowerShell)', () => {
  const START = '1764650000123';
  function windows(
    state: { exists: boolean; eperm?: boolean; start?: string; fail?: boolean },
    calls: string[][] = []
  ): ReturnType<typeof livenessProbe> {
    return livenessProbe({
      platform: 'win32',
      hostname: () => 'WINBUILD01',
      signalZero: () => {
        if (!state.exists) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
        if (state.eperm) throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
      },
      run: (file, args) => {
        calls.push([file, ...args]);
        if (state.fail) throw new Error('powershell.exe: not found');
        return state.exists ? `${state.start ?? START}\r\n` : '';
      }
    });
  }

  test('identifies by pid and start time, through PowerShell without a shell', () => {
    const calls: string[][] = [];
    const identity = windows({ exists: true }, calls).identify(4242);
    expect(identity).toEqual({ pid: 4242, startTime: START, source: 'windows', host: 'WINBUILD01' });
    expect(calls).toEqual([[...Object.values(windowsStartTimeCommand(4242)).flat()]]);
    expect(calls[0][0]).toBe('powershell.exe');
    expect(calls[0].at(-1)).toContain('Get-Process -Id 4242 ');
  });

  test('alive, gone (exited), gone (pid reused), unknown (cannot tell, another host)', () => {
    const identity = { pid: 4242, startTime: START, source: 'windows' as const, host: 'WINBUILD01' };
    expect(windows({ exists: true }).check(identity)).toBe('alive');
    expect(windows({ exists: true, eperm: true }).check(identity)).toBe('alive');
    expect(windows({ exists: false }).check(identity)).toBe('gone');
    expect(windows({ exists: true, start: '1764650999000' }).check(identity)).toBe('gone');
    expect(windows({ exists: true, fail: true }).check(identity)).toBe('unknown');
    expect(windows({ exists: false }).check({ ...identity, host: 'OTHER' })).toBe('unknown');
    // Identities of other OSes are not judged on Windows.
    expect(windows({ exists: false }).check({ pid: 4242, startTime: '1', source: 'ps', host: 'WINBUILD01' })).toBe(
      'unknown'
    );
    expect(windows({ exists: false }).check({ pid: 4242, startTime: '1', bootId: 'b', pidNamespace: 'pid:[1]' })).toBe(
      'unknown'
    );
  });

  test('the command takes only a numeric pid', () => {
    expect(() => windowsStartTimeCommand(Number.NaN)).toThrow();
    expect(() => windowsStartTimeCommand(-1)).toThrow();
  });
});

describe('parsers', () => {
  test('ps lstart in UTC and the C locale', () => {
    expect(parsePsLstart('Wed Dec  2 04:20:50 2026\n')).toBe(Date.UTC(2026, 11, 2, 4, 20, 50) / 1000);
    expect(parsePsLstart('Mon Jan 12 23:59:59 2026')).toBe(Date.UTC(2026, 0, 12, 23, 59, 59) / 1000);
    expect(parsePsLstart('')).toBeUndefined();
    expect(parsePsLstart('mer. déc.  2 04:20:50 2026')).toBeUndefined();
  });

  test('PowerShell start time', () => {
    expect(parseWindowsStartTime(' 1764650000123\r\n')).toBe('1764650000123');
    expect(parseWindowsStartTime('')).toBeUndefined();
    expect(parseWindowsStartTime('Get-Process : Cannot find a process')).toBeUndefined();
  });

  test('ps start times within its resolution are the same start; unreadable ones are never "different"', () => {
    expect(sameStart('ps', '1000', '1001')).toBe(true);
    expect(sameStart('ps', '1000', '1010')).toBe(false);
    expect(sameStart('ps', 'x', '1010')).toBe(true);
    expect(sameStart('windows', '1000', '1001')).toBe(false);
  });
});
