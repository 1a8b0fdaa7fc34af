// Device-code login against the ChatGPT-login token authority (`codex login --device-auth
// --experimental_issuer <issuer>`, observed from the pinned binary's requests):
// `POST /api/accounts/deviceauth/usercode` {client_id} → {device_auth_id, user_code, interval:"1"};
// `POST /api/accounts/deviceauth/token` {device_auth_id, user_code} → 403 while the user has not signed
// in (`approveDevice(userCode)` plays the user), then {authorization_code, code_challenge, code_verifier};
// `POST /oauth/token` form `grant_type=authorization_code&code=…&code_verifier=…&redirect_uri=…` →
// {id_token, access_token, refresh_token} of a new family (single-use code).
import { randomUUID } from 'node:crypto';
import { INVALID_CLIENT, openAiError, type Handled } from './answers.js';
import { CODEX_CLIENT_ID, type Authority, type DeviceCode } from './authority.js';

/** `POST /api/accounts/deviceauth/usercode` or `…/token` (`path`). */
export function handleDevice(authority: Authority, path: string, body: Record<string, unknown> | null): Handled {
  if (path.endsWith('/usercode')) {
    if (authority.checkClientId && body?.client_id !== CODEX_CLIENT_ID) return INVALID_CLIENT;
    const letters = () =>
      Array.from({ length: 4 }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ'[Math.floor(Math.random() * 24)]).join('');
    const code: DeviceCode = {
      deviceAuthId: `dev_auth_${randomUUID()}`,
      userCode: `${letters()}-${letters()}`,
      polls: 0
    };
    authority.deviceCodes.push(code);
    return {
      status: 200,
      json: { device_auth_id: code.deviceAuthId, user_code: code.userCode, interval: '1' },
      outcome: 'device_code'
    };
  }
  const code = authority.deviceCodes.find(
    (c) => c.deviceAuthId === body?.device_auth_id && c.userCode === body?.user_code
  );
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
    authority.codeGrants.set(code.authorizationCode, {
      verifier: code.codeVerifier,
      auth: authority.issue(code.approved)
    });
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

/** `POST /oauth/token` with `grant_type=authorization_code`: the approved login's tokens, once. */
export function handleCodeExchange(authority: Authority, body: Record<string, unknown>): Handled {
  if (authority.checkClientId && body.client_id !== CODEX_CLIENT_ID) return INVALID_CLIENT;
  const grant = typeof body.code === 'string' ? authority.codeGrants.get(body.code) : undefined;
  if (!grant || body.code_verifier !== grant.verifier)
    return { status: 400, json: openAiError('Invalid authorization code.', 'invalid_grant'), outcome: 'bad_request' };
  authority.codeGrants.delete(body.code as string);
  const { id_token, access_token, refresh_token } = grant.auth.tokens;
  return {
    status: 200,
    json: { id_token, access_token, refresh_token },
    outcome: 'code_exchanged',
    familyId: authority.refreshTokens.get(refresh_token)?.familyId
  };
}
