// The loopback cache service speaks the v2 protocol well enough for the real @actions/cache client:
// every operation below runs @actions/cache 6.x unchanged, under Node 24, in a child process.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { startCacheService, type CacheService } from './support/cache-service.js';
import { NODE24, ROOT, SYSTEM_PATH, searchPath } from './support/paths.js';

const TWIRP = 'twirp/github.actions.results.api.v1.CacheService/';
const CACHE_ENTRY = pathToFileURL(path.join(ROOT, 'node_modules', '@actions', 'cache', 'lib', 'cache.js')).href;
const FILE = 'data/auth.json';

let svc: CacheService;
let tmp: string;
let script: string;

type Op =
  | { op: 'save'; paths: string[]; key: string }
  | { op: 'restore'; paths: string[]; key: string; restoreKeys?: string[]; lookupOnly?: boolean };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  result: unknown;
  ms: number;
}

/** Run one @actions/cache call under Node 24 the way a node action step would. Asynchronous on
 *  purpose: the service lives in this process and must keep answering while the child runs. */
function runCache(workspace: string, op: Op, env: Record<string, string> = svc.env): Promise<Run> {
  const runnerTemp = fs.mkdtempSync(path.join(tmp, 'runner-temp-'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(NODE24, [script], {
      cwd: workspace,
      env: {
        PATH: process.env.PATH ?? searchPath(...SYSTEM_PATH),
        HOME: process.env.HOME ?? tmp,
        RUNNER_TEMP: runnerTemp,
        GITHUB_WORKSPACE: workspace,
        GITHUB_ACTIONS: 'true',
        CACHE_OP: JSON.stringify(op),
        ...env
      },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT='));
      resolve({
        code,
        stdout,
        stderr,
        result: line ? JSON.parse(line.slice(7)) : 'NO RESULT LINE',
        ms: Date.now() - started
      });
    });
  });
}

function workspace(content?: string): string {
  const ws = fs.mkdtempSync(path.join(tmp, 'ws-'));
  if (content !== undefined) {
    fs.mkdirSync(path.join(ws, 'data'));
    fs.writeFileSync(path.join(ws, FILE), content);
  }
  return ws;
}

const uniq = () => randomBytes(4).toString('hex');
const methods = () => svc.requests.map((r) => `${r.method}:${r.status}`);

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cache-service-test-'));
  script = path.join(tmp, 'cache-op.mjs');
  fs.writeFileSync(
    script,
    [
      `import * as cache from ${JSON.stringify(CACHE_ENTRY)};`,
      `const op = JSON.parse(process.env.CACHE_OP);`,
      `const result = op.op === 'save'`,
      `  ? await cache.saveCache(op.paths, op.key)`,
      `  : await cache.restoreCache(op.paths, op.key, op.restoreKeys ?? [], { lookupOnly: !!op.lookupOnly });`,
      `console.log('RESULT=' + JSON.stringify(result ?? null));`
    ].join('\n')
  );
  svc = await startCacheService();
});

