// Runs a documented workflow as printed, job by job, in the runner-faithful harness (runner.ts):
// - `uses: org/codex-auth@<ref>` and `uses: ./` are this action, built (dist/); its inputs are the
//   evaluated `with:` plus action.yml's defaults, expressions among them (`${{ github.token }}`)
//   evaluated as the runner does;
// - `run:` steps run with bash as printed, after `${{ }}` substitution;
// - other actions are stand-ins (stand-ins.ts); an action without one is an error;
// - `${{ }}` in `with:`, `env:`, `run:`, `if:` and `concurrency.group` are evaluated
//   (expressions.ts): secrets, vars, github, runner, env, steps, matrix and job from the fixtures and
//   the run so far; anything else is an error;
// - the harness injects what GitHub's machines would provide: a PATH with npm (stand-in) and an
//   empty global npm bin directory, NPM_CONFIG_PREFIX, GITHUB_API_URL of the loopback GitHub API,
//   Codex's token endpoint overrides, the cache service for node action steps, and a GITHUB_TOKEN
//   with the workflow's `permissions:` for `contents` (none given: read, the default of new
//   repositories) and `pull-requests`;
// - a job with `permissions: id-token: write` (or write-all) gets the runner's
//   ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN from `fixtures.workloadIdentity` (support/workload-identity.ts),
//   whose issuer then issues tokens with the job's claims (environment, event, runner); any other job,
//   and a pull request from a fork, gets none, as on GitHub. Only such a job is routed to the
//   OpenAI token exchange's loopback proxy (HTTPS_PROXY, CODEX_CA_CERTIFICATE): other jobs keep the
//   offline network they always had;
// - `on: pull_request` is a pull request from a branch of this repository, or from a fork with
//   `pullRequestFromFork` (number `PULL_REQUEST_NUMBER`, opened in the loopback GitHub API), its
//   payload as `github.event`;
// - `runs-on: ubuntu-*` is a fresh GitHub-hosted runner, `[self-hosted, …]` a self-hosted one;
//   `strategy.matrix` runs every leg; `needs:` orders the jobs.
// What the documentation's rules require is checked before anything runs (rulesProblems).
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { condition, interpolate, type Contexts, type Value } from './expressions.js';
import type { GitHubApi } from './github-api.js';
import {
  destroyRunner,
  makeRunner,
  privateRepoEvent,
  readManifest,
  runJob,
  type DeferredStep,
  type JobResult,
  type Step,
  type StepContext
} from './runner.js';
import { standIn, type Tools } from './stand-ins.js';
import type { World } from './world.js';
import type { WorkloadIdentity } from './workload-identity.js';

type Yaml = Record<string, unknown>;

export interface Fixtures {
  world: World;
  api: GitHubApi;
  tools: Tools;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  repository: string;
  /** `on: pull_request`: the pull request comes from a fork (default: a branch of this repository). */
  pullRequestFromFork?: boolean;
  /** GitHub's OIDC issuer and OpenAI's exchange, for jobs with `id-token: write`. */
  workloadIdentity?: WorkloadIdentity;
}

export interface WorkflowRun {
  jobs: JobResult[];
  /** Model requests (`POST /v1/responses`) made by each job, in the order of `jobs`. */
  modelRequests: number[];
}

const WORKFLOW_KEYS = ['name', 'on', 'permissions', 'concurrency', 'env', 'jobs', 'run-name'];
const JOB_KEYS = [
  'name',
  'runs-on',
  'environment',
  'permissions',
  'concurrency',
  'env',
  'steps',
  'strategy',
  'needs',
  'if',
  'timeout-minutes'
];
const STEP_KEYS = ['name', 'id', 'uses', 'with', 'run', 'env', 'if', 'shell', 'timeout-minutes'];
const EVENTS = ['schedule', 'workflow_dispatch', 'push', 'pull_request'];
export const PULL_REQUEST_NUMBER = 7;

