// Secret write-back end to end: the built action under Node 24 through the runner harness, the real
// Codex CLI refreshing against the loopback token endpoint, the real @actions/cache against the
// loopback cache service, and the loopback GitHub REST API holding real libsodium key pairs. The
// seed of every job is what a workflow gets from `${{ secrets.CODEX_AUTH_JSON }}`: the secret's
// current value, read back from the loopback API (`api.secretValue`). Tests open the sealed boxes
// and the envelopes to check what was stored.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open, seal } from '../src/chatgpt/login/envelope.js';
import { parseInputs } from '../src/action/inputs.js';
import {
  TOKENS,
  startGitHubApi,
  type ApiRequest,
  type GitHubApi,
  type ScopeRef,
  type TokenGrant
} from './support/github-api.js';
import type { ChatGptAuthJson } from './support/jwt.js';
import { NODE24, ROOT, SYSTEM_PATH, searchPath } from './support/paths.js';
import {
  readManifest,
  runJob,
  runProcess,
  errorsOf,
  warningsOf,
  type JobResult,
  type ProcessRun
} from './support/runner.js';
import { chatGptJob, newEncryptionKey, postStep, serialize, type World } from './support/world.js';
import { useWorld } from './support/use-world.js';

// These tests are about Codex refreshing the login during the job and the post step saving it.
const IN_JOB = { renewal: 'in-job' };

const NAME = 'CODEX_AUTH_JSON';
const REPO: ScopeRef = { scope: 'repository', owner: 'acme', repo: 'app' };
const ENV: ScopeRef = { scope: 'environment', owner: 'acme', repo: 'app', environment: 'production' };
const ORG: ScopeRef = { scope: 'organization', org: 'acme' };
const ENVELOPE = /^codex-auth:v1:default:[\w-]+:[\w-]+:[\w-]+$/;

let api: GitHubApi;
/** Every value a secret held or a job got as its seed: none may show up in a log either. */
const secretValues = new Set<string>();

beforeEach(async () => {
  api = await startGitHubApi();
});

// Before useWorld's check (hooks run in the order declared): the secrets' values of this test.
afterEach(async () => {
  for (const scope of [REPO, ENV, ORG]) {
    for (const name of api.secretNames(scope)) secretValues.add(api.secretValue(scope, name)!);
  }
  await api.stop();
});

// No token, no secret-token, no envelope, no key in any step's output, in any scenario.
const fx = useWorld({ moreSecrets: () => [...Object.values(TOKENS), ...secretValues, fx.key] });

function seed(options: Parameters<World['oauth']['issue']>[0] = {}): ChatGptAuthJson {
  const auth = fx.world.oauth.issue(options);
  fx.seeds.push(auth);
  return auth;
}

const keyBytes = (): Uint8Array => new Uint8Array(Buffer.from(fx.key, 'base64'));

/** The secret as `codex-auth init` or an earlier job left it: the login, sealed into an envelope. */
async function plantSecret(
  auth: ChatGptAuthJson,
  scope: ScopeRef = REPO,
  options?: Parameters<GitHubApi['setSecret']>[3]
): Promise<void> {
  api.setSecret(scope, NAME, await seal(serialize(auth), keyBytes(), 'default'), options);
}

/** Opens the sealed box the API stored, then the envelope in it: the auth.json it holds. */
async function openSecret(scope: ScopeRef = REPO, encryptionKey = keyBytes()): Promise<ChatGptAuthJson> {
  const value = api.secretValue(scope, NAME);
  expect(value).toMatch(ENVELOPE);
  const opened = await open(value!, encryptionKey, 'default');
  if (!opened.ok) throw new Error(`the stored envelope does not open: ${opened.reason}`);
  return JSON.parse(opened.plaintext) as ChatGptAuthJson;
}

/** The inputs of a workflow that reads the seed from the secret and writes back to it. */
function writeBack(scope: ScopeRef = REPO, token: string = TOKENS.writer): Record<string, string> {
  const seedValue = api.secretValue(scope, NAME) ?? '';
  if (seedValue) secretValues.add(seedValue);
  return {
    'chatgpt-auth-json': seedValue,
    'secret-name': NAME,
    'secret-token': token,
    ...(scope.scope === 'repository' ? {} : { 'secret-scope': scope.scope }),
    ...(scope.scope === 'environment' ? { environment: scope.environment! } : {})
  };
}

