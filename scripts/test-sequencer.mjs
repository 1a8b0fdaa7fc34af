// Jest's order without timings (a clean clone, as CI runs it) is by file size, largest first. The
// fleet and other end-to-end suites are small files that run for minutes: they would start last and
// leave the other worker idle at the end. So without timings the suites named here start first,
// slowest first (as measured on 2 cores with 3 workers); with timings in Jest's cache its own order applies
// (failed first, then slowest first).
import TestSequencer from '@jest/test-sequencer';
import path from 'node:path';

const SLOWEST_FIRST = [
  'fleet-lease',
  'workload-identity',
  'serialize',
  'dist',
  'fleet-lock',
  'secret-write-back',
  'chatgpt',
  'renewal-faults',
  'readme-workflows',
  'event-runs',
  'refresh-failure',
  'fanout',
  'lease',
  'claims-cache',
  'init-cli',
  'renewal-ahead'
];

const Base = TestSequencer.default ?? TestSequencer;

export default class SlowestFirst extends Base {
  sort(tests) {
    const sorted = super.sort(tests);
    if (sorted.every((test) => test.duration != null)) return sorted;
    // Some suites without a timing (a clean clone, or a cache from a run of a few suites): the
    // slowest named here first, then the suites Jest has timings for, slowest first, then the rest.
    const rank = (test) => {
      const at = SLOWEST_FIRST.indexOf(path.basename(test.path, '.test.ts'));
      return at === -1 ? SLOWEST_FIRST.length : at;
    };
    const duration = (test) => (rank(test) < SLOWEST_FIRST.length ? Infinity : (test.duration ?? -1));
    // A stable sort: the other suites keep Jest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b) || duration(b) - duration(a));
  }
}
