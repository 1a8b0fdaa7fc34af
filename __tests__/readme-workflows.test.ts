// Every examples/*.yml and every workflow printed in README.md and docs/*.md runs as printed (support/workflow-run.ts says how
// a workflow maps onto the harness): each job succeeds, Codex answers through the loopback model
// server, and in ChatGPT mode the post step stores the login Codex refreshed (every seed here has
// an expired access token, so Codex must refresh it). A new example cannot be added without passing.
import { startGitHubApi, TOKENS, type GitHubApi } from './support/github-api.js';
import type { JobResult } from './support/runner.js';
import { makeTools, type Tools } from './support/stand-ins.js';
import { workflowExamples, type WorkflowExample } from './support/workflow-examples.js';
import {
  PULL_REQUEST_NUMBER,
  isThisAction,
  parseWorkflow,
  rulesProblems,
  runWorkflow,
  type Fixtures,
  type WorkflowRun
} from './support/workflow-run.js';
import { leakedSecrets, newEncryptionKey, postStep, serialize, startWorld, type World } from './support/world.js';
import { running, startWorkloadIdentity, type WorkloadIdentity } from './support/workload-identity.js';

const API_KEY = 'sk-proj-LOOPBACK0readme0example0key0000000000';
const REPOSITORY = 'acme/app';
// The federation rule of docs/workload-identity.md, for examples/workload-identity.yml: its id and
// audience are the repository variables the example reads.
const RULE_ID = 'idpm_0123456789abcdef';
const AUDIENCE = 'https://github.com/acme';

let world: World;
let api: GitHubApi;
let tools: Tools;
let wif: WorkloadIdentity;

beforeAll(async () => {
  world = await startWorld({ model: { allowApiKeys: [API_KEY] } });
  api = await startGitHubApi();
  api.addEnvironment(REPOSITORY, 'codex');
  tools = makeTools(world.model.baseUrl);
  // The rule matches the claims the docs tell admins to require (repository, ref, environment).
  wif = await startWorkloadIdentity({
    ruleId: RULE_ID,
    audience: AUDIENCE,
    conditions: { repository: REPOSITORY, ref: 'refs/heads/main', environment: 'codex' }
  });
  // The model server accepts the OpenAI tokens the exchange issues, as OpenAI's API does.
  world.model.trust(wif.exchange);
});

afterAll(async () => {
  await Promise.all([world?.stop(), api?.stop(), wif?.stop()]);
});

/** Fresh secrets for one example: a ChatGPT login whose access token has expired, a new encryption key. */
function fixtures(): Fixtures {
  world.cache.reset();
  const login = serialize(world.oauth.issue({ accessTtlSeconds: -60 }));
  const [owner, repo] = REPOSITORY.split('/');
  api.setSecret({ scope: 'repository', owner, repo }, 'CODEX_AUTH_JSON', login);
  api.setSecret({ scope: 'environment', owner, repo, environment: 'codex' }, 'CODEX_AUTH_JSON', login);
  return {
    world,
    api,
    tools,
    repository: REPOSITORY,
    secrets: {
      CODEX_AUTH_JSON: login,
      CODEX_AUTH_KEY: newEncryptionKey(),
      CODEX_AUTH_SECRET_TOKEN: TOKENS.writer,
      OPENAI_API_KEY: API_KEY
    },
    // Unset repository variables, as in a new repository, and the two workload identity's setup stores.
    vars: { CODEX_CREDENTIAL: '', CODEX_FEDERATION_RULE_ID: RULE_ID, CODEX_OIDC_AUDIENCE: AUDIENCE },
    workloadIdentity: wif
  };
}

