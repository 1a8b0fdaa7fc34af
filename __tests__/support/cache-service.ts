// A loopback GitHub Actions cache service (v2, Twirp JSON) in front of a real Azurite blob store,
// which also speaks the v1 REST protocol that GitHub Enterprise Server uses (ACTIONS_CACHE_URL,
// `_apis/artifactcache/...`; the wire format is taken from the client it serves,
// @actions/cache lib/internal/cacheHttpClient.js: GET cache?keys&version → 200
// {cacheKey, archiveLocation} or 204; POST caches {key, version, cacheSize} → {cacheId}, a taken
// key refused; PATCH caches/{id} with Content-Range chunks; POST caches/{id} {size} commits).
// Both protocols share the entries, so one test can run against either (`protocol`).
//
// The real `@actions/cache` client talks to it unchanged: give a node step `service.env` and it
// reserves an entry (CreateCacheEntry), uploads the archive with @azure/storage-blob to a signed
// URL, finalizes it (FinalizeCacheEntryUpload) and later resolves keys (GetCacheEntryDownloadURL)
// and downloads with a plain GET. Signed URLs point at a pass-through proxy on this service's own
// port, which forwards to Azurite and counts the bytes moved. Nothing leaves 127.0.0.1.
//
// Scopes: like the real runtime token (a JWT whose `ac` claim lists cache scopes), the token in
// `env` carries the scopes of the run: entries are written to the first writable scope and read
// from every readable scope, in order (own ref first, then the default branch). `envFor()` mints
// the environment of a run on another ref or with a read-only token.
//
// Used by the end-to-end tests, the demo and the benchmark: plain TypeScript, no jest globals,
// runs under Node 20 (the test runner) and Node 24.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BlobSASPermissions,
  ContainerClient,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters
} from '@azure/storage-blob';
import { AZURITE_BLOB, NODE24 } from './paths.js';

/** One Twirp call, in arrival order. `status` 0 = the connection was reset by an injected fault. */
export interface CacheRequest {
  method: string;
  body: any;
  status: number;
  at: number;
}

/** One request that went through the blob proxy (upload or download of an archive). */
export interface BlobRequest {
  method: string;
  blobName: string;
  /** Azure operation from the `comp` query parameter ('' for Put Blob / Get Blob). */
  comp: string;
  status: number;
  /** Archive bytes sent: request body for uploads (even if refused), 2xx response body for downloads. */
  bytes: number;
  at: number;
}

export type CacheMethod =
  | 'CreateCacheEntry'
  | 'FinalizeCacheEntryUpload'
  | 'GetCacheEntryDownloadURL'
  /** v2: the archive upload to the signed blob URL (Put Blob / Put Block / Put Block List). */
  | 'BlobUpload'
  /** v1 (GHES): GET cache, POST caches (reserve), PATCH caches/{id} (upload), POST caches/{id} (commit). */
  | 'GetCacheEntry'
  | 'ReserveCache'
  | 'UploadChunk'
  | 'CommitCache';

/** The network calls of a save or a lookup, by what they do, for tests that run against both protocols. */
export const CALLS: Record<'v1' | 'v2', Record<'reserve' | 'upload' | 'finalize' | 'lookup', CacheMethod>> = {
  v1: { reserve: 'ReserveCache', upload: 'UploadChunk', finalize: 'CommitCache', lookup: 'GetCacheEntry' },
  v2: {
    reserve: 'CreateCacheEntry',
    upload: 'BlobUpload',
    finalize: 'FinalizeCacheEntryUpload',
    lookup: 'GetCacheEntryDownloadURL'
  }
};

/**
 * Fault for the next `times` (default 1) calls of `method` ('*' = any method), consumed in the
 * order injected. `delayMs` waits before answering; `reset` destroys the connection (the client
 * sees ECONNRESET); `status`/`body` replace the answer (body defaults to a Twirp JSON error;
 * a non-JSON body is retried by the client like a 5xx). With only `delayMs`, the call is then
 * served normally.
 */
type CacheFault = {
  method: CacheMethod | '*';
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  times?: number;
  delayMs?: number;
  reset?: boolean;
};

