// A loopback stand-in for OpenAI's ChatGPT-login token authority (`https://auth.openai.com/oauth/token`
// and `/oauth/revoke`). Point the real Codex CLI at it with CODEX_REFRESH_TOKEN_URL_OVERRIDE=url and
// CODEX_REVOKE_TOKEN_URL_OVERRIDE=revokeUrl. It behaves like the real endpoint as far as Codex can tell:
//
// - Refresh request (what Codex 0.171.0 sends): `POST /oauth/token`, `Content-Type: application/json`,
//   body `{"client_id":"app_EMoamEEZ73f0CkXaXp7hrann","grant_type":"refresh_token","refresh_token":"…",
//   "refresh_reason":"…"}`. Form-encoded bodies are accepted too, as a real OAuth server would.
//   `refresh_reason` must be one Codex sends (CODEX_REFRESH_REASONS, observed with the pinned binary:
//   `proactive_expiry` before expiry, `unauthorized_recovery` after a 401): anything else is answered
//   400 in OpenAI's error envelope, as the strictest real server would (shared/docs/codex-cli-auth.md).
// - Success: 200 `{"id_token","access_token","refresh_token","expires_in","token_type","scope"}` with new
//   JWTs for the same account. Every refresh token is single-use and rotates.
// - Failure bodies use OpenAI's error envelope, which is what Codex parses (it reads `error.code`, or
//   `error` when it is a string, or a top-level `code`):
//     401 {"error":{"message":"Your refresh token has already been used to generate a new access token.
//          Please try signing in again.","type":"invalid_request_error","param":null,"code":"refresh_token_reused"}}
//   Codex maps `refresh_token_reused` / `refresh_token_invalidated` / `refresh_token_expired` to its own
//   "…already used / …was revoked / …has expired. Please log out and sign in again." messages; a 401 or a
//   known code is permanent, a 5xx transient.
// - A second use of a spent refresh token is a reuse event; with `revokeFamilyOnReuse` (default true, as
//   the real service does) it revokes the whole token family: the family's live refresh token then gets
//   `refresh_token_invalidated` and its access tokens stop being accepted by the model mock.
// - Device-code login (`codex login --device-auth --experimental_issuer <issuer>`, observed from the
//   pinned binary's requests): `POST /api/accounts/deviceauth/usercode` {client_id} →
//   {device_auth_id, user_code, interval:"1"};
//   `POST /api/accounts/deviceauth/token` {device_auth_id, user_code} → 403 while the user has not signed
//   in (`approveDevice(userCode)` plays the user), then {authorization_code, code_challenge, code_verifier};
//   `POST /oauth/token` form `grant_type=authorization_code&code=…&code_verifier=…&redirect_uri=…` →
//   {id_token, access_token, refresh_token} of a new family (single-use code).
import http from 'node:http';
import { listenOnLoopback } from './loopback.js';
import { randomUUID } from 'node:crypto';
import {
  makeAccessToken,
  makeChatGptAuth,
  makeIdToken,
  randomRefreshToken,
  type ChatGptAuthJson,
  type ChatGptAuthOptions
} from './jwt.js';

export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
/** The refresh reasons the pinned Codex (0.171.0) sends; __tests__/refresh-oracle.test.ts records the proactive one. */
const CODEX_REFRESH_REASONS: readonly string[] = ['proactive_expiry', 'unauthorized_recovery'];

export interface OAuthServerOptions {
  /** Reuse of a spent refresh token revokes its whole family (default true). */
  revokeFamilyOnReuse?: boolean;
  /** Lifetime of access tokens minted by refreshes and by `issue()` (default 10 days, like real ones). */
  accessTtlSeconds?: number;
  /** Answer a `client_id` other than Codex's with 401 invalid_client (default true). */
  checkClientId?: boolean;
}

interface IssueOptions extends Omit<ChatGptAuthOptions, 'refreshToken' | 'accessExpiresAt'> {
  /** Absolute expiry of the first access token (wins over accessTtlSeconds). */
  accessExpiresAt?: Date;
  /** Lifetime of the first access token; may be negative for an already expired one. */
  accessTtlSeconds?: number;
}