/** What went wrong in a run, for the failure message: the rules, then each failed job's log. */
function failures(example: WorkflowExample, run: WorkflowRun): string[] {
  const workflow = parseWorkflow(example.text);
  const problems: string[] = [];
  // ChatGPT-mode jobs by id, with their renewal mode (the action's default: ahead).
  const chatgptJobs = new Map(
    Object.entries(workflow.jobs as Record<string, { steps: Array<Record<string, unknown>> }>).flatMap(([id, job]) => {
      const inputs = job.steps.find(
        (s) => isThisAction(s.uses) && (s.with as Record<string, unknown> | undefined)?.['auth-mode'] === 'chatgpt'
      )?.with as Record<string, unknown> | undefined;
      return inputs ? [[id, inputs.renewal === 'in-job' ? 'in-job' : 'ahead'] as const] : [];
    })
  );
  // Every seed's access token has expired: with renewal: ahead one job of the run renews it in its main step.
  const aheadJobs = run.jobs.filter((job) => chatgptJobs.get(job.name) === 'ahead');
  if (aheadJobs.length && !aheadJobs.some((job) => job.log.includes('Renewed the ChatGPT login'))) {
    problems.push('no job renewed the expired login ahead (renewal: ahead)');
  }
  run.jobs.forEach((job: JobResult, i) => {
    if (job.status !== 'success') problems.push(`job '${job.name}' failed:\n${job.log}`);
    else if (run.modelRequests[i] === 0) problems.push(`job '${job.name}' never ran Codex against the model`);
    else if (
      chatgptJobs.get(job.name) === 'in-job' &&
      !postStep(job).log.includes('Saved the refreshed ChatGPT login')
    ) {
      problems.push(`job '${job.name}': the post step did not store the refreshed login:\n${postStep(job).log}`);
    }
  });
  if (run.jobs.length === 0) problems.push('no job ran');
  return problems;
}

const examples = workflowExamples();

test('the documentation has workflow examples (examples/ and docs/; the README shows copies of examples/)', () => {
  expect(examples.length).toBeGreaterThanOrEqual(5);
  const sources = new Set(examples.map((e) => e.source));
  for (const file of [
    'examples/matrix-chatgpt.yml',
    'examples/pr-review-api-key.yml',
    'examples/release.yml',
    'examples/self-hosted.yml',
    'docs/chatgpt-login.md',
    'docs/codex-action.md',
    'docs/secret-write-back.md'
  ])
    expect(sources).toContain(file);
  expect(sources).not.toContain('README.md');
});

describe.each(examples.map((e) => [`${e.source}:${e.line}`, e] as const))('%s', (_where, example) => {
  test('follows the README rules and runs as printed', async () => {
    const problems = rulesProblems(parseWorkflow(example.text));
    const run = await runWorkflow(example.text, fixtures());
    expect([...problems, ...failures(example, run)]).toEqual([]);
  });
});

