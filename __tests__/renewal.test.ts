// renewal: ahead, its parts without a runner: the refresh request Codex sends (against the loopback
// token endpoint), the copy Codex gets, and the renewal rule over fake stores (a
// renewal is stored before it is used; a claimed generation is never refreshed twice).
import { consumerCopy, isConsumerCopy, REFRESH_TOKEN_MARKER } from '../src/chatgpt/login/consumer-copy.js';
import {
  CODEX_CLIENT_ID,
  compareLastRefresh,
  parseCredential,
  stampAfter,
  type ChatGptCredential
} from '../src/chatgpt/login/credential.js';
import { DEFAULT_TOKEN_URL, refreshEndpoint, refreshLogin } from '../src/chatgpt/renewal/token-endpoint.js';
import { generationOf, renewIfDue } from '../src/chatgpt/renewal/rule.js';
import type { Claim, RenewalParts, RenewalPoint } from '../src/chatgpt/renewal/parts.js';
import { CredentialError } from '../src/action/errors.js';
import { makeChatGptAuth, rfc3339Nanos, type ChatGptAuthJson } from './support/jwt.js';
import { startOAuthServer, type OAuthServer } from './support/oauth-server.js';

const KEY = new Uint8Array(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256));
const HOUR = 3_600_000;

function credentialOf(auth: ChatGptAuthJson | string): ChatGptCredential {
  const parsed = parseCredential(typeof auth === 'string' ? auth : JSON.stringify(auth, null, 2));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.credential;
}

describe('the refresh request', () => {
  let oauth: OAuthServer;
  beforeAll(async () => {
    oauth = await startOAuthServer({ accessTtlSeconds: 3600 });
  });
  afterAll(() => oauth.stop());

  test('is exactly what Codex sends, to the override; the answer is merged as Codex merges it', async () => {
    const seed = oauth.issue({ accessTtlSeconds: 60 });
    const withExtras = { ...seed, tokens: { ...seed.tokens, login_owner_id: 'owner-1' } };
    const outcome = await refreshLogin(JSON.stringify(withExtras, null, 2), {
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: oauth.url }
    });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const request = oauth.requests.at(-1)!;
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({
      client_id: CODEX_CLIENT_ID,
      grant_type: 'refresh_token',
      refresh_token: seed.tokens.refresh_token,
      refresh_reason: 'proactive_expiry'
    });
    const renewed = JSON.parse(outcome.text);
    expect(renewed.tokens).toEqual({ ...withExtras.tokens, ...request.issued });
    expect(renewed.last_refresh).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(outcome.text).toBe(JSON.stringify(renewed, null, 2));
  });

  test('a renewal outranks the copy it renews, also one stamped by a clock running ahead of this one', async () => {
    const seed = oauth.issue({ accessTtlSeconds: 60 });
    const ahead = rfc3339Nanos(new Date(Date.now() + 2 * 60_000)); // within the accepted clock skew
    const outcome = await refreshLogin(JSON.stringify({ ...seed, last_refresh: ahead }, null, 2), {
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: oauth.url }
    });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const stamped = JSON.parse(outcome.text).last_refresh as string;
    expect(compareLastRefresh(stamped, ahead)).toBeGreaterThan(0);
    expect(parseCredential(outcome.text).ok).toBe(true);

    // 1 ns later, carried into the next millisecond; any offset or precision is read as written.
    expect(stampAfter('2026-01-01T00:00:00.000000001Z', '2026-01-01T00:00:00.182999999Z')).toBe(
      '2026-01-01T00:00:00.183000000Z'
    );
    expect(stampAfter('2026-01-01T00:00:00.000000001Z', '2026-01-01T02:00:00.5+02:00')).toBe(
      '2026-01-01T00:00:00.500000001Z'
    );
    expect(stampAfter('2026-01-01T00:00:01.000000000Z', '2026-01-01T00:00:00.999999999Z')).toBe(
      '2026-01-01T00:00:01.000000000Z'
    );
  });

  test('goes where Codex would send it: the override, else the recorded issuer, else OpenAI', () => {
    const doc = { tokens: { oauth_provenance: { issuer: 'https://issuer.example/', client_id: 'app_other' } } };
    expect(refreshEndpoint(doc, { CODEX_REFRESH_TOKEN_URL_OVERRIDE: 'http://127.0.0.1:1/t' })).toEqual({
      url: 'http://127.0.0.1:1/t',
      clientId: 'app_other'
    });
    expect(refreshEndpoint(doc, {})).toEqual({ url: 'https://issuer.example/oauth/token', clientId: 'app_other' });
    expect(refreshEndpoint({ tokens: {} }, {})).toEqual({ url: DEFAULT_TOKEN_URL, clientId: CODEX_CLIENT_ID });
  });

  test('a spent refresh token is a permanent failure with the cause in words; a 5xx is retried', async () => {
    const seed = oauth.issue();
    const text = JSON.stringify(seed);
    expect((await refreshLogin(text, { env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: oauth.url } })).ok).toBe(true);
    const reused = await refreshLogin(text, { env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: oauth.url } });
    expect(reused).toMatchObject({
      ok: false,
      permanent: true,
      reason: expect.stringMatching(/already used .*refresh_token_reused/)
    });

    const fresh = oauth.issue();
    oauth.inject({ status: 503 });
    const retried = await refreshLogin(JSON.stringify(fresh), {
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: oauth.url },
      retryDelaysMs: [10]
    });
    expect(retried.ok).toBe(true);
  });
});

