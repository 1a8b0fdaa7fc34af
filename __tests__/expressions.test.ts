// The `${{ }}` evaluator of the workflow harness: GitHub's semantics where the examples need them,
// and an error, never an empty string, for anything it was not given.
import { condition, evaluate, interpolate, type Contexts } from './support/expressions.js';
import { matrixLegs } from './support/workflow-run.js';

const contexts: Contexts = {
  secrets: { CODEX_AUTH_KEY: 'k' },
  vars: { CODEX_CREDENTIAL: '' },
  steps: {
    auth: { outputs: { 'codex-home': '/tmp/h', 'cache-hit': 'true' }, outcome: 'success', conclusion: 'success' }
  },
  github: { token: 't', event_name: 'push' },
  matrix: { os: 'ubuntu-latest', n: 2 }
};

test('property access, outputs with dashes, `||` defaults and case-insensitive string equality', () => {
  expect(interpolate('h=${{ steps.auth.outputs.codex-home }}', contexts)).toBe('h=/tmp/h');
  expect(evaluate("steps.auth.outputs['cache-hit'] == 'TRUE'", contexts)).toBe(true);
  expect(interpolate("codex-auth-${{ vars.CODEX_CREDENTIAL || 'default' }}", contexts)).toBe('codex-auth-default');
  expect(evaluate("github.event_name != 'schedule' && matrix.n >= 2", contexts)).toBe(true);
  expect(evaluate("!(matrix.os == 'windows-latest')", contexts)).toBe(true);
  expect(evaluate("format('{0}-{1}', matrix.os, matrix.n)", contexts)).toBe('ubuntu-latest-2');
});

test('if: conditions imply success() unless they call a status function', () => {
  const failed = { status: 'failure' as const };
  expect(condition("${{ github.event_name == 'push' }}", contexts, { status: 'success' })).toBe(true);
  expect(condition("github.event_name == 'push'", contexts, failed)).toBe(false);
  expect(condition('always()', contexts, failed)).toBe(true);
  expect(condition('${{ failure() }}', contexts, failed)).toBe(true);
  expect(condition(undefined, contexts, failed)).toBe(false);
});

test('anything unknown is an error, not an empty string', () => {
  expect(() => evaluate('secrets.OPENAI_API_KEY', contexts)).toThrow(
    "'secrets.OPENAI_API_KEY' is not known to the harness"
  );
  expect(() => evaluate('steps.auth.outputs.auth-file', contexts)).toThrow(
    "'steps.auth.outputs.auth-file' is not known"
  );
  expect(() => evaluate('needs.build.outputs.x', contexts)).toThrow("unknown context 'needs'");
  expect(() => evaluate("hashFiles('**/x')", contexts)).toThrow("function 'hashFiles()' is not known");
  expect(() => evaluate("github.token == 't' ||", contexts)).toThrow('unexpected end of expression');
});

test('a matrix runs every leg; include/exclude are refused', () => {
  expect(matrixLegs({ matrix: { os: ['a', 'b'], node: [20, 24] } })).toEqual([
    { os: 'a', node: 20 },
    { os: 'a', node: 24 },
    { os: 'b', node: 20 },
    { os: 'b', node: 24 }
  ]);
  expect(matrixLegs(undefined)).toEqual([undefined]);
  expect(() => matrixLegs({ matrix: { os: ['a'], include: [{ os: 'b' }] } })).toThrow('no include/exclude');
});
