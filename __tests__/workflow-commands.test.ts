// The entry points write the runner's file commands themselves: the runner's parser must read back
// exactly what was written, multi-line values and all.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as step from '../src/action/workflow-commands.js';
import { parseKeyValueFile, readWorkflowCommands } from './support/runner.js';

let dir: string;
const saved = { ...process.env };

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-commands-'));
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_STATE']) {
    process.env[name] = path.join(dir, name);
    await fs.writeFile(process.env[name]!, '');
  }
});

afterEach(async () => {
  process.env = { ...saved };
  await fs.rm(dir, { recursive: true, force: true });
});

test('outputs, exported variables and state round-trip through the runner parser', async () => {
  step.setOutput('codex-home', '/tmp/x');
  step.setOutput('multi', 'line 1\nline 2=still\n<<not a delimiter');
  step.exportVariable('CODEX_HOME', '/tmp/x');
  step.saveState('codex-auth', JSON.stringify({ mode: 'api-key' }));
  const read = async (name: string) => parseKeyValueFile(await fs.readFile(path.join(dir, name), 'utf8'), name);
  expect(await read('GITHUB_OUTPUT')).toEqual({
    'codex-home': '/tmp/x',
    multi: 'line 1\nline 2=still\n<<not a delimiter'
  });
  expect(await read('GITHUB_ENV')).toEqual({ CODEX_HOME: '/tmp/x' });
  expect(process.env.CODEX_HOME).toBe('/tmp/x');
  expect(await read('GITHUB_STATE')).toEqual({ 'codex-auth': '{"mode":"api-key"}' });
});

test('inputs are read as the runner passes them; state as STATE_<name>', () => {
  process.env['INPUT_OPENAI-API-KEY'] = '  sk-1 \n';
  process.env.STATE_x = 'y';
  expect(step.getInput('openai-api-key')).toBe('sk-1');
  expect(step.getInput('codex-home')).toBe('');
  expect(step.getState('x')).toBe('y');
});

test('masks and annotations are escaped so that a multi-line message stays one command', () => {
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
  try {
    step.setSecret('a%b');
    step.warning('first\nsecond');
    step.setFailed('broken');
  } finally {
    process.stdout.write = write;
  }
  expect(process.exitCode).toBe(1);
  process.exitCode = 0;
  const parsed = readWorkflowCommands(written.join(''));
  expect(parsed.masks).toEqual(['a%b']);
  expect(parsed.annotations).toEqual([
    { level: 'warning', message: 'first\nsecond', title: 'Codex auth' },
    { level: 'error', message: 'broken', title: 'Codex auth failed' }
  ]);
});

test('every annotation has a title; a title with `:`, `,`, `%` or a line break is escaped as the runner reads properties', () => {
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stdout.write;
  try {
    step.notice('n');
    step.warning('w', 'Codex auth: cache, 100%\nnow');
  } finally {
    process.stdout.write = write;
  }
  // The property escapes of actions/runner ActionCommand.cs (and @actions/core's toCommandProperties).
  expect(written.join('')).toContain('::warning title=Codex auth%3A cache%2C 100%25%0Anow::w');
  expect(readWorkflowCommands(written.join('')).annotations).toEqual([
    { level: 'notice', message: 'n', title: 'Codex auth' },
    { level: 'warning', message: 'w', title: 'Codex auth: cache, 100%\nnow' }
  ]);
});

test('a missing file command is an error, not a silent loss', () => {
  delete process.env.GITHUB_OUTPUT;
  expect(() => step.setOutput('x', 'y')).toThrow(/GITHUB_OUTPUT is not set/);
});
