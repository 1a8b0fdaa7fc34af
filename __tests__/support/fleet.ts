// The fleet (issue 5, reliability proof), shared by __tests__/fleet-*.test.ts: a realistic fleet of
// ChatGPT-mode jobs with `renewal: in-job` through the runner harness and the real parts: the built
// action, the real Codex CLI, the real @actions/cache through the loopback cache service and Azurite,
// the loopback OAuth server revoking the whole token family on reuse, and the loopback GitHub API for
// the lease's refs and the secret write-back.
//
//   - jobs on several simulated runners; a runner runs its jobs one after another, the runners run at
//     once, with jittered start times, so jobs overlap all the time;
//   - every 6th job has a step that fails after Codex ran (the post step must still save and release);
//   - faults on a timer: cache saves refused (429) and slow cache lookups, GitHub API 502s, dropped
//     connections and slow answers (on the lease's refs; on the secret's API without a lease), a burst
//     of 502s on the lease's create longer than one request's 4 attempts, a 503 from the token endpoint;
//   - access tokens that fall due (Codex refreshes within 5 minutes of `exp`) a few seconds after
//     each refresh, so the credential is refreshed again and again during the run, by whichever job
//     happens to hold it.
//
// The same fleet runs three ways: with the lease (runners on separate machines), and with the
// runner-local lock (self-hosted runners on one machine, sharing one local store), where each must
// show zero reuse events, every job's Codex authenticated and the final stored copies the newest
// (their refresh token the family's live one); and without any serialization, where it must break
// (reuse events, a revoked family): that run is what shows the first two can fail.
//
// The jobs use the action as a workflow would: `lease: true` with the workflow's token (contents:
// write) in the first run, `local-store: true` with one shared absolute `local-store-path` in the
// second (the harness gives every runner its own HOME, as separate runner users or installations
// would have), nothing of the sort in the third. Secret write-back is on in all three: the seed of
// every job is the repository secret's value when the job starts (as `${{ secrets.X }}` gives it),
// the jobs write back with `secret-token`, and the secret must end up holding the newest copy too.
// The lease's progress lines ("Waiting for the lease", "Took over the lease") and the lock's
// ("Waiting for ... to release the lock") are counted from the main steps' logs.
//
// Size and time: the serialized runs take long by design (their jobs run one at a time, ~20 s each on
// an idle 2-core machine, ~35 s on a loaded one). The shapes below keep `npm test` short; FLEET_FULL=1
// runs the original 32 jobs on 5 runners (16 on 4 for the lock), 15 to 30 minutes. Neither the lease
// nor the lock is a queue (a job that starts later may get it before one that waits), so a waiter
// may wait for every other job of the run: the timeouts are set above the whole run's worst case
// (the jobs one after another on a loaded machine, with a margin), so that no outcome depends on
// the machine's load.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open, seal } from '../../src/chatgpt/login/envelope.js';
import { TOKENS, startGitHubApi, type GitHubApi } from './github-api.js';
import type { ChatGptAuthJson } from './jwt.js';
import { destroyRunner, makeRunner, runOnRunners, type JobResult, type JobSpec, type Runner } from './runner.js';
import {
  chatGptJob,
  codexExecStep,
  newEncryptionKey,
  postStep,
  readCacheArchive,
  serialize,
  startWorld,
  type World
} from './world.js';

// These tests are about Codex refreshing the login during the job and the post step saving it.
const IN_JOB = { renewal: 'in-job' };

const SECRET = 'CODEX_AUTH_JSON';
const REPO_SCOPE = { scope: 'repository' as const, owner: 'acme', repo: 'app' };

export type Mode = 'lease' | 'lock' | 'none';

interface FleetShape {
  runners: number;
  jobs: number;
}

const FULL = process.env.FLEET_FULL === '1';

export const FLEET = {
  /** Runners on separate machines (lease, control), and self-hosted runners on one machine (lock). */
  shape: (FULL
    ? { lease: { runners: 5, jobs: 32 }, none: { runners: 5, jobs: 32 }, lock: { runners: 4, jobs: 16 } }
    : { lease: { runners: 4, jobs: 12 }, none: { runners: 4, jobs: 12 }, lock: { runners: 3, jobs: 9 } }) as Record<
    Mode,
    FleetShape
  >,
  /**
   * How long a job waits for the lease or the lock: above every other job of the run one after
   * another at 80 s each (more than twice a loaded machine's), whatever the shape.
   */
  waitMinutes: FULL ? 45 : 15,
  /** Every n-th job has a failing step after Codex. */
  failingStepEvery: 6,
  /** A refreshed access token falls due (exp within Codex's 5-minute window) this long after the refresh. */
  accessDueAfterSeconds: 6,
  /** Random pause of a runner between two of its jobs. */
  maxGapMs: 700,
  /** One fault injected this often, in turn from CHAOS. */
  chaosEveryMs: 900
};

