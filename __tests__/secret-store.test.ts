// src/stores/secret.ts against the loopback GitHub API: the tests open the sealed boxes the server
// stored and compare them with what was written; every failure GitHub can answer has its own test
// and message, retries are observed in the server's request log, and the value never shows up in a
// message or a log line.
import { TOKENS, startGitHubApi, type GitHubApi } from './support/github-api.js';
import {
  SecretStoreError,
  checkWriteAccess,
  describeTarget,
  writeSecret,
  type SecretStoreOptions,
  type SecretTarget
} from '../src/stores/secret.js';
import { apiUrlFromEnv } from '../src/github/api-url.js';

// Shaped like the real thing: an envelope is one line.
const VALUE =
  'codex-auth:v1:default:KEYID0123:bm9uY2Vub25jZW5vbmNlbm9uY2U:c2VjcmV0LXBheWxvYWQtdGhhdC1tdXN0LW5ldmVyLWxlYWs';

let api: GitHubApi;
let logs: string[];

beforeEach(async () => {
  api = await startGitHubApi();
  logs = [];
});

afterEach(async () => {
  await api.stop();
});

function target(overrides: Partial<SecretTarget> = {}): SecretTarget {
  return {
    scope: 'repository',
    name: 'CODEX_AUTH_JSON',
    owner: 'acme',
    repo: 'app',
    apiUrl: api.url,
    token: TOKENS.writer,
    ...overrides
  };
}

function options(overrides: SecretStoreOptions = {}): SecretStoreOptions {
  return {
    log: (line) => logs.push(line),
    // Octokit's plugins wait retryBaseMs per second they would wait: 1 ms here, and the log says how long GitHub asked for.
    retryBaseMs: 1,
    ...overrides
  };
}

/** Runs a write that must fail; checks the value never leaks into the message or the log. */
async function failure(
  t: SecretTarget,
  opts: SecretStoreOptions = options(),
  value = VALUE
): Promise<SecretStoreError> {
  const error = await writeSecret(t, value, opts).then(
    () => undefined,
    (e: unknown) => e
  );
  expect(error).toBeInstanceOf(SecretStoreError);
  const e = error as SecretStoreError;
  for (const text of [e.message, ...logs]) {
    expect(text).not.toContain(value);
    if (t.token) expect(text).not.toContain(t.token);
    for (const put of api.requests.filter((r) => r.method === 'PUT')) {
      if (put.body?.encrypted_value) expect(text).not.toContain(put.body.encrypted_value);
    }
  }
  return e;
}

const puts = (): number => api.requests.filter((r) => r.method === 'PUT').length;