export function parseWorkflow(text: string): Yaml {
  const workflow = parseYaml(text) as Yaml;
  checkKeys(workflow, WORKFLOW_KEYS, 'the workflow');
  if (!workflow.on) throw new Error('the workflow has no `on:`');
  if (!workflow.jobs || typeof workflow.jobs !== 'object') throw new Error('the workflow has no `jobs:`');
  for (const [id, job] of Object.entries(workflow.jobs as Yaml)) {
    checkKeys(job as Yaml, JOB_KEYS, `job '${id}'`);
    for (const [i, step] of ((job as Yaml).steps as Yaml[]).entries()) {
      checkKeys(step, STEP_KEYS, `step ${i + 1} of job '${id}'`);
      if ('uses' in step === 'run' in step)
        throw new Error(`step ${i + 1} of job '${id}' must have exactly one of uses and run`);
      if (step.shell !== undefined && step.shell !== 'bash')
        throw new Error(`step ${i + 1} of job '${id}': the harness runs bash only`);
    }
  }
  return workflow;
}

function checkKeys(object: Yaml, allowed: string[], what: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) throw new Error(`${what} has '${key}', which the harness does not know`);
  }
}

export const isThisAction = (uses: unknown): boolean =>
  typeof uses === 'string' && (uses === './' || /^org\/codex-auth@/.test(uses));

/**
 * What the README's own rules require of a workflow, as messages (none: fine):
 * - ChatGPT mode with `renewal: in-job`: the jobs of one credential serialized, by a `concurrency`
 *   group (workflow or job) or `lease: true` ("Serializing jobs"); (`local-store: true` serializes only
 *   the jobs of one store); the default `renewal: ahead` needs none;
 * - `lease: true`: `permissions: contents: write` for the workflow's token.
 */
/**
 * Inputs of this action that serialize the jobs of a credential by themselves (value 'true'). A
 * renewal mode that needs no serialization goes here too (see rulesProblems).
 */
const SERIALIZING_INPUTS = ['lease'];

export function rulesProblems(workflow: Yaml): string[] {
  const problems: string[] = [];
  for (const [id, job] of Object.entries(workflow.jobs as Record<string, Yaml>)) {
    for (const step of job.steps as Yaml[]) {
      if (!isThisAction(step.uses)) continue;
      const inputs = (step.with ?? {}) as Record<string, unknown>;
      if (inputs['auth-mode'] !== 'chatgpt') continue;
      const concurrency = (job.concurrency ?? workflow.concurrency) as Yaml | string | undefined;
      const group = typeof concurrency === 'string' ? concurrency : concurrency?.group;
      // renewal: ahead (the default) gives every job a copy without the refresh token: no serialization needed.
      const inJob = inputs.renewal === 'in-job';
      if (inJob && !group && !SERIALIZING_INPUTS.some((name) => String(inputs[name]) === 'true')) {
        problems.push(
          `job '${id}': ChatGPT mode without serialization: give the workflow a \`concurrency\` group or set \`lease: true\` (docs/chatgpt-login.md#serializing-jobs)`
        );
      }
      if (
        String(inputs.lease) === 'true' &&
        contentsPermission(job.permissions ?? workflow.permissions, 'none') !== 'write'
      ) {
        problems.push(`job '${id}': \`lease: true\` needs \`permissions: contents: write\``);
      }
    }
  }
  return problems;
}

/** The `contents` permission of the GITHUB_TOKEN under a `permissions:` value. */
function contentsPermission(permissions: unknown, unset: 'read' | 'none' = 'read'): 'read' | 'write' | 'none' {
  if (permissions === undefined) return unset;
  if (permissions === 'read-all') return 'read';
  if (permissions === 'write-all') return 'write';
  if (permissions && typeof permissions === 'object') {
    const contents = (permissions as Yaml).contents;
    return contents === 'write' || contents === 'read' ? contents : 'none';
  }
  throw new Error(`permissions: ${JSON.stringify(permissions)} is not known to the harness`);
}