interface CacheEntry {
  key: string;
  version: string;
  /** Scope (ref) the entry was written under, e.g. `refs/heads/main`. */
  scope: string;
  blobName: string;
  /** Size reported by FinalizeCacheEntryUpload / CommitCache (checked against the upload); 0 until finalized. */
  sizeBytes: number;
  createdAt: number;
  finalized: boolean;
}

/** A cache scope of the runtime token: permission 1 = read, 2 = write, 3 = both. */
interface CacheScope {
  scope: string;
  permission: number;
}

export interface CacheService {
  /** ACTIONS_RESULTS_URL (v2) or ACTIONS_CACHE_URL (v1), e.g. `http://127.0.0.1:PORT/`. */
  resultsUrl: string;
  /** What a runner gives a node step: ACTIONS_RESULTS_URL, ACTIONS_RUNTIME_TOKEN, ACTIONS_CACHE_SERVICE_V2, GITHUB_SERVER_URL. */
  env: Record<string, string>;
  /** Twirp request log (live array, emptied by reset()). */
  requests: CacheRequest[];
  /** Blob proxy log (live array, emptied by reset()). */
  blobRequests: BlobRequest[];
  /** Archive bytes uploaded through signed URLs and accepted by Azurite (Put Blob / Put Block bodies). */
  readonly blobBytesUploaded: number;
  /** Archive bytes downloaded through signed URLs (GET response bodies). */
  readonly blobBytesDownloaded: number;
  /** `entries` counts all entries, finalized or not. */
  stats(): { requests: number; uploadedBytes: number; downloadedBytes: number; entries: number };
  entries(): CacheEntry[];
  /** Env of a run whose token carries other scopes (e.g. a feature branch, or read-only). */
  envFor(scopes: CacheScope[]): Record<string, string>;
  /** Raw archive bytes stored in Azurite for `key` (newest entry with that key, finalized first). */
  readBlob(key: string): Promise<Buffer>;
  /** Simulate eviction: forget every entry with this key (any version, any scope) and delete its blob. */
  deleteEntry(key: string): void;
  inject(fault: CacheFault): void;
  clearFaults(): void;
  /** A new "repository": forget entries, logs, counters and faults. */
  reset(): void;
  stop(): Promise<void>;
}

export interface CacheServiceOptions {
  /** Scopes of the token in `env`. Default: `[{ scope: 'refs/heads/main', permission: 3 }]`. */
  scopes?: CacheScope[];
  /** Forward Azurite's output to this process's stderr (debugging). */
  verbose?: boolean;
  /** Which protocol `env` and `envFor()` point the client at (default v2, as on github.com). */
  protocol?: 'v1' | 'v2';
}

/** The public Azurite emulator account (documented in Azurite's README; not a secret). */
const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const SERVICE_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/';
const METHODS: CacheMethod[] = ['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL'];
const DEFAULT_SCOPES: CacheScope[] = [{ scope: 'refs/heads/main', permission: 3 }];
const READ = 1;
const WRITE = 2;
const MAX_TWIRP_BODY = 1024 * 1024;
const V1_PREFIX = '/_apis/artifactcache/';
const V1_ARCHIVE = '/_v1archive/';
const SAS_LIFETIME_MS = 60 * 60 * 1000;

/** Twirp error code for an HTTP status (twirp spec: "Error codes"). */
function twirpCode(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_argument';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'permission_denied';
    case 404:
      return 'not_found';
    case 408:
      return 'deadline_exceeded';
    case 409:
      return 'already_exists';
    case 412:
      return 'failed_precondition';
    case 429:
      return 'resource_exhausted';
    case 501:
      return 'unimplemented';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : 'unknown';
  }
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

/** An unsigned JWT shaped like the runner's ACTIONS_RUNTIME_TOKEN (`ac` = JSON list of scopes). */
function makeToken(scopes: CacheScope[]): string {
  const header = b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({
      scp: 'Actions.Results:loopback:loopback',
      ac: JSON.stringify(scopes.map((s) => ({ Scope: s.scope, Permission: s.permission }))),
      iat: Math.floor(Date.now() / 1000)
    })
  );
  return `${header}.${payload}.loopback`;
}

