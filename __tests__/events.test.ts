// The event module and the branch rules without a runner: every event as GitHub sends it (real
// payloads, ./support/events.ts), the repository's visibility and default branch from the payload
// or from GET /repos/{owner}/{repo} of the loopback GitHub API (answers shaped by GitHub's OpenAPI
// description), where a refresh token may be spent, and the "due but not renewed here" rule.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isHostedRunner, placeOfRun, renewalPlace } from '../src/chatgpt/renewal/place.js';
import { useWithoutRenewing } from '../src/chatgpt/renewal/without-renewing.js';
import { factsInPayload, learnRepository, readRunEvent, type RunEvent } from '../src/action/event.js';
import { calledFrom, EVENT_NAMES, githubEvent, type EventSpec } from './support/events.js';
import { startGitHubApi, TOKENS, type GitHubApi } from './support/github-api.js';
import { fullRepositoryProblems, repositoryAnswer } from './support/github-repo-route.js';
import { ROOT } from './support/paths.js';

let dir: string;
let api: GitHubApi;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'codex-auth-events-'));
  api = await startGitHubApi({
    repositories: ['acme/app', { name: 'acme/site', visibility: 'public', defaultBranch: 'trunk' }]
  });
});
afterAll(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The runner's environment for `spec`, as runner.ts writes it. */
function envOf(spec: EventSpec, repository = 'acme/app'): NodeJS.ProcessEnv {
  const file = path.join(dir, `${spec.name}-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(spec.payload));
  return {
    GITHUB_EVENT_NAME: spec.name,
    GITHUB_EVENT_PATH: file,
    GITHUB_REF: spec.ref,
    GITHUB_REPOSITORY: repository
  };
}

const lookup = (token: string = TOKENS.workflow) => ({ token, apiUrl: api.url, log: () => undefined });
const repoRequests = () => api.requests.filter((r) => r.method === 'GET' && /^\/repos\/[^/]+\/[^/]+$/.test(r.path));

describe('every event, as GitHub sends it', () => {
  test.each(EVENT_NAMES.filter((n) => n !== 'schedule'))(
    '%s: the payload says the repository is private and names its default branch: no request',
    async (name) => {
      const event = readRunEvent(envOf(githubEvent(name)));
      const before = repoRequests().length;
      expect(await learnRepository(event, lookup())).toEqual({
        visibility: 'private',
        defaultBranch: 'main',
        from: 'payload'
      });
      expect(repoRequests().length).toBe(before);
    }
  );

  test('schedule: the payload has no repository, so GitHub is asked once, with github-token', async () => {
    const spec = githubEvent('schedule');
    expect(spec.payload).toEqual({ schedule: expect.any(String) });
    expect(spec.ref).toBe('refs/heads/main');
    const event = readRunEvent(envOf(spec));
    expect(factsInPayload(event)).toBeUndefined();
    const before = repoRequests().length;
    expect(await learnRepository(event, lookup())).toEqual({
      visibility: 'private',
      defaultBranch: 'main',
      from: 'api'
    });
    expect(repoRequests().slice(before)).toMatchObject([
      { path: '/repos/acme/app', token: TOKENS.workflow, status: 200 }
    ]);
    const place = placeOfRun(event, { defaultBranch: 'main' });
    expect(place.onDefaultBranch).toBe(true);
  });

  test('schedule in a public repository with another default branch: learned from GitHub, never guessed', async () => {
    const event = readRunEvent(envOf(githubEvent('schedule', { defaultBranch: 'trunk' }), 'acme/site'));
    expect(await learnRepository(event, lookup())).toEqual({
      visibility: 'public',
      defaultBranch: 'trunk',
      from: 'api'
    });
    expect(placeOfRun(event, { defaultBranch: 'trunk' }).onDefaultBranch).toBe(true);
  });

  test('workflow_call runs with the caller event: a called workflow of a schedule asks GitHub too', async () => {
    const event = readRunEvent(envOf(calledFrom('schedule')));
    expect(event.name).toBe('schedule');
    expect((await learnRepository(event, lookup())).from).toBe('api');
  });

  test('the refs GitHub sets: pull_request and merge_group are not the default branch; the others are', async () => {
    const on = (name: (typeof EVENT_NAMES)[number]) => {
      const event = readRunEvent(envOf(githubEvent(name)));
      return placeOfRun(event, factsInPayload(event) ?? { defaultBranch: 'main' }).onDefaultBranch;
    };
    expect(on('pull_request')).toBe(false);
    expect(on('merge_group')).toBe(false);
    for (const name of ['schedule', 'push', 'workflow_dispatch', 'repository_dispatch'] as const)
      expect(on(name)).toBe(true);
  });

  test('a public repository in the payload is public (private: false), with no request', async () => {
    const event = readRunEvent(envOf(githubEvent('push', { visibility: 'public' })));
    expect(factsInPayload(event)).toMatchObject({ visibility: 'public' });
  });
});

describe('when GitHub cannot tell: fail closed, naming the token and the permission', () => {
  const schedule = (): RunEvent => readRunEvent(envOf(githubEvent('schedule')));

  test('an empty github-token', async () => {
    await expect(learnRepository(schedule(), lookup(''))).rejects.toThrow(
      /Input 'github-token': is empty.*does not say whether acme\/app is private.*Metadata: Read.*Nothing was restored/s
    );
  });

  test('a revoked token, and one that cannot see the repository', async () => {
    await expect(learnRepository(schedule(), lookup(TOKENS.revoked))).rejects.toThrow(
      /Cannot learn whether acme\/app is private.*answered 401.*'github-token' is invalid, expired or revoked.*ChatGPT mode is refused until it is known/s
    );
    await expect(learnRepository(schedule(), lookup(TOKENS.otherRepo))).rejects.toThrow(
      /answered 404.*cannot see it.*Metadata: Read/s
    );
  });

  test('no token value ever appears in the message', async () => {
    const error = await learnRepository(schedule(), lookup(TOKENS.revoked)).catch((e: Error) => e);
    expect(String(error)).not.toContain(TOKENS.revoked);
  });
});

describe('the loopback GET /repos/{owner}/{repo} answers as GitHub describes it', () => {
  test("every key GitHub's OpenAPI description requires of a full-repository, with its type", () => {
    const answer = repositoryAnswer(
      { id: 7, owner: 'acme', name: 'app', facts: { visibility: 'internal', defaultBranch: 'dev' } },
      'http://127.0.0.1:1'
    );
    expect(fullRepositoryProblems(answer)).toEqual([]);
    expect(answer).toMatchObject({
      full_name: 'acme/app',
      private: true,
      visibility: 'internal',
      default_branch: 'dev'
    });
    expect(JSON.stringify(answer)).not.toContain('octocat/Hello-World');
  });
});

describe('where a refresh token may be spent', () => {
  const main = { ref: 'refs/heads/main', defaultBranch: 'main', onDefaultBranch: true };
  const feature = { ref: 'refs/heads/feature', defaultBranch: 'main', onDefaultBranch: false };
  const none = { secret: false, local: false, hostedRunner: true };

  test('on the default branch: with any store', () => {
    expect(renewalPlace(main, none)).toEqual({ ok: true });
  });

  test('elsewhere: only with the local store of a self-hosted runner', () => {
    expect(renewalPlace(feature, { ...none, local: true, hostedRunner: false })).toEqual({ ok: true });
    expect(renewalPlace(feature, none)).toMatchObject({
      ok: false,
      problem: expect.stringContaining("refs/heads/feature, not the default branch 'main'"),
      renewer: expect.stringContaining("the next job on 'main'")
    });
    expect(renewalPlace(feature, { ...none, local: true })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('GitHub-hosted runner')
    });
    expect(renewalPlace(feature, { ...none, secret: true, hostedRunner: false })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('reads when it is queued')
    });
  });

  test('RUNNER_ENVIRONMENT tells a hosted runner (GitHub sets it on every hosted runner)', () => {
    expect(isHostedRunner({ RUNNER_ENVIRONMENT: 'github-hosted' })).toBe(true);
    expect(isHostedRunner({ RUNNER_ENVIRONMENT: 'self-hosted' })).toBe(false);
    expect(isHostedRunner({})).toBe(false);
  });
});

describe('a due login that is not renewed here', () => {
  const now = Date.parse('2026-12-06T00:00:00Z');
  const facts = (minutesLeft: number | undefined, minTokenMinutes = 120) => ({
    credentialName: 'default',
    accessTokenExpiresAt: minutesLeft === undefined ? undefined : new Date(now + minutesLeft * 60_000),
    now,
    minTokenMs: minTokenMinutes * 60_000,
    why: 'this job runs on refs/pull/7/merge',
    renewer: "the next job on 'main' that uses it"
  });

  test('runs with the access token when it outlasts min-token-minutes, and says so with the time left and who renews', () => {
    expect(useWithoutRenewing(facts(180))).toEqual({
      use: true,
      warning: expect.stringMatching(
        /still-valid access token.*in 3 h\).*The next job on 'main' that uses it will renew it/s
      )
    });
  });

  test('fails when it would expire within the job budget, or its expiry is unknown', () => {
    expect(useWithoutRenewing(facts(90))).toEqual({
      use: false,
      message: expect.stringMatching(
        /in 1 h 30 min, within this job's budget \(min-token-minutes: 2 h\).*Codex did not run.*lower 'min-token-minutes'/s
      )
    });
    expect(useWithoutRenewing(facts(90, 60)).use).toBe(true);
    expect(useWithoutRenewing(facts(undefined)).use).toBe(false);
    expect(useWithoutRenewing(facts(-5))).toMatchObject({ use: false, message: expect.stringContaining('expired at') });
  });
});

test('lazy loading: the REST lookup is not in the main bundle, but in a chunk loaded only when a payload is silent', () => {
  const dir = path.join(ROOT, 'dist', 'main');
  const holding = readdirSync(dir)
    .filter((file) => file.endsWith('.js'))
    .filter((file) => readFileSync(path.join(dir, file), 'utf8').includes('Cannot learn whether'));
  expect(holding).toHaveLength(1);
  expect(holding[0]).not.toBe('index.js');
});