afterAll(async () => {
  await svc?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => svc.reset());

test('env selects the v2 service and the loopback address only', () => {
  expect(svc.env).toEqual({
    ACTIONS_RESULTS_URL: svc.resultsUrl,
    ACTIONS_RUNTIME_TOKEN: expect.any(String),
    ACTIONS_CACHE_SERVICE_V2: 'True',
    GITHUB_SERVER_URL: 'https://github.com'
  });
  expect(svc.resultsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test('the real client saves a file, and restores it by prefix after it was deleted', async () => {
  const u = uniq();
  const content = `{"token":"${u}"}`;
  const ws = workspace(content);

  const saved = await runCache(ws, { op: 'save', paths: [FILE], key: `codex-auth-${u}-run1-1` });
  expect(saved.code).toBe(0);
  expect(typeof saved.result).toBe('number');
  expect(saved.result as number).toBeGreaterThan(0);

  const [entry] = svc.entries();
  expect(svc.entries()).toHaveLength(1);
  expect(entry).toMatchObject({ key: `codex-auth-${u}-run1-1`, finalized: true, scope: 'refs/heads/main' });
  expect(entry.version).toMatch(/^[0-9a-f]{64}$/);
  expect(entry.sizeBytes).toBeGreaterThan(0);
  expect(svc.blobBytesUploaded).toBe(entry.sizeBytes);

  fs.rmSync(path.join(ws, FILE));
  const restored = await runCache(ws, { op: 'restore', paths: [FILE], key: `codex-auth-${u}-` });
  expect(restored.code).toBe(0);
  expect(restored.result).toBe(`codex-auth-${u}-run1-1`);
  expect(fs.readFileSync(path.join(ws, FILE), 'utf8')).toBe(content);

  expect(methods()).toEqual(['CreateCacheEntry:200', 'FinalizeCacheEntryUpload:200', 'GetCacheEntryDownloadURL:200']);
  const [create, finalize, get] = svc.requests;
  expect(create.body).toEqual({ key: `codex-auth-${u}-run1-1`, version: entry.version });
  // int64 travels as a string, field names are the proto (snake_case) names.
  expect(finalize.body).toEqual({ key: entry.key, version: entry.version, size_bytes: String(entry.sizeBytes) });
  expect(get.body).toEqual({ key: `codex-auth-${u}-`, version: entry.version });
  expect(svc.blobBytesDownloaded).toBe(entry.sizeBytes);
  expect(svc.stats()).toEqual({
    requests: 3,
    uploadedBytes: entry.sizeBytes,
    downloadedBytes: entry.sizeBytes,
    entries: 1
  });
});

test('Twirp calls need a bearer token, and signed URLs are enforced by Azurite', async () => {
  const url = `${svc.resultsUrl}${TWIRP}CreateCacheEntry`;
  const body = JSON.stringify({ key: 'k', version: 'v' });
  const anon = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(anon.status).toBe(401);
  expect(await anon.json()).toMatchObject({ code: 'unauthenticated' });

  const auth = { 'content-type': 'application/json', authorization: `Bearer ${svc.env.ACTIONS_RUNTIME_TOKEN}` };
  const created = await fetch(url, { method: 'POST', headers: auth, body });
  const { ok, signed_upload_url } = (await created.json()) as any;
  expect(ok).toBe(true);
  expect(signed_upload_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/[^/]+\/[^/?]+\?.*sp=cw.*&sig=/);

  // Without the signature Azurite refuses the write; with it the write succeeds.
  const unsigned = await fetch(signed_upload_url.split('?')[0], {
    method: 'PUT',
    headers: { 'x-ms-blob-type': 'BlockBlob' },
    body: 'x'
  });
  expect(unsigned.status).toBeGreaterThanOrEqual(400);
  await unsigned.arrayBuffer();
  const signed = await fetch(signed_upload_url, {
    method: 'PUT',
    headers: { 'x-ms-blob-type': 'BlockBlob' },
    body: 'abc'
  });
  expect(signed.status).toBe(201);
  await signed.arrayBuffer();

  // Not finalized yet: not restorable.
  const get = (b: object) =>
    fetch(`${svc.resultsUrl}${TWIRP}GetCacheEntryDownloadURL`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(b)
    }).then((r) => r.json() as any);
  expect(await get({ key: 'k', version: 'v' })).toMatchObject({ ok: false });
  const fin = await fetch(`${svc.resultsUrl}${TWIRP}FinalizeCacheEntryUpload`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ key: 'k', version: 'v', size_bytes: '3' })
  });
  expect(await fin.json()).toEqual({ ok: true, entry_id: expect.stringMatching(/^\d+$/) });
  expect(await get({ key: 'k', version: 'v' })).toMatchObject({ ok: true, matched_key: 'k' });
  expect(await get({ key: 'k', version: 'other' })).toMatchObject({ ok: false });
  expect((await svc.readBlob('k')).toString()).toBe('abc');
  expect(svc.blobBytesUploaded).toBe(3);
});