describe('writeSecret stores the value, sealed, in each scope', () => {
  test('repository: created, then updated; the stored box opens to the value', async () => {
    const first = await writeSecret(target(), VALUE, options());
    expect(first).toEqual({
      status: 'created',
      requests: 2,
      attempts: 1,
      keyId: api.publicKey({ scope: 'repository', owner: 'acme', repo: 'app' }).key_id,
      visibility: undefined
    });
    expect(api.secretValue(target(), 'CODEX_AUTH_JSON')).toBe(VALUE);
    const next = `${VALUE}-next`;
    expect((await writeSecret(target(), next, options())).status).toBe('updated');
    expect(api.secretValue(target(), 'CODEX_AUTH_JSON')).toBe(next);
    // What went over the wire: the public key, then the sealed box; never the value itself.
    expect(api.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /repos/acme/app/actions/secrets/public-key 200',
      'PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON 201',
      'GET /repos/acme/app/actions/secrets/public-key 200',
      'PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON 204'
    ]);
    for (const request of api.requests) expect(request.rawBody).not.toContain(VALUE);
    expect(Object.keys(api.requests[1].body).sort()).toEqual(['encrypted_value', 'key_id']);
    expect(logs).toEqual([]);
  });

  test("environment: the environment's own key and store; the repository secret is untouched", async () => {
    api.setSecret(target(), 'CODEX_AUTH_JSON', 'repository copy');
    const env = target({ scope: 'environment', environment: 'production' });
    expect((await writeSecret(env, VALUE, options())).status).toBe('created');
    expect(api.secretValue(env, 'CODEX_AUTH_JSON')).toBe(VALUE);
    expect(api.secretValue(target(), 'CODEX_AUTH_JSON')).toBe('repository copy');
    expect(api.requests.at(-1)!.path).toBe('/repos/acme/app/environments/production/secrets/CODEX_AUTH_JSON');
  });

  test('organization: a new secret is visible to this repository alone (selected); the org defaults to the repository owner', async () => {
    const org = target({ scope: 'organization' });
    const result = await writeSecret(org, VALUE, options());
    expect(result).toMatchObject({ status: 'created', visibility: 'selected' });
    expect(api.secretValue({ scope: 'organization', org: 'acme' }, 'CODEX_AUTH_JSON')).toBe(VALUE);
    const stored = api.secret({ scope: 'organization', org: 'acme' }, 'CODEX_AUTH_JSON')!;
    expect(stored.visibility).toBe('selected');
    expect(stored.selectedRepositoryIds).toEqual([api.repositoryId('acme/app')]);
    expect(api.requests.find((r) => r.method === 'PUT')!.body.selected_repository_ids).toEqual([
      api.repositoryId('acme/app')
    ]);
  });

  test('organization: with GITHUB_REPOSITORY_ID known, the new secret is made selected without a lookup', async () => {
    const id = api.repositoryId('acme/app');
    await writeSecret({ ...target({ scope: 'organization' }), repositoryId: id }, VALUE, options());
    expect(api.secret({ scope: 'organization', org: 'acme' }, 'CODEX_AUTH_JSON')!.selectedRepositoryIds).toEqual([id]);
    expect(api.requests.some((r) => r.method === 'GET' && r.path === '/repos/acme/app')).toBe(false);
  });

  test('organization: an existing secret keeps its visibility', async () => {
    const ref = { scope: 'organization' as const, org: 'acme' };
    api.setSecret(ref, 'CODEX_AUTH_JSON', 'old', { visibility: 'all' });
    const result = await writeSecret(target({ scope: 'organization', org: 'acme' }), VALUE, options());
    expect(result).toMatchObject({ status: 'updated', visibility: 'all' });
    expect(api.secret(ref, 'CODEX_AUTH_JSON')!.visibility).toBe('all');
    expect(api.secretValue(ref, 'CODEX_AUTH_JSON')).toBe(VALUE);
    expect(api.requests.find((r) => r.method === 'PUT')!.body.visibility).toBe('all');
  });

  test('organization: a secret for selected repositories keeps them, sent explicitly', async () => {
    const ref = { scope: 'organization' as const, org: 'acme' };
    api.setSecret(ref, 'CODEX_AUTH_JSON', 'old', {
      visibility: 'selected',
      selectedRepositories: ['acme/app', 'acme/other']
    });
    const ids = [api.repositoryId('acme/app'), api.repositoryId('acme/other')];
    const result = await writeSecret(target({ scope: 'organization' }), VALUE, options());
    expect(result).toMatchObject({ status: 'updated', visibility: 'selected' });
    const put = api.requests.find((r) => r.method === 'PUT')!;
    expect(put.body.selected_repository_ids).toEqual(ids);
    expect(api.secret(ref, 'CODEX_AUTH_JSON')!.selectedRepositoryIds).toEqual(ids);
    expect(api.secretValue(ref, 'CODEX_AUTH_JSON')).toBe(VALUE);
  });

  test('GitHub Enterprise Server: GITHUB_API_URL with /api/v3 is honoured', async () => {
    const ghes = await startGitHubApi({ pathPrefix: '/api/v3' });
    try {
      const apiUrl = apiUrlFromEnv({ GITHUB_API_URL: `${ghes.url}/` });
      expect(apiUrl).toBe(ghes.url);
      expect((await writeSecret(target({ apiUrl }), VALUE, options())).status).toBe('created');
      expect(ghes.secretValue(target(), 'CODEX_AUTH_JSON')).toBe(VALUE);
      expect(apiUrlFromEnv({})).toBe('https://api.github.com');
    } finally {
      await ghes.stop();
    }
  });

  test('the public key changing between GET and PUT: sealed again under the new key, once', async () => {
    let rotated = false;
    const rotatingFetch: typeof fetch = async (input, init) => {
      if (init?.method === 'PUT' && !rotated) {
        rotated = true;
        api.rotateKey(target());
      }
      return fetch(input, init);
    };
    const result = await writeSecret(target(), VALUE, options({ fetch: rotatingFetch }));
    expect(result.status).toBe('created');
    expect(result.keyId).toBe(api.publicKey(target()).key_id);
    expect(api.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PUT 422', 'GET 200', 'PUT 201']);
    expect(api.secretValue(target(), 'CODEX_AUTH_JSON')).toBe(VALUE);
    expect(logs.join('\n')).toContain(
      'public key of the repository secret CODEX_AUTH_JSON of acme/app changed while writing'
    );
  });

  test('checkWriteAccess writes the current value back and says so', async () => {
    api.setSecret(target(), 'CODEX_AUTH_JSON', VALUE);
    const result = await checkWriteAccess(target(), VALUE, options());
    expect(result.status).toBe('updated');
    expect(api.secretValue(target(), 'CODEX_AUTH_JSON')).toBe(VALUE);
    expect(logs).toContain(
      'Write access to the repository secret CODEX_AUTH_JSON of acme/app confirmed (wrote the current value back).'
    );
    // A token that can read but not write fails the check before anything depends on it.
    const error = await checkWriteAccess(target({ token: TOKENS.reader }), VALUE, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as SecretStoreError).kind).toBe('forbidden');
  });
});

