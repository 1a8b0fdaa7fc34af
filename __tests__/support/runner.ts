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
// RUNNER_TEMP per job, emptied at the end of the job.
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BASH, NODE24, ROOT, SYSTEM_PATH, searchPath } from './paths.js';
import { githubEvent, type EventName, type EventSpec } from './events.js';

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

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  /** The `title=` property, unescaped as the runner does (ActionCommand.cs). */
  title?: string;
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

interface ActionManifest {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

export function readManifest(): ActionManifest {
  return parseYaml(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionManifest;
}

/** RUNNER_OS as the runner spells it for the OS the harness runs on. */
const RUNNER_OS: Partial<Record<NodeJS.Platform, string>> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' };

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

/** A job's GITHUB_TOKEN by default: the loopback GitHub API's workflow token (TOKENS.workflow of ./github-api.ts). */
const JOB_TOKEN = 'ghs_LOOPBACKworkflow0GITHUB0TOKEN000000';

let runIds = 1000;

export async function runJob(spec: JobSpec): Promise<JobResult> {
  const manifest = readManifest();
  const ownRunner = !spec.runner;
  const runner = spec.runner ?? (await makeRunner('github-hosted'));
  const repository = spec.repository ?? 'acme/app';
  const repoName = repository.split('/')[1];
  const workspace = path.join(runner.workRoot, repoName, repoName);
  const runnerTemp = path.join(runner.workRoot, '_temp');
  await fs.mkdir(workspace, { recursive: true });
  await fs.rm(runnerTemp, { recursive: true, force: true });
  await fs.mkdir(runnerTemp, { recursive: true });

  const event = spec.event ?? privateRepoEvent(repository);
  const eventPath = path.join(runnerTemp, '_github_workflow', 'event.json');
  await fs.mkdir(path.dirname(eventPath), { recursive: true });
  await fs.writeFile(eventPath, JSON.stringify(event.payload));

  const runId = spec.runId ?? ++runIds;
  const jobEnv: Record<string, string> = {
    PATH: searchPath(path.join(ROOT, 'node_modules', '.bin'), path.dirname(NODE24), ...SYSTEM_PATH),
    HOME: runner.home,
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: repository.split('/')[0],
    GITHUB_RUN_ID: String(runId),
    GITHUB_RUN_ATTEMPT: String(spec.runAttempt ?? 1),
    GITHUB_JOB: spec.name,
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REF: event.ref ?? 'refs/heads/main',
    GITHUB_SERVER_URL: 'https://github.com',
    // No test reaches GitHub: a job that asks the API without a loopback one (spec.env) is refused at
    // once (nothing listens on the discard port), rather than trying the real api.github.com.
    GITHUB_API_URL: 'http://127.0.0.1:9',
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: RUNNER_OS[process.platform] ?? 'Linux',
    RUNNER_ARCH: process.arch === 'arm64' ? 'ARM64' : 'X64',
    RUNNER_NAME: runner.name,
    RUNNER_ENVIRONMENT: runner.environment,
    RUNNER_TOOL_CACHE: path.join(runner.workRoot, '_tool'),
    ...spec.env
  };

  const exportedEnv: Record<string, string> = {};
  const extraPath: string[] = [];
  const steps: StepResult[] = [];
  const posts: { step: ActionStep; index: number; state: Record<string, string> }[] = [];
  const masks = new Set<string>();
  for (const secret of spec.secrets ?? []) {
    const value = secret.trim();
    for (const each of [value, ...value.split(/[\r\n]+/).map((line) => line.trim())]) if (each) masks.add(each);
  }
  let status: 'success' | 'failure' = 'success';
  let fileCommandSeq = 0;

  const execute = async (
    phase: StepResult['phase'],
    label: string,
    command: string[],
    stepEnv: Record<string, string>
  ): Promise<StepResult> => {
    const commandDir = path.join(runnerTemp, '_runner_file_commands');
    await fs.mkdir(commandDir, { recursive: true });
    const seq = ++fileCommandSeq;
    const files = Object.fromEntries(
      ['GITHUB_ENV', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'].map((name) => [
        name,
        path.join(commandDir, `${name.toLowerCase()}_${seq}`)
      ])
    );
    for (const file of Object.values(files)) await fs.writeFile(file, '');
    const env: Record<string, string> = { ...jobEnv, ...exportedEnv, ...stepEnv, ...files };
    if (extraPath.length) env.PATH = searchPath(...extraPath, env.PATH);

    const started = Date.now();
    const { code, stdout, stderr, lines } = await runProcess(command[0], command.slice(1), {
      cwd: workspace,
      env,
      timeoutMs: spec.stepTimeoutMs ?? 180_000
    });
    const parsedStdout = readWorkflowCommands(stdout);
    // The runner's view, line by line in order: masks apply only from their add-mask on.
    const shown = runnerLog(lines ?? [], masks);
    const log = parsedStdout.log + stderr;
    const outputs = parseKeyValueFile(await fs.readFile(files.GITHUB_OUTPUT, 'utf8'), 'GITHUB_OUTPUT');
    const state = parseKeyValueFile(await fs.readFile(files.GITHUB_STATE, 'utf8'), 'GITHUB_STATE');
    const exported = parseKeyValueFile(await fs.readFile(files.GITHUB_ENV, 'utf8'), 'GITHUB_ENV');
    Object.assign(exportedEnv, exported);
    const newPaths = (await fs.readFile(files.GITHUB_PATH, 'utf8')).split(/\r?\n/).filter(Boolean);
    extraPath.unshift(...newPaths.reverse());
    return {
      name: label,
      phase,
      status: code === 0 ? 'success' : 'failure',
      exitCode: code,
      log,
      masked: shown.masked,
      outputs,
      state,
      exported,
      annotations: shown.annotations,
      summary: await fs.readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
      durationMs: Date.now() - started
    };
  };

  const stepContext = (): StepContext => ({
    status,
    steps: Object.fromEntries(steps.filter((s) => s.id).map((s) => [s.id!, { outputs: s.outputs, outcome: s.status }])),
    env: { ...jobEnv, ...exportedEnv }
  });

  const inputEnv = (step: ActionStep): Record<string, string> => {
    const given = step.with ?? {};
    for (const name of Object.keys(given)) {
      if (!(name in manifest.inputs)) throw new Error(`Unexpected input '${name}' (not in action.yml)`);
    }
    const env: Record<string, string> = {};
    for (const [name, def] of Object.entries(manifest.inputs)) {
      // The runner evaluates expression defaults (`${{ github.token }}`) before the step starts.
      const value = (given[name] ?? def.default)?.replaceAll('${{ github.token }}', spec.githubToken ?? JOB_TOKEN);
      if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = String(value);
    }
    return env;
  };

  for (const [index, declared] of spec.steps.entries()) {
    const step = 'resolve' in declared ? await declared.resolve(stepContext()) : declared;
    if (step === 'skip') {
      steps.push(skipped(declared.name ?? `step ${index + 1}`, 'run', declared.id));
      continue;
    }
    const condition = step.if ?? 'success';
    const label = step.name ?? ('uses' in step ? 'Run codex-auth' : step.run.split('\n')[0].slice(0, 60));
    if (!shouldRun(condition, status)) {
      steps.push(skipped(label, 'uses' in step ? 'main' : 'run', step.id));
      continue;
    }
    let result: StepResult;
    if ('uses' in step) {
      result = await execute('main', label, [NODE24, path.join(ROOT, manifest.runs.main)], {
        ...spec.actionEnv,
        ...step.env,
        ...inputEnv(step)
      });
      // The runner registers the post step once main has run, whatever its outcome.
      if (manifest.runs.post) posts.push({ step, index, state: result.state });
    } else {
      result = await execute(
        'run',
        label,
        [BASH, '--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run],
        step.env ?? {}
      );
    }
    result.id = step.id;
    steps.push(result);
    if (result.status === 'failure') status = 'failure';
  }

  for (const post of posts.reverse()) {
    const label = `Post ${post.step.name ?? 'Run codex-auth'}`;
    if (!evaluatePostIf(manifest.runs['post-if'] ?? 'always()', status)) {
      steps.push(skipped(label, 'post', post.step.id));
      continue;
    }
    const stateEnv = Object.fromEntries(Object.entries(post.state).map(([k, v]) => [`STATE_${k}`, v]));
    const result = await execute('post', label, [NODE24, path.join(ROOT, manifest.runs.post!)], {
      ...spec.actionEnv,
      ...post.step.env,
      ...inputEnv(post.step),
      ...stateEnv
    });
    result.id = post.step.id;
    steps.push(result);
    if (result.status === 'failure') status = 'failure';
  }

  const leftovers = (await listFiles(runnerTemp)).filter(
    (file) => !file.startsWith(`_runner_file_commands${path.sep}`) && !file.startsWith(`_github_workflow${path.sep}`)
  );
  await fs.rm(runnerTemp, { recursive: true, force: true });
  if (ownRunner) await destroyRunner(runner);

  const byKey = (key: string): StepResult => {
    const found = steps.find((s) => s.id === key || s.name === key);
    if (!found) throw new Error(`No step '${key}' in job ${spec.name}: ${steps.map((s) => s.name).join(', ')}`);
    return found;
  };
  return {
    name: spec.name,
    status,
    steps,
    masks: [...masks],
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

function shouldRun(condition: Condition, status: 'success' | 'failure'): boolean {
  return condition === 'always' || (condition === 'success' ? status === 'success' : status === 'failure');
}

/** The status functions a post-if can use; anything else is a harness error, not a silent pass. */
function evaluatePostIf(expression: string, status: 'success' | 'failure'): boolean {
  const expr = expression.replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim();
  if (expr === 'always()') return true;
  if (expr === 'success()') return status === 'success';
  if (expr === 'failure()') return status === 'failure';
  if (expr === '!cancelled()') return true;
  throw new Error(`The harness cannot evaluate post-if: ${expression}`);
}

function skipped(name: string, phase: StepResult['phase'], id?: string): StepResult {
  return {
    name,
    id,
    phase,
    status: 'skipped',
    exitCode: null,
    log: '',
    masked: '',
    outputs: {},
    state: {},
    exported: {},
    annotations: [],
    summary: '',
    durationMs: 0
  };
}

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every line of stdout and stderr, in the order the lines were completed (a last partial line at the end). */
  lines?: string[];
}

/** Runs a command to its end with its output collected; killed (and said so on stderr) after `timeoutMs`. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const lines: string[] = [];
    const partial = { out: '', err: '' };
    const take = (stream: 'out' | 'err', text: string): void => {
      const parts = (partial[stream] + text).split('\n');
      partial[stream] = parts.pop()!;
      lines.push(...parts.map((line) => line.replace(/\r$/, '')));
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      take('out', d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      take('err', d.toString());
    });
    const timer = options.timeoutMs
      ? setTimeout(() => {
          stderr += `\n[harness] step timed out after ${options.timeoutMs} ms\n`;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const rest of [partial.out, partial.err]) if (rest) lines.push(rest);
      resolve({ code, stdout, stderr, lines });
    });
  });
}

/** Reads workflow commands off stdout as the runner does; the add-mask commands never reach the log. */
export function readWorkflowCommands(stdout: string): { log: string; masks: string[]; annotations: Annotation[] } {
  const masks: string[] = [];
  const annotations: Annotation[] = [];
  const kept: string[] = [];
  for (const line of stdout.split('\n')) {
    const command = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (command?.[1] === 'add-mask') {
      masks.push(unescapeData(command[3]));
      continue;
    }
    if (command && (command[1] === 'error' || command[1] === 'warning' || command[1] === 'notice')) {
      annotations.push(annotation(command[1], command[2], command[3]));
    }
    kept.push(line);
  }
  return { log: kept.join('\n'), masks, annotations };
}

/** An annotation command (`::warning title=…::message`) as the runner reads it: the message and the `title` property. */
function annotation(level: Annotation['level'], properties: string | undefined, data: string): Annotation {
  const title = /(?:^|,)title=([^,]*)/.exec(properties ?? '')?.[1];
  return { level, message: unescapeData(data), ...(title === undefined ? {} : { title: unescapeProperty(title) }) };
}

/** A property value, unescaped in the runner's order (ActionCommand.cs UnescapeProperty: `%25` last). */
function unescapeProperty(value: string): string {
  return value
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

function unescapeData(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/**
 * A step's lines as the runner shows them (ActionCommandManager.TryProcessCommand, SecretMasker):
 * `::add-mask::v` registers v (as one value, for this and every later step) and is not shown;
 * every other line is masked with the values registered so far; `::stop-commands::token` stops
 * command processing (add-mask included) until a `::token::` line. `masks` is the job's set, added to.
 */
export function runnerLog(lines: string[], masks: Set<string>): { masked: string; annotations: Annotation[] } {
  const shown: string[] = [];
  const annotations: Annotation[] = [];
  let stopToken: string | undefined;
  for (const line of lines) {
    const command = /^::([A-Za-z0-9_-]+)(?: ([^:]*))?::(.*)$/.exec(line)?.slice(1);
    if (stopToken !== undefined) {
      if (command?.[0] === stopToken) stopToken = undefined;
      shown.push(applyMasks(line, [...masks]));
      continue;
    }
    if (command?.[0] === 'stop-commands' && command[2]) stopToken = command[2];
    if (command?.[0] === 'add-mask') {
      const value = unescapeData(command[2]);
      if (value.trim()) masks.add(value);
      continue;
    }
    if (command && (command[0] === 'error' || command[0] === 'warning' || command[0] === 'notice'))
      annotations.push(annotation(command[0], command[1], command[2]));
    shown.push(applyMasks(line, [...masks]));
  }
  return { masked: shown.join('\n'), annotations };
}

function applyMasks(text: string, masks: string[]): string {
  let out = text;
  for (const mask of [...masks].sort((a, b) => b.length - a.length)) {
    if (mask) out = out.split(mask).join('***');
  }
  return out;
}

/** The runner's parser for GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE (FileCommandManager.cs). */
export function parseKeyValueFile(content: string, what: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      result[line.slice(0, eq)] = line.slice(eq + 1);
      continue;
    }
    if (heredoc > 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) value.push(lines[i++]);
      if (i >= lines.length) throw new Error(`Invalid format in ${what}: matching delimiter '${delimiter}' not found`);
      result[name] = value.join('\n');
      continue;
    }
    throw new Error(`Invalid format in ${what}: '${line}'`);
  }
  return result;
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
