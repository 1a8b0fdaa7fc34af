// What the loopback ChatGPT-login token authority holds: token families (one per sign-in), each with
// one live refresh token that rotates at every refresh and is single-use, the access tokens minted
// for it, the device codes of device-code logins, and the counters `stats()` reports. As the real
// service does, a family can be revoked (reuse of a spent refresh token, a revoke call, a password
// change) or expire; its access tokens then stop being accepted by the model server.
import { randomUUID } from 'node:crypto';
import {
  makeAccessToken,
  makeChatGptAuth,
  randomRefreshToken,
  type ChatGptAuthJson,
  type ChatGptAuthOptions
} from '../jwt.js';

export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
const DEFAULT_ACCESS_TTL = 10 * 24 * 3600;

export interface IssueOptions extends Omit<ChatGptAuthOptions, 'refreshToken' | 'accessExpiresAt'> {
  /** Absolute expiry of the first access token (wins over accessTtlSeconds). */
  accessExpiresAt?: Date;
  /** Lifetime of the first access token; may be negative for an already expired one. */
  accessTtlSeconds?: number;
}

export interface OAuthStats {
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

export type AccessTokenStatus = 'valid' | 'expired' | 'revoked' | 'unknown';

export interface DeviceCode {
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

export interface Family {
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

export class Authority {
  readonly families = new Map<string, Family>();
  readonly refreshTokens = new Map<string, RefreshRecord>();
  readonly accessTokens = new Map<string, AccessRecord>();
  readonly counters: OAuthStats = { refreshes: 0, reuse: 0, rejected: 0, revokes: 0, faults: 0 };
  readonly deviceCodes: DeviceCode[] = [];
  /** Authorization codes of approved device logins, single use, with the sign-in they stand for. */
  readonly codeGrants = new Map<string, { verifier: string; auth: ChatGptAuthJson }>();
  /** Reuse of a spent refresh token revokes its whole family. */
  readonly revokeFamilyOnReuse: boolean;
  /** Lifetime of minted access tokens, in seconds. */
  readonly accessTtl: number;
  /** Answer a `client_id` other than Codex's with 401 invalid_client. */
  readonly checkClientId: boolean;

  constructor(opts: { revokeFamilyOnReuse?: boolean; accessTtlSeconds?: number; checkClientId?: boolean }) {
    this.revokeFamilyOnReuse = opts.revokeFamilyOnReuse ?? true;
    this.accessTtl = opts.accessTtlSeconds ?? DEFAULT_ACCESS_TTL;
    this.checkClientId = opts.checkClientId ?? true;
  }

  revoke(familyId: string): void {
    const fam = this.families.get(familyId);
    if (fam) fam.revoked = true;
  }

  expire(familyId: string): void {
    const fam = this.families.get(familyId);
    if (fam) fam.expired = true;
  }

  mintAccess(fam: Family, expiresAt: Date): string {
    const tok = makeAccessToken({ accountId: fam.accountId, userId: fam.userId, expiresAt });
    this.accessTokens.set(tok, { familyId: fam.id, expiresAt: expiresAt.getTime() });
    return tok;
  }

  mintRefresh(fam: Family): string {
    const tok = randomRefreshToken();
    this.refreshTokens.set(tok, { familyId: fam.id, spent: false });
    fam.liveRefreshToken = tok;
    return tok;
  }

  /** A fresh token family: auth.json as `codex login` writes it. */
  issue(io: IssueOptions = {}): ChatGptAuthJson {
    const accessExpiresAt = io.accessExpiresAt ?? new Date(Date.now() + (io.accessTtlSeconds ?? this.accessTtl) * 1000);
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
    this.families.set(fam.id, fam);
    this.refreshTokens.set(auth.tokens.refresh_token, { familyId: fam.id, spent: false });
    this.accessTokens.set(auth.tokens.access_token, { familyId: fam.id, expiresAt: accessExpiresAt.getTime() });
    return auth;
  }

  accessTokenStatus(token: string): AccessTokenStatus {
    const rec = this.accessTokens.get(token);
    if (!rec) return 'unknown';
    if (this.families.get(rec.familyId)?.revoked) return 'revoked';
    if (rec.expiresAt <= Date.now()) return 'expired';
    return 'valid';
  }

  /** Family id of a refresh or access token (undefined when unknown). */
  familyOf(token: string): string | undefined {
    return this.refreshTokens.get(token)?.familyId ?? this.accessTokens.get(token)?.familyId;
  }
}