test('faults are consumed in order: status/body, times, delay, connection reset, clearFaults', async () => {
  const call = (method: string) =>
    fetch(`${svc.resultsUrl}${TWIRP}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: JSON.stringify({ key: 'f', version: 'v' })
    }).then(async (r) => ({ status: r.status, text: await r.text() }));

  svc.inject({ method: '*', status: 503, times: 2 });
  svc.inject({ method: 'GetCacheEntryDownloadURL', status: 502, body: '<html>bad gateway</html>' });
  expect((await call('GetCacheEntryDownloadURL')).status).toBe(503);
  expect(JSON.parse((await call('CreateCacheEntry')).text)).toEqual({ code: 'unavailable', msg: expect.any(String) });
  expect(await call('GetCacheEntryDownloadURL')).toEqual({ status: 502, text: '<html>bad gateway</html>' });
  expect((await call('GetCacheEntryDownloadURL')).status).toBe(200);

  svc.inject({ method: 'FinalizeCacheEntryUpload', delayMs: 300 });
  const t0 = Date.now();
  expect((await call('FinalizeCacheEntryUpload')).status).toBe(404); // delayed, then served normally
  expect(Date.now() - t0).toBeGreaterThanOrEqual(280);

  svc.inject({ method: 'CreateCacheEntry', reset: true });
  await expect(call('CreateCacheEntry')).rejects.toThrow();
  svc.inject({ method: 'CreateCacheEntry', status: 500, times: 5 });
  svc.clearFaults();
  expect((await call('CreateCacheEntry')).status).toBe(200);
  expect(methods()).toEqual([
    'GetCacheEntryDownloadURL:503',
    'CreateCacheEntry:503',
    'GetCacheEntryDownloadURL:502',
    'GetCacheEntryDownloadURL:200',
    'FinalizeCacheEntryUpload:404',
    'CreateCacheEntry:0',
    'CreateCacheEntry:200'
  ]);
});

test('a second save of the same key is refused with 409 already_exists', async () => {
  const u = uniq();
  const ws = workspace('first');
  const key = `codex-auth-${u}`;
  const first = await runCache(ws, { op: 'save', paths: [FILE], key });
  expect(first.result as number).toBeGreaterThan(0);

  fs.writeFileSync(path.join(ws, FILE), 'second');
  const second = await runCache(ws, { op: 'save', paths: [FILE], key });
  expect(second.code).toBe(0);
  expect(second.result).toBe(-1);
  expect(second.stdout).toContain(`Unable to reserve cache with key ${key}`);
  expect(methods()).toEqual(['CreateCacheEntry:200', 'FinalizeCacheEntryUpload:200', 'CreateCacheEntry:409']);
  expect(svc.entries()).toHaveLength(1);

  const res = await fetch(`${svc.resultsUrl}${TWIRP}CreateCacheEntry`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer anything' },
    body: JSON.stringify(svc.requests[0].body)
  });
  expect(res.status).toBe(409);
  expect(await res.json()).toEqual({ code: 'already_exists', msg: expect.any(String) });
});

test('restore order: exact key first, else the newest prefix match of a restore key', async () => {
  const u = uniq();
  const ws = workspace('A');
  expect((await runCache(ws, { op: 'save', paths: [FILE], key: `p-${u}-a` })).result as number).toBeGreaterThan(0);
  fs.writeFileSync(path.join(ws, FILE), 'B');
  expect((await runCache(ws, { op: 'save', paths: [FILE], key: `p-${u}-b` })).result as number).toBeGreaterThan(0);
  fs.writeFileSync(path.join(ws, FILE), 'C');
  expect((await runCache(ws, { op: 'save', paths: [FILE], key: `q-${u}` })).result as number).toBeGreaterThan(0);

  fs.rmSync(path.join(ws, FILE));
  const newest = await runCache(ws, {
    op: 'restore',
    paths: [FILE],
    key: `none-${u}`,
    restoreKeys: [`p-${u}-`, `q-${u}`]
  });
  expect(newest.result).toBe(`p-${u}-b`);
  expect(fs.readFileSync(path.join(ws, FILE), 'utf8')).toBe('B');
  expect(svc.requests.at(-1)!.body).toMatchObject({ key: `none-${u}`, restore_keys: [`p-${u}-`, `q-${u}`] });

  fs.rmSync(path.join(ws, FILE));
  const exact = await runCache(ws, { op: 'restore', paths: [FILE], key: `p-${u}-a`, restoreKeys: [`q-${u}`] });
  expect(exact.result).toBe(`p-${u}-a`);
  expect(fs.readFileSync(path.join(ws, FILE), 'utf8')).toBe('A');

  // Restore keys are tried in order: an exact hit on the first beats a newer entry of the second.
  const ordered = await runCache(ws, {
    op: 'restore',
    paths: [FILE],
    key: `none-${u}`,
    restoreKeys: [`p-${u}-a`, `q-${u}`],
    lookupOnly: true
  });
  expect(ordered.result).toBe(`p-${u}-a`);
});

test('an injected 500 is retried; misses, evictions and other versions restore nothing', async () => {
  const u = uniq();
  const ws = workspace('retry me');
  const key = `codex-auth-${u}`;
  expect((await runCache(ws, { op: 'save', paths: [FILE], key })).result as number).toBeGreaterThan(0);
  fs.rmSync(path.join(ws, FILE));

  svc.inject({ method: 'GetCacheEntryDownloadURL', status: 500 });
  const retried = await runCache(ws, { op: 'restore', paths: [FILE], key });
  expect(retried.result).toBe(key);
  expect(fs.readFileSync(path.join(ws, FILE), 'utf8')).toBe('retry me');
  expect(methods().slice(-2)).toEqual(['GetCacheEntryDownloadURL:500', 'GetCacheEntryDownloadURL:200']);
  expect(retried.stdout).toContain('Attempt 1 of 5 failed');
  expect(retried.ms).toBeGreaterThanOrEqual(2500);

  fs.rmSync(path.join(ws, FILE));
  const miss = await runCache(ws, { op: 'restore', paths: [FILE], key: `absent-${u}`, restoreKeys: [`absent-`] });
  expect(miss.result).toBeNull();
  expect(fs.existsSync(path.join(ws, FILE))).toBe(false);
  expect(svc.requests.at(-1)).toMatchObject({ method: 'GetCacheEntryDownloadURL', status: 200 });

  // The version hashes the path strings as given: the same file under another spelling misses.
  const otherVersion = await runCache(ws, { op: 'restore', paths: [`./${FILE}`], key });
  expect(otherVersion.result).toBeNull();

  svc.deleteEntry(key);
  expect(svc.entries()).toHaveLength(0);
  const evicted = await runCache(ws, { op: 'restore', paths: [FILE], key });
  expect(evicted.result).toBeNull();
  expect(fs.existsSync(path.join(ws, FILE))).toBe(false);
  await expect(svc.readBlob(key)).rejects.toThrow(/no cache entry/);
});

test('readBlob returns the stored archive: a compressed tar of the cached path', async () => {
  const u = uniq();
  const marker = `marker-${u}`;
  const ws = workspace(marker.repeat(50));
  const key = `codex-auth-${u}`;
  expect((await runCache(ws, { op: 'save', paths: [FILE], key })).result as number).toBeGreaterThan(0);

  const blob = await svc.readBlob(key);
  expect(blob.length).toBe(svc.entries()[0].sizeBytes);
  let tar: Buffer;
  if (blob.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) {
    const z = spawnSync('zstd', ['-d', '-c'], { input: blob });
    expect(z.status).toBe(0);
    tar = z.stdout;
  } else {
    expect([...blob.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    tar = gunzipSync(blob);
  }
  expect(tar.subarray(257, 262).toString()).toBe('ustar');
  expect(tar.includes(Buffer.from(FILE))).toBe(true);
  expect(tar.includes(Buffer.from(marker.repeat(50)))).toBe(true);
});

test('scopes: a feature branch reads the default branch, not the other way round; read-only tokens cannot save', async () => {
  const u = uniq();
  const feature = svc.envFor([
    { scope: 'refs/heads/feature', permission: 3 },
    { scope: 'refs/heads/main', permission: 1 }
  ]);
  const ws = workspace('from main');
  expect((await runCache(ws, { op: 'save', paths: [FILE], key: `main-${u}` })).result as number).toBeGreaterThan(0);

  fs.writeFileSync(path.join(ws, FILE), 'from feature');
  expect(
    (await runCache(ws, { op: 'save', paths: [FILE], key: `feat-${u}` }, feature)).result as number
  ).toBeGreaterThan(0);
  expect(svc.entries().map((e) => e.scope)).toEqual(['refs/heads/main', 'refs/heads/feature']);

  fs.rmSync(path.join(ws, FILE));
  const onFeature = await runCache(ws, { op: 'restore', paths: [FILE], key: `main-${u}` }, feature);
  expect(onFeature.result).toBe(`main-${u}`);
  expect(fs.readFileSync(path.join(ws, FILE), 'utf8')).toBe('from main');
  const onMain = await runCache(ws, { op: 'restore', paths: [FILE], key: `feat-${u}`, lookupOnly: true });
  expect(onMain.result).toBeNull();

  const readOnly = svc.envFor([{ scope: 'refs/heads/main', permission: 1 }]);
  const denied = await runCache(ws, { op: 'save', paths: [FILE], key: `ro-${u}` }, readOnly);
  expect(denied.result).toBe(-1);
  expect(denied.stdout).toContain('cache write denied');
  expect(svc.entries()).toHaveLength(2);
});
