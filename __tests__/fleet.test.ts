// The fleet test (issue 5, reliability proof): a realistic fleet of ChatGPT-mode jobs through the
// runner harness and the real parts: the built action, the real Codex CLI, the real @actions/cache
// through the loopback cache service and Azurite, the loopback OAuth server revoking the whole token
// family on reuse, and the loopback GitHub API for the lease's refs.
//
//   - 32 jobs on 5 simulated runners; a runner runs its jobs one after another, the runners run at
//     once, with jittered start times, so jobs overlap all the time;
//   - every 6th job has a step that fails after Codex ran (the post step must still save and release);
//   - faults on a timer: cache saves refused (429) and slow cache lookups, GitHub API 502s, dropped
//     connections and slow answers on the lease's refs, a 503 from the token endpoint;
//   - access tokens that fall due (Codex refreshes within 5 minutes of `exp`) a few seconds after
//     each refresh, so the credential is refreshed again and again during the run, by whichever job
//     happens to hold it.
//
// The same fleet runs twice: with the lease, where it must show zero reuse events, every job's Codex
// authenticated and the final stored copy the newest (its refresh token the family's live one); and
// without any serialization, where it must break (reuse events, a revoked family): that run is what
// shows the first one can fail.
//
// NOT WIRED YET. It runs only once action.yml declares the lease inputs (it is skipped until then;
// `CODEX_AUTH_FLEET=control npm test -- __tests__/fleet.test.ts` runs the unserialized half alone).
// What it assumes about the wiring (src/chatgpt/main.ts, post.ts, inputs.ts, action.yml):
//   - inputs `lease` ('true' | 'false'), `lease-token` (default `${{ github.token }}`; the harness does
//     not evaluate expressions, so the test passes a token), `lease-timeout-minutes`,
//     `lease-expiry-minutes`;
//   - the main step acquires the lease (src/stores/lease.ts) before restoring anything, on the
//     repository GITHUB_REPOSITORY through GITHUB_API_URL, and logs through core.info (the
//     "Waiting for the lease" / "Took over the lease" lines are counted below);
//   - the post step saves first and releases the lease after (in every outcome), so the next holder
//     restores the copy this job saved;
//   - nothing else differs between the two runs: without `lease` the action behaves as today.
// When action.yml also has `secret-name` (secret write-back, in progress), the fleet uses it too: the
// seed of every job is the repository secret's value when the job starts (as `${{ secrets.X }}` would
// give it), the jobs write back with `secret-token`, and the secret must end up holding the newest copy
// as well.
import { open, seal } from '../src/chatgpt/envelope.js';
import { TOKENS, startGitHubApi, type GitHubApi } from './support/github-api.js';
import type { ChatGptAuthJson } from './support/jwt.js';
import { destroyRunner, makeRunner, readManifest, runJob, type JobResult, type JobSpec, type Runner } from './support/runner.js';
import { chatGptJob, codexExecStep, newEncryptionKey, postStep, readCacheArchive, serialize, startWorld, type World } from './support/world.js';

const LEASE_INPUTS = ['lease', 'lease-token', 'lease-timeout-minutes', 'lease-expiry-minutes'];
const manifestInputs = readManifest().inputs ?? {};
const wired = LEASE_INPUTS.every((name) => name in manifestInputs);
/** CODEX_AUTH_FLEET=control runs the unserialized half alone before the lease is wired (to calibrate the fleet). */
const describeFleet = wired || process.env.CODEX_AUTH_FLEET === 'control' ? describe : describe.skip;
/** Secret write-back in the fleet too, once its inputs exist. */
const SECRET_WRITE_BACK = ['secret-name', 'secret-token'].every((name) => name in manifestInputs);
const SECRET = 'CODEX_AUTH_JSON';
const REPO_SCOPE = { scope: 'repository' as const, owner: 'acme', repo: 'app' };

const FLEET = {
  runners: 5,
  jobs: 32,
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

type Mode = 'lease' | 'none';

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
  leaseWaits: number;
  leaseTakeovers: number;
  seconds: number;
}

