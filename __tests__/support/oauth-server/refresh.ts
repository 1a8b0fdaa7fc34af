// The refresh grant and the revoke endpoint of the ChatGPT-login token authority, as the pinned Codex
// binary uses them (its own requests and the errors it recognizes, observed):
//
// - Refresh request (what Codex 0.171.0 sends): `POST /oauth/token`, `Content-Type: application/json`,
//   body `{"client_id":"app_EMoamEEZ73f0CkXaXp7hrann","grant_type":"refresh_token","refresh_token":"…",
//   "refresh_reason":"…"}`. Form-encoded bodies are accepted too, as a real OAuth server would.
//   `refresh_reason` must be one Codex sends (CODEX_REFRESH_REASONS, observed with the pinned binary:
//   `proactive_expiry` before expiry, `unauthorized_recovery` after a 401): anything else is answered
//   400 in OpenAI's error envelope, as the strictest real server would.
// - Success: 200 `{"id_token","access_token","refresh_token","expires_in","token_type","scope"}` with new
//   JWTs for the same account. Every refresh token is single-use and rotates.
// - Failures: 401 {"error":{"message":"Your refresh token has already been used to generate a new access
//   token. Please try signing in again.","type":"invalid_request_error","param":null,"code":
//   "refresh_token_reused"}}. Codex maps `refresh_token_reused` / `refresh_token_invalidated` /
//   `refresh_token_expired` to its own "…already used / …was revoked / …has expired. Please log out and
//   sign in again." messages; a 401 or a known code is permanent, a 5xx transient.
// - A second use of a spent refresh token is a reuse event; with `revokeFamilyOnReuse` it revokes the
//   whole token family: the family's live refresh token then gets `refresh_token_invalidated`.
// - `POST /oauth/revoke` {token} (RFC 7009): revokes the token's family; unknown tokens still get 200.
import { makeIdToken } from '../jwt.js';
import { INVALID_CLIENT, openAiError, type Handled } from './answers.js';
import { CODEX_CLIENT_ID, type Authority } from './authority.js';

/** The refresh reasons the pinned Codex (0.171.0) sends; __tests__/refresh-oracle.test.ts records the proactive one. */
const CODEX_REFRESH_REASONS: readonly string[] = ['proactive_expiry', 'unauthorized_recovery'];

const REUSED = openAiError(
  'Your refresh token has already been used to generate a new access token. Please try signing in again.',
  'refresh_token_reused'
);
const INVALIDATED = openAiError(
  'Your refresh token has been invalidated. Please try signing in again.',
  'refresh_token_invalidated'
);
const EXPIRED = openAiError('Your refresh token has expired. Please try signing in again.', 'refresh_token_expired');
const UNKNOWN = openAiError(
  'Could not validate your refresh token. Please try signing in again.',
  'refresh_token_invalidated'
);

/** `POST /oauth/token` with `grant_type=refresh_token` (any other grant but a code exchange lands here). */
export function handleRefresh(authority: Authority, body: Record<string, unknown> | null): Handled {
  const refused = refusedRequest(authority, body);
  if (refused) return refused;
  const token = typeof body!.refresh_token === 'string' ? body!.refresh_token : '';
  if (!token) {
    return { status: 400, json: openAiError('Missing refresh_token.', 'invalid_request'), outcome: 'bad_request' };
  }
  const rec = authority.refreshTokens.get(token);
  if (!rec) return { status: 401, json: UNKNOWN, outcome: 'unknown' };
  const fam = authority.families.get(rec.familyId)!;
  if (rec.spent) {
    authority.counters.reuse++;
    if (authority.revokeFamilyOnReuse) authority.revoke(fam.id);
    return { status: 401, json: REUSED, outcome: 'reused', familyId: fam.id };
  }
  if (fam.revoked) return { status: 401, json: INVALIDATED, outcome: 'invalidated', familyId: fam.id };
  if (fam.expired) return { status: 401, json: EXPIRED, outcome: 'expired', familyId: fam.id };

  rec.spent = true;
  const now = new Date();
  const issued = {
    id_token: makeIdToken({
      accountId: fam.accountId,
      email: fam.email,
      plan: fam.plan,
      userId: fam.userId,
      issuedAt: now
    }),
    access_token: authority.mintAccess(fam, new Date(now.getTime() + authority.accessTtl * 1000)),
    refresh_token: authority.mintRefresh(fam)
  };
  authority.counters.refreshes++;
  const ttl = authority.accessTtl;
  return {
    status: 200,
    json: { ...issued, expires_in: ttl, token_type: 'Bearer', scope: 'openid profile email offline_access' },
    outcome: 'refreshed',
    familyId: fam.id,
    issued
  };
}

/** A refresh request refused before its token is looked at: body, grant, client, reason. */
function refusedRequest(authority: Authority, body: Record<string, unknown> | null): Handled | undefined {
  if (!body) {
    return { status: 400, json: openAiError('Invalid request body.', 'invalid_request'), outcome: 'bad_request' };
  }
  if (body.grant_type !== 'refresh_token') {
    return {
      status: 400,
      json: openAiError(`Unsupported grant_type: ${String(body.grant_type)}`, 'unsupported_grant_type'),
      outcome: 'bad_request'
    };
  }
  if (authority.checkClientId && body.client_id !== CODEX_CLIENT_ID) return INVALID_CLIENT;
  if (!CODEX_REFRESH_REASONS.includes(body.refresh_reason as string)) {
    const error = openAiError(
      `Invalid value for 'refresh_reason': ${JSON.stringify(body.refresh_reason ?? null)}.`,
      'invalid_value'
    );
    return { status: 400, json: { error: { ...error.error, param: 'refresh_reason' } }, outcome: 'bad_request' };
  }
  return undefined;
}

/** `POST /oauth/revoke`: revoking a refresh or access token ends its family's grant. */
export function handleRevoke(authority: Authority, body: Record<string, unknown> | null): Handled {
  authority.counters.revokes++;
  const token = body && typeof body.token === 'string' ? body.token : '';
  const familyId = authority.familyOf(token);
  // RFC 7009: revoking a refresh token ends the grant; unknown tokens still get 200.
  if (familyId) authority.revoke(familyId);
  return { status: 200, json: {}, outcome: 'revoked', familyId };
}
