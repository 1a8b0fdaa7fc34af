// A loopback stand-in for OpenAI's ChatGPT-login token authority (`https://auth.openai.com/oauth/token`
// and `/oauth/revoke`). Point the real Codex CLI at it with CODEX_REFRESH_TOKEN_URL_OVERRIDE=url and
// CODEX_REVOKE_TOKEN_URL_OVERRIDE=revokeUrl. It behaves like the real endpoint as far as Codex can tell;
// its source is the pinned Codex binary's own requests and the errors it recognizes (observed), named
// at the top of each part:
//
// - oauth-server/refresh.ts: the refresh grant (single-use rotating refresh tokens, reuse detection
//   that revokes the whole family) and `/oauth/revoke`.
// - oauth-server/device-login.ts: device-code login and the authorization-code exchange.
// - oauth-server/authority.ts: token families, access tokens, device codes, `stats()`.
// - oauth-server/answers.ts: OpenAI's error envelope, which is what Codex parses.
//
// Injected faults apply to `POST /oauth/token` only: a status (default body: an OpenAI server_error),
// a delay, or a dropped connection.
import http from 'node:http';
import { listenOnLoopback } from './loopback.js';
import { openAiError, type Handled, type TokenOutcome } from './oauth-server/answers.js';
import {
  Authority,
  type AccessTokenStatus,
  type DeviceCode,
  type IssueOptions,
  type OAuthStats
} from './oauth-server/authority.js';
import { handleCodeExchange, handleDevice } from './oauth-server/device-login.js';
import { handleRefresh, handleRevoke } from './oauth-server/refresh.js';
import type { ChatGptAuthJson } from './jwt.js';

export { CODEX_CLIENT_ID } from './oauth-server/authority.js';

export interface OAuthServerOptions {
  /** Reuse of a spent refresh token revokes its whole family (default true). */
  revokeFamilyOnReuse?: boolean;
  /** Lifetime of access tokens minted by refreshes and by `issue()` (default 10 days, like real ones). */
  accessTtlSeconds?: number;
  /** Answer a `client_id` other than Codex's with 401 invalid_client (default true). */
  checkClientId?: boolean;
}

export interface OAuthRequest {
  at: Date;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON (or form) body; null when it did not parse. */
  body: Record<string, unknown> | null;
  status: number;
  outcome: TokenOutcome;
  familyId?: string;
  /** For successful refreshes: the tokens handed out. */
  issued?: { access_token: string; refresh_token: string; id_token: string };
}

interface Fault {
  /** Answer with this status instead of handling the request (e.g. 500, 503, 429). */
  status?: number;
  /** Body for `status` (default: an OpenAI-style server_error envelope). */
  body?: unknown;
  /** Wait this long before answering (alone: then handle normally). */
  delayMs?: number;
  /** Destroy the socket without an answer (a network error for the client). */
  drop?: boolean;
  /** How many token-endpoint requests this fault applies to (default 1). */
  times?: number;
}

export interface OAuthServer {
  /** The issuer base URL (for `codex login --device-auth --experimental_issuer`). */
  issuer: string;
  /** Full token endpoint URL, for CODEX_REFRESH_TOKEN_URL_OVERRIDE. */
  url: string;
  /** Full revoke endpoint URL, for CODEX_REVOKE_TOKEN_URL_OVERRIDE. */
  revokeUrl: string;
  /** Mint a fresh token family; returns auth.json as `codex login` writes it. */
  issue(opts?: IssueOptions): ChatGptAuthJson;
  requests: OAuthRequest[];
  stats(): OAuthStats;
  isValidAccessToken(token: string): boolean;
  accessTokenStatus(token: string): AccessTokenStatus;
  /** Account id an access token was issued for (undefined when unknown). */
  accountOf(accessToken: string): string | undefined;
  /** Family id of a refresh or access token (undefined when unknown). */
  familyOf(token: string): string | undefined;
  familyRevoked(familyId: string): boolean;
  /** Revoke a family by hand (as a password change or admin action would). */
  revokeFamily(familyId: string): void;
  /** Make a family's refresh tokens answer `refresh_token_expired`. */
  expireFamily(familyId: string): void;
  /** Queue a fault for the next token-endpoint request(s). */
  inject(fault: Fault): void;
  /** Drop faults still queued (e.g. the rest of a `times: 100`). */
  clearFaults(): void;
  /** Device codes handed out, oldest first. */
  deviceCodes: DeviceCode[];
  /** The user signs in and enters this code: the next token poll gets an authorization code. */
  approveDevice(userCode: string, opts?: IssueOptions): void;
  stop(): Promise<void>;
}