/** Scopes of a bearer token; any token that is not one of ours gets the default scopes. */
function scopesOf(token: string, fallback: CacheScope[]): CacheScope[] {
  const parts = token.split('.');
  if (parts.length !== 3) return fallback;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof payload.ac !== 'string') return fallback;
    const ac = JSON.parse(payload.ac);
    if (!Array.isArray(ac)) return fallback;
    return ac.map((s: any) => ({ scope: String(s.Scope), permission: Number(s.Permission) }));
  } catch {
    return fallback;
  }
}

function startAzurite(verbose: boolean): Promise<{ child: ChildProcess; port: number }> {
  // A tiny wrapper around Azurite's main.js that exits when our end of its stdin closes, so a
  // crashed test process never leaves an emulator behind.
  const wrapper =
    `process.argv = [process.argv[0], ${JSON.stringify(AZURITE_BLOB)}, ...process.argv.slice(1)];` +
    `process.stdin.on('end', () => process.exit(0)); process.stdin.on('error', () => process.exit(0)); process.stdin.resume();` +
    `require(${JSON.stringify(AZURITE_BLOB)});`;
  const args = [
    '-e',
    wrapper,
    '--',
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--inMemoryPersistence',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--silent'
  ];
  const child = spawn(NODE24, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', AZURITE_ACCEPT_EULA: 'true' }
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let done = false;
    const finish = (err: Error | null, port?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else {
        resolve({ child, port: port! });
      }
    };
    const timer = setTimeout(() => finish(new Error(`Azurite did not start within 30 s:\n${out}`)), 30000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      if (verbose) process.stderr.write(`[azurite] ${text}`);
      if (!done) out += text;
      const m = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) finish(null, Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => finish(e));
    child.once('exit', (code, signal) =>
      finish(new Error(`Azurite exited (${code ?? signal}) before listening:\n${out}`))
    );
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export async function startCacheService(opts: CacheServiceOptions = {}): Promise<CacheService> {
  const defaultScopes = opts.scopes && opts.scopes.length > 0 ? opts.scopes : DEFAULT_SCOPES;
  const { child: azurite, port: azuritePort } = await startAzurite(!!opts.verbose);
  const azuriteExit = new Promise<void>((r) => azurite.once('exit', () => r()));

  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const containerName = `actions-cache-${randomBytes(4).toString('hex')}`;
  const container = new ContainerClient(
    `http://127.0.0.1:${azuritePort}/${AZURITE_ACCOUNT}/${containerName}`,
    credential
  );
  try {
    await container.createIfNotExists();
  } catch (e) {
    azurite.kill('SIGKILL');
    throw e;
  }

  let entries: (CacheEntry & { id: number; seq: number; chunks?: Buffer[] })[] = [];
  const requests: CacheRequest[] = [];
  const blobRequests: BlobRequest[] = [];
  let faults: (CacheFault & { left: number })[] = [];
  let uploaded = 0;
  let downloaded = 0;
  let nextId = 1;
  let seq = 0;
  let stopped = false;
  const background = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  const agent = new http.Agent({ keepAlive: true });
  let port = 0;

  const track = (p: Promise<unknown>) => {
    const q = p.catch(() => undefined).finally(() => background.delete(q));
    background.add(q);
  };
  const deleteBlobs = (names: string[]) => {
    for (const n of names) track(container.getBlockBlobClient(n).deleteIfExists());
  };

  const sign = (blobName: string, permissions: string): string => {
    const sas = generateBlobSASQueryParameters(
      {
        containerName,
        blobName,
        permissions: BlobSASPermissions.parse(permissions),
        protocol: SASProtocol.HttpsAndHttp,
        expiresOn: new Date(Date.now() + SAS_LIFETIME_MS)
      },
      credential
    ).toString();
    return `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}/${containerName}/${encodeURIComponent(blobName)}?${sas}`;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  /** The next fault for `method`; `exact`: not a '*' fault (the blob proxy's, which '*' never meant). */
  const takeFault = (method: string, exact = false): CacheFault | undefined => {
    const i = faults.findIndex((f) => (!exact && f.method === '*') || f.method === method);
    if (i < 0) return undefined;
    const f = faults[i];
    f.left -= 1;
    if (f.left <= 0) faults.splice(i, 1);
    return f;
  };

  type Reply = { status: number; body: any };
  const ok = (body: any): Reply => ({ status: 200, body });
  const twirpError = (status: number, msg: string, code = twirpCode(status)): Reply => ({
    status,
    body: { code, msg }
  });

  const readable = (scopes: CacheScope[]) => scopes.filter((s) => (s.permission & READ) !== 0);
  const writable = (scopes: CacheScope[]) => scopes.filter((s) => (s.permission & WRITE) !== 0);

  async function handle(method: string, body: any, scopes: CacheScope[]): Promise<Reply> {
    const key = typeof body?.key === 'string' ? body.key : '';
    const version = typeof body?.version === 'string' ? body.version : '';
    if (!key) return twirpError(400, 'key is required');
    if (!version) return twirpError(400, 'version is required');

    if (method === 'CreateCacheEntry') {
      const scope = writable(scopes)[0];
      if (!scope) {
        // What the service answers to a read-only (downgraded) token: a 200 with ok=false.
        return ok({
          ok: false,
          signed_upload_url: '',
          message: `cache write denied: token has no writable cache scope`
        });
      }
      if (entries.some((e) => e.key === key && e.version === version && e.scope === scope.scope)) {
        return twirpError(409, `cache entry with the same key, version, and scope already exists`);
      }
      const id = nextId++;
      const blobName = `${id}-${randomBytes(6).toString('hex')}`;
      entries.push({
        id,
        seq: seq++,
        key,
        version,
        scope: scope.scope,
        blobName,
        sizeBytes: 0,
        createdAt: Date.now(),
        finalized: false
      });
      return ok({ ok: true, signed_upload_url: sign(blobName, 'cw') });
    }

    if (method === 'FinalizeCacheEntryUpload') {
      const scope = writable(scopes)[0];
      const entry = scope && entries.find((e) => e.key === key && e.version === version && e.scope === scope.scope);
      if (!entry) return twirpError(404, 'cache entry not found');
      if (entry.finalized) return twirpError(409, 'cache entry is already finalized');
      const claimed = Number(body.size_bytes ?? 0);
      let actual: number;
      try {
        actual = (await container.getBlockBlobClient(entry.blobName).getProperties()).contentLength ?? -1;
      } catch {
        return twirpError(412, 'cache entry has not been uploaded', 'failed_precondition');
      }
      if (!Number.isFinite(claimed) || claimed !== actual) {
        return twirpError(400, `size_bytes ${body.size_bytes} does not match the uploaded size ${actual}`);
      }
      entry.finalized = true;
      entry.sizeBytes = actual;
      return ok({ ok: true, entry_id: String(entry.id) });
    }

    // GetCacheEntryDownloadURL
    const restoreKeys: string[] = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [];
    const scopesToRead = readable(scopes);
    if (scopesToRead.length === 0) return twirpError(403, 'cache read denied: token has no readable cache scope');
    for (const scope of scopesToRead) {
      const candidates = entries.filter((e) => e.finalized && e.version === version && e.scope === scope.scope);
      const newestWithPrefix = (prefix: string) =>
        candidates
          .filter((e) => e.key.startsWith(prefix))
          .sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq)[0];
      for (const k of [key, ...restoreKeys]) {
        const hit = candidates.find((e) => e.key === k) ?? newestWithPrefix(k);
        if (hit) return ok({ ok: true, signed_download_url: sign(hit.blobName, 'r'), matched_key: hit.key });
      }
    }
    return ok({ ok: false, signed_download_url: '', matched_key: '' });
  }

  /** The v1 REST protocol (GHES): the same entries; archives kept in memory (they are bytes, not blobs). */
  async function onV1(req: http.IncomingMessage, res: http.ServerResponse, path: string, url: URL) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const resource = path.slice(V1_PREFIX.length);
    const method: CacheMethod | 'ListCaches' =
      req.method === 'GET' && resource === 'cache'
        ? 'GetCacheEntry'
        : req.method === 'GET'
          ? 'ListCaches'
          : req.method === 'POST' && resource === 'caches'
            ? 'ReserveCache'
            : req.method === 'PATCH'
              ? 'UploadChunk'
              : 'CommitCache';
    let body: any = null;
    if (req.method === 'POST') {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = null;
      }
    }
    const entry: CacheRequest = { method, body, status: 0, at: Date.now() };
    requests.push(entry);
    const reply = (status: number, json?: unknown) => {
      entry.status = status;
      if (json === undefined) {
        res.writeHead(status);
        return res.end();
      }
      send(res, status, JSON.stringify(json));
    };
    const m = /^Bearer (\S.*)$/.exec(req.headers.authorization ?? '');
    if (!m) return reply(401, { message: 'missing or malformed Authorization bearer token' });
    const fault = method === 'ListCaches' ? undefined : takeFault(method);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.reset) return req.socket.destroy();
    if (fault && (fault.status !== undefined || fault.body !== undefined)) {
      entry.status = fault.status ?? 500;
      return send(
        res,
        fault.status ?? 500,
        fault.body ?? JSON.stringify({ message: `injected fault (${entry.status})` }),
        fault.headers
      );
    }
    const scopes = scopesOf(m[1], defaultScopes);
    if (method === 'ListCaches') return reply(200, { totalCount: 0, artifactCaches: [] });
    if (method === 'GetCacheEntry') {
      const keys = (url.searchParams.get('keys') ?? '').split(',').filter(Boolean);
      const version = url.searchParams.get('version') ?? '';
      const scopesToRead = readable(scopes);
      if (scopesToRead.length === 0)
        return reply(403, { message: 'cache read denied: token has no readable cache scope' });
      for (const scope of scopesToRead) {
        const candidates = entries.filter((e) => e.finalized && e.version === version && e.scope === scope.scope);
        for (const k of keys) {
          const hit =
            candidates.find((e) => e.key === k) ??
            candidates.filter((e) => e.key.startsWith(k)).sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq)[0];
          if (hit)
            return reply(200, {
              cacheKey: hit.key,
              scope: hit.scope,
              creationTime: new Date(hit.createdAt).toISOString(),
              archiveLocation: `http://127.0.0.1:${port}${V1_ARCHIVE}${hit.id}`
            });
        }
      }
      return reply(204);
    }
    const scope = writable(scopes)[0];
    if (!scope) return reply(403, { message: 'cache write denied: token has no writable cache scope' });
    if (method === 'ReserveCache') {
      const key = typeof body?.key === 'string' ? body.key : '';
      const version = typeof body?.version === 'string' ? body.version : '';
      if (!key || !version) return reply(400, { message: 'key and version are required' });
      if (entries.some((e) => e.key === key && e.version === version && e.scope === scope.scope))
        return reply(409, { message: `Cache already exists. Scope: ${scope.scope}, Key: ${key}, Version: ${version}` });
      const id = nextId++;
      entries.push({
        id,
        seq: seq++,
        key,
        version,
        scope: scope.scope,
        blobName: `v1-${id}`,
        sizeBytes: 0,
        createdAt: Date.now(),
        finalized: false,
        chunks: []
      });
      return reply(200, { cacheId: id });
    }
    const id = Number(resource.split('/')[1]);
    const target = entries.find((e) => e.id === id && e.scope === scope.scope);
    if (!target) return reply(404, { message: `cache ${id} not found` });
    if (target.finalized) return reply(409, { message: `cache ${id} is already committed` });
    if (method === 'UploadChunk') {
      const range = /^bytes (\d+)-(\d+)\/\*$/.exec(String(req.headers['content-range'] ?? ''));
      if (!range || Number(range[2]) - Number(range[1]) + 1 !== raw.length)
        return reply(400, { message: 'bad Content-Range' });
      target.chunks![Number(range[1])] = raw;
      uploaded += raw.length;
      return reply(204);
    }
    // CommitCache
    const data = Buffer.concat((target.chunks ?? []).filter(Boolean));
    if (Number(body?.size) !== data.length)
      return reply(400, { message: `size ${body?.size} does not match the uploaded size ${data.length}` });
    target.chunks = [data];
    target.finalized = true;
    target.sizeBytes = data.length;
    return reply(204);
  }

  function onV1Archive(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    req.resume();
    const id = Number(path.slice(V1_ARCHIVE.length));
    const target = entries.find((e) => e.id === id && e.finalized && e.chunks);
    if (!target) return send(res, 404, JSON.stringify({ message: 'no such archive' }));
    const data = target.chunks![0];
    downloaded += data.length;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length });
    res.end(data);
  }

  function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      ...headers
    });
    res.end(body);
  }

  async function onTwirp(req: http.IncomingMessage, res: http.ServerResponse, method: string) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += c.length;
      if (size > MAX_TWIRP_BODY) {
        requests.push({ method, body: null, status: 413, at: Date.now() });
        return send(res, 413, JSON.stringify({ code: 'invalid_argument', msg: 'request body too large' }));
      }
      chunks.push(c as Buffer);
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    let malformed = false;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
      malformed = true;
    }
    const entry: CacheRequest = { method, body, status: 0, at: Date.now() };
    requests.push(entry);

    const auth = req.headers.authorization ?? '';
    const m = /^Bearer (\S.*)$/.exec(auth);
    let reply: Reply;
    if (!m) {
      reply = twirpError(401, 'missing or malformed Authorization bearer token');
    } else if (!METHODS.includes(method as CacheMethod)) {
      reply = twirpError(404, `no handler for path ${req.url}`, 'bad_route');
    } else if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      reply = twirpError(404, `unexpected Content-Type: ${req.headers['content-type'] ?? ''}`, 'bad_route');
    } else if (malformed || typeof body !== 'object' || body === null) {
      reply = twirpError(400, 'the json request could not be decoded', 'malformed');
    } else {
      const fault = takeFault(method);
      if (fault?.delayMs) await sleep(fault.delayMs);
      if (stopped) {
        res.destroy();
        return;
      }
      if (fault?.reset) {
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      if (fault && (fault.status !== undefined || fault.body !== undefined)) {
        const status = fault.status ?? 500;
        entry.status = status;
        const text = fault.body ?? JSON.stringify({ code: twirpCode(status), msg: `injected fault (${status})` });
        return send(res, status, text, fault.headers);
      }
      reply = await handle(method, body, scopesOf(m[1], defaultScopes));
    }
    entry.status = reply.status;
    send(res, reply.status, JSON.stringify(reply.body));
  }

  function onBlob(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const comp = url.searchParams.get('comp') ?? '';
    const blobName = decodeURIComponent(url.pathname.split('/').slice(3).join('/'));
    const log: BlobRequest = { method: req.method ?? '', blobName, comp, status: 0, bytes: 0, at: Date.now() };
    blobRequests.push(log);
    const countsUpload = req.method === 'PUT' && (comp === '' || comp === 'block');
    const countsDownload = req.method === 'GET' && comp === '';
    const fault = req.method === 'PUT' ? takeFault('BlobUpload', true) : undefined;
    if (fault && (fault.status !== undefined || fault.reset)) {
      log.status = fault.status ?? 0;
      req.resume();
      if (fault.reset) return req.socket.destroy();
      return send(res, fault.status!, fault.body ?? '<Error><Code>InternalError</Code></Error>', fault.headers);
    }
    let uploadAccepted = false;
    const headers = { ...req.headers, host: `127.0.0.1:${azuritePort}` };
    const upstream = http.request(
      { host: '127.0.0.1', port: azuritePort, method: req.method, path: req.url, headers, agent },
      (up) => {
        log.status = up.statusCode ?? 0;
        // Uploads count once Azurite accepted them (a refused PUT stores nothing).
        uploadAccepted = countsUpload && log.status < 300;
        if (uploadAccepted) uploaded += log.bytes;
        res.writeHead(up.statusCode ?? 502, up.statusMessage, up.headers);
        up.on('data', (c: Buffer) => {
          if (countsDownload && log.status < 300) {
            log.bytes += c.length;
            downloaded += c.length;
          }
        });
        up.pipe(res);
      }
    );
    upstream.on('error', () => {
      if (!res.headersSent) send(res, 502, JSON.stringify({ error: 'azurite unreachable' }));
      else res.destroy();
    });
    req.on('data', (c: Buffer) => {
      if (countsUpload) {
        log.bytes += c.length;
        if (uploadAccepted) uploaded += c.length;
      }
    });
    req.pipe(upstream);
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith(`/${AZURITE_ACCOUNT}/`)) return onBlob(req, res);
    if (path.startsWith(V1_ARCHIVE)) return onV1Archive(req, res, path);
    if (path.startsWith(V1_PREFIX)) {
      onV1(req, res, path, new URL(req.url ?? '/', 'http://127.0.0.1')).catch((e) => {
        if (!res.headersSent) send(res, 500, JSON.stringify({ message: String(e?.message ?? e) }));
        else res.destroy();
      });
      return;
    }
    if (path.startsWith('/twirp/')) {
      if (req.method !== 'POST' || !path.startsWith(SERVICE_PREFIX)) {
        requests.push({ method: path.slice('/twirp/'.length), body: null, status: 404, at: Date.now() });
        req.resume();
        return send(res, 404, JSON.stringify({ code: 'bad_route', msg: `no handler for ${req.method} ${path}` }));
      }
      onTwirp(req, res, path.slice(SERVICE_PREFIX.length)).catch((e) => {
        if (!res.headersSent) send(res, 500, JSON.stringify({ code: 'internal', msg: String(e?.message ?? e) }));
        else res.destroy();
      });
      return;
    }
    req.resume();
    send(res, 404, JSON.stringify({ code: 'bad_route', msg: `no handler for ${req.method} ${path}` }));
  });
  // Do not let idle keep-alive sockets from clients hold the server open at stop().
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  const resultsUrl = `http://127.0.0.1:${port}/`;
  // v1 as a runner gives it: ACTIONS_CACHE_URL, no ACTIONS_CACHE_SERVICE_V2 (the client then speaks v1, as it does on any GHES host).
  const envFor = (scopes: CacheScope[]): Record<string, string> =>
    opts.protocol === 'v1'
      ? {
          ACTIONS_CACHE_URL: resultsUrl,
          ACTIONS_RUNTIME_TOKEN: makeToken(scopes),
          GITHUB_SERVER_URL: 'https://github.com'
        }
      : {
          ACTIONS_RESULTS_URL: resultsUrl,
          ACTIONS_RUNTIME_TOKEN: makeToken(scopes),
          ACTIONS_CACHE_SERVICE_V2: 'True',
          GITHUB_SERVER_URL: 'https://github.com'
        };
  const publicEntry = ({
    id: _id,
    seq: _seq,
    chunks: _chunks,
    ...e
  }: CacheEntry & { id: number; seq: number; chunks?: Buffer[] }): CacheEntry => ({ ...e });

  const service: CacheService = {
    resultsUrl,
    env: envFor(defaultScopes),
    requests,
    blobRequests,
    get blobBytesUploaded() {
      return uploaded;
    },
    get blobBytesDownloaded() {
      return downloaded;
    },
    stats: () => ({
      requests: requests.length,
      uploadedBytes: uploaded,
      downloadedBytes: downloaded,
      entries: entries.length
    }),
    entries: () => entries.map(publicEntry),
    envFor,
    async readBlob(key: string) {
      const entry = entries
        .filter((e) => e.key === key)
        .sort((a, b) => Number(b.finalized) - Number(a.finalized) || b.seq - a.seq)[0];
      if (!entry) throw new Error(`no cache entry with key ${key}`);
      if (entry.chunks) return Buffer.concat(entry.chunks.filter(Boolean));
      return container.getBlockBlobClient(entry.blobName).downloadToBuffer();
    },
    deleteEntry(key: string) {
      const gone = entries.filter((e) => e.key === key);
      entries = entries.filter((e) => e.key !== key);
      deleteBlobs(gone.map((e) => e.blobName));
    },
    inject(fault: CacheFault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults = [];
    },
    reset() {
      deleteBlobs(entries.map((e) => e.blobName));
      entries = [];
      requests.length = 0;
      blobRequests.length = 0;
      faults = [];
      uploaded = 0;
      downloaded = 0;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      faults = [];
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([...background]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
      azurite.kill('SIGTERM');
      azurite.stdin?.end();
      if (!(await waitForExit(azurite, 5000))) {
        azurite.kill('SIGKILL');
      }
      await azuriteExit;
      azurite.stdout?.destroy();
      azurite.stderr?.destroy();
      azurite.stdin?.destroy();
    }
  };
  return service;
}
