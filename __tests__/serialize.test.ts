// One serialized stream per credential, end to end (issue 5): the lease (`lease: true`, a git ref
// on the loopback GitHub API) and the runner-local store with its lock (`local-store: true`, on a
// self-hosted runner), through the built action under Node 24 in the runner harness, with the real
// @actions/cache against the loopback cache service and the real Codex CLI refreshing against the
// loopback token endpoint. Every scenario is observed where it happens: the API's refs and request
// log, the cache service's request log, the store's files.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open, seal } from '../src/chatgpt/login/envelope.js';
import { acquireLease, leaseHolderFromEnv, releaseLease, type Lease } from '../src/mutex/lease.js';
import { TOKENS, startGitHubApi, type GitHubApi } from './support/github-api.js';
import type { ChatGptAuthJson } from './support/jwt.js';
import {
  destroyRunner,
  makeRunner,
  runJob,
  errorsOf,
  warningsOf,
  type JobResult,
  type Runner
} from './support/runner.js';
import { chatGptJob, codexExecStep, plantCacheEntry, postStep, serialize, type World } from './support/world.js';
import { useWorld } from './support/use-world.js';

// These tests are about Codex refreshing the login during the job and the post step saving it.
const IN_JOB = { renewal: 'in-job' };

const REPO = 'acme/app';
const REF = 'refs/codex-auth/leases/default';

// No token, no lease token, no key in any step's output, in any scenario.
const fx = useWorld({ moreSecrets: () => [...Object.values(TOKENS), fx.key] });
let api: GitHubApi;
const runners: Runner[] = [];

beforeEach(async () => {
  api = await startGitHubApi();
});

afterEach(async () => {
  await api.stop();
  await Promise.all(runners.splice(0).map(destroyRunner));
});

function seed(options: Parameters<World['oauth']['issue']>[0] = {}): ChatGptAuthJson {
  const auth = fx.world.oauth.issue(options);
  fx.seeds.push(auth);
  return auth;
}

async function selfHosted(name?: string): Promise<Runner> {
  const runner = await makeRunner('self-hosted', name);
  runners.push(runner);
  return runner;
}

async function run(spec: Parameters<typeof chatGptJob>[1] = {}): Promise<JobResult> {
  const job = await runJob(
    chatGptJob(fx.world, {
      ...spec,
      inputs: { 'encryption-key': fx.key, ...IN_JOB, ...spec.inputs },
      extra: { ...spec.extra, env: { GITHUB_API_URL: api.url, ...spec.extra?.env } }
    })
  );
  fx.jobs.push(job);
  return job;
}

const withLease = (more: Record<string, string> = {}): Record<string, string> => ({
  lease: 'true',
  'lease-token': TOKENS.workflow,
  ...more
});
const gitCalls = (from = 0): string[] =>
  api.requests
    .slice(from)
    .filter((r) => r.path.includes('/git/'))
    .map((r) => `${r.method} ${r.path.replace('/repos/acme/app/git', '')} ${r.status}`);
const keyBytes = (): Uint8Array => new Uint8Array(Buffer.from(fx.key, 'base64'));

/** A lease held by another job (run 99 of another workflow), taken by the test itself. */
function holdLease(): Promise<Lease> {
  const holder = leaseHolderFromEnv(
    {
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: '99',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'other',
      GITHUB_WORKFLOW: 'Nightly',
      RUNNER_NAME: 'elsewhere',
      RUNNER_TEMP: '/srv/elsewhere/_temp'
    },
    { jobNonce: 'other-99', hostname: 'host-9' }
  );
  return acquireLease({
    apiUrl: api.url,
    token: TOKENS.app,
    owner: 'acme',
    repo: 'app',
    credentialName: 'default',
    holder,
    ttlMs: 20 * 60_000,
    timeoutMs: 0
  });
}

function releaseHeld(lease: Lease) {
  return releaseLease({
    apiUrl: api.url,
    token: TOKENS.app,
    owner: 'acme',
    repo: 'app',
    credentialName: 'default',
    sha: lease.sha,
    expiresAt: lease.expiresAt
  });
}

