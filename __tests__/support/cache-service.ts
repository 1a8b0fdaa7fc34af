// A loopback GitHub Actions cache service (v2, Twirp JSON) in front of a real Azurite blob store,
// which also speaks the v1 REST protocol that GitHub Enterprise Server uses. Both protocols share the
// entries, so one test can run against either (`protocol`). Each part names its source at its top:
//
// - cache-service/twirp.ts: v2, the Twirp protocol of `@actions/cache` 6.3 (its client runs unchanged).
// - cache-service/v1.ts: v1 (ACTIONS_CACHE_URL, `_apis/artifactcache/...`), from that client's
//   lib/internal/cacheHttpClient.js.
// - cache-service/blob-proxy.ts, azurite.ts: signed URLs point at a pass-through proxy on this
//   service's own port, which forwards to Azurite and counts the bytes moved.
// - cache-service/scopes.ts: the runtime token's cache scopes; state.ts: entries, logs, faults.
//
// The real `@actions/cache` client talks to it unchanged: give a node step `service.env` and it
// reserves an entry (CreateCacheEntry), uploads the archive with @azure/storage-blob to a signed
// URL, finalizes it (FinalizeCacheEntryUpload) and later resolves keys (GetCacheEntryDownloadURL)
// and downloads with a plain GET. Nothing leaves 127.0.0.1.
//
// Scopes: like the real runtime token (a JWT whose `ac` claim lists cache scopes), the token in
// `env` carries the scopes of the run: entries are written to the first writable scope and read
// from every readable scope, in order (own ref first, then the default branch). `envFor()` mints
// the environment of a run on another ref or with a read-only token.
//
// Used by the end-to-end tests, the demo and the benchmark: plain TypeScript, no jest globals,
// runs under Node 20 (the test runner) and Node 24.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AZURITE_ACCOUNT, startAzurite } from './cache-service/azurite.js';
import { onBlob } from './cache-service/blob-proxy.js';
import { DEFAULT_SCOPES, makeToken, type CacheScope } from './cache-service/scopes.js';
import { send } from './cache-service/send.js';
import {
  CacheState,
  type BlobRequest,
  type CacheEntry,
  type CacheFault,
  type CacheMethod,
  type CacheRequest,
  type StoredEntry
} from './cache-service/state.js';
import { SERVICE_PREFIX, onTwirp } from './cache-service/twirp.js';
import { V1_ARCHIVE, V1_PREFIX, onV1, onV1Archive } from './cache-service/v1.js';

export type { BlobRequest, CacheRequest } from './cache-service/state.js';

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

interface CacheServiceOptions {
  /** Scopes of the token in `env`. Default: `[{ scope: 'refs/heads/main', permission: 3 }]`. */
  scopes?: CacheScope[];
  /** Forward Azurite's output to this process's stderr (debugging). */
  verbose?: boolean;
  /** Which protocol `env` and `envFor()` point the client at (default v2, as on github.com). */
  protocol?: 'v1' | 'v2';
}

export async function startCacheService(opts: CacheServiceOptions = {}): Promise<CacheService> {
  const defaultScopes = opts.scopes && opts.scopes.length > 0 ? opts.scopes : DEFAULT_SCOPES;
  const azurite = await startAzurite(!!opts.verbose);
  const state = new CacheState(azurite, defaultScopes);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => route(state, agent, req, res));
  // Do not let idle keep-alive sockets from clients hold the server open at stop().
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  state.port = (server.address() as AddressInfo).port;

  const resultsUrl = `http://127.0.0.1:${state.port}/`;
  const envFor = (scopes: CacheScope[]) => runnerEnv(opts.protocol, resultsUrl, scopes);
  const publicEntry = ({ id: _id, seq: _seq, chunks: _chunks, ...e }: StoredEntry): CacheEntry => ({ ...e });
  return {
    resultsUrl,
    env: envFor(defaultScopes),
    requests: state.requests,
    blobRequests: state.blobRequests,
    get blobBytesUploaded() {
      return state.uploaded;
    },
    get blobBytesDownloaded() {
      return state.downloaded;
    },
    stats: () => ({
      requests: state.requests.length,
      uploadedBytes: state.uploaded,
      downloadedBytes: state.downloaded,
      entries: state.entries.length
    }),
    entries: () => state.entries.map(publicEntry),
    envFor,
    readBlob: (key) => state.readBlob(key),
    deleteEntry: (key) => state.deleteEntry(key),
    inject: (fault) => state.inject(fault),
    clearFaults: () => state.clearFaults(),
    reset: () => state.reset(),
    async stop() {
      if (state.stopped) return;
      await state.quiesce();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
      await azurite.stop();
    }
  };
}

/** What a runner gives a node step for the cache. */
function runnerEnv(
  protocol: 'v1' | 'v2' | undefined,
  resultsUrl: string,
  scopes: CacheScope[]
): Record<string, string> {
  // v1 as a runner gives it: ACTIONS_CACHE_URL, no ACTIONS_CACHE_SERVICE_V2 (the client then speaks v1, as it does on any GHES host).
  return protocol === 'v1'
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
}

/** Which protocol answers a request: the blob proxy, v1 archives, v1, Twirp. */
function route(state: CacheState, agent: http.Agent, req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path.startsWith(`/${AZURITE_ACCOUNT}/`)) return void onBlob(state, agent, req, res);
  if (path.startsWith(V1_ARCHIVE)) return onV1Archive(state, req, res, path);
  if (path.startsWith(V1_PREFIX)) {
    onV1(state, req, res, path, new URL(req.url ?? '/', 'http://127.0.0.1')).catch((e) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ message: String(e?.message ?? e) }));
      else res.destroy();
    });
    return;
  }
  if (path.startsWith('/twirp/')) {
    if (req.method !== 'POST' || !path.startsWith(SERVICE_PREFIX)) {
      state.requests.push({ method: path.slice('/twirp/'.length), body: null, status: 404, at: Date.now() });
      req.resume();
      return send(res, 404, JSON.stringify({ code: 'bad_route', msg: `no handler for ${req.method} ${path}` }));
    }
    onTwirp(state, req, res, path.slice(SERVICE_PREFIX.length)).catch((e) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ code: 'internal', msg: String(e?.message ?? e) }));
      else res.destroy();
    });
    return;
  }
  req.resume();
  send(res, 404, JSON.stringify({ code: 'bad_route', msg: `no handler for ${req.method} ${path}` }));
}