type TokenOutcome =
  | 'refreshed'
  | 'reused'
  | 'invalidated'
  | 'expired'
  | 'unknown'
  | 'bad_request'
  | 'invalid_client'
  | 'injected'
  | 'dropped'
  | 'revoked'
  | 'device_code'
  | 'device_pending'
  | 'device_approved'
  | 'code_exchanged'
  | 'not_found';

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

interface OAuthStats {
  /** Successful refreshes (rotations). */
  refreshes: number;
  /** Uses of an already spent refresh token. */
  reuse: number;
  /** Token-endpoint requests answered with a 4xx by the token logic (reuse included, injected faults not). */
  rejected: number;
  /** Revoke-endpoint calls. */
  revokes: number;
  /** Requests consumed by injected faults. */
  faults: number;
}

type AccessTokenStatus = 'valid' | 'expired' | 'revoked' | 'unknown';

interface DeviceCode {
  deviceAuthId: string;
  userCode: string;
  /** Set by approveDevice; the sign-in it stands for. */
  approved?: IssueOptions;
  /** The authorization code handed out once approved (single use). */
  authorizationCode?: string;
  codeVerifier?: string;
  /** Token polls answered so far. */
  polls: number;
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

interface Family {
  id: string;
  accountId: string;
  userId: string;
  email: string;
  plan: string;
  revoked: boolean;
  expired: boolean;
  liveRefreshToken: string;
}

interface RefreshRecord {
  familyId: string;
  spent: boolean;
}

interface AccessRecord {
  familyId: string;
  expiresAt: number; // epoch ms
}

const DEFAULT_ACCESS_TTL = 10 * 24 * 3600;

function openAiError(message: string, code: string | null, type: string | null = 'invalid_request_error') {
  return { error: { message, type, param: null, code } };
}

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

export async function startOAuthServer(opts: OAuthServerOptions = {}): Promise<OAuthServer> {
  const revokeFamilyOnReuse = opts.revokeFamilyOnReuse ?? true;
  const accessTtl = opts.accessTtlSeconds ?? DEFAULT_ACCESS_TTL;
  const checkClientId = opts.checkClientId ?? true;

  const families = new Map<string, Family>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const accessTokens = new Map<string, AccessRecord>();
  const requests: OAuthRequest[] = [];
  const faults: Fault[] = [];
  const counters: OAuthStats = { refreshes: 0, reuse: 0, rejected: 0, revokes: 0, faults: 0 };

  function revoke(familyId: string): void {
    const fam = families.get(familyId);
    if (fam) fam.revoked = true;
  }

  function mintAccess(fam: Family, expiresAt: Date): string {
    const tok = makeAccessToken({ accountId: fam.accountId, userId: fam.userId, expiresAt });
    accessTokens.set(tok, { familyId: fam.id, expiresAt: expiresAt.getTime() });
    return tok;
  }

  function mintRefresh(fam: Family): string {
    const tok = randomRefreshToken();
    refreshTokens.set(tok, { familyId: fam.id, spent: false });
    fam.liveRefreshToken = tok;
    return tok;
  }

  function handleRefresh(body: Record<string, unknown> | null): {
    status: number;
    json: unknown;
    outcome: TokenOutcome;
    familyId?: string;
    issued?: OAuthRequest['issued'];
  } {
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
    if (checkClientId && body.client_id !== CODEX_CLIENT_ID) {
      return { status: 401, json: openAiError('Invalid client.', 'invalid_client'), outcome: 'invalid_client' };
    }
    if (!CODEX_REFRESH_REASONS.includes(body.refresh_reason as string)) {
      const error = openAiError(
        `Invalid value for 'refresh_reason': ${JSON.stringify(body.refresh_reason ?? null)}.`,
        'invalid_value'
      );
      return { status: 400, json: { error: { ...error.error, param: 'refresh_reason' } }, outcome: 'bad_request' };
    }
    const token = typeof body.refresh_token === 'string' ? body.refresh_token : '';
    if (!token) {
      return { status: 400, json: openAiError('Missing refresh_token.', 'invalid_request'), outcome: 'bad_request' };
    }
    const rec = refreshTokens.get(token);
    if (!rec) return { status: 401, json: UNKNOWN, outcome: 'unknown' };
    const fam = families.get(rec.familyId)!;
    if (rec.spent) {
      counters.reuse++;
      if (revokeFamilyOnReuse) revoke(fam.id);
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
      access_token: mintAccess(fam, new Date(now.getTime() + accessTtl * 1000)),
      refresh_token: mintRefresh(fam)
    };
    counters.refreshes++;
    return {
      status: 200,
      json: { ...issued, expires_in: accessTtl, token_type: 'Bearer', scope: 'openid profile email offline_access' },
      outcome: 'refreshed',
      familyId: fam.id,
      issued
    };
  }

  const deviceCodes: DeviceCode[] = [];
  const codeGrants = new Map<string, { verifier: string; auth: ChatGptAuthJson }>();
  let issueFamily: (io?: IssueOptions) => ChatGptAuthJson = () => {
    throw new Error('not started');
  };

  function handleDevice(
    path: string,
    body: Record<string, unknown> | null
  ): { status: number; json: unknown; outcome: TokenOutcome } {
    if (path.endsWith('/usercode')) {
      if (checkClientId && body?.client_id !== CODEX_CLIENT_ID)
        return { status: 401, json: openAiError('Invalid client.', 'invalid_client'), outcome: 'invalid_client' };
      const letters = () =>
        Array.from({ length: 4 }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ'[Math.floor(Math.random() * 24)]).join('');
      const code: DeviceCode = {
        deviceAuthId: `dev_auth_${randomUUID()}`,
        userCode: `${letters()}-${letters()}`,
        polls: 0
      };
      deviceCodes.push(code);
      return {
        status: 200,
        json: { device_auth_id: code.deviceAuthId, user_code: code.userCode, interval: '1' },
        outcome: 'device_code'
      };
    }
    const code = deviceCodes.find((c) => c.deviceAuthId === body?.device_auth_id && c.userCode === body?.user_code);
    if (!code) return { status: 404, json: openAiError('Unknown device code.', 'not_found'), outcome: 'not_found' };
    code.polls++;
    if (!code.approved)
      return {
        status: 403,
        json: openAiError('Authorization pending.', 'authorization_pending'),
        outcome: 'device_pending'
      };
    if (!code.authorizationCode) {
      code.authorizationCode = `ac_${randomUUID()}`;
      code.codeVerifier = `cv_${randomUUID()}`;
      codeGrants.set(code.authorizationCode, { verifier: code.codeVerifier, auth: issueFamily(code.approved) });
    }
    return {
      status: 200,
      json: {
        authorization_code: code.authorizationCode,
        code_challenge: `cc_${code.codeVerifier}`,
        code_verifier: code.codeVerifier
      },
      outcome: 'device_approved'
    };
  }

  function handleCodeExchange(body: Record<string, unknown>): {
    status: number;
    json: unknown;
    outcome: TokenOutcome;
    familyId?: string;
    issued?: OAuthRequest['issued'];
  } {
    if (checkClientId && body.client_id !== CODEX_CLIENT_ID)
      return { status: 401, json: openAiError('Invalid client.', 'invalid_client'), outcome: 'invalid_client' };
    const grant = typeof body.code === 'string' ? codeGrants.get(body.code) : undefined;
    if (!grant || body.code_verifier !== grant.verifier)
      return { status: 400, json: openAiError('Invalid authorization code.', 'invalid_grant'), outcome: 'bad_request' };
    codeGrants.delete(body.code as string);
    const { id_token, access_token, refresh_token } = grant.auth.tokens;
    return {
      status: 200,
      json: { id_token, access_token, refresh_token },
      outcome: 'code_exchanged',
      familyId: refreshTokens.get(refresh_token)?.familyId
    };
  }

  function handleRevoke(body: Record<string, unknown> | null): { status: number; json: unknown; familyId?: string } {
    counters.revokes++;
    const token = body && typeof body.token === 'string' ? body.token : '';
    const familyId = refreshTokens.get(token)?.familyId ?? accessTokens.get(token)?.familyId;
    // RFC 7009: revoking a refresh token ends the grant; unknown tokens still get 200.
    if (familyId) revoke(familyId);
    return { status: 200, json: {}, familyId };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
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
        const send = (status: number, json: unknown) => {
          entry.status = status;
          const text = JSON.stringify(json);
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        };

        if (req.method === 'POST' && path === '/oauth/token') {
          const fault = faults[0];
          if (fault) {
            fault.times = (fault.times ?? 1) - 1;
            if (fault.times <= 0) faults.shift();
            if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
            if (fault.drop) {
              counters.faults++;
              entry.outcome = 'dropped';
              req.socket.destroy();
              return;
            }
            if (fault.status) {
              counters.faults++;
              entry.outcome = 'injected';
              send(
                fault.status,
                fault.body ??
                  openAiError('The server had an error while processing your request.', null, 'server_error')
              );
              return;
            }
          }
          const r = body?.grant_type === 'authorization_code' ? handleCodeExchange(body) : handleRefresh(body);
          entry.outcome = r.outcome;
          entry.familyId = r.familyId;
          entry.issued = r.issued;
          if (r.status >= 400 && r.status < 500) counters.rejected++;
          send(r.status, r.json);
          return;
        }
        if (
          req.method === 'POST' &&
          (path === '/api/accounts/deviceauth/usercode' || path === '/api/accounts/deviceauth/token')
        ) {
          const r = handleDevice(path, body);
          entry.outcome = r.outcome;
          send(r.status, r.json);
          return;
        }
        if (req.method === 'POST' && path === '/oauth/revoke') {
          const r = handleRevoke(body);
          entry.outcome = 'revoked';
          entry.familyId = r.familyId;
          send(r.status, r.json);
          return;
        }
        send(404, openAiError(`Unknown path ${path}`, 'not_found'));
      })();
    });
  });
  const { port, stop } = await listenOnLoopback(server);
  const base = `http://127.0.0.1:${port}`;

  function accessTokenStatus(token: string): AccessTokenStatus {
    const rec = accessTokens.get(token);
    if (!rec) return 'unknown';
    if (families.get(rec.familyId)?.revoked) return 'revoked';
    if (rec.expiresAt <= Date.now()) return 'expired';
    return 'valid';
  }

  const server_: OAuthServer = {
    issuer: base,
    url: `${base}/oauth/token`,
    revokeUrl: `${base}/oauth/revoke`,
    requests,
    deviceCodes,
    approveDevice(userCode, opts = {}) {
      const code = deviceCodes.find((c) => c.userCode === userCode);
      if (!code) throw new Error(`no device code ${userCode}`);
      code.approved = opts;
    },
    issue(io: IssueOptions = {}) {
      const accessExpiresAt = io.accessExpiresAt ?? new Date(Date.now() + (io.accessTtlSeconds ?? accessTtl) * 1000);
      const auth = makeChatGptAuth({ ...io, accessExpiresAt, accountId: io.accountId ?? randomUUID() });
      const idClaims = JSON.parse(Buffer.from(auth.tokens.id_token.split('.')[1], 'base64url').toString('utf8'));
      const claims = idClaims['https://api.openai.com/auth'];
      const fam: Family = {
        id: `fam_${randomUUID()}`,
        accountId: auth.tokens.account_id,
        userId: claims.chatgpt_user_id,
        email: idClaims.email,
        plan: claims.chatgpt_plan_type,
        revoked: false,
        expired: false,
        liveRefreshToken: auth.tokens.refresh_token
      };
      families.set(fam.id, fam);
      refreshTokens.set(auth.tokens.refresh_token, { familyId: fam.id, spent: false });
      accessTokens.set(auth.tokens.access_token, { familyId: fam.id, expiresAt: accessExpiresAt.getTime() });
      return auth;
    },
    stats: () => ({ ...counters }),
    isValidAccessToken: (token) => accessTokenStatus(token) === 'valid',
    accessTokenStatus,
    accountOf(token) {
      const rec = accessTokens.get(token);
      return rec ? families.get(rec.familyId)?.accountId : undefined;
    },
    familyOf: (token) => refreshTokens.get(token)?.familyId ?? accessTokens.get(token)?.familyId,
    familyRevoked: (id) => families.get(id)?.revoked ?? false,
    revokeFamily: revoke,
    expireFamily(id) {
      const fam = families.get(id);
      if (fam) fam.expired = true;
    },
    inject(fault) {
      faults.push({ ...fault });
    },
    clearFaults() {
      faults.length = 0;
    },
    stop
  };
  issueFamily = (io) => server_.issue(io);
  return server_;
}