interface FleetRun {
  figures: Figures;
  jobs: JobResult[];
  /** The newest stored copy's refresh token is the one the token endpoint issued last, and its family is alive. */
  newestStoredIsLive: boolean;
  /** The same for the secret, with secret write-back (undefined without). */
  secretIsLive: boolean | undefined;
  familyRevoked: boolean;
  leaseLeftBehind: string | undefined;
}

describeFleet('fleet: one serialized stream per credential survives a realistic fleet', () => {
  (wired ? test : test.skip)(
    'with the lease: zero reuse, every job authenticated, the lease released, the newest copy stored',
    async () => {
      const run = await runFleet('lease');
      console.log(`fleet figures (with the lease): ${JSON.stringify(run.figures)}`);
      const f = run.figures;
      expect(f.jobs).toBe(FLEET.jobs);
      expect(f.refreshes).toBeGreaterThanOrEqual(3);
      expect(f.faultsInjected).toBeGreaterThanOrEqual(10);
      expect(f.reuse).toBe(0);
      expect(run.familyRevoked).toBe(false);
      expect(f.mainFailures).toBe(0);
      expect(f.authenticated).toBe(FLEET.jobs);
      // The only failed jobs are those with a failing step; every post step saved and released.
      expect(run.jobs.filter((j) => j.status === 'failure').map((j) => j.name)).toEqual(run.jobs.filter((j) => failsOnPurpose(jobIndex(j.name))).map((j) => j.name));
      for (const job of run.jobs) expect(postStep(job).status).toBe('success');
      expect(f.leaseWaits).toBeGreaterThan(0);
      expect(run.newestStoredIsLive).toBe(true);
      if (SECRET_WRITE_BACK) expect(run.secretIsLive).toBe(true);
      expect(run.leaseLeftBehind).toBeUndefined();
    },
    20 * 60_000
  );

  // The control: the same fleet without any serialization breaks the chain, so the test above can fail.
  test(
    'without serialization the same fleet breaks: reuse, a revoked family, jobs that cannot authenticate',
    async () => {
      const run = await runFleet('none');
      console.log(`fleet figures (without serialization): ${JSON.stringify(run.figures)}`);
      expect(run.figures.jobs).toBe(FLEET.jobs);
      expect(run.figures.reuse).toBeGreaterThan(0);
      expect(run.familyRevoked).toBe(true);
      expect(run.figures.authenticated).toBeLessThan(FLEET.jobs);
    },
    10 * 60_000
  );
});

/** Job i has a failing step after Codex. */
function failsOnPurpose(i: number): boolean {
  return i % FLEET.failingStepEvery === FLEET.failingStepEvery - 1;
}

function jobIndex(jobName: string): number {
  return Number(jobName.split('-').pop());
}

