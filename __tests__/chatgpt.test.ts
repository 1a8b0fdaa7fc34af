// ChatGPT mode end to end: the built action under Node 24 through the runner harness, the real
// @actions/cache through the loopback cache service and Azurite, and the real Codex CLI
// refreshing against the loopback token endpoint.
import { seal } from '../src/chatgpt/login/envelope.js';
import type { ChatGptAuthJson } from './support/jwt.js';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { githubEvent } from './support/events.js';
import { destroyRunner, makeRunner, runJob, errorsOf, warningsOf, type JobResult } from './support/runner.js';
import {
  newEncryptionKey,
  chatGptJob,
  codexExecStep,
  plantCacheEntry,
  readCacheArchive,
  postStep,
  serialize,
  type World
} from './support/world.js';
import { useWorld } from './support/use-world.js';

// These tests are about Codex refreshing the login during the job and the post step saving it.
const IN_JOB = { renewal: 'in-job' };

// No token in any step's output, in any scenario (support/use-world.ts).
const fx = useWorld();

function seed(options: Parameters<World['oauth']['issue']>[0] = {}): ChatGptAuthJson {
  const auth = fx.world.oauth.issue(options);
  fx.seeds.push(auth);
  return auth;
}

async function run(spec: Parameters<typeof chatGptJob>[1] = {}): Promise<JobResult> {
  const job = await runJob(
    chatGptJob(fx.world, { ...spec, inputs: { 'encryption-key': fx.key, ...IN_JOB, ...spec.inputs } })
  );
  fx.jobs.push(job);
  return job;
}

const saves = (): number => fx.world.cache.requests.filter((r) => r.method === 'CreateCacheEntry').length;

describe('the credential travels from job to job', () => {
  test('job 1 refreshes the expired seed and saves it; job 2 uses the saved copy without a refresh', async () => {
    const original = seed({ accessTtlSeconds: -60 });
    const before = fx.world.oauth.stats();

    const job1 = await run({ inputs: { 'chatgpt-auth-json': serialize(original) } });
    expect(job1.status).toBe('success');
    expect(job1.outputs('auth')).toMatchObject({
      source: 'seed',
      'cache-hit': 'false',
      'auth-mode': 'chatgpt',
      'plan-type': 'plus'
    });
    expect(warningsOf(job1).some((w) => w.includes('access token expired'))).toBe(true);
    expect(job1.step('codex exec').log).toContain('hi');
    expect(postStep(job1).log).toContain('Saved the refreshed ChatGPT login');
    expect(postStep(job1).log).toContain(`Removed ${job1.outputs('auth')['codex-home']}`);
    expect(fx.world.oauth.stats().refreshes - before.refreshes).toBe(1);
    expect(fx.world.cache.entries().filter((e) => e.finalized)).toHaveLength(1);
    // Every token value and the account id were masked.
    for (const value of [
      original.tokens.access_token,
      original.tokens.refresh_token,
      original.tokens.id_token,
      original.tokens.account_id
    ]) {
      expect(job1.masks).toContain(value);
    }

    // Only an envelope reached the cache: no token, no piece of the JSON, in the stored bytes or in the archive's files.
    const [entry] = fx.world.cache.entries();
    const blob = (await fx.world.cache.readBlob(entry.key)).toString('latin1');
    const files = await readCacheArchive(fx.world, entry.key);
    const stored = Object.values(files).join('\n');
    const refreshed = fx.world.oauth.requests.filter((r) => r.issued).at(-1)!.issued!;
    for (const fragment of [
      ...Object.values(refreshed),
      original.tokens.account_id,
      'refresh_token',
      'auth_mode',
      'last_refresh',
      'chatgpt'
    ]) {
      expect(blob).not.toContain(fragment);
      expect(stored).not.toContain(fragment);
    }
    expect(Object.keys(files)).toHaveLength(1);
    expect(stored).toMatch(/^codex-auth:v1:default:[\w-]+:[\w-]+:[\w-]+$/);

    const requestsBeforeJob2 = fx.world.cache.requests.length;
    const job2 = await run({ inputs: { 'chatgpt-auth-json': serialize(original) } });
    expect(job2.status).toBe('success');
    expect(job2.outputs('auth')).toMatchObject({ source: 'cache', 'cache-hit': 'true' });
    expect(job2.step('codex exec').log).toContain('hi');
    expect(postStep(job2).log).toContain('unchanged since the main step');
    // The post step made no cache request at all: the only request of job 2 is main's restore.
    expect(fx.world.cache.requests.slice(requestsBeforeJob2).map((r) => r.method)).toEqual([
      'GetCacheEntryDownloadURL'
    ]);
    const after = fx.world.oauth.stats();
    expect(after.refreshes - before.refreshes).toBe(1);
    expect(after.reuse - before.reuse).toBe(0);
    expect(job2.leftoverFiles).toEqual([]);
  });

  test('a step failing after Codex ran does not lose the refreshed credential', async () => {
    const original = seed({ accessTtlSeconds: -60 });
    const job1 = await run({
      inputs: { 'chatgpt-auth-json': serialize(original) },
      steps: [codexExecStep(fx.world), { name: 'tests fail', run: 'exit 1' }]
    });
    expect(job1.status).toBe('failure');
    expect(postStep(job1).status).toBe('success');
    expect(postStep(job1).log).toContain('Saved the refreshed ChatGPT login');

    const reuse = fx.world.oauth.stats().reuse;
    const job2 = await run({ inputs: { 'chatgpt-auth-json': serialize(original) } });
    expect(job2.status).toBe('success');
    expect(job2.outputs('auth').source).toBe('cache');
    expect(fx.world.oauth.stats().reuse).toBe(reuse);
  });
});

