// ESM TypeScript through ts-jest; run with NODE_OPTIONS=--experimental-vm-modules (`npm test` sets it: scripts/test.mjs).
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  // End-to-end tests start real services and the real Codex CLI: generous per-test time.
  testTimeout: 180000,
  // Three workers on two cores: most suites wait on child processes and loopback servers (with two
  // workers the cores were busy less than half the time), so a third worker shortens the run without
  // starving the others; every wait in the tests is bounded generously for a loaded machine.
  maxWorkers: 3,
  // The slowest suites first on a clean clone too (scripts/test-sequencer.mjs).
  testSequencer: '<rootDir>/scripts/test-sequencer.mjs',
  // A worker holds TypeScript (ts-jest) and V8's background compilation of it; on a loaded 2-core
  // machine it needs seconds to exit, and Jest's default 0.5 s grace reports that as "A worker process
  // has failed to exit gracefully". A worker kept alive by a real leak still gets that message.
  workerGracefulExitTimeout: 15000,
  verbose: true
};
