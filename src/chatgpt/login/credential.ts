// A ChatGPT login (auth.json as Codex writes it): parsing, the checks from OpenAI's CI/CD guide,
// and the facts the action reports. Nothing here logs; error texts never quote the file.

export interface ChatGptCredential {
  /** The file's text, exactly as read or to be written. */
  text: string;
  /** sha256 of the three tokens: the same login whatever the file's formatting (a refresh changes them). */
  tokensSha256: string;
  lastRefresh: Date;
  /** last_refresh as written (Codex writes nanoseconds, which Date cannot hold). */
  lastRefreshText: string;
  accessTokenExpiresAt: Date | undefined;
  /** The access token's `iat`: when OpenAI's server issued it (its clock, not a runner's). */
  accessTokenIssuedAt?: Date;
  planType: string | undefined;
  /** The ChatGPT workspace (account) id from the id token. */
  workspaceId: string | undefined;
  /** The ChatGPT user the login belongs to (id token `chatgpt_user_id`, else `sub`). */
  userId: string | undefined;
  /** `tokens.oauth_provenance`: where Codex sends this login's refresh (absent: Codex's default). */
  provenance: { issuer: string | undefined; clientId: string | undefined } | undefined;
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
  const secrets = [
    tokens.access_token,
    tokens.refresh_token,
    tokens.id_token,
    tokens.account_id,
    doc.OPENAI_API_KEY
  ].filter((v): v is string => typeof v === 'string' && v.length > 0);
  const fail = (reason: string): Parsed => ({ ok: false, reason, secrets });
  const mode = codexAuthMode(doc);
  if (mode !== 'chatgpt') {
    return fail(
      doc.auth_mode === undefined || doc.auth_mode === null
        ? `it has no auth_mode and ${mode === 'apikey' ? 'an OPENAI_API_KEY' : 'a personal_access_token'}, so Codex reads it as auth_mode ${JSON.stringify(mode)} (this is not a ChatGPT login)`
        : `auth_mode is ${JSON.stringify(typeof doc.auth_mode === 'string' ? doc.auth_mode : doc.auth_mode)}, not "chatgpt" (this is not a ChatGPT login)`
    );
  }
  for (const name of ['refresh_token', 'access_token', 'id_token'] as const) {
    if (typeof tokens[name] !== 'string' || tokens[name] === '') return fail(`tokens.${name} is missing or empty`);
  }
  const idClaims = decodeJwt(tokens.id_token as string);
  if (!idClaims) return fail('tokens.id_token is not a readable JWT (Codex could not load the file)');
  if (
    typeof doc.last_refresh !== 'string' ||
    !RFC3339.test(doc.last_refresh) ||
    Number.isNaN(Date.parse(doc.last_refresh))
  ) {
    return fail('last_refresh is missing or not an RFC 3339 time');
  }
  const auth = isObject(idClaims[AUTH_CLAIMS]) ? idClaims[AUTH_CLAIMS] : {};
  const provenance = tokens.oauth_provenance;
  if (provenance !== undefined && provenance !== null && !isObject(provenance))
    return fail('tokens.oauth_provenance is not an object');
  const accessClaims = decodeJwt(tokens.access_token as string);
  const exp = accessClaims?.exp;
  const iat = accessClaims?.iat;
  // The account's identifiers too: masked before the step state (which a debug log can show) holds them.
  for (const value of [idClaims.email, auth.chatgpt_user_id, auth.chatgpt_account_id, idClaims.sub])
    if (typeof value === 'string' && value && !secrets.includes(value)) secrets.push(value);
  return {
    ok: true,
    credential: {
      text,
      tokensSha256: sha256(JSON.stringify([tokens.access_token, tokens.refresh_token, tokens.id_token])),
      lastRefresh: new Date(doc.last_refresh),
      lastRefreshText: doc.last_refresh,
      accessTokenExpiresAt: typeof exp === 'number' ? new Date(exp * 1000) : undefined,
      ...(typeof iat === 'number' && Number.isFinite(iat) ? { accessTokenIssuedAt: new Date(iat * 1000) } : {}),
      planType: typeof auth.chatgpt_plan_type === 'string' ? auth.chatgpt_plan_type : undefined,
      workspaceId: stringOrUndefined(auth.chatgpt_account_id) ?? stringOrUndefined(tokens.account_id),
      userId: stringOrUndefined(auth.chatgpt_user_id) ?? stringOrUndefined(idClaims.sub),
      provenance: isObject(provenance)
        ? { issuer: stringOrUndefined(provenance.issuer), clientId: stringOrUndefined(provenance.client_id) }
        : undefined,
      secrets
    }
  };
}