describe('choosing between the seed and the stored copy', () => {
  test('a newer seed wins (re-seeding); an older seed never overrides a newer stored copy', async () => {
    const first = seed({ accessTtlSeconds: -60 });
    expect((await run({ inputs: { 'chatgpt-auth-json': serialize(first) } })).status).toBe('success');

    // The original (older) seed is still in the secret: the cache's copy is used.
    const stale = await run({ inputs: { 'chatgpt-auth-json': serialize(first) } });
    expect(stale.outputs('auth').source).toBe('cache');

    // A fresh `codex login` put in the secret: newer than the cache, so it wins.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const fresh = seed();
    const reseeded = await run({ inputs: { 'chatgpt-auth-json': Buffer.from(serialize(fresh)).toString('base64') } });
    expect(reseeded.status).toBe('success');
    expect(reseeded.outputs('auth')).toMatchObject({
      source: 'seed',
      'cache-hit': 'true',
      'last-refresh': fresh.last_refresh
    });
  });

  test('an envelope is accepted as the seed', async () => {
    const auth = seed();
    const envelope = await seal(serialize(auth), new Uint8Array(Buffer.from(fx.key, 'base64')), 'default');
    const job = await run({ inputs: { 'chatgpt-auth-json': envelope } });
    expect(job.status).toBe('success');
    expect(job.outputs('auth').source).toBe('seed');
  });

  const planted: [string, (auth: ChatGptAuthJson) => Promise<string>, RegExp][] = [
    [
      'a tampered envelope',
      async (auth) => flipCiphertextChar(await sealFor(auth, fx.key, 'default')),
      /tampered with or corrupted/
    ],
    [
      'a truncated envelope',
      async (auth) => (await sealFor(auth, fx.key, 'default')).slice(0, 60),
      /truncated or corrupted/
    ],
    [
      'an envelope under another key',
      async (auth) => sealFor(auth, newEncryptionKey(), 'default'),
      /different encryption-key/
    ],
    ["another credential's envelope", async (auth) => sealFor(auth, fx.key, 'other'), /belongs to credential 'other'/]
  ];
  test.each(planted)(
    '%s as the newest cache entry fails closed: nothing restored, not even a valid seed; the message names the entry and gh cache delete',
    async (_name, make, reason) => {
      const stored = seed();
      const key = `codex-auth-v1.default.${Date.now() + 60_000}.1-1.planted`;
      await plantCacheEntry(fx.world, '.codex-auth/default.envelope', await make(stored), key);
      const fallback = seed();

      const job = await run({ inputs: { 'chatgpt-auth-json': serialize(fallback) } });
      expect(job.status).toBe('failure');
      const [error] = errorsOf(job);
      expect(error).toContain(`The newest stored copy of 'default', the Actions cache entry ${key}, cannot be read`);
      expect(error).toMatch(reason);
      expect(error).toContain(`\`gh cache delete ${key}\``);
      expect(error).toContain('Nothing was restored');
      expect(job.step('codex exec').status).toBe('skipped');
      expect(job.outputs('auth')['cache-hit']).toBe('true');
    }
  );

  test('an unusable seed is reported without quoting it', async () => {
    const broken = { ...seed(), last_refresh: '2026-11-29 15:18:40' };
    const job = await run({ inputs: { 'chatgpt-auth-json': JSON.stringify(broken) } });
    expect(job.status).toBe('failure');
    const [error] = errorsOf(job);
    expect(error).toContain("seed (input 'chatgpt-auth-json'): last_refresh is missing or not an RFC 3339 time");
    expect(error).not.toContain(broken.tokens.refresh_token);
  });
});

