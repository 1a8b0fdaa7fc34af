// One job on a runner, as the GitHub Actions runner runs it (GitHub's documentation of actions, file
// commands and `post-if`, docs.github.com/actions; actions/runner for the details named below): the job's
// environment and a fresh RUNNER_TEMP with the event payload; each step with fresh file-command files,
// the environment earlier steps exported, its inputs as INPUT_* (action.yml defaults, expressions
// evaluated first); the main steps in order under their `if:`, then the post steps in reverse order
// under `post-if`, each given the STATE_* its main step saved.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BASH, NODE24, ROOT, SYSTEM_PATH, searchPath } from '../paths.js';
import type { ActionManifest, JobSpec, Runner, Step, StepContext, StepResult } from '../runner.js';
import { parseKeyValueFile, readWorkflowCommands, runnerLog } from './log.js';
import { runProcess } from './process.js';

type Condition = 'success' | 'always' | 'failure';
type ActionStep = Extract<Step, { uses: 'action' }>;

/** Where a job runs and the environment every step starts from. */
export interface JobPlace {
  workspace: string;
  runnerTemp: string;
  jobEnv: Record<string, string>;
}

/** RUNNER_OS as the runner spells it for the OS the harness runs on. */
const RUNNER_OS: Partial<Record<NodeJS.Platform, string>> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' };

/** A job's GITHUB_TOKEN by default: the loopback GitHub API's workflow token (TOKENS.workflow of ../github-api.ts). */
const JOB_TOKEN = 'ghs_LOOPBACKworkflow0GITHUB0TOKEN000000';

const FILE_COMMANDS = ['GITHUB_ENV', 'GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'];

/** The workspace, a fresh RUNNER_TEMP with the event payload, and the job's environment. */
export async function prepareJob(
  spec: JobSpec,
  runner: Runner,
  repository: string,
  event: NonNullable<JobSpec['event']>,
  runId: number
): Promise<JobPlace> {
  const repoName = repository.split('/')[1];
  const workspace = path.join(runner.workRoot, repoName, repoName);
  const runnerTemp = path.join(runner.workRoot, '_temp');
  await fs.mkdir(workspace, { recursive: true });
  await fs.rm(runnerTemp, { recursive: true, force: true });
  await fs.mkdir(runnerTemp, { recursive: true });

  const eventPath = path.join(runnerTemp, '_github_workflow', 'event.json');
  await fs.mkdir(path.dirname(eventPath), { recursive: true });
  await fs.writeFile(eventPath, JSON.stringify(event.payload));

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
  return { workspace, runnerTemp, jobEnv };
}

/** A job's steps as they run: what they exported, the masks, the job status, the results. */
export class Job {
  readonly steps: StepResult[] = [];
  readonly masks = new Set<string>();
  status: 'success' | 'failure' = 'success';
  private readonly exportedEnv: Record<string, string> = {};
  private readonly extraPath: string[] = [];
  private readonly posts: { step: ActionStep; index: number; state: Record<string, string> }[] = [];
  private fileCommandSeq = 0;

  constructor(
    private readonly spec: JobSpec,
    private readonly manifest: ActionManifest,
    private readonly place: JobPlace
  ) {
    // The workflow's secrets are masked from the job's start, whole and each line (actions/runner Worker.cs).
    for (const secret of spec.secrets ?? []) {
      const value = secret.trim();
      for (const each of [value, ...value.split(/[\r\n]+/).map((line) => line.trim())]) if (each) this.masks.add(each);
    }
  }