async function run(spec: Parameters<typeof chatGptJob>[1] = {}): Promise<JobResult> {
  const job = await runJob(
    chatGptJob(fx.world, {
      ...spec,
      inputs: { 'encryption-key': fx.key, ...IN_JOB, ...spec.inputs },
      // The runner's GITHUB_API_URL, pointed at the loopback API.
      extra: { ...spec.extra, env: { GITHUB_API_URL: api.url, ...spec.extra?.env } }
    })
  );
  fx.jobs.push(job);
  return job;
}

const calls = (requests: ApiRequest[]): string[] => requests.map((r) => `${r.method} ${r.path} ${r.status}`);
const lastIssued = (): { access_token: string; refresh_token: string; id_token: string } =>
  fx.world.oauth.requests.filter((r) => r.issued).at(-1)!.issued!;

/** Runs `fn` once the main step's write-access check has been answered (its PUT succeeded): from then on, only the post step talks to the API. */
function afterMainWrite(fn: () => void): () => void {
  const start = api.requests.length;
  const timer = setInterval(() => {
    if (api.requests.slice(start).some((r) => r.method === 'PUT' && r.status >= 200 && r.status < 300)) {
      clearInterval(timer);
      fn();
    }
  }, 5);
  return () => clearInterval(timer);
}

describe('the chain: the secret is the durable copy', () => {
  test('job 1 refreshes and writes back; the cache entry is evicted; job 2 restores from the secret without reuse', async () => {
    const original = seed({ accessTtlSeconds: -60 });
    await plantSecret(original);
    const before = fx.world.oauth.stats();

    const job1 = await run({ inputs: writeBack() });
    expect(job1.status).toBe('success');
    expect(job1.outputs('auth')).toMatchObject({
      source: 'secret',
      'cache-hit': 'false',
      'last-refresh': original.last_refresh
    });
    const main1 = job1.step('auth').log;
    expect(main1).toContain(
      'Write access to the repository secret CODEX_AUTH_JSON of acme/app confirmed (wrote the current value back).'
    );
    expect(main1).toContain("from the secret CODEX_AUTH_JSON (input 'chatgpt-auth-json')");
    expect(job1.step('codex exec').log).toContain('hi');
    const post1 = postStep(job1);
    expect(post1.status).toBe('success');
    expect(post1.log).toContain('Saved the refreshed ChatGPT login');
    expect(post1.log).toMatch(
      /Wrote the refreshed ChatGPT login \(last_refresh [^)]+\), encrypted, to the repository secret CODEX_AUTH_JSON of acme\/app \(updated\)\./
    );
    expect(fx.world.oauth.stats().refreshes - before.refreshes).toBe(1);
    expect(job1.masks).toContain(TOKENS.writer);

    // Main proved write access (public key, PUT) before Codex ran; post wrote the refreshed copy.
    expect(calls(api.requests)).toEqual([
      'GET /repos/acme/app/actions/secrets/public-key 200',
      'PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON 204',
      'GET /repos/acme/app/actions/secrets/public-key 200',
      'PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON 204'
    ]);
    for (const request of api.requests) {
      expect(request.token).toBe(TOKENS.writer);
      expect(request.rawBody).not.toContain('refresh_token');
    }
    // The sealed box holds one envelope line; it opens to the refreshed auth.json.
    const stored = await openSecret();
    const issued = lastIssued();
    expect(stored.tokens).toMatchObject({
      refresh_token: issued.refresh_token,
      access_token: issued.access_token,
      account_id: original.tokens.account_id
    });
    expect(stored.tokens.refresh_token).not.toBe(original.tokens.refresh_token);
    expect(Date.parse(stored.last_refresh)).toBeGreaterThan(Date.parse(original.last_refresh));

    // Eviction: the cache forgets every entry.
    const entries = fx.world.cache.entries();
    expect(entries.filter((e) => e.finalized)).toHaveLength(1);
    for (const entry of entries) fx.world.cache.deleteEntry(entry.key);
    expect(fx.world.cache.entries()).toEqual([]);

    // Job 2 (a later run): the workflow passes the secret's current value.
    const apiBefore = api.requests.length;
    const cacheBefore = fx.world.cache.requests.length;
    const job2 = await run({ inputs: writeBack() });
    expect(job2.status).toBe('success');
    expect(job2.outputs('auth')).toMatchObject({
      source: 'secret',
      'cache-hit': 'false',
      'last-refresh': stored.last_refresh
    });
    expect(job2.step('codex exec').log).toContain('hi');
    expect(postStep(job2).log).toContain('unchanged since the main step');
    const after = fx.world.oauth.stats();
    expect(after.refreshes - before.refreshes).toBe(1);
    expect(after.reuse - before.reuse).toBe(0);
    // Unchanged: the post step sent nothing, neither to the API nor to the cache.
    expect(calls(api.requests.slice(apiBefore))).toEqual([
      'GET /repos/acme/app/actions/secrets/public-key 200',
      'PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON 204'
    ]);
    expect(fx.world.cache.requests.slice(cacheBefore).map((r) => r.method)).toEqual(['GetCacheEntryDownloadURL']);
    expect((await openSecret()).tokens.refresh_token).toBe(issued.refresh_token);
  });

  test('a newer cache copy wins over an older secret, and the main step brings the secret up to date', async () => {
    const original = seed({ accessTtlSeconds: -60 });
    await plantSecret(original);
    // Job 1 runs without write-back: only the cache gets the refreshed copy.
    const job1 = await run({ inputs: { 'chatgpt-auth-json': api.secretValue(REPO, NAME)! } });
    expect(job1.status).toBe('success');
    expect(job1.outputs('auth').source).toBe('seed');
    const refreshed = lastIssued();

    const job2 = await run({ inputs: writeBack() });
    expect(job2.status).toBe('success');
    expect(job2.outputs('auth')).toMatchObject({ source: 'cache', 'cache-hit': 'true' });
    expect(job2.step('auth').log).toContain(
      'The repository secret CODEX_AUTH_JSON of acme/app now holds the login from the Actions cache'
    );
    expect((await openSecret()).tokens.refresh_token).toBe(refreshed.refresh_token);
    expect(fx.world.oauth.stats().reuse).toBe(0);
  });

  test('a plain JSON seed in the secret is replaced by an envelope', async () => {
    const auth = seed();
    api.setSecret(REPO, NAME, serialize(auth));
    const job = await run({ inputs: writeBack() });
    expect(job.status).toBe('success');
    expect(job.outputs('auth').source).toBe('secret');
    expect(await openSecret()).toEqual(auth);
  });
});

