// Issue 21 item 5: nothing an input carries can start a workflow command. Every input but the seed is
// refused when it holds a line break (naming the input, never quoting it), and any log line that the
// runner would take for a command is written inside ::stop-commands:: (src/action/workflow-commands.ts).
// Read with the harness's runner-faithful parser (runnerLog: commands, masks, stop-commands).
import { describe, expect, test } from '@jest/globals';
import { info, logSafe } from '../src/action/workflow-commands.js';
import { parseInputs } from '../src/action/inputs.js';
import { InputError } from '../src/action/errors.js';
import { runJob, runnerLog } from './support/runner.js';

const INJECTED = ['::stop-commands::pwned', '::add-mask::visible-text', '::warning::injected', '##[warning]legacy'];

function captured(write: () => void): string[] {
  let text = '';
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    write();
  } finally {
    process.stdout.write = original;
  }
  return text.replace(/\n$/, '').split('\n');
}

describe('log lines', () => {
  test.each(INJECTED)('a path holding the line %s is shown, not run', (line) => {
    const masks = new Set(['tok-secret-0123456789']);
    const written = captured(() => info(`CODEX_HOME=/tmp/a\n${line}\nrest`));
    const shown = runnerLog([...written, 'later tok-secret-0123456789'], masks);
    expect(shown.annotations).toEqual([]);
    expect([...masks]).toEqual(['tok-secret-0123456789']);
    expect(shown.masked).toContain(line);
    // Masking still holds after it: the stop was ended by the action's own token.
    expect(shown.masked).toContain('later ***');
  });

  test('ordinary text is written as it is', () => {
    expect(logSafe('Codex will use the API key: /tmp/x/auth.json written.')).toBe(
      'Codex will use the API key: /tmp/x/auth.json written.'
    );
  });

  test('a lone carriage return counts as a line break, as the runner reads lines', () => {
    expect(logSafe('a\r::warning::x')).toMatch(/^::stop-commands::codex-auth-/);
  });
});

describe('inputs', () => {
  const ctx = { workspace: '/work/ws', home: '/home/u', env: { RUNNER_TEMP: '/tmp/rt' } };
  const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64');
  test.each([
    ['codex-home', { 'codex-home': '/tmp/home\n::stop-commands::pwned' }],
    ['credential-name', { 'auth-mode': 'chatgpt', 'encryption-key': KEY, 'credential-name': 'a\n::warning::x' }],
    [
      'local-store-path',
      { 'auth-mode': 'chatgpt', 'encryption-key': KEY, 'local-store': 'true', 'local-store-path': '/srv/s\r::x::' }
    ],
    ['openai-api-key', { 'openai-api-key': 'sk-one\nsk-two' }]
  ])('%s with a line break is refused, naming the input and not quoting it', (name, values) => {
    const read = (input: string): string => (values as Record<string, string>)[input] ?? '';
    let error: unknown;
    try {
      parseInputs(read, ctx);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe(name);
    expect((error as Error).message).toMatch(/holds a line break/);
    for (const part of Object.values(values).filter((v) => /[\r\n]/.test(v)))
      expect((error as Error).message).not.toContain(part.split(/[\r\n]/)[1]);
  });
});

describe('end to end (dist/ through the runner harness)', () => {
  test('a codex-home carrying workflow commands fails the step with the fix, and runs none of them', async () => {
    const job = await runJob({
      name: 'injection',
      steps: [
        {
          uses: 'action',
          id: 'auth',
          with: {
            'openai-api-key': 'sk-proj-INJECTIONTEST0123456789',
            'codex-home': '/tmp/codex-auth-injection\n::warning::injected\n::stop-commands::pwned'
          }
        }
      ]
    });
    const step = job.step('auth');
    expect(step.status).toBe('failure');
    expect(step.annotations).toEqual([
      {
        level: 'error',
        title: 'Codex auth failed',
        message: expect.stringMatching(/^Input 'codex-home': holds a line break/)
      }
    ]);
  });
});

describe('masks', () => {
  test('a multi-line value is masked line by line, as the runner masks each line', async () => {
    const { setSecret } = await import('../src/action/workflow-commands.js');
    const masks = new Set<string>();
    const written = captured(() => setSecret('first-line-secret\n  second-line-secret  '));
    const shown = runnerLog([...written, 'first-line-secret and second-line-secret'], masks);
    expect(shown.masked).toBe('*** and ***');
  });
});