describe('where ChatGPT mode refuses to run', () => {
  const cases: [string, { name: string; payload: Record<string, unknown> }, RegExp][] = [
    [
      'a pull request from a fork',
      {
        name: 'pull_request',
        payload: {
          repository: { full_name: 'acme/app', private: true },
          pull_request: { head: { repo: { full_name: 'mallory/app', fork: true } } }
        }
      },
      /refused for a pull request from a fork/
    ],
    [
      'a workflow_run triggered by a pull request from a fork',
      {
        name: 'workflow_run',
        payload: {
          repository: { full_name: 'acme/app', private: true },
          workflow_run: { event: 'pull_request', head_repository: { full_name: 'mallory/app', fork: true } }
        }
      },
      /refused on a workflow_run triggered by a pull request from a fork/
    ],
    [
      'pull_request_target',
      { name: 'pull_request_target', payload: { repository: { full_name: 'acme/app', private: true } } },
      /refused on pull_request_target/
    ],
    ['a public repository', githubEvent('push', { visibility: 'public' }), /dangerously-allow-public-repository/]
  ];
  test.each(cases)('%s: refused before anything is restored', async (_name, event, message) => {
    const requests = fx.world.cache.requests.length;
    const job = await run({ inputs: { 'chatgpt-auth-json': serialize(seed()) }, extra: { event } });
    expect(job.status).toBe('failure');
    expect(errorsOf(job)[0]).toMatch(message);
    expect(fx.world.cache.requests.length).toBe(requests);
    expect(job.step('codex exec').status).toBe('skipped');
    expect(job.leftovers).toEqual([]);
  });

  test('a public repository with the explicit opt-in runs, with a warning', async () => {
    const job = await run({
      inputs: { 'chatgpt-auth-json': serialize(seed()), 'dangerously-allow-public-repository': 'true' },
      extra: { event: githubEvent('push', { visibility: 'public' }) }
    });
    expect(job.status).toBe('success');
    expect(warningsOf(job).some((w) => w.includes('public repository'))).toBe(true);
  });

  test('CODEX_API_KEY in the environment is warned about', async () => {
    const job = await run({
      inputs: { 'chatgpt-auth-json': serialize(seed()) },
      extra: { env: { CODEX_API_KEY: 'sk-would-win-over-auth-json' } }
    });
    expect(warningsOf(job).some((w) => w.includes('CODEX_API_KEY'))).toBe(true);
  });
});

