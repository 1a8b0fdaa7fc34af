// ESM TypeScript through ts-jest; run with NODE_OPTIONS=--experimental-vm-modules (`npm test` sets it: scripts/test.mjs).
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  // End-to-end tests start real services and the real Codex CLI: generous per-test time.
  testTimeout: 180000,
  maxWorkers: 2,
  verbose: true
};
