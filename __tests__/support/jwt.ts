// Test-only JWTs and ChatGPT-login auth.json objects shaped exactly like the ones `codex login`
// writes (observed: the file the pinned 0.171.0 writes and reads). Codex never verifies the
// signature, but it does require three dot-separated base64url parts whose middle part is JSON.
import { randomBytes, randomUUID } from 'node:crypto';

const AUTH_CLAIM = 'https://api.openai.com/auth';

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** A well-formed (but not really signed) JWT: base64url(header).base64url(payload).base64url(random sig). */
function makeJwt(payload: Record<string, unknown>): string {
  const header = { alg: 'RS256', typ: 'JWT', kid: 'test-key' };
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${b64url(randomBytes(32))}`;
}

/** Decodes a JWT payload without verifying it; returns null when it is not a three-part JWT with a JSON payload. */
export function decodeJwt(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? payload : null;
  } catch {
    return null;
  }
}

let lastMillis = Number.NaN;
let subMillis = 0;

/**
 * RFC 3339 UTC with nanoseconds and `Z`, the way Codex (chrono) writes `last_refresh`,
 * e.g. `2026-11-29T15:18:40.182414041Z`. JS clocks only have milliseconds; the extra digits grow
 * within a millisecond, so stamps made one after another sort in the order they were made (random
 * digits once let a login made later sort before one made earlier in the same millisecond).
 */
export function rfc3339Nanos(date: Date = new Date()): string {
  const ms = date.getTime();
  subMillis =
    ms === lastMillis
      ? Math.min(subMillis + 1 + Math.floor(Math.random() * 1000), 999_999)
      : Math.floor(Math.random() * 500_000);
  lastMillis = ms;
  return `${date.toISOString().slice(0, -1)}${String(subMillis).padStart(6, '0')}Z`;
}
export interface ChatGptAuthOptions {
  /** When the access token's `exp` lies (default: 10 days from now, like real tokens). */
  accessExpiresAt?: Date;
  /** Workspace / account id: `tokens.account_id` and the id token's `chatgpt_account_id` (default: random). */
  accountId?: string;
  email?: string;
  /** `chatgpt_plan_type` claim (default `plus`). */
  plan?: string;
  /** `chatgpt_user_id` claim (default: derived from the account id). */
  userId?: string;
  /** Refresh token to store (default: a random `rt_…`). */
  refreshToken?: string;
  /** `last_refresh` (default: now). A string is written verbatim. */
  lastRefresh?: Date | string;
  /** Issued-at of the tokens (default: now). */
  issuedAt?: Date;
  /** Extra claims for the access token (e.g. a token id `jti` or a family id the OAuth mock tracks). */
  accessClaims?: Record<string, unknown>;
}

interface ChatGptTokens {
  id_token: string;
  access_token: string;
  refresh_token: string;
  account_id: string;
}

/** auth.json as `codex login` (ChatGPT) writes it. */
export interface ChatGptAuthJson {
  auth_mode: 'chatgpt';
  OPENAI_API_KEY: null;
  tokens: ChatGptTokens;
  last_refresh: string;
}

/** auth.json as `codex login --with-api-key` writes it. */
export interface ApiKeyAuthJson {
  auth_mode: 'apikey';
  OPENAI_API_KEY: string;
}

export function randomRefreshToken(): string {
  return `rt_${randomBytes(24).toString('base64url')}`;
}

/** The id token JWT: identity claims Codex reads (email, plan, user id, account id); expires an hour after issue. */
export function makeIdToken(opts: {
  accountId: string;
  email: string;
  plan: string;
  userId: string;
  issuedAt?: Date;
}): string {
  const iat = Math.floor((opts.issuedAt ?? new Date()).getTime() / 1000);
  return makeJwt({
    iss: 'https://auth.openai.com',
    aud: ['app_EMoamEEZ73f0CkXaXp7hrann'],
    sub: `auth0|${opts.userId}`,
    email: opts.email,
    email_verified: true,
    iat,
    exp: iat + 3600,
    auth_time: iat,
    [AUTH_CLAIM]: {
      chatgpt_account_id: opts.accountId,
      chatgpt_plan_type: opts.plan,
      chatgpt_user_id: opts.userId,
      user_id: opts.userId
    }
  });
}

/** The access token JWT; its `exp` drives Codex's proactive refresh. */
export function makeAccessToken(opts: {
  accountId: string;
  userId: string;
  expiresAt: Date;
  issuedAt?: Date;
  claims?: Record<string, unknown>;
}): string {
  const iat = Math.floor((opts.issuedAt ?? new Date()).getTime() / 1000);
  return makeJwt({
    iss: 'https://auth.openai.com',
    aud: ['https://api.openai.com/v1'],
    client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
    iat,
    nbf: iat,
    exp: Math.floor(opts.expiresAt.getTime() / 1000),
    jti: randomUUID(),
    scp: ['openid', 'profile', 'email', 'offline_access'],
    [AUTH_CLAIM]: { chatgpt_account_id: opts.accountId, chatgpt_user_id: opts.userId, user_id: opts.userId },
    ...opts.claims
  });
}

/** A complete ChatGPT-login auth.json object. */
export function makeChatGptAuth(opts: ChatGptAuthOptions = {}): ChatGptAuthJson {
  const accountId = opts.accountId ?? randomUUID();
  const email = opts.email ?? 'ci-bot@example.com';
  const plan = opts.plan ?? 'plus';
  const userId = opts.userId ?? `user-${accountId.replace(/[^A-Za-z0-9]/g, '').slice(0, 24)}`;
  const issuedAt = opts.issuedAt ?? new Date();
  const accessExpiresAt = opts.accessExpiresAt ?? new Date(Date.now() + 10 * 24 * 3600 * 1000);
  const lastRefresh =
    typeof opts.lastRefresh === 'string' ? opts.lastRefresh : rfc3339Nanos(opts.lastRefresh ?? new Date());
  return {
    auth_mode: 'chatgpt',
    OPENAI_API_KEY: null,
    tokens: {
      id_token: makeIdToken({ accountId, email, plan, userId, issuedAt }),
      access_token: makeAccessToken({
        accountId,
        userId,
        expiresAt: accessExpiresAt,
        issuedAt,
        claims: opts.accessClaims
      }),
      refresh_token: opts.refreshToken ?? randomRefreshToken(),
      account_id: accountId
    },
    last_refresh: lastRefresh
  };
}

export function makeApiKeyAuth(key: string): ApiKeyAuthJson {
  return { auth_mode: 'apikey', OPENAI_API_KEY: key };
}
