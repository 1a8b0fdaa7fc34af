// Every event as GitHub sends it, end to end through dist/ (the built action under Node 24, the real
// @actions/cache on the loopback cache service, the real Codex CLI, the loopback GitHub API answering
// GET /repos/{owner}/{repo} as GitHub's OpenAPI description shapes it):
// - a scheduled run (GitHub's payload: no `repository`) learns the repository from the REST API and
//   renews a due login on the default branch, with the cache alone and with the local store;
// - each listed event works with the payload GitHub sends;
// - a feature-branch job followed by a default-branch job spends no refresh token twice, per store;
// - a due login off the default branch runs with its access token, or fails within min-token-minutes;
// - `renewal: in-job` off the default branch never hands Codex the refresh token.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open, seal } from '../src/chatgpt/login/envelope.js';
import { REFRESH_TOKEN_MARKER } from '../src/chatgpt/login/consumer-copy.js';
import { calledFrom, githubEvent, type EventName, type EventSpec } from './support/events.js';
import { startGitHubApi, TOKENS, type GitHubApi } from './support/github-api.js';
import type { ChatGptAuthJson } from './support/jwt.js';
import { destroyRunner, errorsOf, makeRunner, runJob, type JobResult, type Runner } from './support/runner.js';
import { useWorld } from './support/use-world.js';
import { chatGptJob, codexExecStep, serialize } from './support/world.js';

const fx = useWorld();
let api: GitHubApi;
let captures: string;
const runners: Runner[] = [];

beforeAll(async () => {
  api = await startGitHubApi();
  captures = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-event-runs-'));
});
afterAll(async () => {
  await api.stop();
  await fs.rm(captures, { recursive: true, force: true });
  for (const runner of runners) await destroyRunner(runner);
});

/** A login whose access token expires in `minutes` (due: the default window is 24 hours). */
function seed(minutes: number): ChatGptAuthJson {
  const auth = fx.world.oauth.issue({ accessTtlSeconds: minutes * 60 });
  fx.seeds.push(auth);
  return auth;
}

async function selfHosted(): Promise<Runner> {
  const runner = await makeRunner('self-hosted');
  runners.push(runner);
  return runner;
}

interface RunOptions {
  inputs?: Record<string, string>;
  runner?: Runner;
  codex?: boolean;
  githubToken?: string;
}

let jobs = 0;
async function run(event: EventSpec, auth: ChatGptAuthJson | string, options: RunOptions = {}): Promise<JobResult> {
  const name = `job-${++jobs}`;
  const onDefault = event.ref === 'refs/heads/main';
  const job = await runJob(
    chatGptJob(fx.world, {
      name,
      inputs: {
        'encryption-key': fx.key,
        'chatgpt-auth-json': typeof auth === 'string' ? auth : serialize(auth),
        ...options.inputs
      },
      steps: [
        { name: 'capture auth.json', run: `cp "$CODEX_HOME/auth.json" ${path.join(captures, `${name}.json`)}` },
        ...(options.codex === false ? [] : [codexExecStep(fx.world)])
      ],
      extra: {
        name,
        event,
        runner: options.runner,
        githubToken: options.githubToken ?? TOKENS.workflow,
        env: { GITHUB_API_URL: api.url },
        // A run reads its own ref's cache scope, then the default branch's; it writes its own.
        actionEnv: onDefault
          ? {}
          : fx.world.cache.envFor([
              { scope: event.ref!, permission: 3 },
              { scope: 'refs/heads/main', permission: 1 }
            ])
      }
    })
  );
  fx.jobs.push(job);
  return job;
}

async function captured(job: JobResult): Promise<ChatGptAuthJson> {
  return JSON.parse(await fs.readFile(path.join(captures, `${job.name}.json`), 'utf8')) as ChatGptAuthJson;
}

const main = (job: JobResult) => job.steps.find((s) => s.phase === 'main')!;
const warnings = (job: JobResult) =>
  main(job)
    .annotations.filter((a) => a.level === 'warning')
    .map((a) => a.message);
const repoRequests = () => api.requests.filter((r) => r.method === 'GET' && r.path === '/repos/acme/app');
const feature = (): EventSpec => githubEvent('pull_request');