describe('the main step proves write access before Codex can rotate anything', () => {
  const cases: [string, () => Record<string, string>, RegExp[], string[]][] = [
    [
      "the workflow's GITHUB_TOKEN (no secrets permission)",
      () => writeBack(REPO, TOKENS.workflow),
      [
        /Cannot read the public key of the repository secret CODEX_AUTH_JSON of acme\/app: GitHub answered 403 Resource not accessible by integration/,
        /GitHub says the call needs secrets=read/,
        /"Secrets: Read and write"/,
        /GitHub App installation token with the secrets permission/,
        /The workflow's GITHUB_TOKEN cannot write secrets/
      ],
      ['GET /repos/acme/app/actions/secrets/public-key 403']
    ],
    [
      'a read-only token',
      () => writeBack(REPO, TOKENS.reader),
      [
        /Cannot write the repository secret CODEX_AUTH_JSON of acme\/app: GitHub answered 403 Resource not accessible by personal access token/,
        /may not write this secret \(GitHub says the call needs secrets=write\)/
      ],
      ['GET /repos/acme/app/actions/secrets/public-key 200', 'PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON 403']
    ],
    [
      'an expired or revoked token (401)',
      () => writeBack(REPO, TOKENS.revoked),
      [/GitHub answered 401 Bad credentials/, /The token in input 'secret-token' is invalid, expired or revoked/],
      ['GET /repos/acme/app/actions/secrets/public-key 401']
    ],
    [
      'an environment that does not exist (404)',
      () => ({ ...writeBack(REPO), 'secret-scope': 'environment', environment: 'prodution' }),
      [
        /environment secret CODEX_AUTH_JSON of acme\/app \(environment 'prodution'\): GitHub answered 404 Not Found/,
        /its environment 'prodution' does not exist/,
        /Check input 'environment'/
      ],
      ['GET /repos/acme/app/environments/prodution/secrets/public-key 404']
    ],
    [
      'a token that cannot see the repository (404)',
      () => writeBack(REPO, TOKENS.otherRepo),
      [/The repository acme\/app does not exist, or the token in input 'secret-token' cannot see it/],
      ['GET /repos/acme/app/actions/secrets/public-key 404']
    ]
  ];
  test.each(cases)(
    '%s: the main step fails with its own message; Codex never runs',
    async (_name, inputs, messages, expectedCalls) => {
      const auth = seed({ accessTtlSeconds: -60 });
      await plantSecret(auth);
      const stored = api.secretValue(REPO, NAME);
      const before = fx.world.oauth.stats();
      const job = await run({ inputs: inputs() });
      expect(job.status).toBe('failure');
      expect(job.step('auth').status).toBe('failure');
      expect(job.step('codex exec').status).toBe('skipped');
      const errors = errorsOf(job);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        /^Write-back is on \(secret-name\), but this job cannot write the secret, so it stops before Codex runs: /
      );
      for (const message of messages) expect(errors[0]).toMatch(message);
      expect(errors[0]).toContain('every stored copy is still valid');
      expect(calls(api.requests)).toEqual(expectedCalls);
      // Nothing was refreshed, nothing stored, nothing left on the runner.
      expect(fx.world.oauth.stats().refreshes).toBe(before.refreshes);
      expect(api.secretValue(REPO, NAME)).toBe(stored);
      expect(fx.world.cache.requests.filter((r) => r.method === 'CreateCacheEntry')).toEqual([]);
      expect(job.step('auth').exported.CODEX_HOME).toBeUndefined();
      expect(postStep(job).status).toBe('success');
      expect(job.leftoverFiles).toEqual([]);
    }
  );

  test('no secret-token: an input error naming it and saying GITHUB_TOKEN cannot write secrets, no request', async () => {
    await plantSecret(seed());
    const { 'secret-token': _token, ...inputs } = writeBack();
    const job = await run({ inputs });
    expect(job.status).toBe('failure');
    const [error] = errorsOf(job);
    expect(error).toMatch(/^Input 'secret-token': is empty, and secret-name is set/);
    expect(error).toContain('GITHUB_TOKEN cannot write secrets');
    expect(error).toContain('"Secrets: Read and write"');
    expect(api.requests).toEqual([]);
    expect(job.step('codex exec').status).toBe('skipped');
  });

  test('a secret sealed under another key is skipped by name; with nothing else usable, the message gives the init command', async () => {
    const auth = seed();
    api.setSecret(
      ENV,
      NAME,
      await seal(serialize(auth), new Uint8Array(Buffer.from(newEncryptionKey(), 'base64')), 'default')
    );
    const job = await run({ inputs: writeBack(ENV) });
    expect(job.status).toBe('failure');
    expect(warningsOf(job)).toContain(
      "Skipping the secret CODEX_AUTH_JSON (input 'chatgpt-auth-json'): the envelope could not be opened: it was encrypted with a different encryption-key."
    );
    const [error] = errorsOf(job);
    expect(error).toMatch(/^No usable ChatGPT credential for 'default'/);
    expect(error).toContain(
      '`npx --yes @org/codex-auth@1 init --login --repo acme/app --environment production --secret-name CODEX_AUTH_JSON` does it'
    );
    // Nothing was chosen, so nothing was written.
    expect(api.requests).toEqual([]);
  });

  test('a 5xx at the check is retried, then the job goes on', async () => {
    await plantSecret(seed());
    api.inject({ status: 503, method: 'PUT' });
    const job = await run({ inputs: writeBack() });
    expect(job.status).toBe('success');
    expect(job.step('auth').log).toContain('answered 503 Service Unavailable; attempt 2 of 4 in 1 s.');
  });
});

