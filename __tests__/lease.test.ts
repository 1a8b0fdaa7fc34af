// src/mutex/lease.ts against the loopback GitHub API: the lease is a ref whose creation is atomic
// and whose takeover is a fast-forward-only update (a compare-and-swap). Every scenario is observed
// in the server's refs, commits and request log, with real concurrency over HTTP.
import { TOKENS, EMPTY_TREE, startGitHubApi, type GitHubApi } from './support/github-api.js';
import {
  LeaseError,
  LeaseTimeoutError,
  RELEASE_MARGIN_MS,
  acquireLease,
  describeLeaseHolder,
  leaseHolderFromEnv,
  readLease,
  releaseLease,
  type AcquireLeaseOptions,
  type Lease,
  type LeaseHolder,
  type LeaseRecord
} from '../src/mutex/lease.js';
import { readSecretVersion, recordSecretVersion } from '../src/stores/secret-version.js';

import { openStores } from '../src/chatgpt/restore/stores.js';
import type { ChatGptInputs } from '../src/action/chatgpt-inputs.js';
import type { EnvelopeStore } from '../src/stores/store.js';

const REF = 'refs/codex-auth/leases/default';
const REPO = 'acme/app';

let api: GitHubApi;

beforeEach(async () => {
  api = await startGitHubApi();
});

afterEach(async () => {
  await api.stop();
});

/** A job as it would describe itself: run `runId`, job `job`, on runner `runner`. */
function holder(
  job: string,
  runId: number,
  runner = `runner-${job}`,
  jobNonce?: string,
  environment: 'self-hosted' | 'github-hosted' = 'self-hosted'
): LeaseHolder {
  return leaseHolderFromEnv(
    {
      RUNNER_ENVIRONMENT: environment,
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: String(runId),
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: job,
      GITHUB_WORKFLOW: 'CI',
      GITHUB_SERVER_URL: 'https://github.com',
      RUNNER_NAME: runner,
      RUNNER_TEMP: `/srv/${runner}/_work/_temp`
    },
    { jobNonce: jobNonce ?? `${job}-${runId}`, hostname: 'host-1' }
  );
}

const fast = { pollMs: 5, maxPollMs: 40, retryBaseMs: 1, readRecordAfterMs: 0 };

function target(overrides: { token?: string; credentialName?: string } = {}) {
  return {
    apiUrl: api.url,
    token: TOKENS.workflow,
    owner: 'acme',
    repo: 'app',
    credentialName: 'default',
    ...overrides
  };
}

function acquire(h: LeaseHolder, overrides: Partial<AcquireLeaseOptions> = {}): Promise<Lease> {
  return acquireLease({ ...target(), holder: h, ttlMs: 30 * 60_000, timeoutMs: 10_000, ...fast, ...overrides });
}

