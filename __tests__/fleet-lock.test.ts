// The fleet with the runner-local lock (self-hosted runners on one machine, one shared
// local-store-path): see __tests__/support/fleet.ts. Time: ~3 min idle, ~5 loaded on 2 cores.
import { expectSerializedFleetHeld, FLEET, report, runFleet } from './support/fleet.js';

test(
  'fleet with the runner-local lock: zero reuse, every job authenticated, the lock released, the newest copy stored',
  async () => {
    const run = await runFleet('lock');
    report(run);
    expectSerializedFleetHeld(run);
    expect(run.localIsLive).toBe(true);
    expect(run.lockLeftBehind).toEqual([]);
    expect(run.figures.waits).toBeGreaterThan(0);
  },
  (FLEET.waitMinutes + 15) * 60_000
);