const REF = 'refs/codex-auth/leases/default';

interface Figures {
  mode: Mode;
  jobs: number;
  runners: number;
  refreshes: number;
  reuse: number;
  faultsInjected: number;
  faultsHit: { cache: number; githubApi: number; oauth: number };
  authenticated: number;
  failedJobs: number;
  /** Jobs whose main step failed (Codex never ran). */
  mainFailures: number;
  /** The distinct error annotations of the fleet (clipped), to tell why jobs failed. */
  errors: string[];
  /** Main steps that logged waiting for the lease (lease) or for the lock (lock). */
  waits: number;
  leaseTakeovers: number;
  /**
   * The rate budget (issue 20): REST requests the fleet sent to the GitHub API (faults included: a
   * retried request counts twice, as GitHub counts it), per job and per hour of the fleet's run.
   * One repository's GITHUB_TOKEN may send 1,000 an hour, shared by all its jobs.
   */
  restRequests: number;
  restPerJob: number;
  restPerHour: number;
  seconds: number;
}

export interface FleetRun {
  figures: Figures;
  jobs: JobResult[];
  /** The newest stored copy's refresh token is the one the token endpoint issued last, and its family is alive. */
  newestStoredIsLive: boolean;
  /** The same for the secret. */
  secretIsLive: boolean;
  /** The same for the runner-local store (lock run only). */
  localIsLive: boolean | undefined;
  familyRevoked: boolean;
  leaseLeftBehind: string | undefined;
  /** What is left in the shared store's lock directory (lock run only): nothing when every job released. */
  lockLeftBehind: string[] | undefined;
}

/** The figures the issue asks for, first, then the rest. */
export function report(run: FleetRun): void {
  const f = run.figures;
  const how = { lease: 'with the lease', lock: 'with the runner-local lock', none: 'without serialization' }[f.mode];
  console.log(
    `fleet figures (${how}): jobs ${f.jobs} on ${f.runners} runners, refreshes ${f.refreshes}, reuse events ${f.reuse}, faults injected ${f.faultsInjected}, ` +
      `jobs that authenticated ${f.authenticated}/${f.jobs}; ${f.seconds} s\n` +
      `REST requests: ${f.restRequests} in all, ${f.restPerJob} per job, ${f.restPerHour} per hour at this pace (GITHUB_TOKEN: 1,000 an hour per repository)\n${JSON.stringify(f)}`
  );
}

/** What the issue asks of a serialized fleet. */
export function expectSerializedFleetHeld(run: FleetRun): void {
  const f = run.figures;
  const shape = FLEET.shape[f.mode];
  expect(f.jobs).toBe(shape.jobs);
  expect(f.refreshes).toBeGreaterThanOrEqual(3);
  expect(f.faultsInjected).toBeGreaterThanOrEqual(10);
  expect(f.reuse).toBe(0);
  expect(run.familyRevoked).toBe(false);
  expect(f.mainFailures).toBe(0);
  expect(f.authenticated).toBe(shape.jobs);
  // The only failed jobs are those with a failing step; every post step saved and released.
  expect(run.jobs.filter((j) => j.status === 'failure').map((j) => j.name)).toEqual(
    run.jobs.filter((j) => failsOnPurpose(jobIndex(j.name))).map((j) => j.name)
  );
  for (const job of run.jobs) expect(postStep(job).status).toBe('success');
  expect(run.newestStoredIsLive).toBe(true);
  expect(run.secretIsLive).toBe(true);
}

/** Job i has a failing step after Codex. */
function failsOnPurpose(i: number): boolean {
  return i % FLEET.failingStepEvery === FLEET.failingStepEvery - 1;
}

function jobIndex(jobName: string): number {
  return Number(jobName.split('-').pop());
}