describe('each failure has its own actionable message, never the value', () => {
  test('401: invalid, expired or revoked token, naming the input secret-token; not retried', async () => {
    const e = await failure(target({ token: TOKENS.revoked }));
    expect(e.kind).toBe('unauthorized');
    expect(e.status).toBe(401);
    expect(e.message).toContain('GitHub answered 401 Bad credentials');
    expect(e.message).toContain("The token in input 'secret-token' is invalid, expired or revoked");
    expect(e.message).toMatch(/GitHub request id [0-9A-F]+:[0-9A-F]+/);
    expect(api.requests).toHaveLength(1);
  });

  test('403 with the workflow GITHUB_TOKEN: the permission, the token kinds that have it, and that GITHUB_TOKEN cannot', async () => {
    const e = await failure(target({ token: TOKENS.workflow }));
    expect(e.kind).toBe('forbidden');
    expect(e.message).toContain('403 Resource not accessible by integration');
    expect(e.message).toContain('(GitHub says the call needs secrets=read)');
    expect(e.message).toContain(
      'fine-grained personal access token with the repository permission "Secrets: Read and write"'
    );
    expect(e.message).toContain('GitHub App installation token with the secrets permission');
    expect(e.message).toContain("The workflow's GITHUB_TOKEN cannot write secrets");
    expect(puts()).toBe(0);
  });

  test('403 on the PUT with a read-only token: "may not write"', async () => {
    const e = await failure(target({ token: TOKENS.reader }));
    expect(e.kind).toBe('forbidden');
    expect(e.message).toContain(
      'Cannot write the repository secret CODEX_AUTH_JSON of acme/app: GitHub answered 403 Resource not accessible by personal access token'
    );
    expect(e.message).toContain('may not write this secret (GitHub says the call needs secrets=write)');
    expect(api.secretNames(target())).toEqual([]);
  });

  test('403 names the permission of the scope: Environments for environment secrets, organization Secrets for organization ones', async () => {
    api.addToken('ghs_repo_only', { kind: 'integration', permissions: { secrets: 'write' } });
    const env = await failure(target({ scope: 'environment', environment: 'production', token: 'ghs_repo_only' }));
    expect(env.message).toContain('"Environments: Read and write"');
    expect(env.message).toContain('environments=read');
    const org = await failure(target({ scope: 'organization', token: 'ghs_repo_only' }));
    expect(org.message).toContain('organization permission "Secrets: Read and write"');
    expect(org.message).toContain('organization_secrets');
  });

  test('403 from SAML single sign-on says to authorize the token', async () => {
    api.inject({
      status: 403,
      headers: { 'x-github-sso': 'required; url=https://github.com/orgs/acme/sso?authorization_request=X' }
    });
    const e = await failure(target());
    expect(e.message).toContain('SAML single sign-on');
    expect(e.message).toContain('https://github.com/orgs/acme/sso?authorization_request=X');
  });

  test('404 repository: not found or not visible to the token; names secret-scope', async () => {
    const e = await failure(target({ token: TOKENS.otherRepo }));
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain('404 Not Found');
    expect(e.message).toContain(
      "The repository acme/app does not exist, or the token in input 'secret-token' cannot see it"
    );
    expect(e.message).toContain("input 'secret-scope'");
  });

  test('404 environment: names the environment input and how to create one', async () => {
    const e = await failure(target({ scope: 'environment', environment: 'prodution' }));
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain("its environment 'prodution' does not exist");
    expect(e.message).toContain(
      "Check input 'environment' (create the environment under Settings → Environments first)"
    );
  });

  test('404 organization', async () => {
    const e = await failure(target({ scope: 'organization', org: 'no-such-org' }));
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain('The organization no-such-org does not exist');
  });

  test("422 from GitHub: rejected, with GitHub's words and the limits; not retried", async () => {
    api.inject({ status: 422, method: 'PUT', times: 5 });
    const e = await failure(target());
    expect(e.kind).toBe('rejected');
    expect(e.status).toBe(422);
    expect(e.message).toContain('GitHub answered 422 Validation Failed; injected validation failure');
    expect(e.message).toContain('a secret holds at most 48 KB');
    expect(e.message).toContain('The value was not stored');
    expect(puts()).toBe(1);
  });

  test('a GitHub message echoing the value is redacted', async () => {
    api.inject({ status: 422, method: 'PUT', body: { message: `Value ${VALUE} is not allowed` } });
    const e = await failure(target());
    expect(e.message).toContain('Value *** is not allowed');
  });

  test('a value over 48 KB is refused before anything is sent', async () => {
    const big = 'x'.repeat(48 * 1024 + 1);
    const e = await failure(target(), options(), big);
    expect(e.kind).toBe('rejected');
    expect(e.message).toBe(
      `Cannot write the repository secret CODEX_AUTH_JSON of acme/app: the value is ${48 * 1024 + 1} bytes, over GitHub's limit of 48 KB per secret.`
    );
    expect(api.requests).toEqual([]);
  });

  test.each<[string, Partial<SecretTarget>, RegExp]>([
    ['a name GitHub refuses', { name: 'CODEX-AUTH' }, /'CODEX-AUTH' is not a valid secret name.*input 'secret-name'/],
    ['a reserved name', { name: 'GITHUB_AUTH' }, /reserved/],
    [
      'environment scope without an environment',
      { scope: 'environment' },
      /needs the environment's name \(input 'environment'\)/
    ],
    ['no token', { token: '' }, /no token was given \(input 'secret-token'\).*GITHUB_TOKEN cannot write secrets/],
    ['a bad API URL', { apiUrl: 'api.github.com' }, /is not an http\(s\) URL \(GITHUB_API_URL\)/],
    [
      'an unknown scope',
      { scope: 'team' as never },
      /scope 'team' is not one of repository, environment, organization \(input 'secret-scope'\)/
    ]
  ])('invalid target, no request: %s', async (_name, overrides, message) => {
    const e = await failure(target(overrides));
    expect(e.kind).toBe('invalid');
    expect(e.message).toMatch(message);
    expect(api.requests).toEqual([]);
  });

  test('the caller can name its own settings (the init command names flags and variables)', async () => {
    const e = await failure(target({ token: TOKENS.revoked }), options({ names: { token: 'GH_TOKEN' } }));
    expect(e.message).toContain('The token in GH_TOKEN is invalid');
  });
});

