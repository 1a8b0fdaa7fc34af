// The control (see __tests__/support/fleet.ts): the same fleet without any serialization breaks the
// chain, so the lease and lock fleets can fail. Time: ~1 min on 2 cores.
import { FLEET, report, runFleet } from './support/fleet.js';

test(
  'fleet without serialization breaks: reuse, a revoked family, jobs that cannot authenticate',
  async () => {
    const run = await runFleet('none');
    report(run);
    expect(run.figures.jobs).toBe(FLEET.shape.none.jobs);
    expect(run.figures.reuse).toBeGreaterThan(0);
    expect(run.familyRevoked).toBe(true);
    expect(run.figures.authenticated).toBeLessThan(FLEET.shape.none.jobs);
  },
  15 * 60_000
);