describe('chain integrity: copies are judged by their authenticated contents', () => {
  test('a seed whose last_refresh is in the future is refused with the reason (it would outrank every real refresh)', async () => {
    const ahead = seed({
      lastRefresh: new Date(Date.now() + 24 * 3_600_000),
      issuedAt: new Date(Date.now() + 24 * 3_600_000)
    });
    const job = await run({ inputs: { 'chatgpt-auth-json': serialize(ahead) } });
    expect(job.status).toBe('failure');
    const [error] = errorsOf(job);
    expect(error).toMatch(/^No usable ChatGPT credential for 'default'/);
    expect(error).toMatch(/seed \(input 'chatgpt-auth-json'\): its last_refresh \(.*\) is in the future/);
    expect(job.step('codex exec').status).toBe('skipped');
  });

  test("a seed whose oauth_provenance sends the refresh elsewhere is refused; 'oauth-issuer' naming that issuer opts in", async () => {
    const issuer = new URL(fx.world.oauth.url).origin;
    const auth = seed({ accessTtlSeconds: -60 });
    const withProvenance = JSON.stringify({
      ...auth,
      tokens: { ...auth.tokens, oauth_provenance: { issuer, client_id: 'app_EMoamEEZ73f0CkXaXp7hrann' } }
    });
    const refused = await run({ inputs: { 'chatgpt-auth-json': withProvenance } });
    expect(refused.status).toBe('failure');
    expect(errorsOf(refused)[0]).toContain(`names the issuer "${issuer}", not Codex's https://auth.openai.com`);
    expect(errorsOf(refused)[0]).toContain("'oauth-issuer'");

    const allowed = await run({ inputs: { 'chatgpt-auth-json': withProvenance, 'oauth-issuer': issuer } });
    expect(allowed.status).toBe('success');
    expect(postStep(allowed).log).toContain('Saved the refreshed ChatGPT login');
  });

  test('a login of another account written into auth.json by a step is not saved: the post step fails saying what it found', async () => {
    const restored = seed();
    const foreign = seed({ lastRefresh: new Date(Date.now() + 3 * 3_600_000) });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-foreign-'));
    const file = path.join(dir, 'auth.json');
    await fs.writeFile(file, serialize(foreign));
    const job = await run({
      inputs: { 'chatgpt-auth-json': serialize(restored) },
      steps: [{ name: 'swap the login', run: `cp '${file}' "$CODEX_HOME/auth.json"` }]
    });
    await fs.rm(dir, { recursive: true, force: true });
    expect(postStep(job).status).toBe('failure');
    expect(errorsOf(job)[0]).toMatch(
      /^Not saving the login in auth\.json: auth\.json now holds a login of another ChatGPT user than the one restored/
    );
    expect(saves()).toBe(0);
  });

  test('a garbage newest entry stored between main and post is opened, judged and saved over: the refreshed login is kept', async () => {
    const auth = seed({ accessTtlSeconds: -60 });
    const flag = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-flag-')), 'go');
    const restored = (): boolean => fx.world.cache.requests.some((r) => r.method === 'GetCacheEntryDownloadURL');
    const pending = run({
      inputs: { 'chatgpt-auth-json': serialize(auth) },
      steps: [{ name: 'wait', run: `while [ ! -e '${flag}' ]; do sleep 0.1; done` }, codexExecStep(fx.world)]
    });
    while (!restored()) await new Promise((resolve) => setTimeout(resolve, 50));
    const garbage = `codex-auth-v1.default.${Date.now() + 10 * 365 * 86_400_000}.1-1.garbage`;
    await plantCacheEntry(fx.world, '.codex-auth/default.envelope', 'codex-auth:v1:default:garbage', garbage);
    await fs.writeFile(flag, '');
    const job = await pending;
    await fs.rm(path.dirname(flag), { recursive: true, force: true });
    expect(job.status).toBe('success');
    expect(
      warningsOf(job).some((w) =>
        w.startsWith(
          `Saving this job's copy over the newest copy in the Actions cache (${garbage}), which is not a usable newer login: it is truncated or corrupted`
        )
      )
    ).toBe(true);
    expect(postStep(job).log).toContain('Saved the refreshed ChatGPT login');

    const next = await run({});
    expect(next.status).toBe('success');
    expect(next.outputs('auth').source).toBe('cache');
  });
});

