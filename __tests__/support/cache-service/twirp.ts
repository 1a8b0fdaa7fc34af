// The v2 cache protocol, as github.com serves it: Twirp JSON calls to
// `/twirp/github.actions.results.api.v1.CacheService/{method}`, taken from the client it serves
// (@actions/cache 6.3, lib/internal/shared/cacheTwirpClient.js and lib/generated/results/api/v1/cache.*):
// CreateCacheEntry reserves an entry and answers a signed upload URL, FinalizeCacheEntryUpload checks
// the size against the uploaded blob, GetCacheEntryDownloadURL resolves keys to a signed download URL.
// Errors are Twirp's `{code, msg}` (twirp spec, "Errors").
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readable, scopesOf, writable, type CacheScope } from './scopes.js';
import type { CacheMethod, CacheRequest, CacheState } from './state.js';
import { send } from './send.js';

export const SERVICE_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/';
const METHODS: CacheMethod[] = ['CreateCacheEntry', 'FinalizeCacheEntryUpload', 'GetCacheEntryDownloadURL'];
const MAX_TWIRP_BODY = 1024 * 1024;

type Reply = { status: number; body: any };
const ok = (body: any): Reply => ({ status: 200, body });
const twirpError = (status: number, msg: string, code = twirpCode(status)): Reply => ({
  status,
  body: { code, msg }
});

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

/** One Twirp call (`method`: the path after the service prefix). */
export async function onTwirp(state: CacheState, req: http.IncomingMessage, res: http.ServerResponse, method: string) {
  const read = await readTwirpBody(req, () => {
    state.requests.push({ method, body: null, status: 413, at: Date.now() });
    send(res, 413, JSON.stringify({ code: 'invalid_argument', msg: 'request body too large' }));
  });
  if (!read) return;
  const { body, malformed } = read;
  const entry: CacheRequest = { method, body, status: 0, at: Date.now() };
  state.requests.push(entry);

  const m = /^Bearer (\S.*)$/.exec(req.headers.authorization ?? '');
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
    const fault = state.takeFault(method);
    if (fault?.delayMs) await state.sleep(fault.delayMs);
    if (state.stopped) {
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
    reply = await handle(state, method, body, scopesOf(m[1], state.defaultScopes));
  }
  entry.status = reply.status;
  send(res, reply.status, JSON.stringify(reply.body));
}

/**
 * The JSON body (or the raw text, `malformed`); past 1 MB, undefined once `tooLarge` answered (before
 * the request stream is dropped, which resets the connection).
 */
async function readTwirpBody(
  req: http.IncomingMessage,
  tooLarge: () => void
): Promise<{ body: any; malformed: boolean } | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > MAX_TWIRP_BODY) {
      tooLarge();
      return undefined;
    }
    chunks.push(c as Buffer);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  try {
    return { body: JSON.parse(raw), malformed: false };
  } catch {
    return { body: raw, malformed: true };
  }
}

async function handle(state: CacheState, method: string, body: any, scopes: CacheScope[]): Promise<Reply> {
  const key = typeof body?.key === 'string' ? body.key : '';
  const version = typeof body?.version === 'string' ? body.version : '';
  if (!key) return twirpError(400, 'key is required');
  if (!version) return twirpError(400, 'version is required');
  if (method === 'CreateCacheEntry') return createEntry(state, key, version, scopes);
  if (method === 'FinalizeCacheEntryUpload') return finalizeEntry(state, key, version, body, scopes);
  // GetCacheEntryDownloadURL
  const restoreKeys: string[] = Array.isArray(body.restore_keys) ? body.restore_keys.map(String) : [];
  const scopesToRead = readable(scopes);
  if (scopesToRead.length === 0) return twirpError(403, 'cache read denied: token has no readable cache scope');
  const hit = state.lookup(scopesToRead, version, [key, ...restoreKeys]);
  if (hit) return ok({ ok: true, signed_download_url: state.sign(hit.blobName, 'r'), matched_key: hit.key });
  return ok({ ok: false, signed_download_url: '', matched_key: '' });
}

function createEntry(state: CacheState, key: string, version: string, scopes: CacheScope[]): Reply {
  const scope = writable(scopes)[0];
  if (!scope) {
    // What the service answers to a read-only (downgraded) token: a 200 with ok=false.
    return ok({
      ok: false,
      signed_upload_url: '',
      message: `cache write denied: token has no writable cache scope`
    });
  }
  if (state.has(key, version, scope.scope)) {
    return twirpError(409, `cache entry with the same key, version, and scope already exists`);
  }
  const entry = state.addEntry({ key, version, scope: scope.scope }, (id) => `${id}-${randomHex(6)}`);
  return ok({ ok: true, signed_upload_url: state.sign(entry.blobName, 'cw') });
}

async function finalizeEntry(
  state: CacheState,
  key: string,
  version: string,
  body: any,
  scopes: CacheScope[]
): Promise<Reply> {
  const scope = writable(scopes)[0];
  const entry = scope && state.entries.find((e) => e.key === key && e.version === version && e.scope === scope.scope);
  if (!entry) return twirpError(404, 'cache entry not found');
  if (entry.finalized) return twirpError(409, 'cache entry is already finalized');
  const claimed = Number(body.size_bytes ?? 0);
  let actual: number;
  try {
    actual = (await state.azurite.container.getBlockBlobClient(entry.blobName).getProperties()).contentLength ?? -1;
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

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