describe('what a user of an example sees', () => {
  test('examples/pr-review-api-key.yml: the pull request gets one review, with what Codex wrote', async () => {
    const example = examples.find((e) => e.source === 'examples/pr-review-api-key.yml')!;
    const before = api.reviews(REPOSITORY, PULL_REQUEST_NUMBER).length;
    const run = await runWorkflow(example.text, fixtures());
    expect(failures(example, run)).toEqual([]);
    const reviews = api.reviews(REPOSITORY, PULL_REQUEST_NUMBER).slice(before);
    // The loopback model answers every turn with "hi": that is the review Codex wrote.
    expect(reviews).toEqual([{ id: expect.any(Number), state: 'COMMENTED', body: 'hi' }]);
    expect(run.jobs[0].step('Post the review').log).toContain('"state":"COMMENTED"');
  });

  test('examples/pr-review-api-key.yml without `pull-requests: write`: posting the review fails the job', async () => {
    const example = examples.find((e) => e.source === 'examples/pr-review-api-key.yml')!;
    const text = example.text.replace(/ {2}pull-requests: write.*\n/, '');
    const run = await runWorkflow(text, fixtures());
    expect(run.jobs[0].step('Post the review').status).toBe('failure');
    expect(run.jobs[0].step('Post the review').log).toContain('Resource not accessible by integration');
  });

  test('examples/pr-review-api-key.yml on a pull request from a fork (no secrets): the job is skipped, not failed', async () => {
    const example = examples.find((e) => e.source === 'examples/pr-review-api-key.yml')!;
    const before = api.reviews(REPOSITORY, PULL_REQUEST_NUMBER).length;
    const run = await runWorkflow(example.text, { ...fixtures(), pullRequestFromFork: true });
    expect(run.jobs).toEqual([]);
    expect(api.reviews(REPOSITORY, PULL_REQUEST_NUMBER).length).toBe(before);
  });

  test('examples/workload-identity.yml: Codex answers on a token OpenAI exchanged for the job; no token in the log; nothing left running', async () => {
    const example = examples.find((e) => e.source === 'examples/workload-identity.yml')!;
    const oidcBefore = wif.issuer.issued.length;
    const exchangesBefore = wif.exchange.requests.length;
    const turnsBefore = world.model.responsesRequests().length;
    const run = await runWorkflow(example.text, fixtures());
    expect(failures(example, run)).toEqual([]);
    const [job] = run.jobs;
    // Codex printed the model's answer ("hi"), and the model saw a token the exchange issued.
    expect(job.step('codex exec "summarize the last commit"').log).toMatch(/^hi$/m);
    const turns = world.model.responsesRequests().slice(turnsBefore);
    expect(turns.length).toBeGreaterThan(0);
    expect(turns.every((t) => t.auth === 'ok' && wif.exchange.issued.has(t.bearer!))).toBe(true);
    // The exchange saw the job's token for the rule, with the example's workload context, and no other host was tried.
    const exchanges = wif.exchange.requests.slice(exchangesBefore);
    expect(exchanges[0]).toMatchObject({ ruleId: RULE_ID, status: 200 });
    expect(JSON.parse(exchanges[0].context!)).toEqual({
      instance_id: expect.stringMatching(/^\d+-1$/),
      display_name: 'Codex (workload identity)',
      labels: { repository: REPOSITORY }
    });
    expect(wif.exchange.refusedConnects).toEqual([]);
    // The token carried the job's environment, which the rule requires.
    const issued = wif.issuer.issued.slice(oidcBefore);
    expect(issued.length).toBeGreaterThan(0);
    expect(issued[0].audience).toBe(AUDIENCE);
    expect(JSON.parse(Buffer.from(issued[0].value.split('.')[1], 'base64url').toString())).toMatchObject({
      environment: 'codex',
      sub: `repo:${REPOSITORY}:environment:codex`
    });
    expect(leakedSecrets(run.jobs, wif.secrets())).toEqual([]);
    // The post step stopped the keeper and removed the token file.
    const post = postStep(job);
    expect(post.status).toBe('success');
    const pid = Number(/Keeper \(pid (\d+)\)/.exec(post.log)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(running(pid)).toBe(false);
    expect(job.leftoverFiles).toEqual([]);
  });

  test('examples/workload-identity.yml in a workflow whose name holds a quote and a backslash: the context stays JSON', async () => {
    const example = examples.find((e) => e.source === 'examples/workload-identity.yml')!;
    const name = 'Codex "keyless" \\ review';
    const text = example.text.replace(/^name: .*$/m, `name: '${name}'`);
    expect(text).toContain(name);
    const exchangesBefore = wif.exchange.requests.length;
    const run = await runWorkflow(text, fixtures());
    expect(run.jobs[0].status).toBe('success');
    const [exchange] = wif.exchange.requests.slice(exchangesBefore);
    expect(JSON.parse(exchange.context!)).toMatchObject({ display_name: name });
  });

  test('examples/workload-identity.yml without `id-token: write`: the runner gives no OIDC token and the action says how to fix it', async () => {
    const example = examples.find((e) => e.source === 'examples/workload-identity.yml')!;
    const text = example.text.replace(/ {6}id-token: write.*\n/, '');
    expect(text).not.toContain('id-token');
    const requestsBefore = wif.issuer.requests.length;
    const run = await runWorkflow(text, fixtures());
    expect(run.jobs[0].step('Run codex-auth').status).toBe('failure');
    expect(run.jobs[0].log).toContain('permissions: id-token: write');
    expect(run.jobs[0].step('codex exec "summarize the last commit"').status).toBe('skipped');
    expect(wif.issuer.requests.length).toBe(requestsBefore);
  });

  test('examples/release.yml: the release notes Codex wrote are in the job summary', async () => {
    const example = examples.find((e) => e.source === 'examples/release.yml')!;
    const run = await runWorkflow(example.text, fixtures());
    expect(failures(example, run)).toEqual([]);
    expect(run.jobs[0].step('cat notes.md >> "$GITHUB_STEP_SUMMARY"').summary.trim()).toBe('hi');
  });
});

// The examples as they were printed before (issue 16): the harness must catch what a user hit.
const LEASE_WITHOUT_CHECKOUT = `on: workflow_dispatch
permissions:
  contents: write
jobs:
  codex:
    runs-on: ubuntu-latest
    steps:
      - uses: org/codex-auth@v1
        with:
          auth-mode: chatgpt
          chatgpt-auth-json: \${{ secrets.CODEX_AUTH_JSON }}
          encryption-key: \${{ secrets.CODEX_AUTH_KEY }}
          lease: true
      - run: codex exec "triage the open issues"
`;

describe('the harness catches an incomplete example', () => {
  test('no Codex install: `codex: command not found`', async () => {
    const run = await runWorkflow(LEASE_WITHOUT_CHECKOUT, fixtures());
    expect(run.jobs[0].status).toBe('failure');
    expect(run.jobs[0].step('codex exec "triage the open issues"').log).toContain('codex: command not found');
  });

  test('Codex installed but no checkout: Codex refuses to run outside a git repository', async () => {
    const text = LEASE_WITHOUT_CHECKOUT.replace(
      '      - run: codex exec',
      '      - run: npm install -g @openai/codex\n      - run: codex exec'
    );
    const run = await runWorkflow(text, fixtures());
    expect(run.jobs[0].status).toBe('failure');
    expect(run.jobs[0].log).toContain('Not inside a trusted directory and --skip-git-repo-check was not specified');
  });

  test('ChatGPT mode with neither a concurrency group nor a lease', () => {
    // renewal: in-job: Codex refreshes in the job, so its jobs must be serialized (ahead needs nothing).
    const text = LEASE_WITHOUT_CHECKOUT.replace(
      '          lease: true\n',
      '          local-store: true\n          renewal: in-job\n'
    );
    expect(rulesProblems(parseWorkflow(text))).toEqual([
      expect.stringContaining("job 'codex': ChatGPT mode without serialization")
    ]);
  });

  test('a lease without `contents: write`', async () => {
    const text = LEASE_WITHOUT_CHECKOUT.replace('permissions:\n  contents: write\n', '');
    expect(rulesProblems(parseWorkflow(text))).toEqual([
      expect.stringContaining('needs `permissions: contents: write`')
    ]);
    // And at run time the workflow's token (contents: read by default) cannot take the lease.
    const run = await runWorkflow(text, fixtures());
    expect(run.jobs[0].step('Run codex-auth').status).toBe('failure');
    expect(run.jobs[0].log).toContain('contents: write');
  });

  test('an expression the harness does not know fails instead of reading an empty string', async () => {
    const text = LEASE_WITHOUT_CHECKOUT.replace('secrets.CODEX_AUTH_KEY', 'secrets.CODEX_AUTH_KEYS');
    await expect(runWorkflow(text, fixtures())).rejects.toThrow(
      "'secrets.CODEX_AUTH_KEYS' is not known to the harness"
    );
  });
});

describe('the openai/codex-action recipe (docs/codex-action.md)', () => {
  const recipe = examples.find((e) => e.text.includes('uses: openai/codex-action@'));
  const withStrategy = (strategy: string): string =>
    recipe!.text.replace(/safety-strategy: drop-sudo.*\n/, `safety-strategy: ${strategy}\n`);

  test('is printed, with codex-home from the output and no openai-api-key', () => {
    expect(recipe).toBeDefined();
    expect(recipe!.text).toContain('codex-home: ${{ steps.auth.outputs.codex-home }}');
    expect(recipe!.text).not.toMatch(/^\s*openai-api-key:/m);
  });

  test.each(['read-only', 'unsafe'])('works with safety-strategy %s too', async (strategy) => {
    const text = withStrategy(strategy);
    expect(text).toContain(`safety-strategy: ${strategy}\n`);
    const run = await runWorkflow(text, fixtures());
    expect(failures({ ...recipe!, text }, run)).toEqual([]);
    expect(run.jobs[0].log).toContain(
      strategy === 'read-only' ? '"--sandbox" "read-only"' : '"--sandbox" "workspace-write"'
    );
  });

  // chown needs root; the unreadable case (a non-root runner user) is in foreign-rewrite.test.ts.
  (process.getuid?.() === 0 ? test : test.skip)(
    'a login that Codex, run as another user, rewrote: the post step says so (root can still read it, so it saves)',
    async () => {
      // What a refresh under `unprivileged-user` leaves behind: auth.json owned by that user, 0600.
      // renewal: in-job, where Codex refreshes and the post step saves (with ahead nothing is saved).
      const text = recipe!.text
        .replace(/( {10}auth-mode: chatgpt\n)/, '$1          renewal: in-job\n')
        .replace(/( {10}prompt: .*\n)/, '$1      - run: chown 65534:65534 "$CODEX_HOME/auth.json"\n');
      expect(text).toContain('renewal: in-job');
      expect(text).toContain('chown 65534');
      const run = await runWorkflow(text, fixtures());
      const post = postStep(run.jobs[0]);
      expect(post.annotations).toContainEqual({
        level: 'warning',
        title: 'Codex auth',
        message: expect.stringContaining('is now owned by uid 65534, not by the runner user (uid 0)')
      });
      expect(post.log).toContain('Saved the refreshed ChatGPT login');
    }
  );
});