/** Resolves once `predicate` holds (checked every 20 ms), or fails after `ms`. */
async function until(predicate: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the lease', () => {
  test('acquired in the main step before anything is restored, released by the post step after saving', async () => {
    const original = seed({ accessTtlSeconds: -60 });
    const job = await run({
      inputs: withLease({ 'chatgpt-auth-json': serialize(original) }),
      steps: [{ name: 'lease held', run: `echo "held: $CODEX_AUTH_JOB_NONCE"` }, codexExecStep(fx.world)]
    });
    expect(job.status).toBe('success');
    const main = job.step('auth');
    expect(main.log).toMatch(
      /Acquired the lease on credential 'default' \(refs\/codex-auth\/leases\/default in acme\/app\); it expires at \S+ unless the post step releases it first\./
    );
    // The per-job nonce is exported for later steps (a second use of the action in the job).
    expect(job.step('lease held').log).toMatch(/held: [0-9a-f]{32}/);
    expect(main.state['codex-auth']).toContain('"lease":{"ref":"refs/codex-auth/leases/default"');
    const post = postStep(job);
    expect(post.log).toContain('Saved the refreshed ChatGPT login');
    expect(post.log).toContain("Released the lease on credential 'default' (refs/codex-auth/leases/default).");
    expect(post.log.indexOf('Saved the refreshed')).toBeLessThan(post.log.indexOf('Released the lease'));
    expect(gitCalls()).toEqual([
      'GET /ref/codex-auth/leases/default 404',
      'POST /commits 201',
      'POST /refs 201',
      'GET /ref/codex-auth/leases/default 200',
      'DELETE /refs/codex-auth/leases/default 204'
    ]);
    // The lease came before the first cache request of the job, and went after the last.
    const created = api.requests.find((r) => r.method === 'POST' && r.path.endsWith('/git/refs'))!.at;
    const deleted = api.requests.find((r) => r.method === 'DELETE')!.at;
    const cacheTimes = fx.world.cache.requests.map((r) => r.at);
    expect(created).toBeLessThan(Math.min(...cacheTimes));
    expect(deleted).toBeGreaterThan(Math.max(...cacheTimes));
    for (const request of api.requests) expect(request.token).toBe(TOKENS.workflow);
    expect(api.ref(REPO, REF)).toBeUndefined();
    expect(job.masks).toContain(TOKENS.workflow);
  });

  test('released after a failing step, and after a main step that failed once it held the lease', async () => {
    const failing = await run({
      inputs: withLease({ 'chatgpt-auth-json': serialize(seed({ accessTtlSeconds: -60 })) }),
      steps: [codexExecStep(fx.world), { name: 'tests fail', run: 'exit 1' }]
    });
    expect(failing.status).toBe('failure');
    expect(postStep(failing).status).toBe('success');
    expect(postStep(failing).log).toContain('Saved the refreshed ChatGPT login');
    expect(postStep(failing).log).toContain("Released the lease on credential 'default'");
    expect(api.ref(REPO, REF)).toBeUndefined();

    // No seed and an empty cache: the main step fails after acquiring the lease; its post releases it.
    fx.world.cache.reset();
    const before = api.requests.length;
    const broken = await run({ inputs: withLease() });
    expect(broken.step('auth').status).toBe('failure');
    expect(errorsOf(broken)[0]).toMatch(/^No usable ChatGPT credential for 'default'/);
    expect(broken.step('auth').log).toContain("Acquired the lease on credential 'default'");
    expect(postStep(broken).log).toContain('Nothing to save: the main step stopped before it gave Codex a credential.');
    expect(postStep(broken).log).toContain("Released the lease on credential 'default'");
    expect(gitCalls(before)).toEqual([
      'GET /ref/codex-auth/leases/default 404',
      'POST /commits 201',
      'POST /refs 201',
      'GET /ref/codex-auth/leases/default 200',
      'DELETE /refs/codex-auth/leases/default 204'
    ]);
    expect(api.ref(REPO, REF)).toBeUndefined();
  });

  test('a held lease makes the job wait, with progress lines, then it proceeds once the holder releases', async () => {
    const other = await holdLease();
    const auth = seed({ accessTtlSeconds: -60 });
    const mark = api.requests.length;
    // The job saw the lease held (it creates nothing then: one read first).
    const refused = (): boolean =>
      api.requests.slice(mark).some((r) => r.method === 'GET' && r.path.includes('/git/ref/') && r.status === 200);
    const job = run({ inputs: withLease({ 'chatgpt-auth-json': serialize(auth), 'lease-timeout-minutes': '1' }) });
    await until(refused);
    // The job is waiting: nothing restored yet.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(fx.world.cache.requests).toEqual([]);
    expect(await releaseHeld(other)).toMatchObject({ released: true });
    const done = await job;
    expect(done.status).toBe('success');
    const main = done.step('auth').log;
    expect(main).toMatch(
      /Waiting for the lease on credential 'default': held by job 'other' of run 99 of workflow 'Nightly' in acme\/app on runner 'elsewhere' \(https:\/\/github.com\/acme\/app\/actions\/runs\/99\), until \S+ at the latest \(its expiry, .* after this job first saw it\); waited .* of 1 min\./
    );
    expect(main).toMatch(/Acquired the lease on credential 'default' \(.*\) after waiting \d/);
    expect(fx.world.oauth.stats().reuse).toBe(0);
    expect(api.ref(REPO, REF)).toBeUndefined();
  });

  test('a lease timeout fails the job before anything is restored (no cache request), naming the holder; the holder keeps it', async () => {
    const other = await holdLease();
    const job = await run({
      inputs: withLease({ 'chatgpt-auth-json': serialize(seed()), 'lease-timeout-minutes': '0.05' })
    });
    expect(job.status).toBe('failure');
    expect(job.step('codex exec').status).toBe('skipped');
    const [error] = errorsOf(job);
    expect(error).toMatch(
      /^Timed out after \S+ s waiting for the lease on credential 'default' \(refs\/codex-auth\/leases\/default in acme\/app\): it is held by job 'other' of run 99/
    );
    expect(error).toContain('Nothing was restored: this job did not touch the credential.');
    expect(error).toContain("raise input 'lease-timeout-minutes'");
    expect(job.step('auth').log).toContain("Waiting for the lease on credential 'default'");
    expect(fx.world.cache.requests).toEqual([]);
    expect(job.step('auth').exported.CODEX_HOME).toBeUndefined();
    // The post step has no lease of its own to release, and leaves the holder's alone.
    expect(postStep(job).status).toBe('success');
    expect(postStep(job).log).not.toContain('lease');
    expect(api.ref(REPO, REF)).toBe(other.sha);
    expect(job.leftoverFiles).toEqual([]);
  });

  test('a token without contents: write: the main step fails, saying which permission the lease needs; nothing is restored', async () => {
    const job = await run({
      inputs: withLease({ 'chatgpt-auth-json': serialize(seed()), 'lease-token': TOKENS.reader })
    });
    expect(job.status).toBe('failure');
    const [error] = errorsOf(job);
    expect(error).toMatch(/GitHub answered 403 Resource not accessible by personal access token/);
    expect(error).toContain('The lease needs the `contents: write` permission on acme/app');
    expect(error).toContain('add `permissions: contents: write` to the workflow or the job');
    expect(error).toContain("input 'lease-token'");
    expect(error).toContain('Nothing was restored.');
    expect(fx.world.cache.requests).toEqual([]);
    expect(job.step('codex exec').status).toBe('skipped');
    expect(api.ref(REPO, REF)).toBeUndefined();
  });

  test('an unchanged login: the post step sends no cache request and only releases the lease', async () => {
    const auth = seed();
    await run({ inputs: { 'chatgpt-auth-json': serialize(auth) } });
    const cacheBefore = fx.world.cache.requests.length;
    const job = await run({ inputs: withLease({ 'chatgpt-auth-json': serialize(auth) }) });
    expect(job.status).toBe('success');
    const post = postStep(job);
    expect(post.log).toContain('unchanged since the main step');
    expect(post.log).toContain("Released the lease on credential 'default'");
    expect(fx.world.cache.requests.slice(cacheBefore).map((r) => r.method)).toEqual(['GetCacheEntryDownloadURL']);
    expect(api.ref(REPO, REF)).toBeUndefined();
  });

  test('a release that fails is a loud warning, not a failure', async () => {
    const job = run({
      inputs: withLease({ 'chatgpt-auth-json': serialize(seed()) }),
      steps: [{ name: 'work', run: 'true' }]
    });
    // Once the main step holds the lease, every answer to its release fails.
    await until(() => api.ref(REPO, REF) !== undefined);
    const held = api.ref(REPO, REF);
    api.inject({ method: 'GET', path: '/git/ref/', status: 500, times: 10 });
    const done = await job;
    expect(done.status).toBe('success');
    const post = postStep(done);
    expect(post.log).toContain('GitHub API: GET /repos/acme/app/git/ref/codex-auth/leases/default answered 500');
    const warning = warningsOf(done).find((w) => w.startsWith("Could not release the lease on credential 'default'"));
    expect(warning).toBeDefined();
    expect(warning).toContain('GitHub kept failing after 4 attempts');
    expect(warning).toContain('Other jobs that use the credential wait until it expires at');
    expect(warning).toContain('gh api -X DELETE repos/acme/app/git/refs/codex-auth/leases/default');
    // The lease this job took is left as it was (not deleted, not rewritten), as the warning says.
    expect(api.ref(REPO, REF)).toBe(held);
  }, 60_000);
});

