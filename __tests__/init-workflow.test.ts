// The workflow `codex-auth init` prints works as printed: the built command seeds a login into the
// loopback GitHub API and prints examples/nightly-chatgpt.yml; that text, unchanged, passes
// actionlint and runs in the harness (support/workflow-run.ts) with exactly the secrets init stored,
// twice: the first run renews the expired login ahead and Codex answers through the loopback model
// server; the second run gets the renewed login from the Actions cache.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lintWorkflowText } from './support/actionlint.js';
import { startGitHubApi, TOKENS, type GitHubApi, type ScopeRef } from './support/github-api.js';
import { NODE24, ROOT, SYSTEM_PATH, searchPath } from './support/paths.js';
import { runProcess } from './support/runner.js';
import { makeTools } from './support/stand-ins.js';
import { rulesProblems, parseWorkflow, runWorkflow } from './support/workflow-run.js';
import { serialize, startWorld, type World } from './support/world.js';

const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');
const REPO: ScopeRef = { scope: 'repository', owner: 'acme', repo: 'app' };

let world: World;
let api: GitHubApi;
let home: string;

beforeAll(async () => {
  world = await startWorld();
  api = await startGitHubApi();
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-init-workflow-'));
  await fs.mkdir(path.join(home, 'tmp'));
});

afterAll(async () => {
  await Promise.all([world?.stop(), api?.stop()]);
  if (home) await fs.rm(home, { recursive: true, force: true });
});

test('the printed workflow passes actionlint and runs as printed with the secrets init set', async () => {
  // A ChatGPT login whose access token has expired, where `codex login` leaves it.
  await fs.mkdir(path.join(home, '.codex'), { mode: 0o700 });
  await fs.writeFile(path.join(home, '.codex', 'auth.json'), serialize(world.oauth.issue({ accessTtlSeconds: -60 })), {
    mode: 0o600
  });
  const init = await runProcess(NODE24, [CLI, 'init', '--repo', 'acme/app'], {
    env: {
      PATH: searchPath(...SYSTEM_PATH),
      HOME: home,
      TMPDIR: path.join(home, 'tmp'),
      GITHUB_TOKEN: TOKENS.writer,
      GITHUB_API_URL: api.url
    }
  });
  expect(init.code).toBe(0);
  const workflow = init.stdout;

  expect(await lintWorkflowText(workflow, '.github/workflows/codex-nightly.yml')).toEqual([]);
  expect(rulesProblems(parseWorkflow(workflow))).toEqual([]);

  // The secrets exactly as init stored them; no other secret exists.
  const secrets = Object.fromEntries(api.secretNames(REPO).map((name) => [name, api.secretValue(REPO, name)!]));
  expect(Object.keys(secrets)).toEqual(['CODEX_AUTH_JSON', 'CODEX_AUTH_KEY']);
  const fixtures = {
    world,
    api,
    tools: makeTools(world.model.baseUrl),
    secrets,
    vars: {},
    repository: 'acme/app'
  };

  const first = await runWorkflow(workflow, fixtures);
  expect(first.jobs.map((job) => [job.name, job.status])).toEqual([['codex', 'success']]);
  expect(first.jobs[0].log).toContain('Renewed the ChatGPT login');
  expect(first.modelRequests[0]).toBeGreaterThan(0);

  // The next night: the renewed login from the cache, no second renewal.
  const second = await runWorkflow(workflow, fixtures);
  expect(second.jobs.map((job) => [job.name, job.status])).toEqual([['codex', 'success']]);
  expect(second.jobs[0].log).not.toContain('Renewed the ChatGPT login');
  expect(second.modelRequests[0]).toBeGreaterThan(0);
}, 600_000);