/**
 * Whether the job's GITHUB_TOKEN may request an OIDC token: `id-token: write` or write-all (GitHub's
 * "OpenID Connect" docs; no default grants it), never for a pull request from a fork.
 */
function grantsIdToken(permissions: unknown, fromFork: boolean): boolean {
  if (fromFork) return false;
  if (permissions === 'write-all') return true;
  return !!permissions && typeof permissions === 'object' && (permissions as Yaml)['id-token'] === 'write';
}

let tokenCount = 0;
let runCount = 5000;

export async function runWorkflow(text: string, fixtures: Fixtures): Promise<WorkflowRun> {
  const workflow = parseWorkflow(text);
  const eventName = eventOf(workflow.on);
  const event = eventPayload(fixtures, eventName);
  const runId = ++runCount;
  const jobs: JobResult[] = [];
  const modelRequests: number[] = [];
  for (const [jobId, job] of orderJobs(workflow.jobs as Record<string, Yaml>)) {
    const legs = matrixLegs(job.strategy as Yaml | undefined);
    for (const leg of legs) {
      const runner = await makeRunner(runnerKind(job['runs-on']));
      try {
        const token = `ghs_LOOPBACKjob${++tokenCount}${'0'.repeat(20)}`;
        const permissions = job.permissions ?? workflow.permissions;
        const contents = contentsPermission(permissions);
        const pullRequests = (permissions as Yaml | undefined)?.['pull-requests'] as 'read' | 'write' | undefined;
        fixtures.api.addToken(token, {
          kind: 'integration',
          permissions: {
            ...(contents === 'none' ? {} : { contents }),
            ...(pullRequests ? { pull_requests: pullRequests } : {})
          }
        });
        const workflowName = String(workflow.name ?? '.github/workflows/workflow.yml');
        const base = baseContexts(fixtures, {
          token,
          eventName,
          event: event.payload,
          runId,
          jobId,
          leg,
          runner,
          workflowName
        });
        const group = (job.concurrency ?? workflow.concurrency) as Yaml | string | undefined;
        if (group) interpolate(String(typeof group === 'string' ? group : group.group), base);
        if (job.if !== undefined && !condition(job.if as string, base, { status: 'success' })) continue;

        const npmPrefix = path.join(path.dirname(runner.home), 'npm-global');
        const yamlEnv = { ...evaluateMap(workflow.env, base), ...evaluateMap(job.env, base) };
        const fromFork = eventName === 'pull_request' && !!fixtures.pullRequestFromFork;
        const oidcEnv = grantsIdToken(permissions, fromFork)
          ? oidcForJob(fixtures, { jobId, eventName, runner, environment: environmentOf(job.environment, base) })
          : {};
        const before = fixtures.world.model.responsesRequests().length;
        const result = await runJob({
          name: jobId,
          runner,
          runId,
          repository: fixtures.repository,
          event,
          env: {
            PATH: [fixtures.tools.shimDir, path.join(npmPrefix, 'bin'), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
            NPM_CONFIG_PREFIX: npmPrefix,
            GITHUB_API_URL: fixtures.api.url,
            CODEX_REFRESH_TOKEN_URL_OVERRIDE: fixtures.world.oauth.url,
            CODEX_REVOKE_TOKEN_URL_OVERRIDE: fixtures.world.oauth.revokeUrl,
            ...oidcEnv,
            ...yamlEnv
          },
          actionEnv: fixtures.world.cache.env,
          steps: (job.steps as Yaml[]).map((step) => deferred(step, base, yamlEnv, fixtures.tools))
        });
        jobs.push(result);
        modelRequests.push(fixtures.world.model.responsesRequests().length - before);
      } finally {
        await destroyRunner(runner);
      }
    }
  }
  return { jobs, modelRequests };
}

/** The job's `environment:` (a name, or `{ name, url }`), evaluated. */
function environmentOf(environment: unknown, contexts: Contexts): string | undefined {
  if (environment === undefined) return undefined;
  const name = typeof environment === 'object' && environment ? (environment as Yaml).name : environment;
  return interpolate(String(name), contexts);
}

/** The runner's OIDC request variables (and the route to OpenAI) for a job that may request a token. */
function oidcForJob(
  fixtures: Fixtures,
  job: { jobId: string; eventName: string; runner: { environment: string }; environment?: string }
): Record<string, string> {
  const wif = fixtures.workloadIdentity;
  if (!wif) throw new Error(`job '${job.jobId}' has id-token: write: give the fixtures a workloadIdentity`);
  wif.issuer.setClaims({
    repository: fixtures.repository,
    ref: 'refs/heads/main',
    eventName: job.eventName,
    environment: job.environment,
    runnerEnvironment: job.runner.environment as 'github-hosted' | 'self-hosted'
  });
  return { ...wif.idTokenEnv, ...wif.networkEnv };
}

/**
 * The event's payload: a private repository's, plus for `pull_request` the fields a workflow reads
 * (shaped as in GitHub's webhook payloads: number, head and base with ref, sha and repo).
 */
function eventPayload(fixtures: Fixtures, eventName: string): ReturnType<typeof privateRepoEvent> {
  const event = privateRepoEvent(fixtures.repository, eventName);
  if (eventName !== 'pull_request') return event;
  fixtures.api.addPullRequest(fixtures.repository, PULL_REQUEST_NUMBER);
  const repo = { full_name: fixtures.repository, fork: false, private: true };
  const fork = { full_name: `contributor/${fixtures.repository.split('/')[1]}`, fork: true, private: true };
  const sha = fixtures.api.ref(fixtures.repository, 'refs/heads/main') ?? '0'.repeat(40);
  const pullRequest = {
    number: PULL_REQUEST_NUMBER,
    head: { ref: 'feature', sha, repo: fixtures.pullRequestFromFork ? fork : repo },
    base: { ref: 'main', sha, repo }
  };
  return { ...event, payload: { ...event.payload, number: PULL_REQUEST_NUMBER, pull_request: pullRequest } };
}

function eventOf(on: unknown): string {
  const names = typeof on === 'string' ? [on] : Array.isArray(on) ? (on as string[]) : Object.keys(on as Yaml);
  const known = names.find((name) => EVENTS.includes(name));
  if (!known) throw new Error(`on: ${names.join(', ')}: the harness knows only ${EVENTS.join(', ')}`);
  return known;
}

function runnerKind(runsOn: unknown): 'github-hosted' | 'self-hosted' {
  const labels = Array.isArray(runsOn) ? runsOn.map(String) : [String(runsOn)];
  if (labels.includes('self-hosted')) return 'self-hosted';
  if (labels.length === 1 && /^ubuntu-/.test(labels[0])) return 'github-hosted';
  throw new Error(
    `runs-on: ${JSON.stringify(runsOn)} is not a runner the harness has (ubuntu-*, or [self-hosted, linux])`
  );
}

function orderJobs(jobs: Record<string, Yaml>): Array<[string, Yaml]> {
  const done = new Set<string>();
  const ordered: Array<[string, Yaml]> = [];
  const visit = (id: string, trail: string[]): void => {
    if (done.has(id)) return;
    if (trail.includes(id)) throw new Error(`needs: cycle through ${id}`);
    if (!jobs[id]) throw new Error(`needs: no job '${id}'`);
    const needs = jobs[id].needs;
    for (const need of needs === undefined ? [] : Array.isArray(needs) ? needs : [needs])
      visit(String(need), [...trail, id]);
    done.add(id);
    ordered.push([id, jobs[id]]);
  };
  Object.keys(jobs).forEach((id) => visit(id, []));
  return ordered;
}

export function matrixLegs(strategy: Yaml | undefined): Array<Record<string, Value> | undefined> {
  if (!strategy) return [undefined];
  const matrix = strategy.matrix as Record<string, Value[]>;
  if (!matrix || 'include' in matrix || 'exclude' in matrix)
    throw new Error('strategy: the harness runs a plain matrix (no include/exclude)');
  let legs: Array<Record<string, Value>> = [{}];
  for (const [key, values] of Object.entries(matrix))
    legs = legs.flatMap((leg) => values.map((value) => ({ ...leg, [key]: value })));
  return legs;
}

interface JobFacts {
  token: string;
  eventName: string;
  event: Record<string, unknown>;
  runId: number;
  jobId: string;
  leg: Record<string, Value> | undefined;
  runner: { name: string; environment: string };
  workflowName: string;
}

function baseContexts(fixtures: Fixtures, facts: JobFacts): Contexts {
  const [owner] = fixtures.repository.split('/');
  const contexts: Contexts = {
    secrets: { ...fixtures.secrets, GITHUB_TOKEN: facts.token },
    vars: fixtures.vars,
    github: {
      token: facts.token,
      repository: fixtures.repository,
      repository_owner: owner,
      event_name: facts.eventName,
      event: facts.event as Value,
      ref: 'refs/heads/main',
      ref_name: 'main',
      run_id: String(facts.runId),
      run_attempt: '1',
      // The workflow's `name:`, or its file's path when it has none (GitHub's contexts reference).
      workflow: facts.workflowName,
      job: facts.jobId,
      actor: 'octocat',
      server_url: 'https://github.com',
      api_url: fixtures.api.url
    },
    runner: { os: 'Linux', arch: 'X64', name: facts.runner.name, environment: facts.runner.environment },
    env: {}
  };
  if (facts.leg) contexts.matrix = facts.leg;
  return contexts;
}

function evaluateMap(map: unknown, contexts: Contexts, status?: StepContext): Record<string, string> {
  if (map === undefined || map === null) return {};
  return Object.fromEntries(
    Object.entries(map as Yaml).map(([key, value]) => [key, interpolate(String(value), contexts, status)])
  );
}

/** The expression defaults of action.yml (`${{ github.token }}`), evaluated as the runner does. */
function expressionDefaults(contexts: Contexts): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const [name, input] of Object.entries(readManifest().inputs)) {
    if (input.default?.includes('${{')) defaults[name] = interpolate(input.default, contexts);
  }
  return defaults;
}