describe('without a lease: concurrent use is detected after the fact', () => {
  test('another job stored a newer copy since this job restored: not saved, with a warning naming lease: true and the concurrency recipe', async () => {
    const auth = seed({ accessTtlSeconds: -60 });
    const flag = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-flag-')), 'go');
    const restored = (): boolean => fx.world.cache.requests.some((r) => r.method === 'GetCacheEntryDownloadURL');
    const job = run({
      inputs: { 'chatgpt-auth-json': serialize(auth) },
      steps: [
        { name: 'wait for the other job', run: `while [ ! -e '${flag}' ]; do sleep 0.1; done` },
        codexExecStep(fx.world)
      ]
    });
    await until(restored);
    // Another job, elsewhere, stores a copy refreshed later than anything this job can produce (by
    // its contents: within the clock-skew tolerance, so not refused as a copy from the future).
    const later = seed({ lastRefresh: new Date(Date.now() + 4 * 60_000) });
    await plantCacheEntry(
      fx.world,
      '.codex-auth/default.envelope',
      await seal(serialize(later), keyBytes(), 'default'),
      `codex-auth-v1.default.${Date.now()}.1-1.other`
    );
    await fs.writeFile(flag, '');
    const done = await job;
    await fs.rm(path.dirname(flag), { recursive: true, force: true });
    expect(done.step('codex exec').status).toBe('success');
    const warning = warningsOf(done).find((w) => w.startsWith('Not saving an older copy'));
    expect(warning).toBeDefined();
    expect(warning).toContain('the credential is being used by more than one job at a time');
    expect(warning).toContain('`lease: true`');
    expect(warning).toContain('`concurrency` group');
  });
});

