// A renewal that fails in the job (in-job renewal): the real Codex CLI refreshing against the
// loopback token endpoint, which answers each refresh-token error OpenAI's does. The post step must
// name the cause, give the re-seed steps, store nothing, and mark the chain so that the next job
// stops in its main step (Codex never runs); a newer seed clears the mark.
import { seal } from '../src/chatgpt/login/envelope.js';
import type { ChatGptAuthJson } from './support/jwt.js';
import { readManifest, runJob, errorsOf, type JobResult } from './support/runner.js';
import {
  allTokens,
  chatGptJob,
  codexExecStep,
  plantCacheEntry,
  postStep,
  serialize,
  type World
} from './support/world.js';
import { useWorld } from './support/use-world.js';

const fx = useWorld();
beforeEach(() => {
  fx.world.oauth.clearFaults();
});

// `renewal` arrives with the renewal-ahead mode; these jobs are about in-job renewal.
const IN_JOB: Record<string, string> = 'renewal' in readManifest().inputs ? { renewal: 'in-job' } : {};

function seed(options: Parameters<World['oauth']['issue']>[0] = {}): ChatGptAuthJson {
  const auth = fx.world.oauth.issue(options);
  fx.seeds.push(auth);
  return auth;
}

async function run(inputs: Record<string, string> = {}): Promise<JobResult> {
  const job = await runJob(chatGptJob(fx.world, { inputs: { 'encryption-key': fx.key, ...IN_JOB, ...inputs } }));
  fx.jobs.push(job);
  return job;
}

/** Stores `auth` in the cache as a job of the chain would have, sealed under the test's key. */
async function storeInCache(auth: ChatGptAuthJson): Promise<string> {
  const envelope = await seal(serialize(auth), new Uint8Array(Buffer.from(fx.key, 'base64')), 'default');
  const cacheKey = `codex-auth-v1.default.${Date.parse(auth.last_refresh)}.1-1.stored`;
  await plantCacheEntry(fx.world, '.codex-auth/default.envelope', envelope, cacheKey);
  return cacheKey;
}

async function spend(refreshToken: string): Promise<void> {
  const response = await fetch(fx.world.oauth.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      grant_type: 'refresh_token',
      refresh_reason: 'proactive_expiry', // as another machine's Codex spends it
      refresh_token: refreshToken
    })
  });
  expect(response.status).toBe(200);
}

const causes: [string, (auth: ChatGptAuthJson) => Promise<void>, RegExp][] = [
  ['refresh_token_reused', (auth) => spend(auth.tokens.refresh_token), /its refresh token had already been used/],
  [
    'refresh_token_invalidated',
    async (auth) => fx.world.oauth.revokeFamily(fx.world.oauth.familyOf(auth.tokens.refresh_token)!),
    /revoked by OpenAI/
  ],
  [
    'refresh_token_expired',
    async (auth) => fx.world.oauth.expireFamily(fx.world.oauth.familyOf(auth.tokens.refresh_token)!),
    /its refresh token has expired/
  ],
  [
    'a plain 401',
    async () =>
      fx.world.oauth.inject({
        status: 401,
        body: { error: { message: 'Unauthorized', type: 'invalid_request_error', param: null, code: null } },
        times: 1000
      }),
    /refused its refresh token \(401 Unauthorized\)/
  ]
];

describe.each(causes)('the token endpoint answers %s', (_name, breakLogin, cause) => {
  test('the post step names the cause and the re-seed steps, stores nothing, and the next job stops before Codex; a newer seed clears the mark', async () => {
    // The chain's stored login, due for renewal; the server no longer renews it.
    const stored = seed({ accessTtlSeconds: -60 });
    const storedKey = await storeInCache(stored);
    await breakLogin(stored);

    const failed = await run({ 'chatgpt-auth-json': serialize(stored) });
    expect(failed.outputs('auth').source).toBe('cache');
    expect(failed.step('codex exec').status).toBe('failure');
    const post = postStep(failed);
    expect(post.status).toBe('failure');
    const [error] = errorsOf(failed);
    expect(error).toMatch(cause);
    expect(error).toMatch(/Codex could not renew the ChatGPT login 'default'/);
    expect(error).toMatch(/To re-seed: .*run `codex login`.*chatgpt-auth-json.*re-run the job/);
    expect(post.log).not.toContain('Saved the refreshed');
    // The stored login is untouched: its entry is still there, and the only new entry is the mark.
    const entries = fx.world.cache.entries().filter((e) => e.finalized);
    expect(entries.map((e) => e.key)).toContain(storedKey);
    expect(entries).toHaveLength(2);
    fx.world.oauth.clearFaults();

    // The next job stops in its main step with the same cause: Codex does not run.
    const tokenRequests = fx.world.oauth.requests.length;
    const modelRequests = fx.world.model.requests.length;
    const next = await run({ 'chatgpt-auth-json': serialize(stored) });
    expect(next.status).toBe('failure');
    expect(next.step('auth').status).toBe('failure');
    expect(next.step('codex exec').status).toBe('skipped');
    const [stop] = errorsOf(next);
    expect(stop).toMatch(/needs a re-seed/);
    expect(stop).toMatch(cause);
    expect(stop).toMatch(/To re-seed: .*run `codex login`/);
    expect(fx.world.oauth.requests.length).toBe(tokenRequests);
    expect(fx.world.model.requests.length).toBe(modelRequests);
    expect(next.step('auth').summary).toMatch(/needs a re-seed/);

    // A new `codex login` in the secret: newer than the marked login, so it is used.
    const fresh = seed();
    const reseeded = await run({ 'chatgpt-auth-json': serialize(fresh) });
    expect(reseeded.status).toBe('success');
    expect(reseeded.outputs('auth')).toMatchObject({ source: 'seed', 'last-refresh': fresh.last_refresh });
    expect(reseeded.step('auth').summary).toMatch(/newer than the login marked as needing a re-seed/);
    for (const job of [failed, next, reseeded]) {
      for (const value of allTokens(fx.world, fx.seeds)) expect(job.step('auth').summary).not.toContain(value);
    }
  });
});

test('on-refresh-failure: warn reports the same cause as a warning; the mark is still set', async () => {
  const stored = seed({ accessTtlSeconds: -60 });
  await storeInCache(stored);
  fx.world.oauth.revokeFamily(fx.world.oauth.familyOf(stored.tokens.refresh_token)!);
  const job = await runJob(
    chatGptJob(fx.world, {
      inputs: { 'encryption-key': fx.key, ...IN_JOB, 'on-refresh-failure': 'warn' },
      steps: [codexExecStep(fx.world, { name: 'codex exec' }), { name: 'continue', run: 'true', if: 'always' }]
    })
  );
  fx.jobs.push(job);
  expect(postStep(job).status).toBe('success');
  expect(postStep(job).annotations.some((a) => a.level === 'warning' && /revoked by OpenAI/.test(a.message))).toBe(
    true
  );
  const next = await run();
  expect(errorsOf(next)[0]).toMatch(/needs a re-seed/);
});
