// A runner-faithful harness: runs the built action (dist/) the way the GitHub Actions runner runs
// a node24 action, so the tests exercise exactly what users get. What it reproduces (from GitHub's
// documentation of actions and workflow commands, docs.github.com/actions): the step list and
// input defaults from action.yml;
// `node <dist entry>` under Node 24 with cwd = workspace; fresh file-command files per step
// (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STATE, GITHUB_PATH, GITHUB_STEP_SUMMARY) parsed as the runner
// parses them; STATE_* handed to post; GITHUB_ENV and GITHUB_PATH carried to later steps; the
// cache service variables given to node action steps only; post-if evaluated against the job
// status; workflow commands (`::add-mask::`, annotations, `::stop-commands::`) read off stdout and
// stderr line by line in the order they were written; masking as the runner's SecretMasker does it
// (each line is masked with the values registered before it, so a value printed before its
// `::add-mask::` shows; a multi-line add-mask value is one value that no single line contains:
// actions/runner src/Runner.Worker/ActionCommandManager.cs AddMaskCommandExtension, and Worker.cs,
// which registers each line of a multi-line secret on its own only for the job's secrets); a fresh
// RUNNER_TEMP per job, emptied at the end of the job. The parts: runner/job.ts (a job's steps),
// runner/log.ts (workflow commands, masking, file commands), runner/process.ts (a step's process).
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './paths.js';
import { githubEvent, type EventName, type EventSpec } from './events.js';
import { Job, prepareJob } from './runner/job.js';
import type { Annotation } from './runner/log.js';

export { parseKeyValueFile, readWorkflowCommands, runnerLog } from './runner/log.js';
export { runProcess, type ProcessRun } from './runner/process.js';

type Condition = 'success' | 'always' | 'failure';

interface ActionStep {
  uses: 'action';
  name?: string;
  id?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  if?: Condition;
}

interface RunStep {
  run: string;
  name?: string;
  id?: string;
  env?: Record<string, string>;
  if?: Condition;
}

export type Step = ActionStep | RunStep;

/** What the runner knows when it reaches a step: for steps whose inputs, env, script or `if:` are expressions. */
export interface StepContext {
  status: 'success' | 'failure';
  /** Earlier steps with an id: their outputs and outcome. */
  steps: Record<string, { outputs: Record<string, string>; outcome: StepResult['status'] }>;
  /** The step's environment before its own `env:`: the job's, plus what earlier steps exported. */
  env: Record<string, string>;
}

/** A step decided when the runner reaches it (expressions evaluated then, as the runner does); 'skip' when its `if:` is false. */
export interface DeferredStep {
  name?: string;
  id?: string;
  resolve(context: StepContext): Step | 'skip' | Promise<Step | 'skip'>;
}

/** A machine that runs jobs. A self-hosted runner keeps its home and work folder between jobs. */
export interface Runner {
  name: string;
  environment: 'github-hosted' | 'self-hosted';
  home: string;
  workRoot: string;
}

export type { EventSpec };

export interface JobSpec {
  name: string;
  steps: Array<Step | DeferredStep>;
  /** Default: a fresh GitHub-hosted runner for this job. */
  runner?: Runner;
  /** Job-level `env:`. */
  env?: Record<string, string>;
  /** Variables the runner gives node action steps only (the cache service: ACTIONS_RESULTS_URL, ...). */
  actionEnv?: Record<string, string>;
  /** Default: a push to the default branch, GitHub's real payload (./events.ts). */
  event?: EventSpec;
  repository?: string;
  /** The job's GITHUB_TOKEN, which `${{ github.token }}` input defaults expand to (default: JOB_TOKEN). */
  githubToken?: string;
  runId?: number;
  runAttempt?: number;
  stepTimeoutMs?: number;
  /**
   * Values the workflow passes as `${{ secrets.… }}`: the runner masks each from the job's start,
   * whole and each of its lines on its own, trimmed (actions/runner Worker.cs, "Also add each
   * individual line"). An `::add-mask::` value is one value (ActionCommandManager.cs).
   */
  secrets?: string[];
}

export interface StepResult {
  name: string;
  id?: string;
  phase: 'main' | 'post' | 'run';
  status: 'success' | 'failure' | 'skipped';
  exitCode: number | null;
  /** What the runner would log: stdout and stderr, without the `::add-mask::` commands (masks NOT applied). */
  log: string;
  /**
   * The log as a user sees it on a real runner: stdout and stderr lines in the order written, each
   * masked with the values registered before it (by earlier steps, or earlier in this step).
   */
  masked: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  exported: Record<string, string>;
  annotations: Annotation[];
  summary: string;
  durationMs: number;
}