describe('the runner-local store on a self-hosted runner', () => {
  test('written by the post step (0600 in 0700), a restore candidate for the next job, which wins over an older seed; the lock is held for the job and released after', async () => {
    const runner = await selfHosted();
    const original = seed({ accessTtlSeconds: -60 });
    const store = path.join(runner.home, '.codex-auth', 'store');
    const job1 = await run({
      inputs: { 'chatgpt-auth-json': serialize(original), 'local-store': 'true' },
      steps: [{ name: 'lock held', run: `ls "${store}/default.lock"` }, codexExecStep(fx.world)],
      extra: { runner }
    });
    expect(job1.status).toBe('success');
    expect(job1.outputs('auth').source).toBe('seed');
    expect(job1.step('auth').log).toContain(`Created the local store directory ${store} (mode 0700).`);
    expect(job1.step('auth').log).toMatch(/Acquired the lock on credential 'default'; lease until \S+\./);
    // While the job runs, the lock is held: one record in the lock directory.
    expect(job1.step('lock held').log).toMatch(/^[0-9a-f]{32}\.json$/m);
    const post1 = postStep(job1);
    expect(post1.log).toContain(`Wrote the refreshed ChatGPT login (last_refresh`);
    expect(post1.log).toContain(`encrypted, to the runner-local store (${store}/default.envelope).`);
    expect(post1.log).toContain('Saved the refreshed ChatGPT login');
    expect(post1.log).toContain(`Released the lock on credential 'default' in the runner-local store ${store}.`);
    expect(await fs.readdir(store)).toEqual(['default.envelope']);
    expect((await fs.stat(store)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(store, 'default.envelope'))).mode & 0o777).toBe(0o600);
    const envelope = (await fs.readFile(path.join(store, 'default.envelope'), 'utf8')).trim();
    expect(envelope).toMatch(/^codex-auth:v1:default:[\w-]+:[\w-]+:[\w-]+$/);
    const opened = await open(envelope, keyBytes(), 'default');
    const refreshed = fx.world.oauth.requests.filter((r) => r.issued).at(-1)!.issued!;
    expect(opened.ok && JSON.parse(opened.plaintext).tokens.refresh_token).toBe(refreshed.refresh_token);

    // The cache forgets everything; the next job still gets the refreshed login, from the local store, not the old seed.
    for (const entry of fx.world.cache.entries()) fx.world.cache.deleteEntry(entry.key);
    const before = fx.world.oauth.stats();
    const job2 = await run({
      inputs: { 'chatgpt-auth-json': serialize(original), 'local-store': 'true' },
      extra: { runner }
    });
    expect(job2.status).toBe('success');
    expect(job2.outputs('auth')).toMatchObject({ source: 'local', 'cache-hit': 'false' });
    expect(job2.step('auth').log).toContain(`from the runner-local store (${store}/default.envelope)`);
    expect(fx.world.oauth.stats().reuse).toBe(before.reuse);
    expect(fx.world.oauth.stats().refreshes).toBe(before.refreshes);
    expect(postStep(job2).log).toContain('unchanged since the main step');
    expect(await fs.readdir(store)).toEqual(['default.envelope']);
  });

  test('a newer seed still wins (re-seeding): the local copy is used only when it is newer', async () => {
    const runner = await selfHosted();
    const first = seed({ accessTtlSeconds: -60 });
    expect(
      (await run({ inputs: { 'chatgpt-auth-json': serialize(first), 'local-store': 'true' }, extra: { runner } }))
        .status
    ).toBe('success');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const fresh = seed();
    const job = await run({
      inputs: { 'chatgpt-auth-json': serialize(fresh), 'local-store': 'true' },
      extra: { runner }
    });
    expect(job.outputs('auth')).toMatchObject({ source: 'seed', 'last-refresh': fresh.last_refresh });
  });

  test('runners on one machine share one store path: a job waits for the lock held by a job of another runner, then uses its copy', async () => {
    const machine = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-machine-'));
    try {
      const store = path.join(machine, 'store');
      const [a, b] = [await selfHosted('runner-a'), await selfHosted('runner-b')];
      const original = seed({ accessTtlSeconds: -60 });
      const inputs = { 'chatgpt-auth-json': serialize(original), 'local-store': 'true', 'local-store-path': store };
      const first = run({
        name: 'first',
        inputs,
        steps: [codexExecStep(fx.world), { name: 'slow', run: 'sleep 3' }],
        extra: { runner: a }
      });
      await until(() => fx.world.cache.requests.length > 0);
      const second = await run({ name: 'second', inputs, extra: { runner: b } });
      const done = await first;
      expect(done.status).toBe('success');
      expect(second.status).toBe('success');
      expect(second.step('auth').log).toMatch(
        /Waiting for job 'first' of run \d+ in acme\/app on runner 'runner-a' .* to release the lock on credential 'default'/
      );
      expect(second.outputs('auth').source).toBe('local');
      expect(fx.world.oauth.stats().reuse).toBe(0);
      expect(await fs.readdir(store)).toEqual(['default.envelope']);
    } finally {
      await fs.rm(machine, { recursive: true, force: true });
    }
  });

  test('a lock timeout fails the job before anything is restored, naming the holder and the input', async () => {
    const machine = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-machine-'));
    try {
      const store = path.join(machine, 'store');
      const [a, b] = [await selfHosted('runner-a'), await selfHosted('runner-b')];
      const inputs = { 'chatgpt-auth-json': serialize(seed()), 'local-store': 'true', 'local-store-path': store };
      const first = run({ name: 'first', inputs, steps: [{ name: 'slow', run: 'sleep 6' }], extra: { runner: a } });
      await until(() => fx.world.cache.requests.length > 0);
      const requests = fx.world.cache.requests.length;
      const second = await run({
        name: 'second',
        inputs: { ...inputs, 'lock-timeout-minutes': '0.02' },
        extra: { runner: b }
      });
      expect(second.status).toBe('failure');
      const [error] = errorsOf(second);
      expect(error).toMatch(
        /^Timed out after \S+ s waiting for the lock on credential 'default' \(.*\), held by job 'first'/
      );
      expect(error).toContain("input 'lock-timeout-minutes'");
      expect(error).toContain('Nothing was restored');
      expect(fx.world.cache.requests.length).toBe(requests);
      expect((await first).status).toBe('success');
      expect(await fs.readdir(store)).toEqual([]);
    } finally {
      await fs.rm(machine, { recursive: true, force: true });
    }
  });

  test('the action used twice for one credential in one job: the second use fails at once instead of waiting for itself', async () => {
    const runner = await selfHosted();
    const inputs = { 'chatgpt-auth-json': serialize(seed()), 'local-store': 'true', 'lock-timeout-minutes': '5' };
    const job = await runJob(
      chatGptJob(fx.world, {
        inputs: { 'encryption-key': fx.key, ...IN_JOB, ...inputs },
        steps: [
          {
            uses: 'action',
            id: 'again',
            with: { 'auth-mode': 'chatgpt', 'encryption-key': fx.key, ...IN_JOB, ...inputs }
          }
        ],
        extra: { runner }
      })
    );
    fx.jobs.push(job);
    expect(job.step('auth').status).toBe('success');
    expect(job.step('again').status).toBe('failure');
    expect(errorsOf(job)[0]).toMatch(/^This job already holds the lock on credential 'default'/);
    // The first use's post step releases the lock; the second had none to release.
    expect(await fs.readdir(path.join(runner.home, '.codex-auth', 'store'))).toEqual([]);
  });

  test('the cache refuses the save while the local store is written: only a warning (the login is not lost), and the next job restores the local copy', async () => {
    const runner = await selfHosted();
    const original = seed({ accessTtlSeconds: -60 });
    const job = await run({
      inputs: { 'chatgpt-auth-json': serialize(original), 'local-store': 'true' },
      extra: { runner, actionEnv: { ACTIONS_CACHE_MODE: 'read' } }
    });
    expect(job.status).toBe('success');
    const post = postStep(job);
    expect(post.status).toBe('success');
    expect(post.log).toContain('encrypted, to the runner-local store');
    const warning = warningsOf(job).find((w) =>
      w.startsWith('The refreshed ChatGPT login was written to the runner-local store')
    );
    expect(warning).toContain(
      "could not be stored in the Actions cache. The Actions cache: the cache is not writable in this run (cache-mode 'read'"
    );
    expect(warning).toContain('The login is not lost: the next job on this machine restores it from the local store.');
    expect(post.log).toContain("Released the lock on credential 'default'");

    const reuse = fx.world.oauth.stats().reuse;
    const next = await run({
      inputs: { 'chatgpt-auth-json': serialize(original), 'local-store': 'true' },
      extra: { runner }
    });
    expect(next.outputs('auth').source).toBe('local');
    expect(fx.world.oauth.stats().reuse).toBe(reuse);
  });

  test('the local store refuses the write while the cache saves: the step fails, naming the store; the lock is still released', async () => {
    const runner = await selfHosted();
    const store = path.join(runner.home, '.codex-auth', 'store');
    const job = await run({
      inputs: { 'chatgpt-auth-json': serialize(seed({ accessTtlSeconds: -60 })), 'local-store': 'true' },
      steps: [codexExecStep(fx.world), { name: 'break the store', run: `mkdir "${store}/default.envelope"` }],
      extra: { runner }
    });
    const post = postStep(job);
    expect(post.status).toBe('failure');
    expect(post.log).toContain('Saved the refreshed ChatGPT login');
    const [error] = errorsOf(job);
    expect(error).toMatch(
      /^The refreshed ChatGPT login was saved to the Actions cache as \S+, but could not be stored in the runner-local store \(.*default\.envelope\)\. The runner-local store \(.*\): Refusing to write .* not a regular file/
    );
    expect(error).toContain('The local store still holds an older copy whose refresh token is now spent.');
    expect(post.log).toContain("Released the lock on credential 'default'");
    expect((await fs.readdir(store)).sort()).toEqual(['default.envelope']);
  });

  test('on a GitHub-hosted runner, local-store: true is warned about: the store does not survive the job', async () => {
    const job = await run({ inputs: { 'chatgpt-auth-json': serialize(seed()), 'local-store': 'true' } });
    expect(job.status).toBe('success');
    expect(
      warningsOf(job).some(
        (w) => w.startsWith("'local-store: true' on a GitHub-hosted runner") && w.includes('does not survive the job')
      )
    ).toBe(true);
  });
});
