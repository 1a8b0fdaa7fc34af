// The one refresh the action ever sends (renewal: ahead): exactly the request the Codex CLI sends,
// to where Codex would send it, and the answer merged into auth.json the way Codex merges it.
//
// Request (codex-rs/login/src/auth/manager.rs; observed with the pinned CLI 0.171.0, and compared
// field by field with what that binary sends by __tests__/refresh-oracle.test.ts): JSON
//   POST <endpoint>  {"client_id", "grant_type": "refresh_token", "refresh_reason", "refresh_token"}
// in that key order, `content-type: application/json`, `originator: codex_exec` (the originator of
// `codex exec`, the command CI runs; the interactive CLI says `codex_cli_rs`). Codex's user agent
// (`codex_exec/0.171.0 (<OS> <version>; <arch>) <terminal>`) differs per machine, so no server can
// require one value of it: the action sends its own, honestly, and the oracle test compares only its
// product name.
// Endpoint, in Codex's order: CODEX_REFRESH_TOKEN_URL_OVERRIDE when set; else
// `<tokens.oauth_provenance.issuer>/oauth/token` for a login that records its issuer (a device login
// against another issuer); else https://auth.openai.com/oauth/token. The client id is the
// provenance's, else Codex's. Whether a provenance may be trusted is checked before a login is
// restored (src/chatgpt/login/credential.ts), not here.
// Merge: `id_token`, `access_token`, `refresh_token` replace only what the answer has;
// `last_refresh` becomes now (RFC 3339, nanoseconds, `Z`; never earlier than the old one's, see
// stampAfter); every other field (account_id, oauth_provenance, login_owner_id, ...) is kept.
import { errorMessage } from '../../action/errors.js';
import { CODEX_CLIENT_ID, CODEX_ISSUER, stampAfter } from '../login/credential.js';
import type { RefreshFailureCause } from '../login/refresh-failure.js';

export const DEFAULT_TOKEN_URL = `${CODEX_ISSUER}/oauth/token`;
const REFRESH_URL_OVERRIDE = 'CODEX_REFRESH_TOKEN_URL_OVERRIDE';
/** Codex's reason for a refresh before the access token has expired (it sends `unauthorized_recovery` after a 401). */
const REFRESH_REASON = 'proactive_expiry';
/** The `originator` header of `codex exec`, observed with the pinned CLI. */
const REFRESH_ORIGINATOR = 'codex_exec';
/** Our own user agent: Codex's varies by machine, so the originator is what identifies the client. */
const REFRESH_USER_AGENT = 'codex-auth (codex_exec compatible)';

/** Error codes of the token endpoint that Codex treats as permanent, with what they mean. */
const PERMANENT_CODES: Record<string, [RefreshFailureCause, string]> = {
  refresh_token_reused: [
    'reused',
    'its refresh token was already used (another copy of the login was refreshed, or an old copy was restored)'
  ],
  refresh_token_expired: ['expired', 'its refresh token has expired'],
  refresh_token_invalidated: [
    'invalidated',
    'its refresh token was revoked (the login was signed out, its password changed, or a reused token got the whole login revoked)'
  ]
};

export type RefreshOutcome =
  | { ok: true; text: string }
  /** The login is dead (re-seed). */
  | { ok: false; permanent: true; cause: RefreshFailureCause; reason: string }
  /** The server or the network failed, and the token is (probably) unspent. */
  | { ok: false; permanent: false; reason: string };

export interface RefreshOptions {
  env: NodeJS.ProcessEnv;
  /** Waits between attempts after a 5xx or a network error (Codex retries those too). */
  retryDelaysMs?: number[];
  timeoutMs?: number;
  now?: () => Date;
  fetch?: typeof fetch;
}

interface Endpoint {
  url: string;
  clientId: string;
}

/** Where Codex would send this login's refresh, with which client id. */
export function refreshEndpoint(doc: Record<string, unknown>, env: NodeJS.ProcessEnv): Endpoint {
  const tokens = isObject(doc.tokens) ? doc.tokens : {};
  const provenance = isObject(tokens.oauth_provenance) ? tokens.oauth_provenance : undefined;
  const clientId =
    typeof provenance?.client_id === 'string' && provenance.client_id ? provenance.client_id : CODEX_CLIENT_ID;
  const override = env[REFRESH_URL_OVERRIDE];
  if (override) return { url: override, clientId };
  if (typeof provenance?.issuer === 'string' && provenance.issuer)
    return { url: `${provenance.issuer.replace(/\/+$/, '')}/oauth/token`, clientId };
  return { url: DEFAULT_TOKEN_URL, clientId };
}