describe('environment and organization scopes', () => {
  test('environment: the environment secret is read, checked and written; the repository secret of the same name is untouched', async () => {
    api.setSecret(REPO, NAME, 'the repository copy');
    const original = seed({ accessTtlSeconds: -60 });
    await plantSecret(original, ENV);

    const job1 = await run({ inputs: writeBack(ENV), extra: {} });
    expect(job1.status).toBe('success');
    expect(job1.outputs('auth').source).toBe('secret');
    expect(postStep(job1).log).toContain(
      "to the environment secret CODEX_AUTH_JSON of acme/app (environment 'production') (updated)"
    );
    expect(new Set(api.requests.map((r) => r.path))).toEqual(
      new Set([
        '/repos/acme/app/environments/production/secrets/public-key',
        '/repos/acme/app/environments/production/secrets/CODEX_AUTH_JSON'
      ])
    );
    const stored = await openSecret(ENV);
    expect(stored.tokens.refresh_token).toBe(lastIssued().refresh_token);
    expect(api.secretValue(REPO, NAME)).toBe('the repository copy');

    fx.world.cache.reset();
    const reuse = fx.world.oauth.stats().reuse;
    const job2 = await run({ inputs: writeBack(ENV) });
    expect(job2.status).toBe('success');
    expect(job2.outputs('auth')).toMatchObject({ source: 'secret', 'cache-hit': 'false' });
    expect(fx.world.oauth.stats().reuse).toBe(reuse);
  });

  test('organization: the secret of the owner organization, its visibility and repositories kept', async () => {
    const original = seed({ accessTtlSeconds: -60 });
    await plantSecret(original, ORG, { visibility: 'selected', selectedRepositories: ['acme/app', 'acme/other'] });
    const ids = [api.repositoryId('acme/app'), api.repositoryId('acme/other')];

    const job = await run({ inputs: writeBack(ORG) });
    expect(job.status).toBe('success');
    expect(job.outputs('auth').source).toBe('secret');
    expect(postStep(job).log).toContain('to the organization secret CODEX_AUTH_JSON of acme (updated)');
    const puts = api.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(2);
    for (const put of puts) {
      expect(put.path).toBe('/orgs/acme/actions/secrets/CODEX_AUTH_JSON');
      expect(put.body).toMatchObject({ visibility: 'selected', selected_repository_ids: ids });
    }
    expect(api.secret(ORG, NAME)).toMatchObject({ visibility: 'selected', selectedRepositoryIds: ids, writes: 2 });
    expect((await openSecret(ORG)).tokens.refresh_token).toBe(lastIssued().refresh_token);
  });
});

