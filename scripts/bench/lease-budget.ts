// The lease's rate budget (issue 20): the REST requests a 40-job matrix with `lease: true` sends,
// against the target of at most 20% of one repository's hourly GITHUB_TOKEN budget (1,000 requests
// an hour, shared by all its jobs) for a 40-job burst: 200 requests.
//
// The real lease code (src/mutex/lease.ts, through Octokit) against the loopback GitHub API, with
// the action's own settings (renewal: ahead's 5-minute lease, lease-timeout-minutes 30, the default
// backoff): 40 jobs start within a few seconds, as a matrix does, all with a login that is due. One
// renews (the token endpoint and the cache save take a few seconds: `RENEWAL_MS`) and publishes
// the successor; the others wait for the lease and stop as soon as the successor is published
// (`stopWaiting`, a cache lookup in the action, free of the REST budget). Each request GitHub would
// count (every one the loopback API received, faults and retries included) is counted.
import { acquireLease, leaseHolderFromEnv, LeaseError, releaseLease } from '../../src/mutex/lease.js';
import { startGitHubApi, TOKENS } from '../../__tests__/support/github-api.js';

const JOBS = 40;
const HOURLY_BUDGET = 1000;
const TARGET = 0.2 * HOURLY_BUDGET;
/** A matrix starts its jobs within seconds of each other. */
const START_SPREAD_MS = 5000;
/** A renewal's refresh request and cache save, held under the lease. */
const RENEWAL_MS = 3000;
const TIMEOUT_MS = 30 * 60_000;

export async function leaseBudget(): Promise<string[]> {
  const api = await startGitHubApi();
  try {
    let renewedAt: number | undefined;
    const started = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: JOBS }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i * START_SPREAD_MS) / JOBS));
        if (renewedAt !== undefined) return 'fresh'; // its restore already found the renewed login
        const target = {
          apiUrl: api.url,
          token: TOKENS.workflow,
          owner: 'acme',
          repo: 'app',
          credentialName: 'default'
        };
        try {
          const lease = await acquireLease({
            ...target,
            holder: leaseHolderFromEnv({
              GITHUB_REPOSITORY: 'acme/app',
              GITHUB_RUN_ID: '7',
              GITHUB_JOB: `job-${i}`,
              RUNNER_NAME: `GitHub Actions ${i}`,
              RUNNER_ENVIRONMENT: 'github-hosted'
            }),
            ttlMs: 5 * 60_000,
            timeoutMs: TIMEOUT_MS,
            stopWaiting: async () => (renewedAt !== undefined ? 'another job renewed the login' : undefined)
          });
          // Under the lease: renew only if nobody did (the claim and the re-read in the action).
          const renews = renewedAt === undefined;
          if (renews) await new Promise((resolve) => setTimeout(resolve, RENEWAL_MS));
          renewedAt ??= Date.now();
          await releaseLease({ ...target, sha: lease.sha, expiresAt: lease.expiresAt });
          return renews ? 'renewed' : 'held';
        } catch (error) {
          if (error instanceof LeaseError && error.kind === 'not-needed') return 'stopped waiting';
          throw error;
        }
      })
    );
    const seconds = (Date.now() - started) / 1000;
    const count = (o: string): number => outcomes.filter((x) => x === o).length;
    const requests = api.requests.length;
    const byKind = new Map<string, number>();
    for (const r of api.requests) {
      const key = `${r.method} ${r.path.replace(/\/git\/commits\/[0-9a-f]{40}$/, '/git/commits/{sha}')}`;
      byKind.set(key, (byKind.get(key) ?? 0) + 1);
    }
    const verdict = requests <= TARGET ? 'PASS' : 'MISS';
    return [
      `Lease rate budget: a ${JOBS}-job matrix with lease: true (renewal: ahead), its login due, jobs started within ${START_SPREAD_MS / 1000} s:`,
      `  ${count('renewed')} renewed under the lease, ${count('held')} took it after the renewal, ${count('stopped waiting')} stopped waiting once the renewal was published, ${count('fresh')} started after it; ${seconds.toFixed(1)} s.`,
      `  [${verdict}] REST requests: ${requests} (${(requests / JOBS).toFixed(1)} per job) against the target of at most ${TARGET} (20% of one repository's ${HOURLY_BUDGET.toLocaleString('en')}/hour GITHUB_TOKEN budget) for the burst.`,
      `  By call: ${[...byKind].map(([k, n]) => `${k} ×${n}`).join('; ')}.`,
      '  With renewal: in-job the lease is held for the whole job: each waiter polls with a backoff capped at a hundredth of lease-timeout-minutes (at most 100 polls over its wait), so a burst of N jobs costs up to ~100 requests per waiting job; prefer renewal: ahead for a large matrix.'
    ];
  } finally {
    await api.stop();
  }
}