export interface JobResult {
  name: string;
  status: 'success' | 'failure';
  steps: StepResult[];
  /** Every value masked by any step of the job. */
  masks: string[];
  /** Files left in RUNNER_TEMP at the end of the job (before the runner empties it); empty directories end in '/'. */
  leftovers: string[];
  /** The same without empty directories (which @actions/cache leaves behind). */
  leftoverFiles: string[];
  runner: Runner;
  workspace: string;
  runnerTemp: string;
  /** The job's log as a user sees it (masked), step after step. */
  log: string;
  step(nameOrId: string): StepResult;
  outputs(id: string): Record<string, string>;
}

export interface ActionManifest {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

export function readManifest(): ActionManifest {
  return parseYaml(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionManifest;
}

let runnerCount = 0;

export async function makeRunner(environment: Runner['environment'] = 'github-hosted', name?: string): Promise<Runner> {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), `codex-auth-runner-`));
  const runner: Runner = {
    name: name ?? `runner-${++runnerCount}`,
    environment,
    home: path.join(base, 'home'),
    workRoot: path.join(base, 'work')
  };
  await fs.mkdir(runner.home, { recursive: true });
  await fs.mkdir(runner.workRoot, { recursive: true });
  return runner;
}

export async function destroyRunner(runner: Runner): Promise<void> {
  await fs.rm(path.dirname(runner.home), { recursive: true, force: true });
}

/** The event `name` (default push) of the private repository `repository`, as GitHub sends it (./events.ts). */
export function privateRepoEvent(repository = 'acme/app', name = 'push'): EventSpec {
  return githubEvent(name as EventName, { repository });
}

let runIds = 1000;

export async function runJob(spec: JobSpec): Promise<JobResult> {
  const manifest = readManifest();
  const ownRunner = !spec.runner;
  const runner = spec.runner ?? (await makeRunner('github-hosted'));
  const repository = spec.repository ?? 'acme/app';
  const event = spec.event ?? privateRepoEvent(repository);
  const place = await prepareJob(spec, runner, repository, event, spec.runId ?? ++runIds);
  const job = new Job(spec, manifest, place);
  await job.runSteps();
  await job.runPosts();

  const { runnerTemp, workspace } = place;
  const leftovers = (await listFiles(runnerTemp)).filter(
    (file) => !file.startsWith(`_runner_file_commands${path.sep}`) && !file.startsWith(`_github_workflow${path.sep}`)
  );
  await fs.rm(runnerTemp, { recursive: true, force: true });
  if (ownRunner) await destroyRunner(runner);

  const steps = job.steps;
  const byKey = (key: string): StepResult => {
    const found = steps.find((s) => s.id === key || s.name === key);
    if (!found) throw new Error(`No step '${key}' in job ${spec.name}: ${steps.map((s) => s.name).join(', ')}`);
    return found;
  };
  return {
    name: spec.name,
    status: job.status,
    steps,
    masks: [...job.masks],
    leftovers,
    leftoverFiles: leftovers.filter((file) => !file.endsWith(path.sep)),
    runner,
    workspace,
    runnerTemp,
    log: steps.map((s) => `--- ${s.name} (${s.status})\n${s.masked}`).join('\n'),
    step: byKey,
    outputs: (id) => steps.find((s) => s.id === id && s.phase === 'main')?.outputs ?? {}
  };
}

/**
 * A fleet: jobs 0..count-1, job i on runner i % runners.length; each runner runs its jobs one after
 * another, all runners at once (runner r starting r * staggerMs late), with a random pause of up to
 * maxGapMs between two jobs. A job's spec is built when it starts (its seed is a secret's value then).
 */
export async function runOnRunners(
  runners: Runner[],
  count: number,
  job: (i: number, runner: Runner) => JobSpec,
  options: { staggerMs?: number; maxGapMs?: number } = {}
): Promise<JobResult[]> {
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const results = await Promise.all(
    runners.map(async (runner, r) => {
      const done: JobResult[] = [];
      await pause(r * (options.staggerMs ?? 0));
      for (let i = r; i < count; i += runners.length) {
        done.push(await runJob(job(i, runner)));
        if (options.maxGapMs) await pause(Math.random() * options.maxGapMs);
      }
      return done;
    })
  );
  return results.flat();
}

/** The messages of a job's error annotations, in step order. */
export function errorsOf(job: JobResult): string[] {
  return job.steps.flatMap((s) => s.annotations.filter((a) => a.level === 'error').map((a) => a.message));
}

/** The messages of a job's warning annotations, in step order. */
export function warningsOf(job: JobResult): string[] {
  return job.steps.flatMap((s) => s.annotations.filter((a) => a.level === 'warning').map((a) => a.message));
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) {
      const inner = await listFiles(path.join(dir, entry.name), rel);
      files.push(...(inner.length ? inner : [`${rel}${path.sep}`]));
    } else files.push(rel);
  }
  return files;
}