describe('workspace', () => {
  test('a credential of another workspace fails the main step before Codex runs', async () => {
    const auth = seed({ accountId: 'ws-actual' });
    const job = await run({ inputs: { 'chatgpt-auth-json': serialize(auth), 'workspace-id': 'ws-expected' } });
    expect(job.status).toBe('failure');
    expect(errorsOf(job)[0]).toMatch(/another ChatGPT workspace than the input 'workspace-id'/);
    expect(job.step('codex exec').status).toBe('skipped');
  });

  test('the matching workspace is written to config.toml for Codex to enforce', async () => {
    const auth = seed({ accountId: 'ws-team', accessTtlSeconds: -60 });
    const job = await run({
      inputs: { 'chatgpt-auth-json': serialize(auth), 'workspace-id': 'ws-team' },
      steps: [{ name: 'config', run: 'cat "$CODEX_HOME/config.toml"' }, codexExecStep(fx.world)]
    });
    expect(job.status).toBe('success');
    expect(job.step('config').log).toContain('forced_chatgpt_workspace_id = "ws-team"');
    expect(job.step('config').log).toContain('cli_auth_credentials_store = "file"');
  });

  test('when Codex logs out (workspace mismatch), the post step saves nothing and says why; the stored copy still works', async () => {
    const auth = seed({ accessTtlSeconds: -60 });
    expect((await run({ inputs: { 'chatgpt-auth-json': serialize(auth) } })).status).toBe('success');
    const entries = fx.world.cache.entries().length;

    const loggedOut = await run({
      inputs: { 'chatgpt-auth-json': serialize(auth) },
      steps: [codexExecStep(fx.world, { extraArgs: ['-c', 'forced_chatgpt_workspace_id="ws-somewhere-else"'] })]
    });
    expect(loggedOut.step('codex exec').status).toBe('failure');
    expect(loggedOut.step('codex exec').log).toMatch(/Logging out/);
    const post = postStep(loggedOut);
    expect(
      post.annotations.some((a) => a.level === 'warning' && /Not saving: .*auth\.json is gone/.test(a.message))
    ).toBe(true);
    expect(fx.world.cache.entries().length).toBe(entries);

    const next = await run({ inputs: { 'chatgpt-auth-json': serialize(auth) } });
    expect(next.status).toBe('success');
    expect(next.outputs('auth').source).toBe('cache');
  });
});

describe("a codex-home of the user's (self-hosted runner)", () => {
  test('settings and comments in config.toml are kept, the credential is removed after the job', async () => {
    const runner = await makeRunner('self-hosted');
    const home = path.join(runner.home, '.codex');
    const userConfig = '# team settings\nmodel_reasoning_effort = "high"\n\n[profiles.ci]\nmodel = "o4"\n';
    try {
      await fs.mkdir(home, { mode: 0o700 });
      await fs.writeFile(path.join(home, 'config.toml'), userConfig);
      const job = await run({
        inputs: { 'chatgpt-auth-json': serialize(seed({ accessTtlSeconds: -60 })), 'codex-home': '~/.codex' },
        extra: { runner }
      });
      expect(job.status).toBe('success');
      expect(job.outputs('auth')['codex-home']).toBe(home);
      expect(postStep(job).log).toContain('Saved the refreshed ChatGPT login');
      const config = await fs.readFile(path.join(home, 'config.toml'), 'utf8');
      expect(config.endsWith(userConfig)).toBe(true);
      expect(config).toContain('cli_auth_credentials_store = "file"');
      await expect(fs.access(path.join(home, 'auth.json'))).rejects.toThrow();
    } finally {
      await destroyRunner(runner);
    }
  });
});