describe('a scheduled run, with the payload GitHub sends', () => {
  test('renews a due login on the default branch with the cache alone, after asking GitHub about the repository', async () => {
    const before = { refreshes: fx.world.oauth.stats().refreshes, asked: repoRequests().length };
    const job = await run(githubEvent('schedule'), seed(60));
    expect(job.status).toBe('success');
    expect(job.outputs('auth')).toMatchObject({ renewed: 'true' });
    expect(fx.world.oauth.stats().refreshes - before.refreshes).toBe(1);
    expect(repoRequests().slice(before.asked)).toMatchObject([{ token: TOKENS.workflow, status: 200 }]);
    expect(main(job).log).toContain("GitHub says acme/app is private, default branch 'main'");
  });

  test('renews a due login on the default branch with the local store', async () => {
    const before = fx.world.oauth.stats().refreshes;
    const runner = await selfHosted();
    const auth = seed(60);
    const job = await run(githubEvent('schedule'), auth, { inputs: { 'local-store': 'true' }, runner });
    expect(job.status).toBe('success');
    expect(job.outputs('auth')).toMatchObject({ renewed: 'true' });
    expect(fx.world.oauth.stats().refreshes - before).toBe(1);
    // The next job on that runner finds the renewed login in its local store.
    const next = await run(githubEvent('schedule'), auth, {
      inputs: { 'local-store': 'true' },
      runner,
      codex: false
    });
    expect(next.outputs('auth')).toMatchObject({ renewed: 'false', source: 'local' });
    expect(fx.world.oauth.stats().refreshes - before).toBe(1);
  });

  test('fails closed, naming github-token and the permission, when GitHub will not say', async () => {
    const job = await run(githubEvent('schedule'), seed(600), { githubToken: TOKENS.revoked, codex: false });
    expect(job.status).toBe('failure');
    expect(errorsOf(job).join('\n')).toMatch(
      /Cannot learn whether acme\/app is private.*'github-token' is invalid, expired or revoked.*nothing was restored/s
    );
    expect(job.step('capture auth.json').status).not.toBe('success');
  });
});

describe('each event GitHub sends, with a due login', () => {
  const onDefault: [string, () => EventSpec][] = [
    ['push', () => githubEvent('push')],
    ['workflow_dispatch', () => githubEvent('workflow_dispatch')],
    ['repository_dispatch', () => githubEvent('repository_dispatch')],
    ['workflow_call (called from a schedule)', () => calledFrom('schedule')]
  ];
  test.each(onDefault)('%s on the default branch: renewed, Codex runs', async (_name, event) => {
    const before = fx.world.oauth.stats().refreshes;
    const job = await run(event(), seed(60));
    expect(job.status).toBe('success');
    expect(job.outputs('auth')).toMatchObject({ renewed: 'true' });
    expect(fx.world.oauth.stats().refreshes - before).toBe(1);
  });

  const offDefault: EventName[] = ['pull_request', 'merge_group'];
  test.each(offDefault)(
    '%s (not the default branch, cache alone): Codex runs with the still-valid access token, nothing spent',
    async (name) => {
      const auth = seed(6 * 60);
      const before = fx.world.oauth.stats().refreshes;
      const job = await run(githubEvent(name), auth);
      expect(job.status).toBe('success');
      expect(job.outputs('auth')).toMatchObject({ renewed: 'false' });
      expect(fx.world.oauth.stats().refreshes - before).toBe(0);
      expect(warnings(job).join('\n')).toMatch(
        /due for renewal, and this job does not renew it.*in 5 h 5\d min\).*The next job on 'main' that uses it/s
      );
      const copy = await captured(job);
      expect(copy.tokens.access_token).toBe(auth.tokens.access_token);
      expect(copy.tokens.refresh_token).toBe(REFRESH_TOKEN_MARKER);
      expect(fx.world.model.responsesRequests().at(-1)).toMatchObject({ bearer: auth.tokens.access_token });
    }
  );
});