function release(lease: { sha: string; expiresAt?: string }, overrides: Record<string, unknown> = {}) {
  return releaseLease({ ...target(), ...fast, sha: lease.sha, expiresAt: lease.expiresAt, ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<LeaseError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(error).toBeInstanceOf(LeaseError);
  return error as LeaseError;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const wire = (from = 0): string[] => api.requests.slice(from).map((r) => `${r.method} ${r.path} ${r.status}`);
const record = (sha: string): LeaseRecord => JSON.parse(api.commit(REPO, sha)!.message);

describe('acquire and release', () => {
  test('the first job gets the lease at once: a ref to an empty-tree commit that names it; release deletes it', async () => {
    const logs: string[] = [];
    const lease = await acquire(holder('a', 11), { log: (l) => logs.push(l) });
    expect(lease.ref).toBe(REF);
    expect(api.ref(REPO, REF)).toBe(lease.sha);
    // One read first: a job that finds the lease held creates nothing (the rate budget).
    expect(wire()).toEqual([
      'GET /repos/acme/app/git/ref/codex-auth/leases/default 404',
      'POST /repos/acme/app/git/commits 201',
      'POST /repos/acme/app/git/refs 201'
    ]);

    const commit = api.commit(REPO, lease.sha)!;
    expect(commit.tree).toBe(EMPTY_TREE);
    expect(commit.parents).toEqual([]);
    const stored = record(lease.sha);
    expect(stored).toEqual(lease.record);
    expect(stored).toMatchObject({
      codexAuthLease: 1,
      credential: 'default',
      token: lease.token,
      holder: {
        repository: REPO,
        runId: '11',
        runAttempt: '1',
        job: 'a',
        workflow: 'CI',
        runner: 'runner-a',
        runUrl: 'https://github.com/acme/app/actions/runs/11'
      }
    });
    expect(lease.token).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(lease.expiresAt) - Date.parse(lease.acquiredAt)).toBe(30 * 60_000);
    expect(logs).toEqual([
      `Acquired the lease on credential 'default' (${REF} in ${REPO}); it expires at ${lease.expiresAt} unless the post step releases it first.`
    ]);
    // Nothing else in the repository moved: no branch, no tag.
    expect(Object.keys(api.refs(REPO)).sort()).toEqual([REF, 'refs/heads/main']);

    const mark = api.requests.length;
    expect(await release(lease)).toEqual({ released: true, renewed: false });
    expect(api.ref(REPO, REF)).toBeUndefined();
    expect(wire(mark)).toEqual([
      'GET /repos/acme/app/git/ref/codex-auth/leases/default 200',
      'DELETE /repos/acme/app/git/refs/codex-auth/leases/default 204'
    ]);

    const again = await release(lease);
    expect(again.released).toBe(false);
    expect(again).toMatchObject({ reason: expect.stringMatching(/was not held by this job any more/) });
  });

  test('credentials have their own leases', async () => {
    const a = await acquire(holder('a', 11));
    const b = await acquire(holder('b', 12), { credentialName: 'nightly', timeoutMs: 0 });
    expect(api.ref(REPO, REF)).toBe(a.sha);
    expect(api.ref(REPO, 'refs/codex-auth/leases/nightly')).toBe(b.sha);
    expect((await readLease(target({ credentialName: 'nightly' })))?.record?.holder.job).toBe('b');
    expect(await readLease(target({ credentialName: 'unused' }))).toBeUndefined();
  });

  test('a second job waits, saying who holds the lease, and gets it once it is released', async () => {
    const a = await acquire(holder('a', 11));
    const logs: string[] = [];
    const waiting = acquire(holder('b', 12), { logEveryMs: 100, log: (l) => logs.push(l) }).then((lease) => ({
      lease,
      at: Date.now()
    }));
    await sleep(600);
    expect(api.ref(REPO, REF)).toBe(a.sha);
    const releasedAt = Date.now();
    expect((await release(a)).released).toBe(true);
    const { lease: b, at } = await waiting;

    expect(at).toBeGreaterThanOrEqual(releasedAt);
    expect(b.waitedMs).toBeGreaterThanOrEqual(550);
    expect(api.ref(REPO, REF)).toBe(b.sha);
    expect(record(b.sha).holder.job).toBe('b');
    expect(b.tookOver).toBeUndefined();
    const progress = logs.filter((l) => l.startsWith('Waiting for the lease'));
    // How many lines a loaded machine's timers fit into the wait varies: at least one, naming the holder.
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toContain(
      `Waiting for the lease on credential 'default': held by job 'a' of run 11 of workflow 'CI' in acme/app on runner 'runner-a' (https://github.com/acme/app/actions/runs/11), ` +
        `until `
    );
    // The expiry is told on this job's clock: the holder's own timestamps are another machine's.
    expect(progress[0]).toContain(' at the latest (its expiry, 30 min after this job first saw it); waited ');
    expect(progress[0]).toMatch(/; waited \d+ ms of 10 s\.$/);
    expect(logs.at(-1)).toMatch(/^Acquired the lease on credential 'default' .* after waiting \d/);
  });

  test('the wait is bounded: the timeout names the holder and says that nothing was restored', async () => {
    const a = await acquire(holder('a', 11));
    const started = Date.now();
    const error = await failure(acquire(holder('b', 12), { timeoutMs: 300 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(30_000); // bounded, even on a loaded machine
    expect(error).toBeInstanceOf(LeaseTimeoutError);
    expect(error.kind).toBe('timeout');
    expect(error.holder?.token).toBe(a.token);
    expect(error.message).toMatch(
      /^Timed out after \d+ ms waiting for the lease on credential 'default' \(refs\/codex-auth\/leases\/default in acme\/app\): /
    );
    expect(error.message).toContain(
      `it is held by job 'a' of run 11 of workflow 'CI' in acme/app on runner 'runner-a' (https://github.com/acme/app/actions/runs/11), until `
    );
    expect(error.message).toContain('Nothing was restored');
    expect(error.message).toContain("raise input 'lease-timeout-minutes'");
    expect(error.message).toContain('`gh api -X DELETE repos/acme/app/git/refs/codex-auth/leases/default`');
    expect(api.ref(REPO, REF)).toBe(a.sha);

    // timeout 0: one attempt, no wait.
    const once = Date.now();
    expect(await failure(acquire(holder('c', 13), { timeoutMs: 0 }))).toBeInstanceOf(LeaseTimeoutError);
    expect(Date.now() - once).toBeLessThan(30_000);
  });
});

describe('a holder that is gone', () => {
  test('an expired lease is taken over exactly once when five waiters race; the others wait for the winner', async () => {
    const crashed = await acquire(holder('crashed', 10), { ttlMs: 100 });
    await sleep(150);
    const mark = api.requests.length;
    const events: string[] = [];
    const jobs = Array.from({ length: 5 }, async (_, i) => {
      const lease = await acquire(holder(`w${i}`, 20 + i));
      events.push(`start ${i}`);
      await sleep(30);
      events.push(`end ${i}`);
      expect((await release(lease)).released).toBe(true);
      return lease;
    });
    const leases = await Promise.all(jobs);

    const takeovers = leases.filter((l) => l.tookOver);
    expect(takeovers).toHaveLength(1);
    const [winner] = takeovers;
    // Either evidence may come first on a loaded machine: the waiter's own clock since it first saw
    // the record, or GitHub's `Date` (whole seconds) past the holder's server time plus its duration.
    expect(winner.tookOver).toMatchObject({
      sha: crashed.sha,
      reason: expect.stringMatching(
        /^its lease ran out: (unchanged for 100 ms \(its duration\) since this job first saw it|taken at \S+ by GitHub's clock, for 100 ms)$/
      )
    });
    expect(winner.tookOver!.record?.token).toBe(crashed.token);
    expect(api.commit(REPO, winner.sha)!.parents).toEqual([crashed.sha]);
    expect(record(winner.sha).takeoverOf).toBe(crashed.sha);
    // However many of them tried the compare-and-swap (timing decides), exactly one update went through.
    const patches = api.requests.slice(mark).filter((r) => r.method === 'PATCH');
    expect(patches.length).toBeGreaterThanOrEqual(1);
    expect(patches.filter((r) => r.status === 200)).toHaveLength(1);
    expect(patches.filter((r) => r.status === 422).every((r) => r.body.force === false)).toBe(true);
    expect(noOverlap(events)).toBe(true);
    expect(events).toHaveLength(10);
    expect(api.ref(REPO, REF)).toBeUndefined();
  });

  test("the holder whose lease was taken over cannot release the new holder's lease", async () => {
    const old = await acquire(holder('old', 10), { ttlMs: 100 });
    await sleep(150);
    const taker = await acquire(holder('taker', 11));
    expect(taker.tookOver?.sha).toBe(old.sha);
    const mark = api.requests.length;
    const result = await release(old);
    expect(result.released).toBe(false);
    if (result.released) return;
    expect(result.reason).toContain("is now held by job 'taker' of run 11");
    expect(result.reason).toContain('expired before its post step ran and another job took it over');
    expect(result.reason).toContain("input 'lease-expiry-minutes'");
    expect(result.heldBy?.token).toBe(taker.token);
    expect(api.ref(REPO, REF)).toBe(taker.sha);
    expect(api.requests.slice(mark).some((r) => r.method === 'DELETE' || r.method === 'PATCH')).toBe(false);
  });

  test('a release by a job that does not hold the lease (another commit) does nothing', async () => {
    const first = await acquire(holder('a', 11));
    expect((await release(first)).released).toBe(true);
    const second = await acquire(holder('b', 12));
    const mark = api.requests.length;
    const result = await release(first);
    expect(result).toMatchObject({ released: false, heldBySha: second.sha });
    expect(api.ref(REPO, REF)).toBe(second.sha);
    // It read the ref and the new holder's commit (to say who holds it), and changed nothing.
    expect(wire(mark)).toEqual([
      'GET /repos/acme/app/git/ref/codex-auth/leases/default 200',
      `GET /repos/acme/app/git/commits/${second.sha} 200`
    ]);
    expect(await release({ sha: 'not-a-sha' })).toMatchObject({
      released: false,
      reason: expect.stringContaining('not a lease commit id')
    });
    expect(api.ref(REPO, REF)).toBe(second.sha);
  });

  test('a lease left on this self-hosted runner by a killed job is taken over at once; the same job asking twice fails fast', async () => {
    const killed = await acquire(holder('a', 11, 'runner-x'));
    // A long timeout: taken over at once shows as a wait far shorter than it, whatever the load.
    const next = await acquire(holder('b', 12, 'runner-x'), { timeoutMs: 60_000 });
    expect(next.waitedMs).toBeLessThan(30_000);
    expect(next.tookOver?.sha).toBe(killed.sha);
    expect(next.tookOver?.reason).toMatch(
      /runner 'runner-x' \(self-hosted\) now runs this job, and a runner runs one job at a time/
    );

    const started = Date.now();
    const error = await failure(acquire(holder('b', 12, 'runner-x'), { timeoutMs: 60_000 }));
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(error.kind).toBe('this-job');
    expect(error.message).toContain("This job already holds the lease on credential 'default'");
    expect(error.message).toContain('Nothing was restored');
    expect(api.ref(REPO, REF)).toBe(next.sha);

    // Another runner's live lease is waited for, not taken over.
    expect(await failure(acquire(holder('c', 13, 'runner-y'), { timeoutMs: 200 }))).toBeInstanceOf(LeaseTimeoutError);
  });
});

describe('a holder is judged gone only from evidence that holds on every runner and clock (issues 20 and 21)', () => {
  const HOUR = 60 * 60_000;
  const skewed = (ms: number) => () => Date.now() + ms;

  test.each([
    [+HOUR, -HOUR],
    [-HOUR, +HOUR],
    [0, +HOUR],
    [-HOUR, 0]
  ])(
    'a live lease is never taken over early: holder clock %p ms off, waiter clock %p ms off',
    async (holderSkew, waiterSkew) => {
      const live = await acquire(holder('a', 11), { now: skewed(holderSkew), ttlMs: 30 * 60_000 });
      const error = await failure(acquire(holder('b', 12), { now: skewed(waiterSkew), timeoutMs: 300 }));
      expect(error).toBeInstanceOf(LeaseTimeoutError);
      expect(api.ref(REPO, REF)).toBe(live.sha);
      expect(api.requests.some((r) => r.method === 'PATCH')).toBe(false);
    }
  );

  test.each([
    [+HOUR, -HOUR],
    [-HOUR, +HOUR]
  ])(
    "a dead lease is taken over once its duration has passed on the waiter's own clock: holder %p ms off, waiter %p ms off",
    async (holderSkew, waiterSkew) => {
      const dead = await acquire(holder('killed', 11), { now: skewed(holderSkew), ttlMs: 300 });
      const next = await acquire(holder('b', 12), { now: skewed(waiterSkew), timeoutMs: 60_000 });
      // By the waiter's own clock, or by GitHub's (whichever tells first on a loaded machine); never the holder's.
      expect(next.tookOver?.sha).toBe(dead.sha);
      expect(next.tookOver?.reason).toMatch(
        /^its lease ran out: (unchanged for 300 ms \(its duration\) since this job first saw it|taken at \S+ by GitHub's clock, for 300 ms)$/
      );
      // Never before the holder's duration, measured by the waiter from its first sight of the holder.
      expect(next.waitedMs).toBeGreaterThanOrEqual(300);
    }
  );

  test("a lease that ran out long ago is taken over at the first look, by GitHub's clock (the Date of its answers)", async () => {
    const dead = await acquire(holder('killed', 11), { now: skewed(+HOUR), ttlMs: 1000 });
    expect(record(dead.sha).serverAcquiredAt).toEqual(expect.any(String));
    // GitHub's Date has whole seconds: past the start, the duration and the rounding.
    while (Date.now() - Date.parse(record(dead.sha).serverAcquiredAt!) < 3000) await sleep(200);
    const next = await acquire(holder('b', 12), { now: skewed(-HOUR), timeoutMs: 0 });
    expect(next.tookOver?.sha).toBe(dead.sha);
    expect(next.tookOver?.reason).toMatch(/^its lease ran out: taken at .* by GitHub's clock, for 1\.0 s$/);
  });

  test('on GitHub-hosted runners a matching runner name, host and temp directory is no evidence: the live holder keeps the lease', async () => {
    const live = await acquire(holder('a', 11, 'GitHub Actions 2', undefined, 'github-hosted'));
    const error = await failure(
      acquire(holder('b', 12, 'GitHub Actions 2', undefined, 'github-hosted'), { timeoutMs: 300 })
    );
    expect(error).toBeInstanceOf(LeaseTimeoutError);
    expect(api.ref(REPO, REF)).toBe(live.sha);
  });

  test('a holder whose run has finished is taken over (actions: read); while it runs, it keeps the lease', async () => {
    api.addToken('ghs_LOOPBACKcontentsactions000000000000', {
      kind: 'integration',
      permissions: { contents: 'write', actions: 'read' }
    });
    const token = 'ghs_LOOPBACKcontentsactions000000000000';
    const killed = await acquire(holder('a', 11, 'GitHub Actions 2', undefined, 'github-hosted'), target({ token }));
    api.setRun(REPO, 11, 1, { status: 'in_progress' });
    const timing = { runCheckAfterMs: 0, runCheckEveryMs: 0 };
    const wait = await failure(acquire(holder('b', 12), { ...timing, timeoutMs: 300, ...target({ token }) }));
    expect(wait).toBeInstanceOf(LeaseTimeoutError);
    expect(api.requests.some((r) => r.path === '/repos/acme/app/actions/runs/11/attempts/1' && r.status === 200)).toBe(
      true
    );

    api.setRun(REPO, 11, 1, { status: 'completed', conclusion: 'cancelled' });
    const next = await acquire(holder('b', 12), { ...timing, timeoutMs: 60_000, ...target({ token }) });
    expect(next.tookOver).toMatchObject({
      sha: killed.sha,
      reason: 'its run 11 (attempt 1) has finished (cancelled), so its post step will not release it'
    });
  });

  test("without actions: read the lease's expiry decides, and the log says so once", async () => {
    const live = await acquire(holder('a', 11));
    api.setRun(REPO, 11, 1, { status: 'completed', conclusion: 'success' });
    const logs: string[] = [];
    const error = await failure(
      acquire(holder('b', 12), { runCheckAfterMs: 0, runCheckEveryMs: 0, timeoutMs: 300, log: (l) => logs.push(l) })
    );
    expect(error).toBeInstanceOf(LeaseTimeoutError);
    expect(api.ref(REPO, REF)).toBe(live.sha);
    expect(logs.filter((l) => l.includes('lacks `actions: read`'))).toEqual([
      "Cannot tell whether the run of the lease's holder has finished (the token in input 'lease-token' lacks `actions: read`): waiting for the lease's expiry instead."
    ]);
  });
});

describe('release closes the window between its read and its delete', () => {
  test('a lease close to its expiry is renewed by compare-and-swap before it is deleted', async () => {
    const lease = await acquire(holder('a', 11), { ttlMs: 60_000 });
    expect(60_000).toBeLessThan(RELEASE_MARGIN_MS);
    const mark = api.requests.length;
    expect(await release(lease)).toEqual({ released: true, renewed: true });
    expect(wire(mark)).toEqual([
      'GET /repos/acme/app/git/ref/codex-auth/leases/default 200',
      // The holder's record, carried into the renewal.
      `GET /repos/acme/app/git/commits/${lease.sha} 200`,
      'POST /repos/acme/app/git/commits 201',
      'PATCH /repos/acme/app/git/refs/codex-auth/leases/default 200',
      'DELETE /repos/acme/app/git/refs/codex-auth/leases/default 204'
    ]);
    const renewal = api.requests[mark + 2].body;
    expect(renewal.parents).toEqual([lease.sha]);
    expect(JSON.parse(renewal.message)).toMatchObject({ token: lease.token, renewedAt: expect.any(String) });
    expect(api.ref(REPO, REF)).toBeUndefined();
  });

  test('an expired lease taken over between the read and the delete is left to its new holder', async () => {
    const lease = await acquire(holder('a', 11), { ttlMs: 100 });
    await sleep(150);
    let taker: Lease | undefined;
    // The post step reads the ref (still ours), then a waiter takes the expired lease over.
    const racing: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if ((init?.method ?? 'GET') === 'GET' && String(input).includes('/git/ref/') && !taker)
        taker = await acquire(holder('b', 12));
      return response;
    };
    const result = await release(lease, { fetch: racing });
    expect(taker?.tookOver?.sha).toBe(lease.sha);
    expect(result).toMatchObject({ released: false, heldBySha: taker!.sha });
    expect(api.ref(REPO, REF)).toBe(taker!.sha);
    expect(api.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });
});

describe('what GitHub refuses', () => {
  test('a token without contents: write gets a message naming the permission; nothing is created', async () => {
    api.addToken('ghs_LOOPBACKsecretsonly000000000000000', { kind: 'integration', permissions: { secrets: 'write' } });
    for (const token of [TOKENS.reader, 'ghs_LOOPBACKsecretsonly000000000000000']) {
      const error = await failure(acquireLease({ ...target({ token }), holder: holder('a', 11), ...fast }));
      expect(error.kind).toBe('forbidden');
      expect(error.status).toBe(403);
      expect(error.message).toMatch(
        // A reader fails at the commit; a token without contents at all at its first read.
        /^Cannot (read the lease ref|create a lease commit) for credential 'default' \(refs\/codex-auth\/leases\/default in acme\/app\): GitHub answered 403/
      );
      expect(error.message).toMatch(/\(GitHub says the call needs contents=(read|write)\)/);
      expect(error.message).toContain('add `permissions: contents: write` to the workflow or the job');
      expect(error.message).toContain(`input 'lease-token'`);
      expect(error.message).toContain('Nothing was restored');
      expect(error.message).not.toContain(token);
    }
    expect(api.ref(REPO, REF)).toBeUndefined();
    expect(api.requests.filter((r) => r.method !== 'GET').every((r) => r.status === 403)).toBe(true);
  });

  test('a repository the token cannot see is a 404 with the same advice; a revoked token is a 401', async () => {
    const hidden = await failure(
      acquireLease({ ...target({ token: TOKENS.otherRepo }), holder: holder('a', 11), ...fast })
    );
    expect(hidden.kind).toBe('not-found');
    expect(hidden.message).toContain(
      "The repository acme/app does not exist, or the token in input 'lease-token' cannot see it"
    );
    expect(hidden.message).toContain('`contents: write`');
    // Release and read start with a GET: a missing repository is not mistaken for a free lease.
    expect((await failure(readLease(target({ token: TOKENS.otherRepo })))).kind).toBe('not-found');
    expect((await failure(release({ sha: 'a'.repeat(40) }, { token: TOKENS.otherRepo }))).kind).toBe('not-found');

    const revoked = await failure(
      acquireLease({ ...target({ token: TOKENS.revoked }), holder: holder('a', 11), ...fast })
    );
    expect(revoked.kind).toBe('unauthorized');
    expect(revoked.message).toMatch(/The token in input 'lease-token' is invalid, expired or revoked/);
    expect(revoked.message).not.toContain(TOKENS.revoked);
  });

  test('a release with a read-only token fails clearly and leaves the lease in place', async () => {
    const lease = await acquire(holder('a', 11));
    const error = await failure(release(lease, { token: TOKENS.reader }));
    expect(error.kind).toBe('forbidden');
    expect(error.message).toContain("Cannot delete the lease ref for credential 'default'");
    expect(error.message).toContain('permissions: contents: write');
    expect(error.message).not.toContain('Nothing was restored');
    expect(api.ref(REPO, REF)).toBe(lease.sha);
  });

  test('5xx answers, rate limits and dropped connections are retried, with the attempt in the log', async () => {
    api.inject({ method: 'POST', path: '/git/commits', status: 503 });
    api.inject({ method: 'POST', path: '/git/refs', status: 502 });
    api.inject({ method: 'POST', path: '/git/refs', retryAfter: 1 });
    const logs: string[] = [];
    const lease = await acquire(holder('a', 11), { log: (l) => logs.push(l) });
    expect(api.ref(REPO, REF)).toBe(lease.sha);
    expect(logs.filter((l) => l.startsWith('GitHub API:'))).toEqual([
      expect.stringMatching(
        /^GitHub API: POST \/repos\/acme\/app\/git\/commits answered 503 Service Unavailable; attempt 2 of 4 in /
      ),
      expect.stringMatching(/^GitHub API: POST \/repos\/acme\/app\/git\/refs answered 502; attempt 2 of 4 in /),
      expect.stringMatching(
        /^GitHub API: POST \/repos\/acme\/app\/git\/refs hit the secondary rate limit; waiting 1 s as GitHub asks, then trying again \(rate-limit retry 1 of 3\)\.$/
      )
    ]);
    expect(api.requests.filter((r) => r.fault)).toHaveLength(3);

    api.inject({ method: 'DELETE', drop: true });
    expect((await release(lease)).released).toBe(true);
    expect(api.ref(REPO, REF)).toBeUndefined();
  });

  test("a job waiting for the lease rides out API faults longer than one request's 4 attempts, until its timeout", async () => {
    const first = await acquire(holder('a', 11));
    // Every read of the lease ref fails 10 times in a row (more than the 4 attempts of one request).
    api.inject({ method: 'GET', path: '/git/ref/', status: 503, times: 10 });
    const logs: string[] = [];
    const waiting = acquire(holder('b', 12), { log: (l) => logs.push(l), timeoutMs: 60_000 });
    while (api.requests.filter((r) => r.fault).length < 10) await sleep(10);
    await release(first);
    const second = await waiting;
    expect(api.ref(REPO, REF)).toBe(second.sha);
    expect(
      logs.some((l) =>
        l.startsWith(
          "The GitHub API failed while this job waits for the lease on credential 'default' (unavailable 503): retrying until the wait runs out"
        )
      )
    ).toBe(true);
    await release(second);
  });

  test('a fault that outlasts the wait fails with the fault, not a bare timeout', async () => {
    await acquire(holder('a', 11));
    api.inject({ method: 'GET', path: '/git/ref/', drop: true, times: 1000 });
    const error = await failure(acquire(holder('b', 12), { timeoutMs: 300 }));
    expect(error.kind).toBe('network');
    expect(error.message).toContain('could not be reached after 4 attempts');
    api.clearFaults();
  });

  test('an answer lost after GitHub applied the request: the retry is refused, and the lease is still recognised as ours', async () => {
    // The connection drops after the server did the work (what a retry cannot tell from a failure).
    const losing = (method: string, pathEnd: string): typeof fetch => {
      let lost = false;
      return async (input, init) => {
        const response = await fetch(input, init);
        if (!lost && init?.method === method && new URL(String(input)).pathname.includes(pathEnd)) {
          lost = true;
          await response.text();
          throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
        }
        return response;
      };
    };
    const logs: string[] = [];
    const lease = await acquire(holder('a', 11), {
      fetch: losing('POST', '/git/refs'),
      log: (l) => logs.push(l),
      timeoutMs: 60_000
    });
    expect(api.ref(REPO, REF)).toBe(lease.sha);
    expect(lease.waitedMs).toBeLessThan(30_000);
    expect(wire()).toEqual([
      'GET /repos/acme/app/git/ref/codex-auth/leases/default 404',
      'POST /repos/acme/app/git/commits 201',
      'POST /repos/acme/app/git/refs 201',
      'POST /repos/acme/app/git/refs 422',
      'GET /repos/acme/app/git/ref/codex-auth/leases/default 200'
    ]);
    expect(logs).toContain(
      "The lease on credential 'default' points at this job's commit: GitHub applied the request whose answer was lost."
    );

    expect(await release(lease, { fetch: losing('DELETE', '/git/refs/') })).toEqual({ released: true, renewed: false });
    expect(api.ref(REPO, REF)).toBeUndefined();
  });

  test('GitHub failing on every attempt of a job that does not wait (timeout 0): the step fails with the outage message', async () => {
    api.inject({ method: 'POST', path: '/git/commits', status: 500, times: 4 });
    const error = await failure(acquire(holder('a', 11), { timeoutMs: 0 }));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toMatch(
      /GitHub answered 500 Server Error.*kept failing after 4 attempts.*githubstatus\.com.*Nothing was restored/
    );
    expect(api.requests.filter((r) => r.path.endsWith('/git/commits'))).toHaveLength(4);
  });

  test('a 422 other than "already exists" is not mistaken for a held lease', async () => {
    api.inject({ method: 'POST', path: '/git/refs', status: 422, body: { message: 'Reference name is not allowed' } });
    const error = await failure(acquire(holder('a', 11)));
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('GitHub answered 422 Reference name is not allowed');
    // "Reference update failed" is transient: looked at again, then tried again.
    api.inject({
      method: 'POST',
      path: '/git/refs',
      status: 422,
      body: { message: 'Reference update failed' },
      times: 2
    });
    const lease = await acquire(holder('a', 11));
    expect(api.ref(REPO, REF)).toBe(lease.sha);
  });

  test('settings are checked before any request', async () => {
    const cases: [Partial<AcquireLeaseOptions>, RegExp][] = [
      [{ credentialName: 'no/slashes' }, /'no\/slashes' is not a valid credential name/],
      [{ ttlMs: 7 * 3600_000 }, /at most 6 hours \(input 'lease-expiry-minutes'\); it was 7 h/],
      [{ ttlMs: 0 }, /more than 0/],
      [{ timeoutMs: -1 }, /input 'lease-timeout-minutes'/],
      [{ token: '' }, /no token was given \(input 'lease-token'\).*permissions: contents: write/],
      [{ apiUrl: 'ftp://x' }, /not an http\(s\) URL/]
    ];
    for (const [overrides, message] of cases) {
      const error = await failure(acquire(holder('a', 11), overrides));
      expect(error.kind).toBe('invalid');
      expect(error.message).toMatch(message);
    }
    expect(api.requests).toEqual([]);
  });
});

test('mutual exclusion: six concurrent jobs each hold the lease alone, one after another', async () => {
  const events: string[] = [];
  const results = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => {
      const lease = await acquire(holder(`job${i}`, 100 + i, `runner-${i % 3}-${i}`), { timeoutMs: 20_000 });
      events.push(`start ${i}`);
      await sleep(20 + Math.floor(Math.random() * 40));
      events.push(`end ${i}`);
      return release(lease);
    })
  );
  expect(results.every((r) => r.released)).toBe(true);
  expect(events).toHaveLength(12);
  expect(noOverlap(events)).toBe(true);
  // They did compete: creates were refused while another job held the lease.
  expect(
    api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/refs') && r.status === 422).length
  ).toBeGreaterThanOrEqual(5);
  expect(api.ref(REPO, REF)).toBeUndefined();
});

describe('holders', () => {
  test('identify the runner process and the job without revealing host or paths', () => {
    const h = holder('build', 42, 'r1');
    expect(h).toMatchObject({
      repository: REPO,
      runId: '42',
      runAttempt: '1',
      job: 'build',
      workflow: 'CI',
      runner: 'r1'
    });
    expect(h.runnerId).toMatch(/^[0-9a-f]{24}$/);
    expect(JSON.stringify(h)).not.toContain('/srv/');
    expect(JSON.stringify(h)).not.toContain('host-1');
    expect(holder('other', 43, 'r1').runnerId).toBe(h.runnerId);
    expect(holder('build', 42, 'r2').runnerId).not.toBe(h.runnerId);
    expect(holder('build', 42, 'r1', 'another nonce').jobId).not.toBe(h.jobId);
    const retry = leaseHolderFromEnv({
      GITHUB_REPOSITORY: REPO,
      GITHUB_RUN_ID: '42',
      GITHUB_RUN_ATTEMPT: '3',
      GITHUB_JOB: 'build',
      GITHUB_SERVER_URL: 'https://ghe.example.com/'
    });
    expect(retry.runUrl).toBe('https://ghe.example.com/acme/app/actions/runs/42/attempts/3');
    expect(retry.runnerId).toBeUndefined();
    expect(describeLeaseHolder({ holder: retry })).toBe(
      "job 'build' of run 42 (attempt 3) in acme/app (https://ghe.example.com/acme/app/actions/runs/42/attempts/3)"
    );
    expect(describeLeaseHolder(undefined)).toBe('a holder whose record codex-auth cannot read');
  });
});

/** True when the start/end markers never interleave: every "start i" is directly followed by "end i". */
function noOverlap(events: string[]): boolean {
  for (let i = 0; i < events.length; i += 2) {
    const [kind, id] = events[i].split(' ');
    if (kind !== 'start' || events[i + 1] !== `end ${id}`) return false;
  }
  return true;
}

describe("the secret's version: the newest copy wins by the repository's record, not by the order jobs ran (issue 21)", () => {
  const SECRET = { scope: 'repository' as const, name: 'CODEX_AUTH_JSON', owner: 'acme', repo: 'app' };
  const T0 = Date.parse('2026-12-01T10:00:00.000Z');
  const T1 = Date.parse('2026-12-01T11:00:00.000Z');

  /** The secret store of a job (src/chatgpt/restore/stores.ts), with the lease on as the action configures it. */
  async function secretStoreOfAJob(): Promise<EnvelopeStore> {
    const inputs = {
      credentialName: 'default',
      secret: { ...SECRET, apiUrl: api.url, token: TOKENS.writer },
      lease: { apiUrl: api.url, token: TOKENS.workflow, owner: 'acme', repo: 'app', timeoutMs: 0, ttlMs: 60_000 }
    } as unknown as ChatGptInputs;
    const stores = await openStores({
      inputs,
      env: { GITHUB_REPOSITORY: REPO },
      log: () => undefined,
      localDir: undefined
    });
    return stores.find((s) => s.kind === 'secret')!;
  }

  test('a job queued before another job wrote a newer login cannot write its older copy back over it', async () => {
    const early = await secretStoreOfAJob(); // queued first: it holds the copy of T0
    const late = await secretStoreOfAJob();
    expect(await late.write('envelope-of-T1', T1)).toMatchObject({ ok: true });
    expect(api.secretValue(SECRET, 'CODEX_AUTH_JSON')).toBe('envelope-of-T1');
    expect((await readSecretVersion(target()))?.version.lastRefresh).toBe(new Date(T1).toISOString());

    const refused = await early.write('envelope-of-T0', T0);
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.reason).toMatch(
        /^the secret already holds a newer login \(last_refresh 2026-12-01T11:00:00\.000Z/
      );
    expect(api.secretValue(SECRET, 'CODEX_AUTH_JSON')).toBe('envelope-of-T1');
    // The same login again (a main step's write-back) and a newer one are written.
    expect(await early.write('envelope-of-T1-again', T1)).toMatchObject({ ok: true });
    expect(await early.write('envelope-of-T2', T1 + 1000)).toMatchObject({ ok: true });
    expect(api.secretValue(SECRET, 'CODEX_AUTH_JSON')).toBe('envelope-of-T2');
  });

  test('reading the version rides out GitHub faults longer than one request retries; a refusal fails at once', async () => {
    const h = holder('a', 11);
    await recordSecretVersion({ ...target(), ...fast, lastRefresh: new Date(T1).toISOString(), holder: h });
    // Every attempt of the first read fails (502, 4 attempts), then GitHub answers again.
    api.inject({ path: '/git/', status: 502, times: 4 });
    const slept: number[] = [];
    const read = await readSecretVersion({
      ...target(),
      ...fast,
      sleep: async (ms) => void slept.push(ms)
    });
    expect(read?.version.lastRefresh).toBe(new Date(T1).toISOString());
    expect(slept).toContain(5_000);
    // A token that may not read the repository is no passing fault.
    await expect(readSecretVersion({ ...target(), ...fast, token: 'not-a-token' })).rejects.toMatchObject({
      kind: 'unauthorized'
    });
  });

  test('the record never moves back, and two recorders racing end with the newest', async () => {
    const h = holder('a', 11);
    expect(await readSecretVersion(target())).toBeUndefined();
    const [a, b] = await Promise.all([
      recordSecretVersion({ ...target(), ...fast, lastRefresh: new Date(T1).toISOString(), holder: h }),
      recordSecretVersion({ ...target(), ...fast, lastRefresh: new Date(T0).toISOString(), holder: h })
    ]);
    expect([a, b]).toContain('recorded');
    expect((await readSecretVersion(target()))?.version.lastRefresh).toBe(new Date(T1).toISOString());
    expect(
      await recordSecretVersion({ ...target(), ...fast, lastRefresh: new Date(T0).toISOString(), holder: h })
    ).toBe('newer-recorded');
    expect((await readSecretVersion(target()))?.version.lastRefresh).toBe(new Date(T1).toISOString());
  });
});
