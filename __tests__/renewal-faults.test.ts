// Faults at each network call of a renewal, and a step stopped between claim and store, through the
// built action (dist/) in the harness: the real @actions/cache on the loopback cache service, the
// loopback token endpoint (which rotates refresh tokens and counts every reuse). Each case runs a
// job under the fault, then a job without it, and checks the invariants (docs/design.md), not a
// message: no refresh token spent twice; no answer of the token endpoint lost (the live refresh
// token is the one stored); no job left waiting on a claim; the chain alive (the next job runs
// Codex with the renewed login, or renews it itself). A step killed right after its claim leaves the
// claim held: the next job waits no longer than its bound (90 s), then runs with the valid access token.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../src/chatgpt/login/envelope.js';
import type { ChatGptAuthJson } from './support/jwt.js';
import { errorsOf, runJob, type JobResult } from './support/runner.js';
import { CALLS } from './support/cache-service.js';
import { chatGptJob, readCacheArchive, serialize } from './support/world.js';
import { useWorld } from './support/use-world.js';

const fx = useWorld();
/** Where this test's token-endpoint requests and reuse count start (the token endpoint serves the whole file). */
let baseline = { requests: 0, reuse: 0 };
beforeEach(() => {
  baseline = { requests: fx.world.oauth.requests.length, reuse: fx.world.oauth.stats().reuse };
});

function seed(accessTtlSeconds: number): ChatGptAuthJson {
  const auth = fx.world.oauth.issue({ accessTtlSeconds });
  fx.seeds.push(auth);
  return auth;
}

async function run(
  name: string,
  auth: ChatGptAuthJson,
  env: Record<string, string> = {},
  inputs: Record<string, string> = {}
): Promise<JobResult> {
  const job = await runJob(
    chatGptJob(fx.world, {
      name,
      inputs: { 'encryption-key': fx.key, 'chatgpt-auth-json': serialize(auth), 'renew-before-hours': '1', ...inputs },
      extra: { actionEnv: env }
    })
  );
  fx.jobs.push(job);
  return job;
}

/** Every finalized login entry and successor of the credential, opened: the refresh tokens the stores hold. */
async function storedRefreshTokens(): Promise<string[]> {
  const tokens: string[] = [];
  for (const entry of fx.world.cache.entries()) {
    if (!entry.finalized || !/^codex-auth-(v1|next-v1)\.default\./.test(entry.key)) continue;
    const text = Object.values(await readCacheArchive(fx.world, entry.key))[0].trim();
    const opened = await open(text, new Uint8Array(Buffer.from(fx.key, 'base64')), 'default');
    if (opened.ok && opened.plaintext.includes('refresh_token'))
      tokens.push((JSON.parse(opened.plaintext) as ChatGptAuthJson).tokens.refresh_token);
  }
  return tokens;
}

/** The invariants after a faulty job and the job after it. */
async function expectChainSafe(original: ChatGptAuthJson, next: JobResult): Promise<void> {
  // No refresh token spent twice.
  expect(fx.world.oauth.stats().reuse - baseline.reuse).toBe(0);
  // No answer lost: every refresh token the endpoint issued is stored (the live one above all).
  const issued = fx.world.oauth.requests
    .slice(baseline.requests)
    .filter((r) => r.issued)
    .map((r) => r.issued!.refresh_token);
  const stored = await storedRefreshTokens();
  for (const token of issued) expect(stored).toContain(token);
  // The chain alive: the next job ran Codex with a renewed login, without waiting for a claim.
  expect(next.status).toBe('success');
  expect(issued.length).toBeGreaterThan(0);
  expect(next.steps.find((s) => s.phase === 'main')!.log).not.toMatch(/waiting for its renewed copy/);
  expect(fx.world.oauth.familyRevoked(fx.world.oauth.familyOf(original.tokens.refresh_token)!)).toBe(false);
}

test('the token endpoint failing through every retry: renewed=false, the failure said, the claim given back; the next job renews at once', async () => {
  const original = seed(30 * 60);
  fx.world.oauth.inject({ status: 503, times: 3 });
  const first = await run('endpoint-down', original);
  fx.world.oauth.clearFaults();
  expect(first.status).toBe('success');
  expect(first.outputs('auth')).toMatchObject({ renewed: 'false' });
  expect(first.steps.find((s) => s.phase === 'main')!.log).toMatch(/Could not renew .*503/);
  const next = await run('after-outage', original);
  expect(next.outputs('auth')).toMatchObject({ renewed: 'true' });
  await expectChainSafe(original, next);
});

describe.each(['reserve', 'upload', 'finalize'] as const)('one 5xx at the cache %s of the renewal', (call) => {
  test('is retried: the login is renewed once and stored, the next job uses it', async () => {
    const original = seed(30 * 60);
    // The claim, the successor and the login entry are each a save: the fault hits the first of them, the claim.
    fx.world.cache.inject({ method: CALLS.v2[call], status: call === 'upload' ? 500 : 503 });
    const first = await run(`cache-${call}`, original);
    fx.world.cache.clearFaults();
    expect(first.status).toBe('success');
    const next = await run(`after-cache-${call}`, original);
    expect(next.outputs('auth')).toMatchObject({ renewed: 'false', source: 'cache' });
    await expectChainSafe(original, next);
  });
});

