// The renewal's refresh request, with the pinned Codex CLI as the oracle: the real binary refreshes a
// login about to expire against the loopback token endpoint, the action's renewal refreshes another,
// and the two requests must agree field by field (token values aside). A Codex upgrade that changes
// its request (a new refresh_reason, header or body key, another URL rule) fails here until
// src/chatgpt/renewal/token-endpoint.ts follows it (docs/codex-compatibility.md).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { refreshLogin } from '../src/chatgpt/renewal/token-endpoint.js';
import { codexProviderArgs, makeCodexHome, runCodex } from './support/codex.js';
import type { ChatGptAuthJson } from './support/jwt.js';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { CODEX_CLIENT_ID, startOAuthServer, type OAuthRequest, type OAuthServer } from './support/oauth-server.js';

let oauth: OAuthServer;
let model: ModelServer;
const homes: string[] = [];

beforeAll(async () => {
  oauth = await startOAuthServer();
  model = await startModelServer(oauth);
});

afterAll(async () => {
  await model?.stop();
  await oauth?.stop();
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

/** A login whose access token expires in a minute: inside Codex's proactive window (about 5 minutes). */
function dueLogin(withProvenance: boolean): ChatGptAuthJson {
  const auth = oauth.issue({ accessTtlSeconds: 60 });
  if (!withProvenance) return auth;
  // A device login against another issuer records it here, and Codex refreshes there (no override).
  return {
    ...auth,
    tokens: { ...auth.tokens, oauth_provenance: { issuer: oauth.issuer, client_id: CODEX_CLIENT_ID } }
  } as ChatGptAuthJson;
}

function tokenRequests(): OAuthRequest[] {
  return oauth.requests.filter((r) => r.path === '/oauth/token');
}

/** Runs the real `codex exec` on the login and returns the refresh request it sent. */
async function codexRefresh(auth: ChatGptAuthJson, override: boolean): Promise<OAuthRequest> {
  const home = makeCodexHome({ auth });
  homes.push(home);
  const seen = tokenRequests().length;
  const r = await runCodex(['exec', ...codexProviderArgs(model.baseUrl), 'say hi'], {
    codexHome: home,
    ...(override ? { oauth } : {})
  });
  const sent = tokenRequests().slice(seen);
  expect({ code: r.code, stdout: r.stdout, requests: sent.length }).toEqual({ code: 0, stdout: 'hi\n', requests: 1 });
  return sent[0];
}

/** Runs the action's renewal on the login and returns the refresh request it sent. */
async function actionRefresh(auth: ChatGptAuthJson, override: boolean): Promise<OAuthRequest> {
  const seen = tokenRequests().length;
  const outcome = await refreshLogin(JSON.stringify(auth, null, 2), {
    env: override ? { CODEX_REFRESH_TOKEN_URL_OVERRIDE: oauth.url } : {},
    retryDelaysMs: []
  });
  const sent = tokenRequests().slice(seen);
  expect({ ok: outcome.ok, requests: sent.length, status: sent[0]?.status }).toEqual({
    ok: true,
    requests: 1,
    status: 200
  });
  return sent[0];
}

/**
 * What must be the same: method, path, every header Codex sends except the transport's own
 * (host, content-length, accept-encoding: the HTTP client's business) and the user agent (Codex's
 * names this machine's OS and terminal, so no server can require one value; see src/chatgpt/renewal/token-endpoint.ts),
 * and the raw body with the refresh token replaced.
 */
function comparable(request: OAuthRequest, codexHeaderNames: string[]) {
  const token = String(request.body?.refresh_token);
  return {
    method: request.method,
    path: request.path,
    headers: Object.fromEntries(codexHeaderNames.map((name) => [name, request.headers[name]])),
    rawBody: request.rawBody.split(JSON.stringify(token)).join('"<refresh token>"')
  };
}

const TRANSPORT_HEADERS = ['host', 'content-length', 'accept-encoding', 'connection', 'user-agent'];

describe('the renewal sends what the pinned Codex sends', () => {
  test.each([
    ['to CODEX_REFRESH_TOKEN_URL_OVERRIDE', true, false],
    ["to the login's oauth_provenance issuer (no override)", false, true]
  ])('%s', async (_name, override, provenance) => {
    const codex = await codexRefresh(dueLogin(provenance), override);
    const ours = await actionRefresh(dueLogin(provenance), override);

    const names = Object.keys(codex.headers).filter((h) => !TRANSPORT_HEADERS.includes(h));
    // What the oracle recorded, so a reader sees the contract (and a Codex bump that drops one of these fails).
    expect(names.sort()).toEqual(['accept', 'content-type', 'originator']);
    expect(codex.body).toMatchObject({ grant_type: 'refresh_token', refresh_reason: 'proactive_expiry' });
    expect(comparable(ours, names)).toEqual(comparable(codex, names));
    expect(ours.body).toEqual({ ...codex.body, refresh_token: ours.body?.refresh_token });
    // Codex's user agent is `<originator>/<version> (…)`: the originator header is the client's stable name.
    expect(String(codex.headers['user-agent'])).toMatch(new RegExp(`^${String(codex.headers.originator)}/\\d`));
  });
});

describe('the loopback token endpoint is as strict as the strictest real server', () => {
  test('a refresh_reason Codex never sends is refused with a 400 in OpenAI error shape, and nothing is spent', async () => {
    const auth = oauth.issue({ accessTtlSeconds: 60 });
    const response = await fetch(oauth.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: CODEX_CLIENT_ID,
        grant_type: 'refresh_token',
        refresh_reason: 'scheduled',
        refresh_token: auth.tokens.refresh_token
      })
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        message: expect.stringContaining('refresh_reason'),
        type: 'invalid_request_error',
        param: 'refresh_reason',
        code: 'invalid_value'
      }
    });
    // The token was not spent: the action's renewal still works with it.
    expect(
      (await refreshLogin(JSON.stringify(auth), { env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: oauth.url } })).ok
    ).toBe(true);
  });
});
