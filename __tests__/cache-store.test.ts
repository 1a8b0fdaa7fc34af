// The Actions cache store in process: the real @actions/cache against the loopback cache service.
// Every call has a deadline with progress lines, a 429 waits for Retry-After, a 403 is reported as
// what it is, and the envelope file in the workspace is never written through a planted link.
import { mkdtempSync, mkdirSync, promises as fs, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CacheStore } from '../src/stores/cache.js';
import { startCacheService, type CacheService } from './support/cache-service.js';

let svc: CacheService;
let workspace: string;
let outside: string;
const cwd = process.cwd();
const saved = { ...process.env };

beforeAll(async () => {
  svc = await startCacheService();
  Object.assign(process.env, svc.env);
}, 120_000);

afterAll(async () => {
  process.env = saved;
  await svc?.stop();
});

beforeEach(() => {
  svc.reset();
  workspace = mkdtempSync(path.join(os.tmpdir(), 'cache-store-ws-'));
  outside = mkdtempSync(path.join(os.tmpdir(), 'cache-store-out-'));
  process.chdir(workspace);
});

afterEach(() => {
  svc.clearFaults();
  process.chdir(cwd);
  rmSync(workspace, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

function store(logs: string[], extra: Partial<ConstructorParameters<typeof CacheStore>[0]> = {}): CacheStore {
  return new CacheStore({
    credentialName: 'default',
    env: { ...process.env },
    log: (m) => logs.push(m),
    retryDelaysMs: [50, 50],
    ...extra
  });
}

test('a stalled lookup is given up at its deadline, with progress lines meanwhile', async () => {
  const logs: string[] = [];
  // The late answer is a refusal: the abandoned lookup must not go on to restore, seconds later, an
  // entry a later test saved, into whatever directory is current then (it left a file in the checkout).
  svc.inject({ method: 'GetCacheEntryDownloadURL', delayMs: 5000, status: 400 });
  const lookup = await store(logs, { restoreDeadlineMs: 1500, progressEveryMs: 300 }).restore();
  expect(lookup).toEqual({
    status: 'failed',
    reason: expect.stringContaining('the Actions cache lookup did not answer within 1.5 s')
  });
  expect(logs.some((l) => l.startsWith('Still waiting for the Actions cache lookup:'))).toBe(true);
});

test('a save rate-limited with 429 waits for Retry-After, then goes through', async () => {
  const logs: string[] = [];
  svc.inject({ method: 'CreateCacheEntry', status: 429, headers: { 'retry-after': '1' } });
  const result = await store(logs).save('codex-auth:v1:default:x:y:z', Date.now());
  expect(result.ok).toBe(true);
  expect(logs).toContainEqual(
    expect.stringMatching(
      /Saving to the Actions cache failed \(the cache service rate-limited this save \(429; it asks to wait 1\.0 s\)\); attempt 2 of 3 in 1\.0 s\./
    )
  );
});

test('a 403 from the cache is reported as a refusal, not as "another job may be creating this cache"', async () => {
  const logs: string[] = [];
  svc.inject({ method: 'CreateCacheEntry', status: 403, times: 3 });
  const result = await store(logs).save('codex-auth:v1:default:x:y:z', Date.now());
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reason).toMatch(/refused the write \(403 Forbidden/);
  expect(result.reason).not.toContain('another job may be creating');
  expect(result.retryable).toBe(false);
});

test('the envelope file is never written through a symbolic link planted in the workspace', async () => {
  const logs: string[] = [];
  // The file itself a link to a file outside: the link is replaced, the target untouched.
  mkdirSync(path.join(workspace, '.codex-auth'));
  writeFileSync(path.join(outside, 'victim'), 'untouched');
  symlinkSync(path.join(outside, 'victim'), path.join(workspace, '.codex-auth', 'default.envelope'));
  expect((await store(logs).save('codex-auth:v1:default:x:y:z', Date.now())).ok).toBe(true);
  expect(await fs.readFile(path.join(outside, 'victim'), 'utf8')).toBe('untouched');

  // The directory a link to one outside: refused, nothing written there.
  rmSync(path.join(workspace, '.codex-auth'), { recursive: true, force: true });
  symlinkSync(outside, path.join(workspace, '.codex-auth'));
  const refused = await store(logs).save('codex-auth:v1:default:x:y:z', Date.now());
  expect(refused).toMatchObject({ ok: false, reason: expect.stringContaining('is a symbolic link') });
  expect(await fs.readdir(outside)).toEqual(['victim']);
});