/**
 * The kind of login Codex reads an auth.json as: `auth_mode` when present (null counts as absent);
 * without it, an API key when OPENAI_API_KEY is a string (even empty), else an access token when
 * personal_access_token is, else a ChatGPT login. Codex writes ChatGPT logins back without adding
 * the field, and so does the action (the file's other fields are kept as they are). Observed with
 * the pinned Codex 0.171.0 (`codex login status` on each form; __tests__/login-forms.test.ts
 * repeats it against the binary), as codex-rs/login/src/auth/storage.rs reads the file.
 */
export function codexAuthMode(doc: Record<string, unknown>): unknown {
  if (doc.auth_mode !== undefined && doc.auth_mode !== null) return doc.auth_mode;
  if (typeof doc.OPENAI_API_KEY === 'string') return 'apikey';
  if (typeof doc.personal_access_token === 'string') return 'personalAccessToken';
  return 'chatgpt';
}

/** Codex's own OAuth issuer and client: a login naming another one sends its refresh token elsewhere. */
export const CODEX_ISSUER = 'https://auth.openai.com';
export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
/** How far ahead of this runner's clock a last_refresh may be (another machine's clock may run a little fast). */
export const CLOCK_SKEW_MS = 5 * 60_000;
/**
 * Codex refreshes a login by itself when its access token expires within 5 minutes (a rule of
 * Codex's, not the clock skew above, though both are 5 minutes).
 */
export const CODEX_REFRESH_MARGIN_MS = 5 * 60_000;

/** How a message tells the user to fix a login: log in again, or trust its issuer. */
export interface LoginFixes {
  relogin: string;
  trust(issuer: string): string;
}

/** The action's fixes: a new seed, or the input 'oauth-issuer'. */
const ACTION_FIXES: LoginFixes = {
  relogin: 'Log in again with `codex login` and re-seed',
  trust: () => "name it in the input 'oauth-issuer'"
};

/**
 * Why a login must not be used because of its `oauth_provenance` (another issuer or client than
 * Codex's, which would receive its refresh token), or undefined. `allowedIssuer`: the user's explicit
 * opt-in to one other issuer (the action's input 'oauth-issuer', the setup command's --oauth-issuer).
 */
export function provenanceProblem(
  credential: Pick<ChatGptCredential, 'provenance'>,
  allowedIssuer?: string,
  fixes: LoginFixes = ACTION_FIXES
): string | undefined {
  const provenance = credential.provenance;
  if (!provenance) return undefined;
  const issuer = (provenance.issuer ?? '').replace(/\/+$/, '');
  const allowed = [CODEX_ISSUER, ...(allowedIssuer ? [allowedIssuer.replace(/\/+$/, '')] : [])];
  if (!allowed.includes(issuer)) {
    return `its tokens.oauth_provenance names the issuer ${JSON.stringify(provenance.issuer ?? null)}, not Codex's ${CODEX_ISSUER}: Codex would send its refresh token there. ${fixes.relogin}; only if you trust that issuer, ${fixes.trust(issuer)}`;
  }
  if (provenance.clientId !== undefined && provenance.clientId !== CODEX_CLIENT_ID) {
    return `its tokens.oauth_provenance names the OAuth client ${JSON.stringify(provenance.clientId)}, not Codex's ${CODEX_CLIENT_ID}. ${fixes.relogin}`;
  }
  return undefined;
}

