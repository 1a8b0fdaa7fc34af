// The job's GitHub OIDC token: the documented request (`GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=…`
// with `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answer `{"value": "<jwt>"}`), the
// one @actions/core's getIDToken makes. Made here with fetch and a deadline per attempt, because the
// keeper must never wait unbounded and @actions/core loads its HTTP client at start-up (see
// src/action/workflow-commands.ts). No token value is ever put in an error.

/** The claims a federation rule is matched against (OpenAI's guide), shown in the job summary. */
export const MATCHED_CLAIMS = [
  'sub',
  'repository',
  'ref',
  'workflow_ref',
  'job_workflow_ref',
  'environment',
  'event_name',
  'runner_environment'
] as const;

export interface OidcRequest {
  url: string;
  token: string;
}

/** A failure worth retrying (5xx, 429, network error, timeout) or not (4xx: the job's request token is gone). */
export class OidcError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean
  ) {
    super(message);
    this.name = 'OidcError';
  }
}

export interface IdToken {
  value: string;
  claims: Record<string, unknown>;
  /** exp and iat in ms. */
  expiresAt: number;
  issuedAt: number;
}

export async function requestIdToken(request: OidcRequest, audience: string, timeoutMs: number): Promise<IdToken> {
  const url = `${request.url}${request.url.includes('?') ? '&' : '?'}audience=${encodeURIComponent(audience)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `bearer ${request.token}`, accept: 'application/json; api-version=2.0' },
      signal: AbortSignal.timeout(timeoutMs)
    });
  } catch (error) {
    const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : describe(error);
    throw new OidcError(`GitHub's OIDC token request failed: ${cause}.`, true);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const retryable = response.status >= 500 || response.status === 429;
    throw new OidcError(
      `GitHub's OIDC token request was answered ${response.status}${retryable ? '' : ' (the job may have ended, or lacks `permissions: id-token: write`)'}.`,
      retryable
    );
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  const claims = typeof value === 'string' ? decodeClaims(value) : undefined;
  if (typeof value !== 'string' || !claims || typeof claims.exp !== 'number') {
    throw new OidcError("GitHub's OIDC token service answered without a readable token.", true);
  }
  const issuedAt = typeof claims.iat === 'number' ? claims.iat * 1000 : Date.now();
  return { value, claims, expiresAt: claims.exp * 1000, issuedAt };
}

/** The payload of a JWT, unverified (we only read what GitHub just handed us over its own channel). */
export function decodeClaims(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return payload && typeof payload === 'object' && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * When to fetch the next token: once 60 % of the current one's life has passed, minus up to 10 %
 * of jitter (so parallel jobs spread out), and never later than one minute before it expires.
 * Codex reads the file at each exchange, and the OpenAI token it gets never outlives the assertion:
 * a file refreshed late would make Codex exchange again almost at once.
 */
export function refreshDue(token: Pick<IdToken, 'issuedAt' | 'expiresAt'>, random = Math.random()): number {
  const life = Math.max(token.expiresAt - token.issuedAt, 0);
  const due = token.issuedAt + life * 0.6 - life * 0.1 * random;
  return Math.min(due, token.expiresAt - Math.min(60_000, life * 0.2));
}

/** Back-off after the n-th failed attempt in a row (1, 2, 4 … s), capped at `cap` ms. */
export function backoff(failures: number, cap: number, random = Math.random()): number {
  const base = Math.min(1000 * 2 ** Math.max(failures - 1, 0), cap);
  return Math.round(base * (0.75 + 0.5 * random));
}