const DEVICE_PATHS = ['/api/accounts/deviceauth/usercode', '/api/accounts/deviceauth/token'];

export async function startOAuthServer(opts: OAuthServerOptions = {}): Promise<OAuthServer> {
  const authority = new Authority(opts);
  const requests: OAuthRequest[] = [];
  const faults: Fault[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void serve(authority, faults, requests, req, res, Buffer.concat(chunks).toString('utf8')));
  });
  const { port, stop } = await listenOnLoopback(server);
  const base = `http://127.0.0.1:${port}`;
  return {
    issuer: base,
    url: `${base}/oauth/token`,
    revokeUrl: `${base}/oauth/revoke`,
    requests,
    deviceCodes: authority.deviceCodes,
    approveDevice(userCode, opts = {}) {
      const code = authority.deviceCodes.find((c) => c.userCode === userCode);
      if (!code) throw new Error(`no device code ${userCode}`);
      code.approved = opts;
    },
    issue: (io) => authority.issue(io),
    stats: () => ({ ...authority.counters }),
    isValidAccessToken: (token) => authority.accessTokenStatus(token) === 'valid',
    accessTokenStatus: (token) => authority.accessTokenStatus(token),
    accountOf(token) {
      const rec = authority.accessTokens.get(token);
      return rec ? authority.families.get(rec.familyId)?.accountId : undefined;
    },
    familyOf: (token) => authority.familyOf(token),
    familyRevoked: (id) => authority.families.get(id)?.revoked ?? false,
    revokeFamily: (id) => authority.revoke(id),
    expireFamily: (id) => authority.expire(id),
    inject(fault) {
      faults.push({ ...fault });
    },
    clearFaults() {
      faults.length = 0;
    },
    stop
  };
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> | null {
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    const v = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** Logs a request and routes it: the token endpoint (after any fault), device login, revoke. */
async function serve(
  authority: Authority,
  faults: Fault[],
  requests: OAuthRequest[],
  req: http.IncomingMessage,
  res: http.ServerResponse,
  rawBody: string
): Promise<void> {
  const body = parseBody(rawBody, req.headers['content-type']);
  const path = (req.url ?? '/').split('?')[0];
  const entry: OAuthRequest = {
    at: new Date(),
    method: req.method ?? '',
    path,
    headers: req.headers,
    rawBody,
    body,
    status: 0,
    outcome: 'not_found'
  };
  requests.push(entry);
  const send = (handled: Handled) => {
    entry.status = handled.status;
    entry.outcome = handled.outcome;
    const text = JSON.stringify(handled.json);
    res.writeHead(handled.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (req.method === 'POST' && path === '/oauth/token') {
    const faulted = await applyFault(authority, faults);
    if (faulted === 'dropped') {
      entry.outcome = 'dropped';
      req.socket.destroy();
      return;
    }
    if (faulted) return send(faulted);
    const r =
      body?.grant_type === 'authorization_code' ? handleCodeExchange(authority, body) : handleRefresh(authority, body);
    entry.familyId = r.familyId;
    entry.issued = r.issued;
    if (r.status >= 400 && r.status < 500) authority.counters.rejected++;
    return send(r);
  }
  if (req.method === 'POST' && DEVICE_PATHS.includes(path)) return send(handleDevice(authority, path, body));
  if (req.method === 'POST' && path === '/oauth/revoke') {
    const r = handleRevoke(authority, body);
    entry.familyId = r.familyId;
    return send(r);
  }
  send({ status: 404, json: openAiError(`Unknown path ${path}`, 'not_found'), outcome: 'not_found' });
}

/** Takes the next fault: its answer, 'dropped', or undefined (none, or a delay only) to answer normally. */
async function applyFault(authority: Authority, faults: Fault[]): Promise<Handled | 'dropped' | undefined> {
  const fault = faults[0];
  if (!fault) return undefined;
  fault.times = (fault.times ?? 1) - 1;
  if (fault.times <= 0) faults.shift();
  if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
  if (fault.drop) {
    authority.counters.faults++;
    return 'dropped';
  }
  if (!fault.status) return undefined;
  authority.counters.faults++;
  const json =
    fault.body ?? openAiError('The server had an error while processing your request.', null, 'server_error');
  return { status: fault.status, json, outcome: 'injected' };
}