function deferred(step: Yaml, base: Contexts, yamlEnv: Record<string, string>, tools: Tools): DeferredStep {
  const id = step.id as string | undefined;
  const name = step.name as string | undefined;
  return {
    id,
    name: name ?? String(step.uses ?? step.run).split('\n')[0],
    resolve: (context: StepContext): Step | 'skip' => {
      const contexts: Contexts = {
        ...base,
        github: { ...(base.github as Yaml as Record<string, Value>), workspace: context.env.GITHUB_WORKSPACE },
        runner: {
          ...(base.runner as Record<string, Value>),
          temp: context.env.RUNNER_TEMP,
          tool_cache: context.env.RUNNER_TOOL_CACHE
        },
        env: { ...yamlEnv, ...context.env },
        job: { status: context.status },
        steps: Object.fromEntries(
          Object.entries(context.steps).map(([key, s]) => [
            key,
            { outputs: s.outputs, outcome: s.outcome, conclusion: s.outcome }
          ])
        )
      };
      if (!condition(step.if as string | undefined, contexts, context)) return 'skip';
      const env = evaluateMap(step.env, contexts, context);
      contexts.env = { ...(contexts.env as Record<string, Value>), ...env };
      const common = { id, name, env, if: 'always' as const };
      if (typeof step.run === 'string') return { ...common, run: interpolate(step.run, contexts, context) };
      const inputs = evaluateMap(step.with, contexts, context);
      if (isThisAction(step.uses))
        return { ...common, uses: 'action', with: { ...expressionDefaults(contexts), ...inputs } };
      const stood = standIn(String(step.uses), inputs, tools, { id, name });
      return { ...stood, env: { ...env, ...stood.env }, if: 'always' };
    }
  };
}
