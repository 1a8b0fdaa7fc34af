// A fan-out fleet of ChatGPT-mode jobs (issue 10), for __tests__/fanout.test.ts and `npm run bench`:
// many jobs on many runners at once, on two branches, through the runner harness and the real
// parts (the built action, the real Codex CLI, the real @actions/cache on the loopback cache service
// and Azurite, the loopback OAuth server revoking a whole family on reuse, the loopback GitHub API
// for the secret write-back and the lease), with faults injected on a timer.
//
// Shape: `jobs` jobs, job i on runner i % runners; every runner runs its jobs one after the other
// and all runners start at once. Job i runs on a pull request (refs/pull/9/merge, its own cache
// scope, the default branch's readable) when i % 5 == 2, else on main; a main job with
// i % 7 == 6 has a step that fails after Codex. The access tokens the OAuth server mints live
// `accessTtlSeconds`; a login is renewed when it has `windowSeconds` left, so one is due every
// (accessTtlSeconds - windowSeconds) seconds, and Codex (which refreshes within 5 minutes of expiry)
// never finds one due while a job runs.
//
// Modes: `ahead` (the default renewal: the Actions cache with the secret write-back, no lease, no
// permission beyond the defaults) and `in-job` (Codex refreshes, the post step saves; jobs
// serialized by the lease, which in-job needs).
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seal } from '../../src/chatgpt/login/envelope.js';
import { REFRESH_TOKEN_MARKER } from '../../src/chatgpt/login/consumer-copy.js';
import { TOKENS, startGitHubApi, type GitHubApi } from './github-api.js';
import type { ChatGptAuthJson } from './jwt.js';
import { destroyRunner, makeRunner, runOnRunners, type JobResult, type JobSpec, type Runner } from './runner.js';
import { chatGptJob, codexExecStep, newEncryptionKey, serialize, startWorld, type World } from './world.js';

export type RenewalMode = 'ahead' | 'in-job';

export interface FanoutShape {
  runners: number;
  jobs: number;
  accessTtlSeconds: number;
  windowSeconds: number;
  /** One fault injected this often, in turn. */
  chaosEveryMs: number;
  /** The model server holds the first Codex calls until this many are in flight at once (0: no barrier). */
  barrier: number;
}

export const FANOUT_SHAPE: FanoutShape = {
  runners: 8,
  jobs: 40,
  accessTtlSeconds: 420,
  windowSeconds: 375,
  chaosEveryMs: 1500,
  barrier: 8
};

const SECRET = 'CODEX_AUTH_JSON';
const REPO_SCOPE = { scope: 'repository' as const, owner: 'acme', repo: 'app' };
const PR_REF = 'refs/pull/9/merge';

export const onPullRequest = (i: number): boolean => i % 5 === 2;
export const failsOnPurpose = (i: number): boolean => !onPullRequest(i) && i % 7 === 6;
export const jobIndex = (name: string): number => Number(name.split('-').pop());

export interface FanoutFigures {
  mode: RenewalMode;
  jobs: number;
  runners: number;
  branches: number;
  /** Successful refreshes at the token endpoint (by the action in ahead mode, by Codex in-job). */
  renewals: number;
  /** seconds / (accessTtlSeconds - windowSeconds): how many renewals the run time calls for. */
  expectedRenewals: number;
  reuse: number;
  revokedFamilies: number;
  authenticated: number;
  failedOnPurpose: number;
  /** Pull-request jobs that found the login due and were told it will be renewed on main. */
  deferredToMain: number;
  otherFailures: number;
  /** What each of those jobs said (its error annotations in full), to tell why. */
  otherFailureErrors: string[];
  maxCodexAtOnce: number;
  faultsInjected: number;
  seconds: number;
  /** The jobs' durations added up: what the fleet takes at least when its jobs run one at a time (in-job + lease). */
  serialSeconds: number;
  errors: string[];
}

export interface FanoutRun {
  figures: FanoutFigures;
  jobs: JobResult[];
  /** Every auth.json Codex read, by job name. */
  captured: Map<string, string>;
  /** Every refresh token the token endpoint issued, and the seed's. */
  refreshTokens: string[];
  /** The refreshes form one chain: each spends the one issued before it. */
  linearChain: boolean;
  /** Jobs on the pull-request branch whose main step renewed. */
  renewedOffDefault: string[];
  /** Renewing jobs whose main step handed Codex the copy before it said it was stored. */
  usedBeforeStored: string[];
}