export async function runFleet(mode: Mode): Promise<FleetRun> {
  const shape = FLEET.shape[mode];
  const world = await startWorld({
    oauth: { revokeFamilyOnReuse: true, accessTtlSeconds: 300 + FLEET.accessDueAfterSeconds }
  });
  const api = await startGitHubApi();
  const runners: Runner[] = [];
  // The lock run: one machine, one store shared by its runners (an absolute path: each runner has its own HOME).
  const machine = mode === 'lock' ? await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-fleet-machine-')) : undefined;
  const storeDir = machine ? path.join(machine, 'codex-auth-store') : undefined;
  const chaos = startChaos(world, api, mode);
  try {
    for (let r = 0; r < shape.runners; r++)
      runners.push(
        await makeRunner(mode === 'lock' ? 'self-hosted' : 'github-hosted', `fleet-${mode}-runner-${r + 1}`)
      );
    const key = newEncryptionKey();
    // Expired: the first jobs must refresh at once (without serialization, all of the first wave do).
    const seed = world.oauth.issue({ accessTtlSeconds: -60 });
    api.setSecret(REPO_SCOPE, SECRET, await seal(serialize(seed), keyBytes(key), 'default'));
    const started = Date.now();
    const jobs = await runOnRunners(
      runners,
      shape.jobs,
      (i, runner) => fleetJob(world, api, runner, mode, i, key, storeDir),
      { staggerMs: 120, maxGapMs: FLEET.maxGapMs }
    );
    const seconds = Math.round((Date.now() - started) / 1000);
    chaos.stop();

    const stats = world.oauth.stats();
    const mains = jobs.map((j) => j.steps.find((s) => s.phase === 'main')!);
    const lastIssued = world.oauth.requests.filter((r) => r.issued).at(-1)?.issued;
    const family = lastIssued
      ? world.oauth.familyOf(lastIssued.refresh_token)
      : world.oauth.familyOf(seed.tokens.refresh_token);
    const stored = await newestStoredCopy(world, key);
    const secret = await openEnvelope(api.secretValue(REPO_SCOPE, SECRET) ?? '', key);
    const local = storeDir
      ? await openEnvelope(
          (await fs.readFile(path.join(storeDir, 'default.envelope'), 'utf8').catch(() => '')).trim(),
          key
        )
      : undefined;
    const isLive = (copy: ChatGptAuthJson | undefined): boolean =>
      // A re-seed mark (no tokens: a renewal failed, src/chatgpt/login/reseed-mark.ts) is not a live copy.
      !!copy?.tokens &&
      !!lastIssued &&
      copy.tokens.refresh_token === lastIssued.refresh_token &&
      !!family &&
      !world.oauth.familyRevoked(family);
    const waitLine = mode === 'lock' ? /Waiting for .* to release the lock on credential/ : /Waiting for the lease/;
    return {
      figures: {
        mode,
        jobs: jobs.length,
        runners: runners.length,
        refreshes: stats.refreshes,
        reuse: stats.reuse,
        faultsInjected: chaos.injected(),
        faultsHit: {
          cache: world.cache.requests.filter((r) => r.status === 0 || r.status >= 400).length,
          githubApi: api.requests.filter((r) => r.fault).length,
          oauth: stats.faults
        },
        authenticated: jobs.filter((j) => codexStep(j).status === 'success').length,
        failedJobs: jobs.filter((j) => j.status === 'failure').length,
        mainFailures: mains.filter((s) => s.status === 'failure').length,
        errors: [
          ...new Set(
            jobs.flatMap((j) =>
              j.steps.flatMap((s) =>
                s.annotations.filter((a) => a.level === 'error').map((a) => a.message.slice(0, 160))
              )
            )
          )
        ].slice(0, 8),
        waits: mains.filter((s) => waitLine.test(s.log)).length,
        leaseTakeovers: mains.filter((s) => s.log.includes('Took over the lease')).length,
        restRequests: api.requests.length,
        restPerJob: Math.round((api.requests.length / Math.max(1, jobs.length)) * 10) / 10,
        restPerHour: Math.round((api.requests.length * 3600) / Math.max(1, seconds)),
        seconds
      },
      jobs,
      newestStoredIsLive: isLive(stored),
      secretIsLive: isLive(secret),
      localIsLive: storeDir ? isLive(local) : undefined,
      familyRevoked: !!family && world.oauth.familyRevoked(family),
      leaseLeftBehind: api.ref('acme/app', REF),
      lockLeftBehind: storeDir ? await fs.readdir(path.join(storeDir, 'default.lock')).catch(() => []) : undefined
    };
  } finally {
    chaos.stop();
    await Promise.all(runners.map(destroyRunner));
    if (machine) await fs.rm(machine, { recursive: true, force: true });
    await Promise.all([world.stop(), api.stop()]);
  }
}