describe('5xx, network errors and rate limits are retried with backoff', () => {
  test('503 twice on the PUT, then success: 3 attempts, the waits and the attempt count logged', async () => {
    api.inject({ status: 503, method: 'PUT', times: 2 });
    const result = await writeSecret(target(), VALUE, options({ retryBaseMs: 100 }));
    expect(result).toMatchObject({ status: 'created', attempts: 3, requests: 4 });
    expect(api.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PUT 503', 'PUT 503', 'PUT 201']);
    expect(logs).toEqual([
      'GitHub API: PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON answered 503 Service Unavailable; attempt 2 of 4 in 0.1 s.',
      'GitHub API: PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON answered 503 Service Unavailable; attempt 3 of 4 in 0.4 s.'
    ]);
    expect(api.secretValue(target(), 'CODEX_AUTH_JSON')).toBe(VALUE);
  });

  test('the public-key request is retried too (an HTML 502 page included)', async () => {
    api.inject({ status: 502, path: 'public-key' });
    expect((await writeSecret(target(), VALUE, options({ retryBaseMs: 1000 }))).status).toBe('created');
    expect(logs[0]).toBe(
      'GitHub API: GET /repos/acme/app/actions/secrets/public-key answered 502; attempt 2 of 4 in 1 s.'
    );
  });

  test('5xx that does not stop: unavailable after every attempt, with the default backoff', async () => {
    api.inject({ status: 500, method: 'PUT', times: 10 });
    const e = await failure(target(), options({ retryBaseMs: 100 }));
    expect(e.kind).toBe('unavailable');
    expect(e.status).toBe(500);
    expect(e.message).toContain('GitHub answered 500 Server Error');
    expect(e.message).toContain('GitHub kept failing after 4 attempts');
    expect(e.message).toContain('https://www.githubstatus.com');
    // plugin-retry's backoff: 1, 4, 9 units (seconds in a job; a tenth of one here).
    expect(logs.map((l) => /in ([\d.]+ (?:ms|s))\.$/.exec(l)?.[1])).toEqual(['0.1 s', '0.4 s', '0.9 s']);
    expect(puts()).toBe(4);
  });

  test('a dropped connection is retried', async () => {
    api.inject({ drop: true, method: 'PUT' });
    const result = await writeSecret(target(), VALUE, options({ retryBaseMs: 1000 }));
    expect(result.attempts).toBe(2);
    expect(logs[0]).toMatch(
      /^GitHub API: PUT \/repos\/acme\/app\/actions\/secrets\/CODEX_AUTH_JSON failed \(.+\); attempt 2 of 4 in 1 s\.$/
    );
    expect(api.secretValue(target(), 'CODEX_AUTH_JSON')).toBe(VALUE);
  });

  test('an API nobody answers: a network error naming GITHUB_API_URL', async () => {
    const gone = await startGitHubApi();
    const url = gone.url;
    await gone.stop();
    const e = await failure(target({ apiUrl: url }), options({ retries: 1 }));
    expect(e.kind).toBe('network');
    expect(e.message).toContain(`the GitHub API at ${url} could not be reached after 2 attempts (ECONNREFUSED)`);
    expect(e.message).toContain('GITHUB_API_URL');
  });

  test('a timeout is retried', async () => {
    // The held answer outlasts the per-attempt timeout by seconds, and the timeout leaves a loaded
    // machine seconds for the answers that are not held (100 ms did not: a third attempt).
    api.inject({ delayMs: 6_000, method: 'PUT' });
    const result = await writeSecret(target(), VALUE, options({ timeoutMs: 2_000 }));
    expect(result.attempts).toBe(2);
    expect(logs[0]).toContain('failed (timed out); attempt 2 of 4');
  });

  test('secondary rate limit: waits retry-after, then succeeds', async () => {
    api.inject({ retryAfter: 7, method: 'PUT' });
    const result = await writeSecret(target(), VALUE, options());
    expect(result).toMatchObject({ status: 'created', attempts: 2 });
    expect(logs).toEqual([
      'GitHub API: PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON hit the secondary rate limit; waiting 7 s as GitHub asks, then trying again (rate-limit retry 1 of 3).'
    ]);
  });

  test('primary rate limit: waits until x-ratelimit-reset, then succeeds', async () => {
    api.inject({ rateLimitReset: Math.floor(Date.now() / 1000) + 5, path: 'public-key' });
    expect((await writeSecret(target(), VALUE, options())).status).toBe('created');
    // Until the reset, plus the second Octokit adds to be past it.
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^GitHub API: GET \/repos\/acme\/app\/actions\/secrets\/public-key hit the primary rate limit; waiting [4-7] s as GitHub asks, then trying again \(rate-limit retry 1 of 3\)\.$/
    );
  });

  test('a 429 without a sign of how long to wait is not retried blindly: it fails as a rate limit', async () => {
    api.inject({ status: 429, method: 'PUT' });
    const e = await failure(target());
    expect(e.kind).toBe('rate-limited');
    expect(e.message).toContain('Re-run the job once the limit has reset');
    expect(puts()).toBe(1);
  });

  test('a rate limit longer than the cap fails at once, saying so', async () => {
    api.inject({ rateLimitReset: Math.floor(Date.now() / 1000) + 3600, times: 10 });
    const e = await failure(target());
    expect(e.kind).toBe('rate-limited');
    expect(e.status).toBe(403);
    expect(e.message).toMatch(/GitHub's API rate limit was hit \(no requests left until .*\) after 1 attempt/);
    expect(e.message).toContain('That is longer than this step waits (60 s)');
    expect(logs).toEqual([]);
    expect(api.requests).toHaveLength(1);
  });

  test('a rate limit that persists fails after every attempt', async () => {
    api.inject({ retryAfter: 1, times: 10, method: 'PUT' });
    const e = await failure(target());
    expect(e.kind).toBe('rate-limited');
    expect(e.message).toContain('after 4 attempts');
    expect(logs.filter((l) => l.includes('waiting 1 s as GitHub asks'))).toHaveLength(3);
  });

  test('a plain 403 (no rate-limit sign) is not retried', async () => {
    api.inject({ status: 403, method: 'PUT' });
    const e = await failure(target());
    expect(e.kind).toBe('forbidden');
    expect(api.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });
});

test('describeTarget names scope, secret and place', () => {
  expect(describeTarget(target())).toBe('repository secret CODEX_AUTH_JSON of acme/app');
  expect(describeTarget(target({ scope: 'environment', environment: 'production', name: 'x' }))).toBe(
    "environment secret X of acme/app (environment 'production')"
  );
  expect(describeTarget(target({ scope: 'organization' }))).toBe('organization secret CODEX_AUTH_JSON of acme');
});
