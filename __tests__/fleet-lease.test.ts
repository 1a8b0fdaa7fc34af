// The fleet with the lease (runners on separate machines): see __tests__/support/fleet.ts.
// Time: ~4 min on an idle 2-core machine, ~8 on a loaded one.
import { expectSerializedFleetHeld, FLEET, report, runFleet } from './support/fleet.js';

test(
  'fleet with the lease: zero reuse, every job authenticated, the lease released, the newest copy stored',
  async () => {
    const run = await runFleet('lease');
    report(run);
    expectSerializedFleetHeld(run);
    expect(run.leaseLeftBehind).toBeUndefined();
    // Jobs did overlap: some waited for the lease.
    expect(run.figures.waits).toBeGreaterThan(0);
  },
  (FLEET.waitMinutes + 15) * 60_000
);