function fleetJob(
  world: World,
  api: GitHubApi,
  runner: Runner,
  mode: Mode,
  i: number,
  key: string,
  storeDir: string | undefined
): JobSpec {
  const serialization: Record<string, string> =
    mode === 'lease'
      ? {
          lease: 'true',
          'lease-token': TOKENS.workflow,
          'lease-timeout-minutes': String(FLEET.waitMinutes),
          'lease-expiry-minutes': '30'
        }
      : mode === 'lock'
        ? { 'local-store': 'true', 'local-store-path': storeDir!, 'lock-timeout-minutes': String(FLEET.waitMinutes) }
        : {};
  const writeBack = {
    'chatgpt-auth-json': api.secretValue(REPO_SCOPE, SECRET) ?? '',
    'secret-name': SECRET,
    'secret-token': TOKENS.writer
  };
  return chatGptJob(world, {
    name: `fleet-${mode}-${i}`,
    inputs: { 'encryption-key': key, ...IN_JOB, ...writeBack, ...serialization },
    steps: [codexExecStep(world), ...(failsOnPurpose(i) ? [{ name: 'tests fail', run: 'exit 1' }] : [])],
    extra: {
      runner,
      runId: 7000 + i,
      env: { GITHUB_API_URL: api.url },
      stepTimeoutMs: (FLEET.waitMinutes + 10) * 60_000
    }
  });
}

function codexStep(job: JobResult) {
  return job.steps.find((s) => s.name === 'codex exec')!;
}

/** The newest finalized cache entry of the credential, opened. */
async function newestStoredCopy(world: World, key: string): Promise<ChatGptAuthJson | undefined> {
  const entries = world.cache.entries().filter((e) => e.finalized && e.key.startsWith('codex-auth-v1.default.'));
  const newest = entries.sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!newest) return undefined;
  const files = await readCacheArchive(world, newest.key);
  return openEnvelope(Object.values(files)[0]?.trim() ?? '', key);
}

async function openEnvelope(envelope: string, key: string): Promise<ChatGptAuthJson | undefined> {
  const opened = await open(envelope, keyBytes(key), 'default');
  return opened.ok ? (JSON.parse(opened.plaintext) as ChatGptAuthJson) : undefined;
}

function keyBytes(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'base64'));
}

/**
 * Faults on a timer, one at a time and in turn, each consumed by the next matching request. Only
 * faults a correct action survives: the save path and the lease retry, lookups are only slowed
 * (a failed lookup rightly fails the job before Codex runs), Codex retries a 5xx from the token
 * endpoint.
 */
function startChaos(world: World, api: GitHubApi, mode: Mode): { stop(): void; injected(): number } {
  // At most one fault pending per service: one not consumed yet is replaced, never piled up.
  const cache = (fault: Parameters<World['cache']['inject']>[0]) => () => (
    world.cache.clearFaults(),
    world.cache.inject(fault)
  );
  const github = (fault: Parameters<GitHubApi['inject']>[0]) => () => (api.clearFaults(), api.inject(fault));
  // With the lease, its requests get the GitHub API faults (waiters poll, so the faults are spread
  // over many requests). Without it, the secret's API does (the write-back), one fault in six: only
  // the job holding the credential sends requests there, and a fault on every attempt of one request
  // would rightly fail its job (GitHub down for 13 s).
  const lease = mode === 'lease';
  const pause = undefined;
  const faults: ((() => void) | undefined)[] = [
    cache({
      method: 'CreateCacheEntry',
      status: 429,
      body: JSON.stringify({ code: 'resource_exhausted', msg: 'rate limited' }),
      // As GitHub's cache service answers a rate limit.
      headers: { 'retry-after': '2' }
    }),
    lease ? github({ path: '/git/', status: 502 }) : github({ path: '/actions/secrets/', status: 502 }),
    cache({ method: 'GetCacheEntryDownloadURL', delayMs: 1500 }),
    lease ? github({ path: '/git/', drop: true }) : pause,
    () => (world.oauth.clearFaults(), world.oauth.inject({ status: 503 })),
    lease ? github({ path: '/git/refs', delayMs: 1200 }) : cache({ method: 'GetCacheEntryDownloadURL', delayMs: 800 }),
    // A burst longer than one request's 4 attempts on the lease's create: a job trying to take the
    // lease must ride it out until its timeout, not fail its main step.
    lease ? github({ method: 'POST', path: '/git/refs', status: 502, times: 6 }) : pause
  ];
  let tick = 0;
  let injected = 0;
  const timer = setInterval(() => {
    const fault = faults[tick++ % faults.length];
    if (fault) {
      fault();
      injected++;
    }
  }, FLEET.chaosEveryMs);
  return {
    stop: () => clearInterval(timer),
    injected: () => injected
  };
}