async function runFleet(mode: Mode): Promise<FleetRun> {
  const world = await startWorld({ oauth: { revokeFamilyOnReuse: true, accessTtlSeconds: 300 + FLEET.accessDueAfterSeconds } });
  const api = await startGitHubApi();
  const runners: Runner[] = [];
  const chaos = startChaos(world, api);
  try {
    for (let r = 0; r < FLEET.runners; r++) runners.push(await makeRunner('github-hosted', `fleet-${mode}-runner-${r + 1}`));
    const key = newEncryptionKey();
    // Expired: the first jobs must refresh at once (without serialization, all of the first wave do).
    const seed = world.oauth.issue({ accessTtlSeconds: -60 });
    if (SECRET_WRITE_BACK) api.setSecret(REPO_SCOPE, SECRET, await seal(serialize(seed), keyBytes(key), 'default'));
    const queues: number[][] = runners.map(() => []);
    for (let i = 0; i < FLEET.jobs; i++) queues[i % runners.length].push(i);

    const started = Date.now();
    const jobs = (
      await Promise.all(
        queues.map(async (queue, r) => {
          const done: JobResult[] = [];
          await sleep(r * 120);
          for (const i of queue) {
            // Built when the job starts: its seed is the secret's value at that moment.
            done.push(await runJob(fleetJob(world, api, runners[r], mode, i, key, seed)));
            await sleep(Math.random() * FLEET.maxGapMs);
          }
          return done;
        })
      )
    ).flat();
    const seconds = Math.round((Date.now() - started) / 1000);
    chaos.stop();

    const stats = world.oauth.stats();
    const mains = jobs.map((j) => j.steps.find((s) => s.phase === 'main')!);
    const lastIssued = world.oauth.requests.filter((r) => r.issued).at(-1)?.issued;
    const family = lastIssued ? world.oauth.familyOf(lastIssued.refresh_token) : world.oauth.familyOf(seed.tokens.refresh_token);
    const stored = await newestStoredCopy(world, key);
    const secret = SECRET_WRITE_BACK ? await openEnvelope(api.secretValue(REPO_SCOPE, SECRET) ?? '', key) : undefined;
    const isLive = (copy: ChatGptAuthJson | undefined): boolean =>
      !!copy && !!lastIssued && copy.tokens.refresh_token === lastIssued.refresh_token && !!family && !world.oauth.familyRevoked(family);
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
        errors: [...new Set(jobs.flatMap((j) => j.steps.flatMap((s) => s.annotations.filter((a) => a.level === 'error').map((a) => a.message.slice(0, 160)))))].slice(0, 8),
        leaseWaits: mains.filter((s) => s.log.includes('Waiting for the lease')).length,
        leaseTakeovers: mains.filter((s) => s.log.includes('Took over the lease')).length,
        seconds
      },
      jobs,
      newestStoredIsLive: isLive(stored),
      secretIsLive: SECRET_WRITE_BACK ? isLive(secret) : undefined,
      familyRevoked: !!family && world.oauth.familyRevoked(family),
      leaseLeftBehind: api.ref('acme/app', REF)
    };
  } finally {
    chaos.stop();
    await Promise.all(runners.map(destroyRunner));
    await Promise.all([world.stop(), api.stop()]);
  }
}

function fleetJob(world: World, api: GitHubApi, runner: Runner, mode: Mode, i: number, key: string, seed: ChatGptAuthJson): JobSpec {
  const lease: Record<string, string> =
    mode === 'lease' ? { lease: 'true', 'lease-token': TOKENS.workflow, 'lease-timeout-minutes': '15', 'lease-expiry-minutes': '30' } : {};
  const writeBack: Record<string, string> = SECRET_WRITE_BACK
    ? { 'chatgpt-auth-json': api.secretValue(REPO_SCOPE, SECRET) ?? '', 'secret-name': SECRET, 'secret-token': TOKENS.writer }
    : { 'chatgpt-auth-json': serialize(seed) };
  return chatGptJob(world, {
    name: `fleet-${mode}-${i}`,
    inputs: { 'encryption-key': key, ...writeBack, ...lease },
    steps: [codexExecStep(world), ...(failsOnPurpose(i) ? [{ name: 'tests fail', run: 'exit 1' }] : [])],
    extra: { runner, runId: 7000 + i, env: { GITHUB_API_URL: api.url }, stepTimeoutMs: 20 * 60_000 }
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
function startChaos(world: World, api: GitHubApi): { stop(): void; injected(): number } {
  // At most one fault pending per service: one not consumed yet is replaced, never piled up.
  const cache = (fault: Parameters<World['cache']['inject']>[0]) => () => (world.cache.clearFaults(), world.cache.inject(fault));
  const github = (fault: Parameters<GitHubApi['inject']>[0]) => () => (api.clearFaults(), api.inject(fault));
  const faults: (() => void)[] = [
    cache({ method: 'CreateCacheEntry', status: 429, body: JSON.stringify({ code: 'resource_exhausted', msg: 'rate limited' }) }),
    github({ path: '/git/', status: 502 }),
    cache({ method: 'GetCacheEntryDownloadURL', delayMs: 1500 }),
    github({ path: '/git/', drop: true }),
    () => (world.oauth.clearFaults(), world.oauth.inject({ status: 503 })),
    github({ path: '/git/refs', delayMs: 1200 })
  ];
  let count = 0;
  const timer = setInterval(() => faults[count++ % faults.length](), FLEET.chaosEveryMs);
  return {
    stop: () => clearInterval(timer),
    injected: () => count
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
