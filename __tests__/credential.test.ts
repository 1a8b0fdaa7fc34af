// auth.json checks (OpenAI's guide) and what is reported about a login.
import { compareLastRefresh, parseCredential, secretsOf } from '../src/chatgpt/login/credential.js';
import { makeChatGptAuth } from './support/jwt.js';

const valid = makeChatGptAuth({
  accountId: 'acct-123',
  plan: 'pro',
  accessExpiresAt: new Date('2026-12-09T00:00:00Z'),
  lastRefresh: '2026-11-29T15:18:40.182414041Z'
});

test('a login as `codex login` writes it is usable, and its facts are read', () => {
  const parsed = parseCredential(JSON.stringify(valid, null, 2));
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  expect(parsed.credential).toMatchObject({
    planType: 'pro',
    workspaceId: 'acct-123',
    lastRefreshText: '2026-11-29T15:18:40.182414041Z'
  });
  expect(parsed.credential.accessTokenExpiresAt?.toISOString()).toBe('2026-12-09T00:00:00.000Z');
  expect(parsed.credential.secrets).toEqual(
    expect.arrayContaining([valid.tokens.access_token, valid.tokens.refresh_token, valid.tokens.id_token, 'acct-123'])
  );
});

type AuthFile = typeof valid;
const broken: [string, (a: AuthFile) => unknown, RegExp][] = [
  ['not JSON', () => '{"auth_mode": "chatgpt", "tokens": {"refresh_token": "rt-SECRET', /not valid JSON/],
  [
    'an API-key file',
    () => ({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-SECRET' }),
    /auth_mode is "apikey", not "chatgpt"/
  ],
  [
    'no refresh token',
    (a) => ({ ...a, tokens: { ...a.tokens, refresh_token: '' } }),
    /tokens.refresh_token is missing or empty/
  ],
  [
    'no access token',
    (a) => ({ ...a, tokens: { ...a.tokens, access_token: undefined } }),
    /tokens.access_token is missing/
  ],
  [
    'an id token that is not a JWT',
    (a) => ({ ...a, tokens: { ...a.tokens, id_token: 'not-a-jwt' } }),
    /id_token is not a readable JWT/
  ],
  [
    'a space-separated last_refresh',
    (a) => ({ ...a, last_refresh: '2026-11-29 15:18:40' }),
    /last_refresh is missing or not an RFC 3339 time/
  ],
  ['an epoch last_refresh', (a) => ({ ...a, last_refresh: 1795969482 }), /last_refresh/]
];
test.each(broken)(
  '%s is refused with the reason, never quoting the file, and its tokens are still masked',
  (_name, mutate, reason) => {
    const doc = mutate(structuredClone(valid));
    const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
    const parsed = parseCredential(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.reason).toMatch(reason);
    expect(parsed.reason).not.toMatch(/SECRET|rt-|eyJ/);
    const refreshToken = (doc as { tokens?: { refresh_token?: unknown } }).tokens?.refresh_token;
    if (typeof doc !== 'string' && typeof refreshToken === 'string' && refreshToken)
      expect(secretsOf(parsed)).toContain(refreshToken);
  }
);

test('freshness is compared to the nanosecond Codex writes', () => {
  expect(compareLastRefresh('2026-11-29T15:18:40.182414041Z', '2026-11-29T15:18:40.182414040Z')).toBeGreaterThan(0);
  expect(compareLastRefresh('2026-11-29T15:18:40Z', '2026-11-29T15:18:41Z')).toBeLessThan(0);
  expect(compareLastRefresh('2026-11-29T16:18:40+01:00', '2026-11-29T15:18:40Z')).toBe(0);
});