  /** The main steps, in order: each decided when reached, run or skipped under its `if:`. */
  async runSteps(): Promise<void> {
    for (const [index, declared] of this.spec.steps.entries()) {
      const step = 'resolve' in declared ? await declared.resolve(this.stepContext()) : declared;
      if (step === 'skip') {
        this.steps.push(skipped(declared.name ?? `step ${index + 1}`, 'run', declared.id));
        continue;
      }
      const condition = step.if ?? 'success';
      const label = step.name ?? ('uses' in step ? 'Run codex-auth' : step.run.split('\n')[0].slice(0, 60));
      if (!shouldRun(condition, this.status)) {
        this.steps.push(skipped(label, 'uses' in step ? 'main' : 'run', step.id));
        continue;
      }
      let result: StepResult;
      if ('uses' in step) {
        result = await this.execute('main', label, [NODE24, path.join(ROOT, this.manifest.runs.main)], {
          ...this.spec.actionEnv,
          ...step.env,
          ...this.inputEnv(step)
        });
        // The runner registers the post step once main has run, whatever its outcome.
        if (this.manifest.runs.post) this.posts.push({ step, index, state: result.state });
      } else {
        const bash = [BASH, '--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run];
        result = await this.execute('run', label, bash, step.env ?? {});
      }
      this.record(result, step.id);
    }
  }

  /** The post steps, last registered first, under the action's `post-if`. */
  async runPosts(): Promise<void> {
    for (const post of this.posts.reverse()) {
      const label = `Post ${post.step.name ?? 'Run codex-auth'}`;
      if (!evaluatePostIf(this.manifest.runs['post-if'] ?? 'always()', this.status)) {
        this.steps.push(skipped(label, 'post', post.step.id));
        continue;
      }
      const stateEnv = Object.fromEntries(Object.entries(post.state).map(([k, v]) => [`STATE_${k}`, v]));
      const result = await this.execute('post', label, [NODE24, path.join(ROOT, this.manifest.runs.post!)], {
        ...this.spec.actionEnv,
        ...post.step.env,
        ...this.inputEnv(post.step),
        ...stateEnv
      });
      this.record(result, post.step.id);
    }
  }

  private record(result: StepResult, id: string | undefined): void {
    result.id = id;
    this.steps.push(result);
    if (result.status === 'failure') this.status = 'failure';
  }

  private stepContext(): StepContext {
    return {
      status: this.status,
      steps: Object.fromEntries(
        this.steps.filter((s) => s.id).map((s) => [s.id!, { outputs: s.outputs, outcome: s.status }])
      ),
      env: { ...this.place.jobEnv, ...this.exportedEnv }
    };
  }

  /** INPUT_* of the action's inputs: given ones (only those action.yml declares), else their defaults. */
  private inputEnv(step: ActionStep): Record<string, string> {
    const given = step.with ?? {};
    for (const name of Object.keys(given)) {
      if (!(name in this.manifest.inputs)) throw new Error(`Unexpected input '${name}' (not in action.yml)`);
    }
    const env: Record<string, string> = {};
    for (const [name, def] of Object.entries(this.manifest.inputs)) {
      // The runner evaluates expression defaults (`${{ github.token }}`) before the step starts.
      const value = (given[name] ?? def.default)?.replaceAll('${{ github.token }}', this.spec.githubToken ?? JOB_TOKEN);
      if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = String(value);
    }
    return env;
  }

  /** Runs one step's process with fresh file-command files, and reads back what it wrote. */
  private async execute(
    phase: StepResult['phase'],
    label: string,
    command: string[],
    stepEnv: Record<string, string>
  ): Promise<StepResult> {
    const files = await this.fileCommandFiles();
    const env: Record<string, string> = { ...this.place.jobEnv, ...this.exportedEnv, ...stepEnv, ...files };
    if (this.extraPath.length) env.PATH = searchPath(...this.extraPath, env.PATH);

    const started = Date.now();
    const { code, stdout, stderr, lines } = await runProcess(command[0], command.slice(1), {
      cwd: this.place.workspace,
      env,
      timeoutMs: this.spec.stepTimeoutMs ?? 180_000
    });
    const parsedStdout = readWorkflowCommands(stdout);
    // The runner's view, line by line in order: masks apply only from their add-mask on.
    const shown = runnerLog(lines ?? [], this.masks);
    const outputs = parseKeyValueFile(await fs.readFile(files.GITHUB_OUTPUT, 'utf8'), 'GITHUB_OUTPUT');
    const state = parseKeyValueFile(await fs.readFile(files.GITHUB_STATE, 'utf8'), 'GITHUB_STATE');
    const exported = parseKeyValueFile(await fs.readFile(files.GITHUB_ENV, 'utf8'), 'GITHUB_ENV');
    Object.assign(this.exportedEnv, exported);
    const newPaths = (await fs.readFile(files.GITHUB_PATH, 'utf8')).split(/\r?\n/).filter(Boolean);
    this.extraPath.unshift(...newPaths.reverse());
    return {
      name: label,
      phase,
      status: code === 0 ? 'success' : 'failure',
      exitCode: code,
      log: parsedStdout.log + stderr,
      masked: shown.masked,
      outputs,
      state,
      exported,
      annotations: shown.annotations,
      summary: await fs.readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
      durationMs: Date.now() - started
    };
  }

  /** Empty GITHUB_ENV, GITHUB_OUTPUT, … files for the next step, by variable name. */
  private async fileCommandFiles(): Promise<Record<string, string>> {
    const commandDir = path.join(this.place.runnerTemp, '_runner_file_commands');
    await fs.mkdir(commandDir, { recursive: true });
    const seq = ++this.fileCommandSeq;
    const files = Object.fromEntries(
      FILE_COMMANDS.map((name) => [name, path.join(commandDir, `${name.toLowerCase()}_${seq}`)])
    );
    for (const file of Object.values(files)) await fs.writeFile(file, '');
    return files;
  }
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
