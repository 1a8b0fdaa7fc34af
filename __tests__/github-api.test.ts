// The loopback GitHub REST API behaves like GitHub where a client can tell: real sealed boxes per
// scope, GitHub's status codes and messages, token permissions, faults on demand, and git refs with
// fast-forward semantics. Driven here with plain fetch, independently of src/stores/secret.ts.
import { execFileSync } from 'node:child_process';
import sodium from 'libsodium-wrappers';
import { EMPTY_TREE, TOKENS, startGitHubApi, type GitHubApi, type ScopeRef } from './support/github-api.js';

let api: GitHubApi;

const REPO: ScopeRef = { scope: 'repository', owner: 'acme', repo: 'app' };
const ENV: ScopeRef = { scope: 'environment', owner: 'acme', repo: 'app', environment: 'production' };
const ORG: ScopeRef = { scope: 'organization', org: 'acme' };
const BASES: [string, ScopeRef, string][] = [
  ['repository', REPO, '/repos/acme/app/actions/secrets'],
  ['environment', ENV, '/repos/acme/app/environments/production/secrets'],
  ['organization', ORG, '/orgs/acme/actions/secrets']
];

interface Res {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TOKENS.writer,
  base = api.url
): Promise<Res> {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  });
  const text = await response.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

async function sealFor(
  base: string,
  value: string,
  token: string = TOKENS.writer
): Promise<{ encrypted_value: string; key_id: string }> {
  const key = await call('GET', `${base}/public-key`, undefined, token);
  expect(key.status).toBe(200);
  const sealed = sodium.crypto_box_seal(
    sodium.from_string(value),
    sodium.from_base64(key.body.key, sodium.base64_variants.ORIGINAL)
  );
  return { encrypted_value: sodium.to_base64(sealed, sodium.base64_variants.ORIGINAL), key_id: key.body.key_id };
}

beforeAll(async () => {
  await sodium.ready;
});

beforeEach(async () => {
  api = await startGitHubApi();
});

afterEach(async () => {
  await api.stop();
});