/**
 * Why a copy from the future is refused, or undefined. A last_refresh later than now (beyond
 * CLOCK_SKEW_MS) is only the clock of the runner that stamped it when its access token was issued
 * (`iat`, the server's clock) by now: such a copy is judged by its tokens (see compareFreshness).
 */
export function futureProblem(
  credential: Pick<ChatGptCredential, 'lastRefresh' | 'lastRefreshText' | 'accessTokenIssuedAt'>,
  now: number = Date.now()
): string | undefined {
  if (credential.lastRefresh.getTime() <= now + CLOCK_SKEW_MS) return undefined;
  const issued = credential.accessTokenIssuedAt?.getTime();
  if (issued !== undefined && issued <= now + CLOCK_SKEW_MS) return undefined;
  return `its last_refresh (${credential.lastRefreshText}) is in the future (this runner's clock says ${new Date(now).toISOString()}): a copy from the future would outrank every real refresh. Re-seed from a machine with a correct clock`;
}

/** Why `other` is not a login of the same ChatGPT user and workspace as `restored`, or undefined. */
export function accountMismatch(
  restored: Pick<ChatGptCredential, 'userId' | 'workspaceId'>,
  other: Pick<ChatGptCredential, 'userId' | 'workspaceId'>
): string | undefined {
  if (restored.userId !== other.userId) return 'it is a login of another ChatGPT user than the one restored';
  if (restored.workspaceId !== other.workspaceId)
    return 'it is a login of another ChatGPT workspace than the one restored';
  return undefined;
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

/**
 * The last_refresh for a refresh of the copy stamped `previous`: `stamp` (now, RFC 3339 with
 * nanoseconds), or 1 ns after `previous` when that is not earlier. A refresh must outrank the copy
 * whose refresh token it spent, also when the clock that stamped that copy ran ahead of this one
 * (up to CLOCK_SKEW_MS is accepted); otherwise the spent copy would look the freshest.
 */
export function stampAfter(stamp: string, previous: string): string {
  if (compareLastRefresh(stamp, previous) > 0) return stamp;
  const nanos = (RFC3339.exec(previous)?.[3] ?? '.').slice(1).padEnd(9, '0').slice(0, 9);
  const subMillis = Number(nanos.slice(3)) + 1;
  const ms = Math.floor(Date.parse(previous)) + (subMillis > 999_999 ? 1 : 0);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(subMillis % 1_000_000).padStart(6, '0')}Z`;
}

/**
 * Which copy is newer: by last_refresh, which Codex stamps when the token is issued. When either
 * copy's last_refresh is more than CLOCK_SKEW_MS after its access token's `iat` (stamped by a runner
 * whose clock ran ahead), the tokens decide: the one OpenAI issued later (its clock) is newer. So a
 * runner an hour fast cannot make its copy outrank later renewals or a fresh seed.
 */
export function compareFreshness(a: ChatGptCredential, b: ChatGptCredential): number {
  const [ia, ib] = [a.accessTokenIssuedAt?.getTime(), b.accessTokenIssuedAt?.getTime()];
  if (ia !== undefined && ib !== undefined && (stampedAhead(a) || stampedAhead(b))) {
    // `iat` has whole seconds: within one second, last_refresh still decides.
    const bySecond = Math.floor(ia / 1000) - Math.floor(ib / 1000);
    if (bySecond) return bySecond;
  }
  return compareLastRefresh(a.lastRefreshText, b.lastRefreshText);
}

function stampedAhead(credential: ChatGptCredential): boolean {
  const issued = credential.accessTokenIssuedAt?.getTime();
  return issued !== undefined && credential.lastRefresh.getTime() > issued + CLOCK_SKEW_MS;
}

function fraction(text: string): number {
  const match = RFC3339.exec(text);
  return match?.[3] ? Number(`0${match[3]}`) : 0;
}

export function sha256(text: string): string {
  // node:crypto on first use, not at import: API-key mode imports this module (the codex-home owner
  // marker) and would otherwise load all of node:crypto at every start-up (npm run bench).
  const { createHash } = process.getBuiltinModule('node:crypto');
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

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