describe('a feature-branch job, then a default-branch job: no refresh token spent twice', () => {
  /** Runs the pair and checks the chain: one refresh in all, no reuse, the default branch renews. */
  async function pair(options: { inputs?: Record<string, string>; runner?: () => Promise<Runner | undefined> }) {
    const auth = seed(6 * 60);
    const before = fx.world.oauth.stats();
    const first = await run(feature(), auth, { inputs: options.inputs, runner: await options.runner?.() });
    expect(first.status).toBe('success');
    // The default branch's job got its seed when it was queued: before the feature job ran.
    const second = await run(githubEvent('push'), auth, {
      inputs: options.inputs,
      runner: await options.runner?.(),
      codex: false
    });
    const after = fx.world.oauth.stats();
    expect(after.reuse - before.reuse).toBe(0);
    expect(second.status).toBe('success');
    expect(after.refreshes - before.refreshes).toBe(1);
    return { first, second };
  }

  test('the cache alone', async () => {
    const { first, second } = await pair({});
    expect(first.outputs('auth')).toMatchObject({ renewed: 'false' });
    expect(second.outputs('auth')).toMatchObject({ renewed: 'true' });
  });

  test('the local store on GitHub-hosted runners (a disk that is gone after the job)', async () => {
    const { first, second } = await pair({ inputs: { 'local-store': 'true' } });
    expect(first.outputs('auth')).toMatchObject({ renewed: 'false' });
    expect(warnings(first).join('\n')).toContain('GitHub-hosted runner');
    expect(second.outputs('auth')).toMatchObject({ renewed: 'true' });
  });

  test('the local store of one self-hosted runner: the feature job may renew, the default branch reads it', async () => {
    const runner = await selfHosted();
    const { first, second } = await pair({ inputs: { 'local-store': 'true' }, runner: async () => runner });
    expect(first.outputs('auth')).toMatchObject({ renewed: 'true' });
    expect(second.outputs('auth')).toMatchObject({ renewed: 'false', source: 'local' });
  });

  test('the secret with the lease (the default branch was queued with the old secret)', async () => {
    const scope = { scope: 'repository' as const, owner: 'acme', repo: 'app' };
    const auth = seed(6 * 60);
    const key = new Uint8Array(Buffer.from(fx.key, 'base64'));
    const value = await seal(serialize(auth), key, 'default');
    api.setSecret(scope, 'CODEX_AUTH', value);
    const inputs = {
      'secret-name': 'CODEX_AUTH',
      'secret-token': TOKENS.writer,
      lease: 'true',
      'lease-token': TOKENS.app
    };
    const before = fx.world.oauth.stats();
    const first = await run(feature(), value, { inputs });
    const second = await run(githubEvent('push'), value, { inputs, codex: false });
    const after = fx.world.oauth.stats();
    expect(after.reuse - before.reuse).toBe(0);
    expect(after.refreshes - before.refreshes).toBe(1);
    expect(first.status).toBe('success');
    expect(first.outputs('auth')).toMatchObject({ renewed: 'false' });
    expect(second.status).toBe('success');
    expect(second.outputs('auth')).toMatchObject({ renewed: 'true' });
  });
});

