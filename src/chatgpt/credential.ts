// A ChatGPT login (auth.json as Codex writes it): parsing, the checks from OpenAI's CI/CD guide,
// and the facts the action reports. Nothing here logs; error texts never quote the file.
import { createHash } from 'node:crypto';

export interface ChatGptCredential {
  /** The file's text, exactly as read or to be written. */
  text: string;
  sha256: string;
  lastRefresh: Date;
  /** last_refresh as written (Codex writes nanoseconds, which Date cannot hold). */
  lastRefreshText: string;
  accessTokenExpiresAt: Date | undefined;
  planType: string | undefined;
  /** The ChatGPT workspace (account) id from the id token. */
  workspaceId: string | undefined;
  /** Every value that must be masked in logs. */
  secrets: string[];
}

/** A failed parse still lists the token values it found: they may be real and must be masked. */
export type Parsed = { ok: true; credential: ChatGptCredential } | { ok: false; reason: string; secrets: string[] };

const RFC3339 = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const AUTH_CLAIMS = 'https://api.openai.com/auth';

export function parseCredential(text: string): Parsed {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input: never pass it on.
    return { ok: false, reason: 'it is not valid JSON', secrets: [] };
  }
  if (!isObject(doc)) return { ok: false, reason: 'it is not a JSON object', secrets: [] };
  const tokens = isObject(doc.tokens) ? doc.tokens : {};
  const secrets = [tokens.access_token, tokens.refresh_token, tokens.id_token, tokens.account_id, doc.OPENAI_API_KEY].filter(
    (v): v is string => typeof v === 'string' && v.length > 0
  );
  const fail = (reason: string): Parsed => ({ ok: false, reason, secrets });
  if (doc.auth_mode !== 'chatgpt') {
    return fail(`auth_mode is ${JSON.stringify(typeof doc.auth_mode === 'string' ? doc.auth_mode : doc.auth_mode ?? null)}, not "chatgpt" (this is not a ChatGPT login)`);
  }
  for (const name of ['refresh_token', 'access_token', 'id_token'] as const) {
    if (typeof tokens[name] !== 'string' || tokens[name] === '') return fail(`tokens.${name} is missing or empty`);
  }
  const idClaims = decodeJwt(tokens.id_token as string);
  if (!idClaims) return fail('tokens.id_token is not a readable JWT (Codex could not load the file)');
  if (typeof doc.last_refresh !== 'string' || !RFC3339.test(doc.last_refresh) || Number.isNaN(Date.parse(doc.last_refresh))) {
    return fail('last_refresh is missing or not an RFC 3339 time');
  }
  const auth = isObject(idClaims[AUTH_CLAIMS]) ? idClaims[AUTH_CLAIMS] : {};
  const exp = decodeJwt(tokens.access_token as string)?.exp;
  if (typeof idClaims.email === 'string') secrets.push(idClaims.email);
  return {
    ok: true,
    credential: {
      text,
      sha256: sha256(text),
      lastRefresh: new Date(doc.last_refresh),
      lastRefreshText: doc.last_refresh,
      accessTokenExpiresAt: typeof exp === 'number' ? new Date(exp * 1000) : undefined,
      planType: typeof auth.chatgpt_plan_type === 'string' ? auth.chatgpt_plan_type : undefined,
      workspaceId: typeof auth.chatgpt_account_id === 'string' ? auth.chatgpt_account_id : typeof tokens.account_id === 'string' ? tokens.account_id : undefined,
      secrets
    }
  };
}

export function secretsOf(parsed: Parsed): string[] {
  return parsed.ok ? parsed.credential.secrets : parsed.secrets;
}

/**
 * Orders last_refresh times to the nanosecond Codex writes (Date keeps milliseconds): the newer
 * copy holds the live refresh token.
 */
export function compareLastRefresh(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b) || fraction(a) - fraction(b);
}

export function compareFreshness(a: ChatGptCredential, b: ChatGptCredential): number {
  return compareLastRefresh(a.lastRefreshText, b.lastRefreshText);
}

function fraction(text: string): number {
  const match = RFC3339.exec(text);
  return match?.[3] ? Number(`0${match[3]}`) : 0;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function decodeJwt(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isObject(payload) ? payload : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
