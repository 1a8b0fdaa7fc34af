// config.toml is merged, never clobbered.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'smol-toml';
import { mergeCodexConfig } from '../src/codex/config.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-config-'));
});
afterEach(async () => fs.rm(dir, { recursive: true, force: true }));

const FILE = { key: 'cli_auth_credentials_store', value: 'file', onConflict: 'replace' } as const;

test('adds our keys on top of a user file, keeping its comments, tables and settings', async () => {
  const user = '# my settings\nmodel = "o4"\n\n[mcp_servers.docs]\ncommand = "docs"  # keep me\n';
  await fs.writeFile(path.join(dir, 'config.toml'), user);
  const warnings: string[] = [];
  await mergeCodexConfig(dir, [FILE], (w) => warnings.push(w));
  const text = await fs.readFile(path.join(dir, 'config.toml'), 'utf8');
  expect(text.endsWith(user)).toBe(true);
  expect(parse(text)).toMatchObject({
    cli_auth_credentials_store: 'file',
    model: 'o4',
    mcp_servers: { docs: { command: 'docs' } }
  });
  expect(warnings).toEqual([]);
});

test('replaces a conflicting credentials store with a warning', async () => {
  await fs.writeFile(path.join(dir, 'config.toml'), 'cli_auth_credentials_store = "keyring"\nmodel = "o4"\n');
  const warnings: string[] = [];
  await mergeCodexConfig(dir, [FILE], (w) => warnings.push(w));
  expect(parse(await fs.readFile(path.join(dir, 'config.toml'), 'utf8'))).toEqual({
    cli_auth_credentials_store: 'file',
    model: 'o4'
  });
  expect(warnings[0]).toMatch(/sets cli_auth_credentials_store = "keyring"/);
});

test('refuses a conflicting workspace, naming the input', async () => {
  await fs.writeFile(path.join(dir, 'config.toml'), 'forced_chatgpt_workspace_id = "ws-a"\n');
  await expect(
    mergeCodexConfig(
      dir,
      [
        {
          key: 'forced_chatgpt_workspace_id',
          value: 'ws-b',
          onConflict: { input: 'workspace-id', fix: 'Use the same id.' }
        }
      ],
      () => {}
    )
  ).rejects.toThrow(/^Input 'workspace-id': does not match forced_chatgpt_workspace_id = "ws-a"/);
});

test('invalid TOML is reported with its line, and the file is left alone', async () => {
  await fs.writeFile(path.join(dir, 'config.toml'), 'model = "o4"\nbroken = \n');
  await expect(mergeCodexConfig(dir, [FILE], () => {})).rejects.toThrow(
    /Input 'codex-home': .*config.toml is not valid TOML \(line 2\)/
  );
  expect(await fs.readFile(path.join(dir, 'config.toml'), 'utf8')).toBe('model = "o4"\nbroken = \n');
});

test('a new file is written 0600', async () => {
  await mergeCodexConfig(dir, [FILE], () => {});
  expect((await fs.stat(path.join(dir, 'config.toml'))).mode & 0o777).toBe(0o600);
});

test('a new config.toml (written without the TOML parser) is valid TOML with exactly our keys, 0600', async () => {
  const workspace = {
    key: 'forced_chatgpt_workspace_id',
    value: 'ws_0123-abc',
    onConflict: { input: 'workspace-id', fix: 'x' }
  } as const;
  await mergeCodexConfig(dir, [FILE, workspace], () => {});
  const file = path.join(dir, 'config.toml');
  expect(parse(await fs.readFile(file, 'utf8'))).toEqual({
    cli_auth_credentials_store: 'file',
    forced_chatgpt_workspace_id: 'ws_0123-abc'
  });
  expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
});