describe('a 5xx at the secrets API while the default branch renews (secret-name with the lease)', () => {
  const scope = { scope: 'repository' as const, owner: 'acme', repo: 'app' };
  const inputs = {
    'secret-name': 'CODEX_AUTH',
    'secret-token': TOKENS.writer,
    lease: 'true',
    'lease-token': TOKENS.app
  };
  const key = () => new Uint8Array(Buffer.from(fx.key, 'base64'));

  /** The refresh token the secret holds now. */
  async function secretRefreshToken(): Promise<string> {
    const opened = await open(api.secretValue(scope, 'CODEX_AUTH')!, key(), 'default');
    if (!opened.ok) throw new Error(opened.reason);
    return (JSON.parse(opened.plaintext) as ChatGptAuthJson).tokens.refresh_token;
  }

  // Once: retried. Through every retry: the renewed login is in the cache, and the next job (queued with
  // the old secret) finds it there. Either way no refresh token is spent twice, and none is lost.
  // (The secret is written again by the next renewal: renewal: ahead writes it only under a renewal's claim.)
  test.each([1, 10])(
    'failing %i time(s): no refresh token spent twice, the renewed login kept, the next job uses it',
    async (times) => {
      const auth = seed(6 * 60);
      const value = await seal(serialize(auth), key(), 'default');
      api.setSecret(scope, 'CODEX_AUTH', value);
      const before = fx.world.oauth.stats();
      const requests = fx.world.oauth.requests.length;
      const apiStart = api.requests.length;
      api.inject({ status: 503, method: 'PUT', path: '/actions/secrets/CODEX_AUTH', times });
      const first = await run(githubEvent('push'), value, { inputs, codex: false });
      api.clearFaults();
      // The renewal's write failed once and was retried, or failed all 4 attempts.
      const puts = api.requests.slice(apiStart).filter((r) => r.method === 'PUT');
      expect(puts.map((r) => r.status)).toEqual(times === 1 ? [503, 204] : [503, 503, 503, 503]);
      const issued = fx.world.oauth.requests.slice(requests).filter((r) => r.issued);
      expect(issued).toHaveLength(1);
      const live = issued[0].issued!.refresh_token;
      if (times === 1) {
        expect(first.status).toBe('success');
        expect(first.outputs('auth')).toMatchObject({ renewed: 'true' });
        expect(await secretRefreshToken()).toBe(live);
      } else {
        // Only the cache has the renewed login, the secret a spent copy: Codex ran, then the post step
        // fails the job (on-save-failure: fail), as it does when Codex's own refresh reaches only the cache.
        expect(first.outputs('auth')).toMatchObject({ renewed: 'true' });
        expect(first.step('auth').status).toBe('success');
        expect(first.status).toBe('failure');
        expect(errorsOf(first)).toEqual([
          expect.stringMatching(
            /^The renewed ChatGPT login was saved to the Actions cache as \S+, but could not be stored in the repository secret CODEX_AUTH of acme\/app\. .*503.*The secret still holds an older copy whose refresh token is now spent\..*the next renewal writes it to the secret again/
          )
        ]);
        expect(await secretRefreshToken()).toBe(auth.tokens.refresh_token);
      }
      // The next job got the secret's value when it was queued: the old one, if the write failed.
      const next = await run(githubEvent('push'), api.secretValue(scope, 'CODEX_AUTH')!, { inputs });
      expect(next.status).toBe('success');
      expect(next.outputs('auth')).toMatchObject({ renewed: 'false' });
      expect((await captured(next)).tokens.access_token).toBe(issued[0].issued!.access_token);
      const after = fx.world.oauth.stats();
      expect(after.reuse - before.reuse).toBe(0);
      expect(after.refreshes - before.refreshes).toBe(1);
      expect(fx.world.oauth.familyRevoked(fx.world.oauth.familyOf(auth.tokens.refresh_token)!)).toBe(false);
    }
  );
  test('through every retry, with on-save-failure: warn: the same text as a warning, and a green job', async () => {
    const auth = seed(6 * 60);
    const value = await seal(serialize(auth), key(), 'default');
    api.setSecret(scope, 'CODEX_AUTH', value);
    api.inject({ status: 503, method: 'PUT', path: '/actions/secrets/CODEX_AUTH', times: 10 });
    const job = await run(githubEvent('push'), value, {
      inputs: { ...inputs, 'on-save-failure': 'warn' },
      codex: false
    });
    api.clearFaults();
    expect(job.status).toBe('success');
    expect(job.outputs('auth')).toMatchObject({ renewed: 'true' });
    expect(errorsOf(job)).toEqual([]);
    expect(warnings(job).join('\n')).toMatch(
      /The renewed ChatGPT login was saved to the Actions cache as \S+, but could not be stored in the repository secret CODEX_AUTH/
    );
  });
});

describe('min-token-minutes', () => {
  test('a token that expires within it: the job fails before Codex runs, nothing spent', async () => {
    const before = fx.world.oauth.stats().refreshes;
    const job = await run(feature(), seed(90));
    expect(job.status).toBe('failure');
    expect(job.step('capture auth.json').status).not.toBe('success');
    expect(errorsOf(job).join('\n')).toMatch(
      /must be renewed before Codex can run.*refs\/pull\/2\/merge.*within this job's budget \(min-token-minutes: 2 h\).*The next job on 'main' that uses it.*will renew it/s
    );
    expect(fx.world.oauth.stats().refreshes - before).toBe(0);
  });

  test('lowered below the time left: Codex runs with the access token, with a warning', async () => {
    const auth = seed(90);
    const job = await run(feature(), auth, { inputs: { 'min-token-minutes': '60' } });
    expect(job.status).toBe('success');
    expect(warnings(job).join('\n')).toMatch(/still-valid access token.*in 1 h 2\d min/s);
    expect(fx.world.model.responsesRequests().at(-1)).toMatchObject({ bearer: auth.tokens.access_token });
  });
});

test('renewal: in-job off the default branch: Codex never gets the refresh token, and the post step stores nothing', async () => {
  const auth = seed(5 * 24 * 60); // not due
  const entries = fx.world.cache.entries().length;
  const job = await run(feature(), auth, { inputs: { renewal: 'in-job' } });
  expect(job.status).toBe('success');
  expect(warnings(job).join('\n')).toMatch(/renewal: in-job off the default branch.*without its refresh token/s);
  expect((await captured(job)).tokens.refresh_token).toBe(REFRESH_TOKEN_MARKER);
  expect(fx.world.cache.entries().length).toBe(entries);
});
