// One credential's cache entries form one chain whatever OS the runners run: the path string, the
// options and so the cache version @actions/cache computes are the same bytes on Linux, macOS and
// Windows.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getCacheVersion } from '../node_modules/@actions/cache/lib/internal/cacheUtils.js';
import { CompressionMethod } from '../node_modules/@actions/cache/lib/internal/constants.js';
import { cacheCompression } from '../src/platform/cache-compression.js';
import { CacheStore, cacheFile, CROSS_OS_ARCHIVE } from '../src/stores/cache.js';
import { startCacheService, type CacheService } from './support/cache-service.js';

const PLATFORMS: NodeJS.Platform[] = ['linux', 'darwin', 'win32'];
const realPlatform = process.platform;

/** Runs fn as if on another OS: path.join, @actions/cache's Windows marker and our code all read process.platform. */
function as<T>(platform: NodeJS.Platform, fn: () => T): T {
  Object.defineProperty(process, 'platform', { value: platform, configurable: true });
  try {
    return fn();
  } finally {
    Object.defineProperty(process, 'platform', { value: realPlatform, configurable: true });
  }
}

function format(platform: NodeJS.Platform) {
  return as(platform, () => {
    const store = new CacheStore({ credentialName: 'default', env: {}, log: () => undefined });
    return {
      file: store.file,
      prefix: store.prefix,
      crossOs: CROSS_OS_ARCHIVE,
      versions: [CompressionMethod.ZstdWithoutLong, CompressionMethod.Gzip].map((method) =>
        getCacheVersion([store.file], method, CROSS_OS_ARCHIVE)
      )
    };
  });
}

test('the path, the options and the cache version are byte-identical on Linux, macOS and Windows', () => {
  const [linux, ...others] = PLATFORMS.map(format);
  expect(linux.file).toBe('.codex-auth/default.envelope');
  expect(linux.crossOs).toBe(true);
  for (const other of others) expect(Buffer.from(JSON.stringify(other))).toEqual(Buffer.from(JSON.stringify(linux)));
  expect(cacheFile('team-bot')).toBe('.codex-auth/team-bot.envelope');
});

test('control: the platform switch is real (without cross-OS archives a Windows runner gets another version, and path.join another path)', () => {
  const file = cacheFile('default');
  const method = CompressionMethod.ZstdWithoutLong;
  expect(as('win32', () => getCacheVersion([file], method, false))).not.toBe(
    as('linux', () => getCacheVersion([file], method, false))
  );
  expect(as('win32', () => getCacheVersion([file], method, true))).toBe(
    as('linux', () => getCacheVersion([file], method, false))
  );
  expect(path.win32.join('.codex-auth', 'default.envelope')).not.toBe(file);
});

describe('against the loopback cache service', () => {
  let svc: CacheService;
  let workspace: string;
  const saved: Record<string, string | undefined> = {};
  const cwd = process.cwd();

  beforeAll(async () => {
    svc = await startCacheService();
    workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'cache-format-'));
    for (const [name, value] of Object.entries({
      ...svc.env,
      RUNNER_TEMP: path.join(workspace, '_temp'),
      GITHUB_WORKSPACE: workspace
    })) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    await fs.mkdir(path.join(workspace, '_temp'));
    process.chdir(workspace);
  });

  afterAll(async () => {
    process.chdir(cwd);
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await svc?.stop();
    await fs.rm(workspace, { recursive: true, force: true });
  });

  test('the version on the wire is the one a Windows or macOS runner computes for the same credential', async () => {
    const store = new CacheStore({
      credentialName: 'default',
      env: { GITHUB_RUN_ID: '7' },
      retryDelaysMs: [],
      log: () => undefined
    });
    const envelope = 'codex-auth.v1.test-envelope';
    expect(await store.save(envelope, 1_764_000_000_000)).toMatchObject({ ok: true });
    const [entry] = svc.entries();
    expect(entry.key).toMatch(/^codex-auth-v1\.default\.1764000000000\./);
    for (const platform of PLATFORMS) {
      const { versions } = format(platform);
      expect(versions).toContain(entry.version);
    }
    const restored = await store.restore();
    expect(restored).toMatchObject({ status: 'hit', copy: { key: entry.key, envelope } });
  });

  test('a runner without zstd (gzip entries, another cache version) is told so once, with the fix', async () => {
    const noZstd = await fs.mkdtemp(path.join(os.tmpdir(), 'no-zstd-'));
    try {
      expect(await cacheCompression({ PATH: noZstd })).toBe('gzip');
      const lines: string[] = [];
      const store = new CacheStore({
        credentialName: 'mac-bot',
        env: { ...process.env, PATH: noZstd },
        retryDelaysMs: [],
        log: (l) => lines.push(l)
      });
      await store.restore();
      await store.restore();
      expect(lines.filter((l) => l.includes('zstd'))).toEqual([
        expect.stringContaining(
          "zstd is not on this runner's PATH, so the Actions cache compresses credential 'mac-bot' with gzip"
        )
      ]);
      expect(lines.join('\n')).toContain('brew install zstd');
      // With zstd on PATH (as on this machine and every GitHub-hosted runner): no such line.
      const quiet: string[] = [];
      if ((await cacheCompression()) === 'zstd-without-long') {
        await new CacheStore({ credentialName: 'default', env: process.env, log: (l) => quiet.push(l) }).restore();
        expect(quiet.filter((l) => l.includes('zstd'))).toEqual([]);
      }
    } finally {
      await fs.rm(noZstd, { recursive: true, force: true });
    }
  });
});
