// The v1 cache protocol that GitHub Enterprise Server uses (ACTIONS_CACHE_URL,
// `_apis/artifactcache/...`), taken from the client it serves, @actions/cache
// lib/internal/cacheHttpClient.js: GET cache?keys&version → 200 {cacheKey, archiveLocation} or 204;
// POST caches {key, version, cacheSize} → {cacheId}, a taken key refused; PATCH caches/{id} with
// Content-Range chunks; POST caches/{id} {size} commits. Archives are kept in memory (they are bytes,
// not blobs) and served from `_v1archive/{id}`.
import http from 'node:http';
import { readable, scopesOf, writable, type CacheScope } from './scopes.js';
import type { CacheMethod, CacheRequest, CacheState } from './state.js';
import { send } from './send.js';

export const V1_PREFIX = '/_apis/artifactcache/';
export const V1_ARCHIVE = '/_v1archive/';

/** Answers the call (no body: an empty answer) and logs its status. */
type Answer = (status: number, json?: unknown) => void;

/** One v1 call; `path` without the query. */
export async function onV1(
  state: CacheState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
  url: URL
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const resource = path.slice(V1_PREFIX.length);
  const method = v1Method(req.method, resource);
  const body = req.method === 'POST' ? jsonOrNull(raw) : null;
  const entry: CacheRequest = { method, body, status: 0, at: Date.now() };
  state.requests.push(entry);
  const answer: Answer = (status, json) => {
    entry.status = status;
    if (json === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    send(res, status, JSON.stringify(json));
  };
  const m = /^Bearer (\S.*)$/.exec(req.headers.authorization ?? '');
  if (!m) return answer(401, { message: 'missing or malformed Authorization bearer token' });
  const fault = method === 'ListCaches' ? undefined : state.takeFault(method);
  if (fault?.delayMs) await state.sleep(fault.delayMs);
  if (fault?.reset) {
    req.socket.destroy();
    return;
  }
  if (fault && (fault.status !== undefined || fault.body !== undefined)) {
    entry.status = fault.status ?? 500;
    const text = fault.body ?? JSON.stringify({ message: `injected fault (${entry.status})` });
    return send(res, fault.status ?? 500, text, fault.headers);
  }
  const scopes = scopesOf(m[1], state.defaultScopes);
  if (method === 'ListCaches') return answer(200, { totalCount: 0, artifactCaches: [] });
  if (method === 'GetCacheEntry') return getCacheEntry(state, url, scopes, answer);
  const scope = writable(scopes)[0];
  if (!scope) return answer(403, { message: 'cache write denied: token has no writable cache scope' });
  if (method === 'ReserveCache') return reserveCache(state, body, scope, answer);
  const id = Number(resource.split('/')[1]);
  const target = state.entries.find((e) => e.id === id && e.scope === scope.scope);
  if (!target) return answer(404, { message: `cache ${id} not found` });
  if (target.finalized) return answer(409, { message: `cache ${id} is already committed` });
  if (method === 'UploadChunk') {
    const range = /^bytes (\d+)-(\d+)\/\*$/.exec(String(req.headers['content-range'] ?? ''));
    if (!range || Number(range[2]) - Number(range[1]) + 1 !== raw.length)
      return answer(400, { message: 'bad Content-Range' });
    target.chunks![Number(range[1])] = raw;
    state.uploaded += raw.length;
    return answer(204);
  }
  // CommitCache
  const data = Buffer.concat((target.chunks ?? []).filter(Boolean));
  if (Number(body?.size) !== data.length)
    return answer(400, { message: `size ${body?.size} does not match the uploaded size ${data.length}` });
  target.chunks = [data];
  target.finalized = true;
  target.sizeBytes = data.length;
  answer(204);
}

function v1Method(httpMethod: string | undefined, resource: string): CacheMethod | 'ListCaches' {
  if (httpMethod === 'GET') return resource === 'cache' ? 'GetCacheEntry' : 'ListCaches';
  if (httpMethod === 'POST' && resource === 'caches') return 'ReserveCache';
  return httpMethod === 'PATCH' ? 'UploadChunk' : 'CommitCache';
}

function jsonOrNull(raw: Buffer): any {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
}

/** `GET cache?keys=a,b&version=v`. */
function getCacheEntry(state: CacheState, url: URL, scopes: CacheScope[], answer: Answer): void {
  const keys = (url.searchParams.get('keys') ?? '').split(',').filter(Boolean);
  const version = url.searchParams.get('version') ?? '';
  const scopesToRead = readable(scopes);
  if (scopesToRead.length === 0)
    return answer(403, { message: 'cache read denied: token has no readable cache scope' });
  const hit = state.lookup(scopesToRead, version, keys);
  if (!hit) return answer(204);
  answer(200, {
    cacheKey: hit.key,
    scope: hit.scope,
    creationTime: new Date(hit.createdAt).toISOString(),
    archiveLocation: `http://127.0.0.1:${state.port}${V1_ARCHIVE}${hit.id}`
  });
}

/** `POST caches {key, version}`. */
function reserveCache(state: CacheState, body: any, scope: CacheScope, answer: Answer): void {
  const key = typeof body?.key === 'string' ? body.key : '';
  const version = typeof body?.version === 'string' ? body.version : '';
  if (!key || !version) return answer(400, { message: 'key and version are required' });
  if (state.has(key, version, scope.scope))
    return answer(409, { message: `Cache already exists. Scope: ${scope.scope}, Key: ${key}, Version: ${version}` });
  const entry = state.addEntry({ key, version, scope: scope.scope, chunks: [] }, (id) => `v1-${id}`);
  answer(200, { cacheId: entry.id });
}

/** `GET _v1archive/{id}`: a committed archive. */
export function onV1Archive(state: CacheState, req: http.IncomingMessage, res: http.ServerResponse, path: string) {
  req.resume();
  const id = Number(path.slice(V1_ARCHIVE.length));
  const target = state.entries.find((e) => e.id === id && e.finalized && e.chunks);
  if (!target) return send(res, 404, JSON.stringify({ message: 'no such archive' }));
  const data = target.chunks![0];
  state.downloaded += data.length;
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length });
  res.end(data);
}