describe('when the refreshed credential cannot be stored', () => {
  test('a read-only cache fails the post step with the recovery message', async () => {
    const auth = seed({ accessTtlSeconds: -60 });
    const job = await run({
      inputs: { 'chatgpt-auth-json': serialize(auth) },
      extra: { actionEnv: { ACTIONS_CACHE_MODE: 'read' } }
    });
    expect(job.step('codex exec').status).toBe('success');
    const post = postStep(job);
    expect(post.status).toBe('failure');
    const [error] = errorsOf(job);
    expect(error).toMatch(
      /could not be stored anywhere\. The Actions cache: the cache is not writable in this run \(cache-mode 'read'/
    );
    expect(error).toMatch(/To re-seed: .*run `codex login`/);
    expect(saves()).toBe(0);
    expect(job.leftovers).toEqual([]);
  });

  test('a token whose cache write is denied: no retry, the step fails; with on-save-failure: warn it only warns', async () => {
    const readOnly = fx.world.cache.envFor([{ scope: 'refs/heads/main', permission: 1 }]);
    const failing = await run({
      inputs: { 'chatgpt-auth-json': serialize(seed({ accessTtlSeconds: -60 })) },
      extra: { actionEnv: readOnly }
    });
    expect(postStep(failing).status).toBe('failure');
    expect(errorsOf(failing)[0]).toMatch(/cache write denied/);
    expect(saves()).toBe(1);

    const warned = await run({
      inputs: { 'chatgpt-auth-json': serialize(seed({ accessTtlSeconds: -60 })), 'on-save-failure': 'warn' },
      extra: { actionEnv: readOnly }
    });
    expect(warned.status).toBe('success');
    expect(warningsOf(warned).some((w) => /could not be stored anywhere/.test(w))).toBe(true);
  });

  test('cache service errors are retried, then fail the step with the recovery message', async () => {
    fx.world.cache.inject({
      method: 'CreateCacheEntry',
      status: 429,
      body: JSON.stringify({ code: 'resource_exhausted', msg: 'rate limited' }),
      // As GitHub's cache service answers a rate limit.
      headers: { 'retry-after': '1' },
      times: 3
    });
    const job = await run({ inputs: { 'chatgpt-auth-json': serialize(seed({ accessTtlSeconds: -60 })) } });
    const post = postStep(job);
    expect(post.status).toBe('failure');
    expect(post.log).toMatch(/attempt 2 of 3/);
    expect(post.log).toMatch(/attempt 3 of 3/);
    expect(errorsOf(job)[0]).toMatch(/could not be stored anywhere.*To re-seed/s);
    expect(saves()).toBe(3);
  });

  test('a transient error is retried and the save goes through', async () => {
    fx.world.cache.inject({
      method: 'CreateCacheEntry',
      status: 429,
      body: JSON.stringify({ code: 'resource_exhausted', msg: 'rate limited' }),
      // As GitHub's cache service answers a rate limit.
      headers: { 'retry-after': '1' },
      times: 1
    });
    const job = await run({ inputs: { 'chatgpt-auth-json': serialize(seed({ accessTtlSeconds: -60 })) } });
    expect(job.status).toBe('success');
    expect(postStep(job).log).toContain('Saved the refreshed ChatGPT login');
    expect(fx.world.cache.entries().filter((e) => e.finalized)).toHaveLength(1);
  });
});

async function sealFor(auth: ChatGptAuthJson, base64Key: string, name: string): Promise<string> {
  return seal(serialize(auth), new Uint8Array(Buffer.from(base64Key, 'base64')), name);
}

/** Changes one character in the middle of the ciphertext (the last one may only carry padding bits). */
function flipCiphertextChar(text: string): string {
  const at = text.lastIndexOf(':') + Math.floor((text.length - text.lastIndexOf(':')) / 2);
  return text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
}