test.each([
  // Stopped before the token endpoint: nothing spent, the claim given back, so the next job renews at once.
  ['claimed:throw', 'true'],
  // Stopped after the answer: the renewed login is stored (or its recovery copy is), and the next job uses it.
  ['answered:throw', 'false'],
  ['stored:kill', 'false'],
  ['stored:throw', 'false']
])(
  'a step stopped at %s (CODEX_AUTH_TEST_FAULT) loses nothing: the next job renews (%s) or uses the renewed login',
  async (fault, renews) => {
    const original = seed(30 * 60);
    const first = await run(`fault-${fault}`, original, { CODEX_AUTH_TEST_FAULT: fault });
    expect(first.status).toBe('failure');
    const next = await run(`after-${fault}`, original);
    expect(next.outputs('auth')).toMatchObject({ renewed: renews });
    await expectChainSafe(original, next);
  }
);

test('a step killed right after its claim (claimed:kill): nothing was spent; the next job waits no longer than its bound, then runs Codex with the still-valid access token', async () => {
  // 5 hours left: due within the 24-hour window, and longer than min-token-minutes (2 hours).
  const original = seed(5 * 3600);
  const first = await run(
    'fault-claimed-kill',
    original,
    { CODEX_AUTH_TEST_FAULT: 'claimed:kill' },
    { 'renew-before-hours': '24' }
  );
  expect(first.status).toBe('failure');
  const next = await run('after-claimed-kill', original, {}, { 'renew-before-hours': '24' });
  const main = next.steps.find((s) => s.phase === 'main')!;
  expect(next.status).toBe('success');
  expect(next.outputs('auth')).toMatchObject({ renewed: 'false' });
  // It waited for the dead claimer's copy within its bound (90 s), then went on with the access token it has.
  expect(main.log).toMatch(/waiting for its renewed copy/);
  expect(main.annotations.map((a) => a.message).join('\n')).toMatch(
    /has not been published after 90 s; its access token is still valid until .*, so this job uses it\. Its claim ends by itself at /
  );
  // No refresh token was spent by either job, none twice, and the login is alive.
  expect(fx.world.oauth.requests.slice(baseline.requests).filter((r) => r.issued)).toEqual([]);
  expect(fx.world.oauth.stats().reuse - baseline.reuse).toBe(0);
  expect(fx.world.oauth.familyRevoked(fx.world.oauth.familyOf(original.tokens.refresh_token)!)).toBe(false);
});

describe('a runner without the cache service (a local runner, GHES with caching off)', () => {
  const noCache = { ACTIONS_RESULTS_URL: '', ACTIONS_CACHE_URL: '', ACTIONS_CACHE_SERVICE_V2: '' };

  test('with local-store, the lock alone serializes the renewal: it needs no cache claim, renews once, and the next job uses it', async () => {
    const machine = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-machine-'));
    try {
      const original = seed(30 * 60);
      const local = { 'local-store': 'true', 'local-store-path': path.join(machine, 'store') };
      const first = await run('no-cache-local', original, noCache, local);
      expect(first.status).toBe('success');
      expect(first.outputs('auth')).toMatchObject({ renewed: 'true' });
      const next = await run('no-cache-local-next', original, noCache, local);
      expect(next.status).toBe('success');
      expect(next.outputs('auth')).toMatchObject({ renewed: 'false', source: 'local' });
      expect(fx.world.oauth.stats().reuse - baseline.reuse).toBe(0);
      expect(fx.world.oauth.requests.slice(baseline.requests).filter((r) => r.issued)).toHaveLength(1);
      expect(fx.world.cache.requests).toEqual([]);
    } finally {
      await fs.rm(machine, { recursive: true, force: true });
    }
  });

  test('with the cache as the only store, the job says plainly that it needs the cache, before anything is spent', async () => {
    const original = seed(30 * 60);
    const job = await run('no-cache-only', original, noCache);
    expect(job.status).toBe('failure');
    expect(errorsOf(job).join('\n')).toMatch(
      /kept only in the Actions cache, but this runner has no Actions cache service.*nothing was spent.*local-store: true/s
    );
    expect(fx.world.oauth.requests.slice(baseline.requests)).toEqual([]);
    expect(job.step('codex exec').status).toBe('skipped');
  });
});

describe('clocks skewed by an hour', () => {
  /** A runner whose clock is `hours` off: every Date in the action's process is shifted (Node's --import, a data: URL). */
  const skewed = (hours: number): Record<string, string> => {
    const shift = `const O=${hours * 3_600_000},D=Date;globalThis.Date=class extends D{constructor(...a){if(a.length)super(...a);else super(D.now()+O)}static now(){return D.now()+O}};`;
    return { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(shift)}` };
  };

  // An hour fast: the runner renews, stamping its clock; an hour slow: every real copy looks to it as
  // if from the future, and it stops before spending anything. Either way the next job on a correct
  // clock finds the chain intact.
  test.each([1, -1])(
    'a runner %i h off: no token spent twice, nothing lost, the next job on a correct clock runs; a re-seed still supersedes',
    async (hours) => {
      const original = seed(30 * 60);
      const first = await run(`skew-${hours}`, original, skewed(hours));
      expect(first.status).toBe(hours > 0 ? 'success' : 'failure');
      if (hours > 0) expect(first.outputs('auth')).toMatchObject({ renewed: 'true' });
      const next = await run(`skew-${hours}-next`, original);
      expect(next.outputs('auth')).toMatchObject({ renewed: String(hours < 0) });
      await expectChainSafe(original, next);
      // A fresh `codex login` (issued now, by the token endpoint's clock) wins over the stored copy it shares no tokens with.
      const fresh = fx.world.oauth.issue({ issuedAt: new Date(Date.now() + 60_000) });
      fx.seeds.push(fresh);
      const reseeded = await run(`skew-${hours}-reseed`, fresh);
      expect(reseeded.status).toBe('success');
      expect(reseeded.outputs('auth')).toMatchObject({ source: 'seed' });
    }
  );
});