describe('the copy Codex gets', () => {
  test('carries the live tokens and last_refresh, never the refresh token', () => {
    const auth = makeChatGptAuth();
    const copy = consumerCopy(JSON.stringify(auth, null, 2));
    expect(copy).not.toContain(auth.tokens.refresh_token);
    const doc = JSON.parse(copy);
    expect(doc).toEqual({ ...auth, tokens: { ...auth.tokens, refresh_token: REFRESH_TOKEN_MARKER } });
    expect(isConsumerCopy(copy)).toBe(true);
    expect(isConsumerCopy(JSON.stringify(auth))).toBe(false);
  });
});

/** Stores and a mutex in memory, recording the order of events. */
function fakeParts(
  start: ChatGptCredential,
  options: {
    storeFails?: boolean;
    refresh?: RenewalParts['refresh'];
    claimedBy?: string;
    throwAt?: RenewalPoint;
  } = {}
) {
  const events: string[] = [];
  const claims = new Set<string>();
  const successors = new Map<string, ChatGptCredential>();
  const dead = new Set<string>();
  let stored = start;
  let now = Date.now();
  const parts: RenewalParts = {
    readNewest: async () => stored,
    successor: async (generation) => {
      if (dead.has(generation)) throw new CredentialError(`The ChatGPT login 'default' needs a re-seed: (mark)`);
      return successors.get(generation);
    },
    markDead: async (_credential, generation) => {
      events.push('mark');
      dead.add(generation);
      return [];
    },
    claim: async (generation): Promise<Claim> => {
      if (options.claimedBy || claims.has(generation))
        return { held: false, holder: options.claimedBy ?? 'another job' };
      claims.add(generation);
      events.push('claim');
      return {
        held: true,
        release: async (spent) => {
          events.push(spent ? 'release' : 'release unspent');
          // Given back: the next job may claim the generation at once.
          if (!spent) claims.delete(generation);
        }
      };
    },
    store: async (credential, generation) => {
      events.push('store');
      if (options.storeFails) return { stored: [], failed: [{ where: 'the Actions cache', reason: 'injected' }] };
      stored = credential;
      successors.set(generation, credential);
      return { stored: ['the Actions cache'], failed: [] };
    },
    refresh:
      options.refresh ??
      (async (text) => {
        events.push('refresh');
        const doc = JSON.parse(text);
        const next = makeChatGptAuth({ accountId: doc.tokens.account_id, accessExpiresAt: new Date(now + 240 * HOUR) });
        return { ok: true, text: JSON.stringify(next, null, 2) };
      }),
    recover: async (text, generation) => {
      events.push('recover');
      if (options.storeFails) return [];
      stored = credentialOf(text);
      successors.set(generation, stored);
      return ['the Actions cache'];
    },
    checkpoint: options.throwAt
      ? (point) => {
          if (point === options.throwAt) throw new Error(`injected fault at ${point}`);
        }
      : undefined,
    mask: () => undefined,
    info: (m) => events.push(`info: ${m}`),
    warning: (m) => events.push(`warning: ${m}`),
    now: () => now,
    sleep: async (ms) => void (now += ms)
  };
  return { parts, events, stored: () => stored };
}