/** Refreshes the login in `text` (auth.json); the answer is merged as Codex merges it. Never logs a token. */
export async function refreshLogin(text: string, options: RefreshOptions): Promise<RefreshOutcome> {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const tokens = isObject(doc.tokens) ? doc.tokens : {};
  const endpoint = refreshEndpoint(doc, options.env);
  // Codex's key order (serde's field order), so the bodies compare byte for byte apart from the token.
  const body = JSON.stringify({
    client_id: endpoint.clientId,
    grant_type: 'refresh_token',
    refresh_reason: REFRESH_REASON,
    refresh_token: tokens.refresh_token
  });
  const delays = options.retryDelaysMs ?? [1000, 3000];
  const send = options.fetch ?? fetch;
  let last: RefreshOutcome = { ok: false, permanent: false, reason: 'not attempted' };
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, delays[attempt - 1]));
    let response: Response;
    try {
      response = await send(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: '*/*',
          originator: REFRESH_ORIGINATOR,
          'user-agent': REFRESH_USER_AGENT
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000)
      });
    } catch (error) {
      // Unknown whether the server spent the token: retrying with it is what Codex does too.
      last = {
        ok: false,
        permanent: false,
        reason: `the token endpoint could not be reached (${errorMessage(error)})`
      };
      continue;
    }
    const answer = await response.text().catch(() => '');
    if (response.ok) {
      const issued = parseObject(answer);
      if (!issued || typeof issued.access_token !== 'string')
        return {
          ok: false,
          permanent: false,
          reason: `the token endpoint answered ${response.status} without an access token`
        };
      return { ok: true, text: mergeRefresh(doc, issued, (options.now ?? (() => new Date()))()) };
    }
    const code = errorCode(parseObject(answer));
    const known = code ? PERMANENT_CODES[code] : undefined;
    if (known)
      return {
        ok: false,
        permanent: true,
        cause: known[0],
        reason: `the token endpoint refused the login: ${known[1]} (${code})`
      };
    if (response.status === 401)
      return {
        ok: false,
        permanent: true,
        cause: 'refused',
        reason: `the token endpoint refused the login (401${code ? `, ${code}` : ''})`
      };
    const reason = `the token endpoint answered ${response.status}${code ? ` (${code})` : ''}`;
    if (response.status < 500 && response.status !== 429 && response.status !== 408)
      return { ok: false, permanent: true, cause: 'refused', reason };
    last = { ok: false, permanent: false, reason };
  }
  return last;
}

/** auth.json after a refresh, as Codex writes it (two-space JSON, no trailing newline). */
function mergeRefresh(doc: Record<string, unknown>, issued: Record<string, unknown>, now: Date): string {
  const tokens = { ...(isObject(doc.tokens) ? doc.tokens : {}) };
  for (const name of ['id_token', 'access_token', 'refresh_token'] as const) {
    if (typeof issued[name] === 'string' && issued[name]) tokens[name] = issued[name];
  }
  const stamp = rfc3339Nanos(now);
  const last_refresh = typeof doc.last_refresh === 'string' ? stampAfter(stamp, doc.last_refresh) : stamp;
  return JSON.stringify({ ...doc, tokens, last_refresh }, null, 2);
}

/** `2026-11-29T15:18:40.182414041Z`: Codex's form (Date has milliseconds; the rest comes from the monotonic clock). */
function rfc3339Nanos(now: Date): string {
  const subMillis = (process.hrtime.bigint() % 1_000_000n).toString().padStart(6, '0');
  return now.toISOString().replace(/\.(\d{3})Z$/, `.$1${subMillis}Z`);
}

function errorCode(body: Record<string, unknown> | undefined): string | undefined {
  if (!body) return undefined;
  const error = body.error;
  if (isObject(error) && typeof error.code === 'string') return error.code;
  if (typeof error === 'string') return error;
  return typeof body.code === 'string' ? body.code : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