describe('the post step reports each store on its own', () => {
  test('the secret refuses the write (403) while the cache saves: the step fails, naming both; the next job heals the secret from the cache', async () => {
    const token = 'github_pat_11LOOPBACK0demotedafterthemainstep00000000000000000000000000';
    const grant: TokenGrant = { kind: 'personal-access-token', permissions: { secrets: 'write' } };
    api.addToken(token, grant);
    const original = seed({ accessTtlSeconds: -60 });
    await plantSecret(original);

    // The token loses its write permission while Codex runs.
    const stop = afterMainWrite(() => (grant.permissions.secrets = 'read'));
    const job = await run({ inputs: writeBack(REPO, token) });
    stop();
    expect(job.step('auth').status).toBe('success');
    expect(job.step('codex exec').status).toBe('success');
    const post = postStep(job);
    expect(post.status).toBe('failure');
    expect(post.log).toContain('Saved the refreshed ChatGPT login');
    const [error] = errorsOf(job);
    expect(error).toMatch(
      /^The refreshed ChatGPT login was saved to the Actions cache as codex-auth-v1\.default\.\d+\.[^,]+, but could not be stored in the repository secret CODEX_AUTH_JSON of acme\/app\. The repository secret CODEX_AUTH_JSON of acme\/app: Cannot write the repository secret CODEX_AUTH_JSON of acme\/app: GitHub answered 403/
    );
    expect(error).toContain('may not write this secret (GitHub says the call needs secrets=write)');
    expect(error).toContain('The secret still holds an older copy whose refresh token is now spent');
    // Still the original login, as the main step wrote it back (sealed again).
    expect((await openSecret()).tokens.refresh_token).toBe(original.tokens.refresh_token);
    expect(fx.world.cache.entries().filter((e) => e.finalized)).toHaveLength(1);

    // The token is fixed: the next job restores the newer cache copy and its main step writes it to the secret.
    grant.permissions.secrets = 'write';
    const reuse = fx.world.oauth.stats().reuse;
    const next = await run({ inputs: writeBack(REPO, token) });
    expect(next.status).toBe('success');
    expect(next.outputs('auth').source).toBe('cache');
    expect((await openSecret()).tokens.refresh_token).toBe(lastIssued().refresh_token);
    expect(fx.world.oauth.stats().reuse).toBe(reuse);
  });

  test('5xx from the API that does not stop: retried, then reported; with on-save-failure: warn only a warning', async () => {
    await plantSecret(seed({ accessTtlSeconds: -60 }));
    const stop = afterMainWrite(() => api.inject({ status: 502, method: 'PUT', times: 10 }));
    const job = await run({ inputs: { ...writeBack(), 'on-save-failure': 'warn' } });
    stop();
    expect(job.status).toBe('success');
    const post = postStep(job);
    expect(post.log).toContain('attempt 4 of 4');
    expect(post.log).toContain('Saved the refreshed ChatGPT login');
    const warning = warningsOf(job).find((w) =>
      w.startsWith('The refreshed ChatGPT login was saved to the Actions cache')
    );
    expect(warning).toContain('GitHub kept failing after 4 attempts');
    expect(api.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([204, 502, 502, 502, 502]);
  });

  test('the cache refuses (read-only) while the secret is written: only a warning, the next run reads the secret', async () => {
    await plantSecret(seed({ accessTtlSeconds: -60 }));
    const job = await run({ inputs: writeBack(), extra: { actionEnv: { ACTIONS_CACHE_MODE: 'read' } } });
    expect(job.status).toBe('success');
    const post = postStep(job);
    expect(post.status).toBe('success');
    expect(post.log).toContain('Wrote the refreshed ChatGPT login');
    const warning = warningsOf(job).find((w) =>
      w.startsWith(
        'The refreshed ChatGPT login was written to the repository secret CODEX_AUTH_JSON of acme/app, but could not be stored in the Actions cache'
      )
    )!;
    expect(warning).toContain("cache-mode 'read'");
    expect(warning).toContain('The login is not lost: the next workflow run reads the new copy from the secret.');
    expect(warning).toContain(
      'repository secrets are read when a run is queued: a later job of this same run still gets the old value'
    );
    expect(fx.world.cache.entries()).toEqual([]);

    const reuse = fx.world.oauth.stats().reuse;
    const next = await run({ inputs: writeBack() });
    expect(next.status).toBe('success');
    expect(next.outputs('auth').source).toBe('secret');
    expect(fx.world.oauth.stats().reuse).toBe(reuse);
  });

  test('both stores fail: the step fails, naming both, with the recovery command', async () => {
    const grant: TokenGrant = { kind: 'integration', permissions: { secrets: 'write' } };
    const token = 'ghs_LOOPBACKdemoted0app0token00000000000';
    api.addToken(token, grant);
    await plantSecret(seed({ accessTtlSeconds: -60 }));
    const stop = afterMainWrite(() => (grant.permissions.secrets = 'read'));
    const job = await run({ inputs: writeBack(REPO, token), extra: { actionEnv: { ACTIONS_CACHE_MODE: 'read' } } });
    stop();
    const post = postStep(job);
    expect(post.status).toBe('failure');
    const [error] = errorsOf(job);
    expect(error).toMatch(
      /^The refreshed ChatGPT login could not be stored anywhere\. The Actions cache: the cache is not writable in this run \(cache-mode 'read'/
    );
    expect(error).toContain(
      'The repository secret CODEX_AUTH_JSON of acme/app: Cannot write the repository secret CODEX_AUTH_JSON of acme/app: GitHub answered 403 Resource not accessible by integration'
    );
    expect(error).toContain('every stored copy now holds a spent token');
    expect(error).toMatch(
      /To re-seed: \(1\) on a trusted machine run `npx --yes @org\/codex-auth@1 init --login --repo acme\/app --secret-name CODEX_AUTH_JSON` \(it runs `codex login`/
    );
    expect(job.leftovers).toEqual([]);
  });

  test('unchanged credential: no API request and no cache request in the post step', async () => {
    await plantSecret(seed());
    const job = await run({ inputs: writeBack() });
    expect(job.status).toBe('success');
    expect(postStep(job).log).toContain('unchanged since the main step');
    expect(calls(api.requests)).toEqual([
      'GET /repos/acme/app/actions/secrets/public-key 200',
      'PUT /repos/acme/app/actions/secrets/CODEX_AUTH_JSON 204'
    ]);
    expect(fx.world.cache.requests.map((r) => r.method)).toEqual(['GetCacheEntryDownloadURL']);
  });
});

describe('`codex-auth init` seeds the secret, the first job restores it and writes back', () => {
  test('init --repo into the loopback API; the first job: source secret, refresh, write-back under the key init set', async () => {
    const login = seed({ accessTtlSeconds: -60, plan: 'pro' });
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-init-e2e-'));
    try {
      await fs.mkdir(path.join(home, '.codex'), { mode: 0o700 });
      await fs.writeFile(path.join(home, '.codex', 'auth.json'), serialize(login), { mode: 0o600 });
      const init = await cli(['init', '--repo', 'acme/app'], {
        HOME: home,
        GITHUB_TOKEN: TOKENS.writer,
        GITHUB_API_URL: api.url
      });
      expect(init.code).toBe(0);

      // The printed workflow uses the action's real inputs; the write-back inputs are described on
      // stderr, with the one secret they need that init cannot set.
      expect(init.stdout).toContain('- uses: org/codex-auth@v1');
      const snippetInputs = [
        ...init.stdout.slice(init.stdout.indexOf('- uses: org/codex-auth@v1')).matchAll(/^ {10}([a-z-]+): /gm)
      ].map((m) => m[1]);
      expect(snippetInputs).toEqual(['auth-mode', 'chatgpt-auth-json', 'encryption-key']);
      const said = init.stderr.replace(/ *\n */g, ' ');
      const described = [...said.matchAll(/`([a-z-]+): [^`]*`/g)].map((m) => m[1]);
      expect(described).toEqual(['secret-name', 'secret-token']);
      const manifest = readManifest();
      for (const name of [...snippetInputs, ...described]) expect(manifest.inputs).toHaveProperty([name]);

      // The workflow passes the two secrets init set, plus the write-back inputs init describes.
      const encryptionKey = api.secretValue(REPO, 'CODEX_AUTH_KEY')!;
      secretValues.add(encryptionKey);
      const initEnvelope = api.secretValue(REPO, NAME)!;
      const before = fx.world.oauth.stats();
      const job = await run({ inputs: { ...writeBack(), 'encryption-key': encryptionKey } });
      expect(job.status).toBe('success');
      expect(job.outputs('auth')).toMatchObject({
        source: 'secret',
        'plan-type': 'pro',
        'last-refresh': login.last_refresh
      });
      expect(fx.world.oauth.stats().refreshes - before.refreshes).toBe(1);
      expect(postStep(job).log).toContain('to the repository secret CODEX_AUTH_JSON of acme/app (updated)');
      expect(api.secretValue(REPO, NAME)).not.toBe(initEnvelope);
      const stored = await openSecret(REPO, new Uint8Array(Buffer.from(encryptionKey, 'base64')));
      expect(stored.tokens.refresh_token).toBe(lastIssued().refresh_token);
      expect(Date.parse(stored.last_refresh)).toBeGreaterThan(Date.parse(login.last_refresh));
      expect(api.secretValue(REPO, 'CODEX_AUTH_KEY')).toBe(encryptionKey);
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});

describe('inputs', () => {
  const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64');
  const env = { GITHUB_REPOSITORY: 'acme/app', GITHUB_API_URL: 'https://ghe.example.com/api/v3/' };
  const ctx = { workspace: '/work/app', home: '/home/runner', env };
  const chatgpt = { 'auth-mode': 'chatgpt', 'encryption-key': KEY, 'chatgpt-auth-json': '{}' };
  const parse = (values: Record<string, string>, context: Parameters<typeof parseInputs>[1] = ctx) =>
    parseInputs((name) => values[name] ?? '', context);

  test('secret-name turns write-back on: the target comes from GITHUB_REPOSITORY and GITHUB_API_URL', () => {
    const { inputs, warnings } = parse({ ...chatgpt, 'secret-name': 'codex_auth_json', 'secret-token': ' tok ' });
    expect(warnings).toEqual([]);
    expect(inputs.mode === 'chatgpt' && inputs.secret).toEqual({
      scope: 'repository',
      name: 'CODEX_AUTH_JSON',
      owner: 'acme',
      repo: 'app',
      environment: undefined,
      org: undefined,
      apiUrl: 'https://ghe.example.com/api/v3',
      token: 'tok'
    });
    expect(
      parse({ ...chatgpt, 'secret-name': 'X', 'secret-token': 't', 'secret-scope': 'organization' }).inputs
    ).toMatchObject({ secret: { scope: 'organization', org: 'acme' } });
    expect(
      parse({
        ...chatgpt,
        'secret-name': 'X',
        'secret-token': 't',
        'secret-scope': 'environment',
        environment: 'production'
      }).inputs
    ).toMatchObject({
      secret: { scope: 'environment', environment: 'production' }
    });
    expect(
      parse({ ...chatgpt, 'secret-name': 'X', 'secret-token': 't' }, { ...ctx, env: { GITHUB_REPOSITORY: 'acme/app' } })
        .inputs
    ).toMatchObject({ secret: { apiUrl: 'https://api.github.com' } });
    expect(parse(chatgpt).inputs).toMatchObject({ secret: undefined });
  });

  test.each<[string, Record<string, string>, RegExp]>([
    [
      'no token',
      { 'secret-name': 'X' },
      /^Input 'secret-token': is empty, and secret-name is set.*GITHUB_TOKEN cannot write secrets.*"Secrets: Read and write"/
    ],
    [
      'no token, environment scope',
      { 'secret-name': 'X', 'secret-scope': 'environment', environment: 'production' },
      /^Input 'secret-token': .*"Environments: Read and write"/
    ],
    [
      'a token with white space',
      { 'secret-name': 'X', 'secret-token': 'a b' },
      /^Input 'secret-token': contains white space/
    ],
    [
      'a bad name',
      { 'secret-name': 'CODEX-AUTH', 'secret-token': 't' },
      /^Input 'secret-name': 'CODEX-AUTH' is not a valid secret name.*secrets\.CODEX_AUTH_JSON/
    ],
    [
      'a reserved name',
      { 'secret-name': 'GITHUB_AUTH', 'secret-token': 't' },
      /^Input 'secret-name': 'GITHUB_AUTH' is not a valid secret name: names starting with GITHUB_ are reserved/
    ],
    [
      'an unknown scope',
      { 'secret-name': 'X', 'secret-token': 't', 'secret-scope': 'team' },
      /^Input 'secret-scope': 'team' is not a valid value\. Use one of: repository, environment, organization\./
    ],
    [
      'environment scope without an environment',
      { 'secret-name': 'X', 'secret-token': 't', 'secret-scope': 'environment' },
      /^Input 'environment': is empty, and secret-scope is environment/
    ],
    [
      'an environment without environment scope',
      { 'secret-name': 'X', 'secret-token': 't', environment: 'production' },
      /^Input 'environment': is set \('production'\) but secret-scope is repository.*secret-scope: environment/
    ]
  ])('%s is refused, naming the input and the fix', (_name, values, message) => {
    expect(() => parse({ ...chatgpt, ...values })).toThrow(message);
  });

  test('without GITHUB_REPOSITORY the target is unknown', () => {
    expect(() => parse({ ...chatgpt, 'secret-name': 'X', 'secret-token': 't' }, { ...ctx, env: {} })).toThrow(
      /^Input 'secret-name': needs the repository running the workflow \(GITHUB_REPOSITORY/
    );
  });

  test('warnings: write-back settings without secret-name, and secret-name without the seed', () => {
    expect(parse({ ...chatgpt, 'secret-token': 't', environment: 'e', 'secret-scope': 'repository' }).warnings).toEqual(
      [
        "Ignoring 'environment', 'secret-token': the write-back to a secret is on only when 'secret-name' is set (the name of the secret passed as 'chatgpt-auth-json')."
      ]
    );
    const [warning] = parse({ ...chatgpt, 'chatgpt-auth-json': '', 'secret-name': 'X', 'secret-token': 't' }).warnings;
    expect(warning).toContain(
      "'secret-name' is set (X) but 'chatgpt-auth-json' is empty: pass the same secret, `chatgpt-auth-json: ${{ secrets.X }}`"
    );
  });

  test('API-key mode ignores the write-back inputs with a warning (the default scope is not mentioned); the token is masked', () => {
    const { warnings } = parse({
      'openai-api-key': 'sk-1',
      'secret-name': 'X',
      'secret-scope': 'repository',
      'secret-token': 't'
    });
    expect(warnings).toEqual([
      "Ignoring 'secret-name', 'secret-token': a ChatGPT login is used only with `auth-mode: chatgpt`; this step uses the API key."
    ]);
  });
});

/** The built `codex-auth` command, as a user runs it on a trusted machine (only the variables given). */
function cli(args: string[], env: Record<string, string>): Promise<ProcessRun> {
  return runProcess(NODE24, [path.join(ROOT, 'dist', 'cli', 'index.js'), ...args], {
    env: { PATH: searchPath(...SYSTEM_PATH), ...env }
  });
}