describe('secrets: the three scopes', () => {
  test('each scope has its own real X25519 public key, base64 in the original variant', async () => {
    const keys = await Promise.all(BASES.map(([, , base]) => call('GET', `${base}/public-key`)));
    for (const key of keys) {
      expect(key.status).toBe(200);
      expect(key.body.key_id).toMatch(/^\d{18}$/);
      expect(key.body.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(sodium.from_base64(key.body.key, sodium.base64_variants.ORIGINAL)).toHaveLength(32);
    }
    expect(new Set(keys.map((k) => k.body.key_id)).size).toBe(3);
    expect(new Set(keys.map((k) => k.body.key)).size).toBe(3);
    expect(api.publicKey(ENV)).toEqual(keys[1].body);
  });

  test.each(BASES)(
    '%s: PUT answers 201 when it creates, 204 when it updates; the box opens to the value',
    async (scope, ref, base) => {
      const extra = scope === 'organization' ? { visibility: 'private' } : {};
      const first = await call('PUT', `${base}/my_secret`, { ...(await sealFor(base, 'value one')), ...extra });
      expect(first.status).toBe(201);
      expect(api.secretValue(ref, 'MY_SECRET')).toBe('value one');
      const second = await call('PUT', `${base}/MY_SECRET`, { ...(await sealFor(base, 'value two')), ...extra });
      expect(second.status).toBe(204);
      expect(second.text).toBe('');
      expect(api.secretValue(ref, 'my_secret')).toBe('value two');
      expect(api.secret(ref, 'MY_SECRET')!.writes).toBe(2);
      // GitHub stores names upper-cased and reports metadata, never the value.
      const info = await call('GET', `${base}/my_secret`);
      expect(info.status).toBe(200);
      expect(info.body.name).toBe('MY_SECRET');
      expect(info.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(JSON.stringify(info.body)).not.toContain('value two');
      expect(api.secretNames(ref)).toEqual(['MY_SECRET']);
      // The other scopes are untouched.
      for (const [, other] of BASES.filter(([s]) => s !== scope)) expect(api.secretNames(other)).toEqual([]);
    }
  );

  test('an unknown secret is a 404; an unknown environment or repository too', async () => {
    expect((await call('GET', '/repos/acme/app/actions/secrets/NOPE')).status).toBe(404);
    const env = await call('GET', '/repos/acme/app/environments/nope/secrets/public-key');
    expect(env.status).toBe(404);
    expect(env.body.message).toBe('Not Found');
    expect((await call('GET', '/repos/acme/missing/actions/secrets/public-key')).status).toBe(404);
    expect((await call('GET', '/orgs/nope/actions/secrets/public-key')).status).toBe(404);
  });

  test('environment names with spaces are path-encoded', async () => {
    api.addEnvironment('acme/app', 'pre prod');
    const base = '/repos/acme/app/environments/pre%20prod/secrets';
    expect((await call('PUT', `${base}/X`, await sealFor(base, 'v'))).status).toBe(201);
    expect(api.secretValue({ scope: 'environment', owner: 'acme', repo: 'app', environment: 'pre prod' }, 'X')).toBe(
      'v'
    );
  });

  test('organization: visibility is required, kept as given, and selected repositories are listed', async () => {
    const base = '/orgs/acme/actions/secrets';
    const missing = await call('PUT', `${base}/ORG_SECRET`, await sealFor(base, 'v'));
    expect(missing.status).toBe(422);
    expect(missing.body.message).toContain('"visibility" wasn\'t supplied');
    const bad = await call('PUT', `${base}/ORG_SECRET`, { ...(await sealFor(base, 'v')), visibility: 'public' });
    expect(bad.status).toBe(422);
    const ids = [api.repositoryId('acme/app')];
    const created = await call('PUT', `${base}/ORG_SECRET`, {
      ...(await sealFor(base, 'v')),
      visibility: 'selected',
      selected_repository_ids: ids
    });
    expect(created.status).toBe(201);
    const info = await call('GET', `${base}/ORG_SECRET`);
    expect(info.body).toMatchObject({ name: 'ORG_SECRET', visibility: 'selected' });
    expect(info.body.selected_repositories_url).toBe(`${api.url}${base}/ORG_SECRET/repositories`);
    const repos = await call('GET', `${base}/ORG_SECRET/repositories`);
    expect(repos.body).toMatchObject({ total_count: 1, repositories: [{ id: ids[0], full_name: 'acme/app' }] });
    // Omitting the list keeps it; ids with another visibility are refused.
    expect(
      (await call('PUT', `${base}/ORG_SECRET`, { ...(await sealFor(base, 'w')), visibility: 'selected' })).status
    ).toBe(204);
    expect(api.secret(ORG, 'ORG_SECRET')!.selectedRepositoryIds).toEqual(ids);
    expect(
      (
        await call('PUT', `${base}/ORG_SECRET`, {
          ...(await sealFor(base, 'w')),
          visibility: 'all',
          selected_repository_ids: ids
        })
      ).status
    ).toBe(422);
    expect((await call('PUT', `${base}/ORG_SECRET`, { ...(await sealFor(base, 'x')), visibility: 'all' })).status).toBe(
      204
    );
    expect(api.secret(ORG, 'ORG_SECRET')!.visibility).toBe('all');
    expect(api.secretValue(ORG, 'ORG_SECRET')).toBe('x');
  });

  test('setSecret seeds a secret the API then reports, sealed to the current key', async () => {
    api.setSecret(ORG, 'seeded', 'hello', { visibility: 'selected', selectedRepositories: ['acme/other'] });
    expect(api.secretValue(ORG, 'SEEDED')).toBe('hello');
    expect((await call('GET', '/orgs/acme/actions/secrets/SEEDED')).body.visibility).toBe('selected');
    expect((await call('GET', '/orgs/acme/actions/secrets/SEEDED/repositories')).body.repositories[0].full_name).toBe(
      'acme/other'
    );
    expect(api.secret(ORG, 'SEEDED')!.key_id).toBe(api.publicKey(ORG).key_id);
  });
});

describe('secrets: bad bodies are 422 (bad JSON 400), and nothing is stored', () => {
  const base = '/repos/acme/app/actions/secrets';
  const cases: [string, (good: { encrypted_value: string; key_id: string }) => unknown, RegExp][] = [
    ['no encrypted_value', (g) => ({ key_id: g.key_id }), /"encrypted_value" wasn't supplied/],
    ['no key_id', (g) => ({ encrypted_value: g.encrypted_value }), /"key_id" wasn't supplied/],
    [
      'url-safe base64',
      (g) => ({ ...g, encrypted_value: g.encrypted_value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') }),
      /must be base64/
    ],
    [
      'a key id of another scope',
      (g) => ({ ...g, key_id: api.publicKey(ORG).key_id }),
      /does not match the current public key/
    ],
    [
      'not a sealed box for this key',
      (g) => ({ ...g, encrypted_value: Buffer.from(randomish(80)).toString('base64') }),
      /not a sealed box/
    ],
    ['not an object', () => [1, 2], /not an object/]
  ];
  test.each(cases)('%s', async (_name, make, message) => {
    const good = await sealFor(base, 'v');
    const res = await call('PUT', `${base}/S`, make(good));
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(message);
    expect(api.secretNames(REPO)).toEqual([]);
  });

  test('a value over 48 KB', async () => {
    const res = await call('PUT', `${base}/BIG`, await sealFor(base, 'x'.repeat(48 * 1024 + 1)));
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('48 KB');
    expect((await call('PUT', `${base}/BIG`, await sealFor(base, 'x'.repeat(48 * 1024)))).status).toBe(201);
  });

  test.each([
    ['GITHUB_TOKEN2', /must not start with the GITHUB_ prefix/],
    ['1ABC', /alphanumeric/],
    ['A-B', /alphanumeric/]
  ])('secret name %s', async (name, message) => {
    const res = await call('PUT', `${base}/${name}`, await sealFor(base, 'v'));
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(message);
  });

  test('a body that is not JSON is a 400 "Problems parsing JSON"', async () => {
    const res = await call('PUT', `${base}/S`, '{not json');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('Problems parsing JSON');
  });

  test('after a key rotation the old key id is refused, and secrets sealed before still open', async () => {
    const before = await sealFor(base, 'old');
    expect((await call('PUT', `${base}/KEEP`, before)).status).toBe(201);
    api.rotateKey(REPO);
    expect(api.publicKey(REPO).key_id).not.toBe(before.key_id);
    expect(api.secretValue(REPO, 'KEEP')).toBe('old');
    const stale = await call('PUT', `${base}/KEEP`, await (async () => ({ ...before }))());
    expect(stale.status).toBe(422);
    expect((await call('PUT', `${base}/KEEP`, await sealFor(base, 'new'))).status).toBe(204);
    expect(api.secretValue(REPO, 'KEEP')).toBe('new');
  });
});

function randomish(n: number): Uint8Array {
  return sodium.randombytes_buf(n);
}

describe('tokens and permissions', () => {
  const base = '/repos/acme/app/actions/secrets';

  test('no token: 401 "Requires authentication"; unknown or revoked: 401 "Bad credentials"', async () => {
    const none = await call('GET', `${base}/public-key`, undefined, null);
    expect(none.status).toBe(401);
    expect(none.body.message).toBe('Requires authentication');
    for (const token of ['ghp_unknown', TOKENS.revoked]) {
      const res = await call('GET', `${base}/public-key`, undefined, token);
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Bad credentials');
    }
    // `token X` works like `Bearer X`.
    const res = await fetch(`${api.url}${base}/public-key`, { headers: { authorization: `token ${TOKENS.app}` } });
    expect(res.status).toBe(200);
  });

  test('a workflow GITHUB_TOKEN: 403 "Resource not accessible by integration", naming the permission it lacks', async () => {
    const res = await call('GET', `${base}/public-key`, undefined, TOKENS.workflow);
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('Resource not accessible by integration');
    expect(res.headers.get('x-accepted-github-permissions')).toBe('secrets=read');
  });

  test('a read-only fine-grained token reads the key but cannot PUT: 403 "… by personal access token"', async () => {
    const sealed = await sealFor(base, 'v', TOKENS.reader);
    const res = await call('PUT', `${base}/S`, sealed, TOKENS.reader);
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('Resource not accessible by personal access token');
    expect(res.headers.get('x-accepted-github-permissions')).toBe('secrets=write');
    expect(api.secretNames(REPO)).toEqual([]);
  });

  test('each scope needs its own permission: environments, organization_secrets', async () => {
    api.addToken('ghs_repo_secrets_only', { kind: 'integration', permissions: { secrets: 'write' } });
    expect((await call('GET', `${base}/public-key`, undefined, 'ghs_repo_secrets_only')).status).toBe(200);
    const env = await call(
      'GET',
      '/repos/acme/app/environments/production/secrets/public-key',
      undefined,
      'ghs_repo_secrets_only'
    );
    expect(env.status).toBe(403);
    expect(env.headers.get('x-accepted-github-permissions')).toBe('environments=read');
    const org = await call('GET', '/orgs/acme/actions/secrets/public-key', undefined, 'ghs_repo_secrets_only');
    expect(org.status).toBe(403);
    expect(org.headers.get('x-accepted-github-permissions')).toBe('organization_secrets=read');
  });

  test('a token not granted the repository or organization gets a 404, as if it did not exist', async () => {
    expect((await call('GET', `${base}/public-key`, undefined, TOKENS.otherRepo)).status).toBe(404);
    expect(
      (await call('GET', '/repos/acme/other/actions/secrets/public-key', undefined, TOKENS.otherRepo)).status
    ).toBe(200);
    expect((await call('GET', '/orgs/acme/actions/secrets/public-key', undefined, TOKENS.otherRepo)).status).toBe(404);
  });

  test('every request is logged with its token, status and body; responses carry request ids and rate-limit headers', async () => {
    const res = await call('PUT', `${base}/LOGGED`, await sealFor(base, 'v'));
    expect(res.headers.get('x-github-request-id')).toMatch(/^[0-9A-F]+:[0-9A-F]+$/);
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeLessThan(5000);
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(api.requests.map((r) => [r.method, r.path, r.status, r.token])).toEqual([
      ['GET', `${base}/public-key`, 200, TOKENS.writer],
      ['PUT', `${base}/LOGGED`, 201, TOKENS.writer]
    ]);
    expect(api.requests[1].body).toEqual({ encrypted_value: expect.any(String), key_id: api.publicKey(REPO).key_id });
    expect(api.requests[1].rawBody).not.toContain('"v"');
  });
});

describe('pull request reviews (for the pull-request review example)', () => {
  const REVIEWS = '/repos/acme/app/pulls/12/reviews';

  test('a review of an open pull request: 200 with the review, kept for the test to read', async () => {
    api.addPullRequest('acme/app', 12);
    api.addToken('ghs_LOOPBACKreviewer0000000000000000000', {
      kind: 'integration',
      permissions: { pull_requests: 'write' }
    });
    const res = await call(
      'POST',
      REVIEWS,
      { event: 'COMMENT', body: 'Looks good.' },
      'ghs_LOOPBACKreviewer0000000000000000000'
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      state: 'COMMENTED',
      body: 'Looks good.',
      user: { login: 'github-actions[bot]', type: 'Bot' },
      html_url: `https://github.com/acme/app/pull/12#pullrequestreview-${res.body.id}`,
      author_association: 'NONE'
    });
    expect(api.reviews('acme/app', 12)).toEqual([{ id: res.body.id, state: 'COMMENTED', body: 'Looks good.' }]);
  });

  test('refused as GitHub refuses it: no such pull request, no permission, a comment without a body', async () => {
    api.addPullRequest('acme/app', 12);
    const before = api.reviews('acme/app', 12).length;
    expect((await call('POST', '/repos/acme/app/pulls/13/reviews', { event: 'COMMENT', body: 'x' })).status).toBe(404);
    const denied = await call('POST', REVIEWS, { event: 'COMMENT', body: 'x' }, TOKENS.workflow);
    expect([denied.status, denied.body.message]).toEqual([403, 'Resource not accessible by integration']);
    expect(denied.headers.get('x-accepted-github-permissions')).toBe('pull_requests=write');
    api.addToken('ghs_LOOPBACKreviewer0000000000000000000', {
      kind: 'integration',
      permissions: { pull_requests: 'write' }
    });
    const empty = await call('POST', REVIEWS, { event: 'COMMENT' }, 'ghs_LOOPBACKreviewer0000000000000000000');
    expect(empty.status).toBe(422);
    expect(api.reviews('acme/app', 12).length).toBe(before);
  });
});

describe('fault injection', () => {
  const key = '/repos/acme/app/actions/secrets/public-key';

  test('a status for the next N matching requests, then normal service', async () => {
    api.inject({ status: 503, times: 2, path: 'public-key' });
    expect((await call('GET', '/orgs/acme/actions/secrets/public-key')).status).toBe(503);
    expect((await call('GET', key)).status).toBe(503);
    expect((await call('GET', key)).status).toBe(200);
    expect(api.requests.map((r) => r.fault)).toEqual([true, true, false]);
  });

  test('method and path filters; faults are consumed in the order injected', async () => {
    api.inject({ status: 500, method: 'PUT' });
    api.inject({ status: 404, path: /\/orgs\// });
    expect((await call('GET', key)).status).toBe(200);
    expect((await call('GET', '/orgs/acme/actions/secrets/public-key')).status).toBe(404);
    const put = await call(
      'PUT',
      '/repos/acme/app/actions/secrets/S',
      await sealFor('/repos/acme/app/actions/secrets', 'v')
    );
    expect(put.status).toBe(500);
    expect(put.body.message).toBe('Server Error');
  });

  test.each([
    [401, 'Bad credentials'],
    [403, 'Resource not accessible by integration'],
    [404, 'Not Found'],
    [422, 'Validation Failed'],
    [503, 'Service Unavailable']
  ])("%i with GitHub's message", async (status, message) => {
    api.inject({ status });
    const res = await call('GET', key);
    expect(res.status).toBe(status);
    expect(res.body.message).toBe(message);
  });

  test("a 502 comes as an HTML page, as GitHub's front end sends it", async () => {
    api.inject({ status: 502 });
    const res = await call('GET', key);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.body).toBeNull();
    expect(res.text).toContain('Bad Gateway');
  });

  test('secondary rate limit: 403 with retry-after; primary: x-ratelimit-remaining 0 and the reset time; 429', async () => {
    api.inject({ retryAfter: 30 });
    const secondary = await call('GET', key);
    expect(secondary.status).toBe(403);
    expect(secondary.headers.get('retry-after')).toBe('30');
    expect(secondary.body.message).toContain('secondary rate limit');
    const reset = Math.floor(Date.now() / 1000) + 120;
    api.inject({ rateLimitReset: reset, status: 429 });
    const primary = await call('GET', key);
    expect(primary.status).toBe(429);
    expect(primary.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(primary.headers.get('x-ratelimit-reset')).toBe(String(reset));
    expect(primary.body.message).toContain('API rate limit exceeded');
  });

  test('a delay alone, then normal service; a dropped connection is a network error', async () => {
    api.inject({ delayMs: 300 });
    const started = Date.now();
    expect((await call('GET', key)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    api.inject({ drop: true });
    await expect(call('GET', key)).rejects.toThrow();
    expect(api.requests.at(-1)).toMatchObject({ fault: true, status: 0 });
    api.inject({ status: 500, times: 5 });
    api.clearFaults();
    expect((await call('GET', key)).status).toBe(200);
  });
});

describe('git data: commits and refs for a lease', () => {
  const git = '/repos/acme/app/git';

  async function commit(message: string, parents: string[], token: string = TOKENS.writer): Promise<string> {
    const res = await call('POST', `${git}/commits`, { message, tree: EMPTY_TREE, parents }, token);
    expect(res.status).toBe(201);
    return res.body.sha;
  }

  test('commits get real git ids and keep their message and parents', async () => {
    const main = api.ref('acme/app', 'refs/heads/main')!;
    const author = { name: 'codex-auth', email: 'lease@example.com', date: '2026-11-29T12:00:00Z' };
    const res = await call('POST', `${git}/commits`, {
      message: 'lease: run 1 job a\n\nexpires 2026-11-29T12:10:00Z',
      tree: EMPTY_TREE,
      parents: [main],
      author
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      message: 'lease: run 1 job a\n\nexpires 2026-11-29T12:10:00Z',
      tree: { sha: EMPTY_TREE },
      parents: [{ sha: main }],
      author
    });
    // The same object git itself would write has the same id.
    const when = Date.parse(author.date) / 1000;
    const object = `tree ${EMPTY_TREE}\nparent ${main}\nauthor codex-auth <lease@example.com> ${when} +0000\ncommitter codex-auth <lease@example.com> ${when} +0000\n\nlease: run 1 job a\n\nexpires 2026-11-29T12:10:00Z`;
    expect(res.body.sha).toBe(
      execFileSync('git', ['hash-object', '-t', 'commit', '--stdin'], { input: object }).toString().trim()
    );
    const read = await call('GET', `${git}/commits/${res.body.sha}`);
    expect(read.status).toBe(200);
    expect(read.body.message).toBe(res.body.message);
    expect(api.commit('acme/app', res.body.sha)!.parents).toEqual([main]);
    expect((await call('GET', `${git}/commits/${'0'.repeat(40)}`)).status).toBe(404);
  });

  test('a commit with an unknown parent or tree is a 422', async () => {
    const parent = await call('POST', `${git}/commits`, { message: 'x', tree: EMPTY_TREE, parents: ['f'.repeat(40)] });
    expect(parent.status).toBe(422);
    expect(parent.body.message).toBe('Parent SHA does not exist or is not a commit object');
    const tree = await call('POST', `${git}/commits`, { message: 'x', tree: 'e'.repeat(40) });
    expect(tree.status).toBe(422);
    expect((await call('POST', `${git}/commits`, { tree: EMPTY_TREE })).status).toBe(422);
  });

  test('creating a ref is atomic: the second create of the same ref is a 422 "Reference already exists"', async () => {
    const a = await commit('holder a', []);
    const b = await commit('holder b', []);
    const [first, second] = await Promise.all([
      call('POST', `${git}/refs`, { ref: 'refs/codex-auth/default', sha: a }),
      call('POST', `${git}/refs`, { ref: 'refs/codex-auth/default', sha: b })
    ]);
    expect([first.status, second.status].sort()).toEqual([201, 422]);
    const loser = first.status === 422 ? first : second;
    expect(loser.body.message).toBe('Reference already exists');
    const winner = first.status === 201 ? first : second;
    expect(winner.body).toMatchObject({ ref: 'refs/codex-auth/default', object: { type: 'commit' } });
    // Singular "ref" to read one.
    const read = await call('GET', `${git}/ref/codex-auth/default`);
    expect(read.status).toBe(200);
    expect(read.body.object.sha).toBe(winner.body.object.sha);
    expect((await call('GET', `${git}/ref/codex-auth/other`)).status).toBe(404);
    expect((await call('GET', `${git}/matching-refs/codex-auth/`)).body.map((r: any) => r.ref)).toEqual([
      'refs/codex-auth/default'
    ]);
  });

  test('bad ref names and unknown objects are 422', async () => {
    const a = await commit('a', []);
    expect((await call('POST', `${git}/refs`, { ref: 'codex-auth/x', sha: a })).status).toBe(422);
    expect((await call('POST', `${git}/refs`, { ref: 'refs/x', sha: a })).status).toBe(422);
    const unknown = await call('POST', `${git}/refs`, { ref: 'refs/codex-auth/x', sha: '1'.repeat(40) });
    expect(unknown.status).toBe(422);
    expect(unknown.body.message).toBe('Object does not exist');
  });

  test('PATCH with force false must fast-forward; force true need not; a missing ref is a 422', async () => {
    const base = await commit('holder 1', []);
    expect((await call('POST', `${git}/refs`, { ref: 'refs/codex-auth/default', sha: base })).status).toBe(201);
    const child = await commit('holder 2 takes over', [base]);
    const sibling = await commit('holder 3 from an old view', [base]);
    const ff = await call('PATCH', `${git}/refs/codex-auth/default`, { sha: child, force: false });
    expect(ff.status).toBe(200);
    expect(ff.body.object.sha).toBe(child);
    // A compare-and-swap: the one who built on the old value loses.
    const lost = await call('PATCH', `${git}/refs/codex-auth/default`, { sha: sibling, force: false });
    expect(lost.status).toBe(422);
    expect(lost.body.message).toBe('Update is not a fast forward');
    expect(api.ref('acme/app', 'refs/codex-auth/default')).toBe(child);
    // Default is force: false too.
    expect((await call('PATCH', `${git}/refs/codex-auth/default`, { sha: sibling })).status).toBe(422);
    expect((await call('PATCH', `${git}/refs/codex-auth/default`, { sha: sibling, force: true })).status).toBe(200);
    const missing = await call('PATCH', `${git}/refs/codex-auth/none`, { sha: child });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toBe('Reference does not exist');
  });

  test('DELETE answers 204, then 422 "Reference does not exist"', async () => {
    const a = await commit('a', []);
    await call('POST', `${git}/refs`, { ref: 'refs/codex-auth/default', sha: a });
    expect((await call('DELETE', `${git}/refs/codex-auth/default`)).status).toBe(204);
    expect(api.ref('acme/app', 'refs/codex-auth/default')).toBeUndefined();
    const again = await call('DELETE', `${git}/refs/codex-auth/default`);
    expect(again.status).toBe(422);
    expect(again.body.message).toBe('Reference does not exist');
  });

  test('git data needs contents: write (a workflow token has it; a read-only token gets 403)', async () => {
    const sha = await commit('by the workflow token', [], TOKENS.workflow);
    expect((await call('POST', `${git}/refs`, { ref: 'refs/codex-auth/default', sha }, TOKENS.workflow)).status).toBe(
      201
    );
    expect((await call('GET', `${git}/ref/codex-auth/default`, undefined, TOKENS.reader)).status).toBe(200);
    const denied = await call('DELETE', `${git}/refs/codex-auth/default`, undefined, TOKENS.reader);
    expect(denied.status).toBe(403);
    expect(denied.headers.get('x-accepted-github-permissions')).toBe('contents=write');
    expect((await call('POST', `${git}/commits`, { message: 'x', tree: EMPTY_TREE }, TOKENS.otherRepo)).status).toBe(
      404
    );
  });
});

test('GitHub Enterprise Server: with a path prefix the API lives under /api/v3 only', async () => {
  const ghes = await startGitHubApi({ pathPrefix: '/api/v3' });
  try {
    expect(ghes.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
    expect(
      (await call('GET', '/repos/acme/app/actions/secrets/public-key', undefined, TOKENS.writer, ghes.url)).status
    ).toBe(200);
    const root = ghes.url.replace(/\/api\/v3$/, '');
    expect(
      (await call('GET', '/repos/acme/app/actions/secrets/public-key', undefined, TOKENS.writer, root)).status
    ).toBe(404);
    expect(ghes.requests[0].path).toBe('/repos/acme/app/actions/secrets/public-key');
  } finally {
    await ghes.stop();
  }
});
