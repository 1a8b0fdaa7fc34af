// Proves the loopback mocks are faithful to the pinned real Codex CLI: a real `codex exec` refreshes an
// expired ChatGPT login against the OAuth mock, writes the rotated tokens back, and calls the model mock
// with the new access token; a restored (spent) copy fails with a reuse event; API-key mode works.
import { statSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startOAuthServer, type OAuthServer } from './support/oauth-server.js';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { codexProviderArgs, makeCodexHome, readAuth, runCodex, type CodexResult } from './support/codex.js';
import { decodeJwt, makeApiKeyAuth, type ChatGptAuthJson } from './support/jwt.js';

const API_KEY = 'sk-test-codex-cli-0123456789abcdef';

let oauth: OAuthServer;
let model: ModelServer;
let original: ChatGptAuthJson;
let homeA: string;
const homes: string[] = [];
const timings: Array<[string, number]> = [];

async function exec(label: string, codexHome: string, prompt = 'say hi'): Promise<CodexResult> {
  const r = await runCodex(['exec', ...codexProviderArgs(model.baseUrl), prompt], {
    codexHome,
    oauth,
    timeoutMs: 60_000
  });
  timings.push([label, r.durationMs]);
  return r;
}

function home(auth: object): string {
  const dir = makeCodexHome({ auth });
  homes.push(dir);
  return dir;
}

function authFile(dir: string): string {
  return path.join(dir, 'auth.json');
}

beforeAll(async () => {
  oauth = await startOAuthServer();
  model = await startModelServer(oauth, { allowApiKeys: [API_KEY] });
  // Access token expired a minute ago: Codex must refresh before its first model call.
  original = oauth.issue({ accessTtlSeconds: -60, email: 'ci@example.com', plan: 'pro' });
});

afterAll(async () => {
  await model?.stop();
  await oauth?.stop();
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
  console.log(`codex timings (ms): ${timings.map(([l, ms]) => `${l}=${ms}`).join(', ')}`);
});

describe('real Codex CLI against the loopback mocks', () => {
  test('(a) an expired ChatGPT login is refreshed once, persisted, and the new access token is used', async () => {
    homeA = home(original);
    expect(statSync(homeA).mode & 0o777).toBe(0o700);
    expect(statSync(authFile(homeA)).mode & 0o777).toBe(0o600);
    const inodeBefore = statSync(authFile(homeA)).ino;

    const r = await exec('a-refresh', homeA);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: 'hi\n' });

    expect(oauth.stats()).toMatchObject({ refreshes: 1, reuse: 0, rejected: 0 });
    const refresh = oauth.requests.filter((q) => q.path === '/oauth/token');
    expect(refresh).toHaveLength(1);
    expect(refresh[0].body).toEqual({
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      grant_type: 'refresh_token',
      refresh_token: original.tokens.refresh_token,
      refresh_reason: 'proactive_expiry'
    });

    const after = readAuth<ChatGptAuthJson>(homeA);
    const issued = refresh[0].issued!;
    expect(after.tokens.refresh_token).toBe(issued.refresh_token);
    expect(after.tokens.refresh_token).not.toBe(original.tokens.refresh_token);
    expect(after.tokens.access_token).toBe(issued.access_token);
    expect(after.tokens.id_token).toBe(issued.id_token);
    expect(after.tokens.account_id).toBe(original.tokens.account_id);
    expect(after.auth_mode).toBe('chatgpt');
    expect(after.last_refresh).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z$/);
    expect(Date.parse(after.last_refresh)).toBeGreaterThan(Date.parse(original.last_refresh));
    expect((decodeJwt(after.tokens.access_token)!.exp as number) * 1000).toBeGreaterThan(Date.now());

    // Written the way the notes describe: new inode (temp file + rename), 0600, two-space JSON, no newline.
    const st = statSync(authFile(homeA));
    expect(st.ino).not.toBe(inodeBefore);
    expect(st.mode & 0o777).toBe(0o600);
    const text = readFileSync(authFile(homeA), 'utf8');
    expect(text).toBe(JSON.stringify(JSON.parse(text), null, 2));

    const calls = model.responsesRequests();
    expect(calls).toHaveLength(1);
    expect(calls[0].authorization).toBe(`Bearer ${after.tokens.access_token}`);
    expect(calls[0].chatgptAccountId).toBe(original.tokens.account_id);
    expect(model.requests.every((q) => q.bearer !== original.tokens.access_token)).toBe(true);
  });

  test('(b) a second run with the fresh file makes no refresh', async () => {
    const before = readFileSync(authFile(homeA), 'utf8');
    const seen = model.responsesRequests().length;

    const r = await exec('b-fresh', homeA);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: 'hi\n' });
    expect(oauth.stats()).toMatchObject({ refreshes: 1, reuse: 0 });
    expect(oauth.requests).toHaveLength(1);
    expect(readFileSync(authFile(homeA), 'utf8')).toBe(before);
    const calls = model.responsesRequests().slice(seen);
    expect(calls.map((q) => q.bearer)).toEqual([JSON.parse(before).tokens.access_token]);
  });

  test('(d) `codex login status` recognises the file', async () => {
    const r = await runCodex(['login', 'status'], { codexHome: homeA, oauth });
    timings.push(['d-status', r.durationMs]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Logged in using ChatGPT');
    expect(oauth.stats().refreshes).toBe(1); // status never refreshes
  });

  test('(c) restoring the old (spent) file elsewhere fails with a reuse event and revokes the family', async () => {
    const homeB = home(original);
    const r = await exec('c-reuse', homeB);

    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      'ERROR: Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.'
    );
    const stats = oauth.stats();
    expect(stats.refreshes).toBe(1);
    // Several Codex components refresh concurrently at start-up, so one process may reuse more than once.
    expect(stats.reuse).toBeGreaterThanOrEqual(1);
    const family = oauth.familyOf(original.tokens.refresh_token)!;
    expect(oauth.familyRevoked(family)).toBe(true);
    // On a permanent failure Codex leaves the file alone.
    expect(readAuth(homeB)).toEqual(original);
    // The model mock refused the stale token; nothing was answered with 200 for it.
    const stale = model.requests.filter((q) => q.bearer === original.tokens.access_token);
    expect(stale.length).toBeGreaterThan(0);
    expect(stale.every((q) => q.status === 401)).toBe(true);
  });

  test('(c2) after the reuse the revoked family also stops working for the copy that won', async () => {
    const r = await exec('c2-revoked', homeA);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('because your refresh token was revoked');
    const last = oauth.requests[oauth.requests.length - 1];
    expect(last.outcome).toBe('invalidated');
    expect(last.body?.refresh_reason).toBe('unauthorized_recovery');
  });

  test('(e) an API-key auth.json authenticates with the key', async () => {
    const homeE = home(makeApiKeyAuth(API_KEY));
    const seen = model.responsesRequests().length;
    const before = oauth.requests.length;

    const r = await exec('e-apikey', homeE);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: 'hi\n' });
    const calls = model.responsesRequests().slice(seen);
    expect(calls).toHaveLength(1);
    expect(calls[0].authorization).toBe(`Bearer ${API_KEY}`);
    expect(calls[0].chatgptAccountId).toBeUndefined();
    expect(oauth.requests.length).toBe(before);
  });

  test('(e2) a key the model mock does not know is refused', async () => {
    const homeE2 = home(makeApiKeyAuth('sk-test-not-on-the-allow-list'));
    const r = await exec('e2-badkey', homeE2);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(model.requests[model.requests.length - 1]).toMatchObject({ status: 401, auth: 'unknown' });
  });
});