const options = {
  credentialName: 'default',
  encryptionKey: KEY,
  windowMs: 24 * HOUR,
  waitMs: 10_000,
  pollMs: 1000,
  reseed: 'To re-seed: run codex login.'
};

describe('the renewal rule', () => {
  test('a login far from expiry is not renewed', async () => {
    const start = credentialOf(makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + 48 * HOUR) }));
    const { parts, events } = fakeParts(start);
    expect(await renewIfDue(start, options, parts)).toEqual({ credential: start, renewed: false });
    expect(events).toEqual([]);
  });

  test('a due login is renewed under the claim and stored before it is handed back; the claim is released after', async () => {
    const start = credentialOf(makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + HOUR) }));
    const { parts, events, stored } = fakeParts(start);
    const result = await renewIfDue(start, options, parts);
    expect(result.renewed).toBe(true);
    expect(result.credential).toBe(stored());
    expect(events.filter((e) => !e.startsWith('info'))).toEqual(['claim', 'refresh', 'store', 'release']);
  });

  test('a token endpoint failing through every retry: renewed=false, the failure said, the claim given back so the next job renews at once', async () => {
    const start = credentialOf(makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + HOUR) }));
    let down = true;
    const { parts, events, stored } = fakeParts(start, {
      refresh: async (text) => {
        events.push('refresh');
        if (down) return { ok: false, permanent: false, reason: 'the token endpoint answered 503' };
        const doc = JSON.parse(text);
        return { ok: true, text: JSON.stringify(makeChatGptAuth({ accountId: doc.tokens.account_id }), null, 2) };
      }
    });
    expect(await renewIfDue(start, options, parts)).toEqual({ credential: start, renewed: false });
    expect(events.filter((e) => !e.startsWith('info'))).toEqual([
      'claim',
      'refresh',
      expect.stringMatching(/^warning: Could not renew .*503.*still valid until/),
      'release unspent'
    ]);
    // The next job is not stalled behind a claim that nobody holds: it claims and renews without waiting.
    down = false;
    const startedAt = parts.now();
    const next = await renewIfDue(start, options, parts);
    expect(next.renewed).toBe(true);
    expect(next.credential).toBe(stored());
    expect(parts.now()).toBe(startedAt);
  });

  test('an exception after the answer arrived: the renewed login goes to a recovery copy, the job fails saying so, the next job uses it', async () => {
    const start = credentialOf(makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + HOUR) }));
    const { parts, events, stored } = fakeParts(start, { throwAt: 'answered' });
    await expect(renewIfDue(start, options, parts)).rejects.toThrow(
      /was renewed .*injected fault at answered.*kept, encrypted, as a recovery copy in the Actions cache: the next job uses it/
    );
    expect(events).toContain('recover');
    expect(stored()).not.toBe(start);
    // The next job follows the recovered copy: the spent refresh token is never sent again.
    const again = await renewIfDue(start, options, parts);
    expect(again).toEqual({ credential: stored(), renewed: false });
    expect(events.filter((e) => e === 'refresh')).toHaveLength(1);
  });

  test('a login nested too deep (or too large) for the code after the answer is refused before its refresh token is spent', async () => {
    const auth = makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + HOUR) });
    // Observed: JSON.parse reads 30,000 nested arrays, JSON.stringify (the merge of the answer) overflows the stack on them.
    const deepText = `{"deep":${'['.repeat(30_000)}${']'.repeat(30_000)},${JSON.stringify(auth).slice(1)}`;
    expect(() => JSON.stringify(JSON.parse(deepText))).toThrow(RangeError);
    const deep = credentialOf(deepText);
    const { parts, events } = fakeParts(deep);
    await expect(renewIfDue(deep, options, parts)).rejects.toThrow(
      /cannot be renewed: its auth.json nests 30001 levels deep.*refresh token was not spent/
    );
    expect(events).not.toContain('refresh');
    expect(events).toContain('release unspent');
    const big = credentialOf(JSON.stringify({ ...auth, padding: 'x'.repeat(70_000) }));
    await expect(renewIfDue(big, options, fakeParts(big).parts)).rejects.toThrow(/bytes, more than the 65536/);
  });

  test('a renewal that cannot be stored is never used: the job fails with the re-seed steps', async () => {
    const start = credentialOf(makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + HOUR) }));
    const { parts, events } = fakeParts(start, { storeFails: true });
    await expect(renewIfDue(start, options, parts)).rejects.toThrow(/could not be stored anywhere.*To re-seed/s);
    expect(events.at(-1)).toBe('release');
  });

  test('a refused refresh token fails the job with the cause, stores no login, and marks the chain: a job waiting for that renewal stops at once', async () => {
    const start = credentialOf(makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + HOUR) }));
    const { parts, events } = fakeParts(start, {
      refresh: async () => ({
        ok: false,
        permanent: true,
        cause: 'reused',
        reason: 'its refresh token was already used (refresh_token_reused)'
      })
    });
    const error = await renewIfDue(start, options, parts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect(String(error)).toMatch(
      /already used.*Codex did not run, no login was stored.*marked as needing a re-seed.*To re-seed/s
    );
    expect(events).not.toContain('store');
    expect(events.filter((e) => !e.startsWith('info'))).toEqual(['claim', 'mark', 'release']);
    // Another job that read the same copy: its claim is refused, and the published mark stops it without waiting.
    const startedAt = parts.now();
    await expect(renewIfDue(start, options, parts)).rejects.toThrow(/needs a re-seed/);
    expect(parts.now() - startedAt).toBeLessThan(options.waitMs);
  });

  test('a generation claimed by another job is not refreshed again: this job waits for its successor', async () => {
    const start = credentialOf(makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + HOUR) }));
    const first = fakeParts(start);
    const renewed = await renewIfDue(start, options, first.parts);
    // A second job read the old copy: its claim is refused, it follows the published successor.
    const second = await renewIfDue(start, options, first.parts);
    expect(second).toEqual({ credential: renewed.credential, renewed: false });
    expect(first.events.filter((e) => e === 'refresh')).toHaveLength(1);
  });

  test('a claim whose renewal never appears: the job uses its copy while it is valid, else fails saying why', async () => {
    const soon = credentialOf(makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + HOUR) }));
    const waiting = fakeParts(soon, { claimedBy: 'run 1 job review' });
    expect(await renewIfDue(soon, options, waiting.parts)).toEqual({ credential: soon, renewed: false });
    expect(waiting.events.some((e) => /warning: .*run 1 job review.*has not been published/.test(e))).toBe(true);

    const expiring = credentialOf(makeChatGptAuth({ accessExpiresAt: new Date(Date.now() + 60_000) }));
    await expect(
      renewIfDue(expiring, options, fakeParts(expiring, { claimedBy: 'run 1 job review' }).parts)
    ).rejects.toThrow(/another job claimed its renewal \(run 1 job review\)/);
  });

  test('the generation is an HMAC of the refresh token: it names no secret and differs per token and per key', () => {
    const auth = makeChatGptAuth();
    const gen = generationOf(credentialOf(auth), KEY, 'default');
    expect(gen).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(auth.tokens.refresh_token).not.toContain(gen);
    expect(generationOf(credentialOf(makeChatGptAuth()), KEY, 'default')).not.toBe(gen);
    expect(generationOf(credentialOf(auth), new Uint8Array(32).fill(9), 'default')).not.toBe(gen);
  });
});