export async function runFanout(mode: RenewalMode, shape: FanoutShape = FANOUT_SHAPE): Promise<FanoutRun> {
  const world = await startWorld({ oauth: { revokeFamilyOnReuse: true, accessTtlSeconds: shape.accessTtlSeconds } });
  const api = await startGitHubApi();
  const captures = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-fanout-'));
  const runners: Runner[] = [];
  const chaos = startChaos(world, api, shape.chaosEveryMs);
  try {
    for (let r = 0; r < shape.runners; r++)
      runners.push(await makeRunner('github-hosted', `fanout-${mode}-runner-${r + 1}`));
    const key = newEncryptionKey();
    // Due at once: the first jobs must renew (ahead) or Codex refreshes (in-job).
    const seed = world.oauth.issue({ accessTtlSeconds: shape.windowSeconds - 10 });
    api.setSecret(REPO_SCOPE, SECRET, await seal(serialize(seed), keyBytes(key), 'default'));
    if (shape.barrier) world.model.holdUntil(shape.barrier, 180_000);
    const started = Date.now();
    const jobs = await runOnRunners(runners, shape.jobs, (i, runner) =>
      fanoutJob(world, api, runner, mode, i, key, shape, captures)
    );
    const seconds = (Date.now() - started) / 1000;
    chaos.stop();

    const captured = new Map<string, string>();
    for (const file of await fs.readdir(captures))
      captured.set(file.replace(/\.json$/, ''), await fs.readFile(path.join(captures, file), 'utf8'));
    const refreshes = world.oauth.requests.filter((r) => r.issued);
    const refreshTokens = [seed.tokens.refresh_token, ...refreshes.map((r) => r.issued!.refresh_token)];
    const linearChain = refreshes.every((r, n) => r.body?.refresh_token === refreshTokens[n]);
    const families = new Set(refreshTokens.map((t) => world.oauth.familyOf(t)).filter((f): f is string => !!f));
    const mains = (job: JobResult) => job.steps.find((s) => s.phase === 'main')!;
    const codex = (job: JobResult) => job.steps.find((s) => s.name === 'codex exec');
    const deferred = jobs.filter(
      (j) =>
        onPullRequest(jobIndex(j.name)) &&
        mains(j).status === 'failure' &&
        /must be renewed before Codex can run, and this job does not renew it/.test(mains(j).log)
    );
    const renewing = jobs.filter((j) => mains(j).log.includes('Renewed the ChatGPT login'));
    const failedOnPurpose = jobs.filter(
      (j) => failsOnPurpose(jobIndex(j.name)) && j.status === 'failure' && codex(j)?.status === 'success'
    );
    const stats = world.oauth.stats();
    const others = jobs.filter((j) => j.status === 'failure' && !deferred.includes(j) && !failedOnPurpose.includes(j));
    return {
      figures: {
        mode,
        jobs: jobs.length,
        runners: runners.length,
        branches: 2,
        renewals: stats.refreshes,
        expectedRenewals: Math.round((seconds / (shape.accessTtlSeconds - shape.windowSeconds)) * 10) / 10,
        reuse: stats.reuse,
        revokedFamilies: [...families].filter((f) => world.oauth.familyRevoked(f)).length,
        authenticated: jobs.filter((j) => codex(j)?.status === 'success').length,
        failedOnPurpose: failedOnPurpose.length,
        deferredToMain: deferred.length,
        otherFailures: others.length,
        otherFailureErrors: others.map(
          (j) =>
            `${j.name}: ${j.steps
              .flatMap((s) => s.annotations.filter((a) => a.level === 'error').map((a) => a.message))
              .join(' | ')}`
        ),
        maxCodexAtOnce: world.model.maxInFlight(),
        faultsInjected: chaos.injected(),
        seconds: Math.round(seconds),
        serialSeconds: Math.round(
          jobs.reduce((sum, j) => sum + j.steps.reduce((t, step) => t + step.durationMs, 0), 0) / 1000
        ),
        errors: [
          ...new Set(
            jobs.flatMap((j) =>
              j.steps.flatMap((s) =>
                s.annotations.filter((a) => a.level === 'error').map((a) => a.message.slice(0, 160))
              )
            )
          )
        ].slice(0, 8)
      },
      jobs,
      captured,
      refreshTokens,
      linearChain,
      renewedOffDefault: renewing.filter((j) => onPullRequest(jobIndex(j.name))).map((j) => j.name),
      usedBeforeStored: renewing
        .filter(
          (j) =>
            mains(j).log.indexOf('Renewed the ChatGPT login') > mains(j).log.indexOf('Codex will use the ChatGPT login')
        )
        .map((j) => j.name)
    };
  } finally {
    chaos.stop();
    await Promise.all(runners.map(destroyRunner));
    await fs.rm(captures, { recursive: true, force: true });
    await Promise.all([world.stop(), api.stop()]);
  }
}

