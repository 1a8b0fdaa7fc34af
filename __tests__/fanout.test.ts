// The fan-out fleet (issue 10): many ChatGPT-mode jobs at once with `renewal: ahead` (see
// __tests__/support/fanout.ts for the shape and the faults): 40 jobs on 8 runners started at once,
// on main and on a pull request, while the access tokens fall due every 20 s. It must end with no
// refresh-token reuse, no revoked family, one linear chain of renewals (never two at once), about
// run time / token lifetime of them, none on the pull request, every job authenticated (except those
// that fail on purpose, and pull-request jobs told that the login is renewed on main), no job's
// auth.json with a real refresh token, and 8 Codex runs in flight at one moment. The same fleet with
// `renewal: in-job` + the lease runs after it, for the wall time side by side.
//
// Time: about 1 min for the ahead run, 2-3 min for the in-job run (its jobs run one at a time).
import { describeFigures, FANOUT_SHAPE, failsOnPurpose, holdsRefreshToken, jobIndex, onPullRequest, runFanout, type FanoutRun } from './support/fanout.js';

let ahead: FanoutRun;

test(
  'renewal: ahead: 40 jobs on 8 runners at once, two branches, faults: no reuse, one chain of renewals, every job authenticated',
  async () => {
    ahead = await runFanout('ahead');
    const f = ahead.figures;
    console.log(`${describeFigures(f)}\n${JSON.stringify(f)}`);
    expect(f.jobs).toBe(FANOUT_SHAPE.jobs);
    expect(f.runners).toBeGreaterThanOrEqual(8);
    expect(f.faultsInjected).toBeGreaterThanOrEqual(5);
    expect(f.reuse).toBe(0);
    expect(f.revokedFamilies).toBe(0);
    // Renewals one at a time: each spends the refresh token the one before it issued.
    expect(ahead.linearChain).toBe(true);
    // Several renewals, and not more than the run time calls for (one per 20 s, plus the due seed).
    expect(f.renewals).toBeGreaterThanOrEqual(2);
    expect(f.renewals).toBeLessThanOrEqual(Math.ceil(f.expectedRenewals) + 1);
    expect(ahead.renewedOffDefault).toEqual([]);
    expect(ahead.usedBeforeStored).toEqual([]);
    // No job's Codex ever had a real refresh token.
    expect(ahead.captured.size).toBeGreaterThan(0);
    expect([...ahead.captured].filter(([, text]) => holdsRefreshToken(text, ahead.refreshTokens)).map(([name]) => name)).toEqual([]);
    // Every job authenticated, but those that fail on purpose after Codex and pull-request jobs told to wait for main.
    expect(f.otherFailures).toBe(0);
    for (const job of ahead.jobs) {
      const i = jobIndex(job.name);
      if (onPullRequest(i) && job.status === 'failure') continue;
      expect([job.name, job.steps.find((s) => s.name === 'codex exec')?.status]).toEqual([job.name, 'success']);
      expect([job.name, job.status]).toEqual([job.name, failsOnPurpose(i) ? 'failure' : 'success']);
    }
    expect(f.authenticated).toBeGreaterThanOrEqual(f.jobs - f.deferredToMain);
    expect(f.maxCodexAtOnce).toBeGreaterThanOrEqual(8);
  },
  15 * 60_000
);

test(
  'the same fleet with renewal: in-job and the lease, for the wall time side by side',
  async () => {
    const inJob = await runFanout('in-job', { ...FANOUT_SHAPE, barrier: 0 });
    console.log(`${describeFigures(inJob.figures)}\n${JSON.stringify(inJob.figures)}`);
    const a = ahead?.figures;
    console.log(`fan-out wall time: ahead ${a?.seconds ?? '?'} s vs in-job + lease ${inJob.figures.seconds} s` + (a ? ` (makespan ratio ${(a.seconds / inJob.figures.seconds).toFixed(2)})` : ''));
    expect(inJob.figures.jobs).toBe(FANOUT_SHAPE.jobs);
    expect(inJob.figures.reuse).toBe(0);
    expect(inJob.figures.maxCodexAtOnce).toBeLessThanOrEqual(1);
  },
  15 * 60_000
);