function fanoutJob(
  world: World,
  api: GitHubApi,
  runner: Runner,
  mode: RenewalMode,
  i: number,
  key: string,
  shape: FanoutShape,
  captures: string
): JobSpec {
  const pr = onPullRequest(i);
  const chatgptBaseUrl = world.model.baseUrl.replace(/\/v1$/, '/backend-api');
  const inputs: Record<string, string> = {
    'encryption-key': key,
    // The secret's value when the job starts, as `${{ secrets.X }}` gives it.
    'chatgpt-auth-json': api.secretValue(REPO_SCOPE, SECRET) ?? '',
    'secret-name': SECRET,
    'secret-token': TOKENS.writer,
    renewal: mode,
    'renew-before-hours': String(shape.windowSeconds / 3600),
    ...(mode === 'in-job'
      ? { lease: 'true', 'lease-token': TOKENS.workflow, 'lease-timeout-minutes': '15', 'lease-expiry-minutes': '30' }
      : {})
  };
  return chatGptJob(world, {
    name: `fanout-${mode}-${i}`,
    inputs,
    steps: [
      {
        name: 'capture auth.json',
        run: `cp "$CODEX_HOME/auth.json" ${path.join(captures, `fanout-${mode}-${i}.json`)}`
      },
      codexExecStep(world, { extraArgs: ['-c', `chatgpt_base_url="${chatgptBaseUrl}"`] }),
      ...(failsOnPurpose(i) ? [{ name: 'tests fail', run: 'exit 1' }] : [])
    ],
    extra: {
      runner,
      runId: 9000 + i,
      env: { GITHUB_API_URL: api.url, ...(pr ? { GITHUB_REF: PR_REF } : {}) },
      actionEnv: pr
        ? world.cache.envFor([
            { scope: PR_REF, permission: 3 },
            { scope: 'refs/heads/main', permission: 1 }
          ])
        : {},
      stepTimeoutMs: 20 * 60_000
    }
  });
}

/** Whether an auth.json Codex read holds a real refresh token (any the token endpoint issued, or the seed's). */
export function holdsRefreshToken(text: string, refreshTokens: string[]): boolean {
  return (
    refreshTokens.some((t) => text.includes(t)) ||
    (JSON.parse(text) as ChatGptAuthJson).tokens.refresh_token !== REFRESH_TOKEN_MARKER
  );
}

/**
 * Faults on a timer, in turn, one pending per service: cache reservations refused (429: the claims
 * and the saves), slow cache downloads, GitHub API 502s on the secret (and the lease), a 503 from the
 * token endpoint.
 */
function startChaos(world: World, api: GitHubApi, everyMs: number): { stop(): void; injected(): number } {
  const faults: (() => void)[] = [
    () => (
      world.cache.clearFaults(),
      world.cache.inject({
        method: 'CreateCacheEntry',
        status: 429,
        body: JSON.stringify({ code: 'resource_exhausted', msg: 'rate limited' }),
        // As GitHub's cache service answers a rate limit.
        headers: { 'retry-after': '2' }
      })
    ),
    () => (api.clearFaults(), api.inject({ path: '/actions/secrets/', status: 502 })),
    () => (world.oauth.clearFaults(), world.oauth.inject({ status: 503 })),
    () => (world.cache.clearFaults(), world.cache.inject({ method: 'GetCacheEntryDownloadURL', delayMs: 1200 })),
    () => (api.clearFaults(), api.inject({ path: '/git/', status: 502 }))
  ];
  let tick = 0;
  const timer = setInterval(() => faults[tick++ % faults.length](), everyMs);
  return { stop: () => clearInterval(timer), injected: () => tick };
}

export function describeFigures(f: FanoutFigures): string {
  return (
    `fan-out (${f.mode}): ${f.jobs} jobs on ${f.runners} runners, ${f.branches} branches, ${f.seconds} s; renewals ${f.renewals} (run time / token lifetime: ${f.expectedRenewals}), ` +
    `refresh-token reuse ${f.reuse}, revoked families ${f.revokedFamilies}, authenticated ${f.authenticated}, failed on purpose ${f.failedOnPurpose}, ` +
    `deferred to main ${f.deferredToMain}, other failures ${f.otherFailures}, most Codex runs at once ${f.maxCodexAtOnce}, faults injected ${f.faultsInjected}`
  );
}

function keyBytes(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'base64'));
}
