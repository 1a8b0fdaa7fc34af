// The package as a user gets it: `npm pack`, published to a loopback npm registry, and the printed
// setup command itself, `npx --yes @org/codex-auth@1 init`, run cold (an empty npm cache and home)
// with no --omit flags, exactly as a user runs it. What npx downloads and unpacks is measured and
// must stay within 10 MB: the published package has no dependencies (the bundles are
// self-contained; test tools such as the Node 24 binary are devDependencies, which npx never
// installs). Then the installed `codex-auth` runs --version, --help and a full `init` against the
// GitHub API mock.
//
// The registry stand-in answers the two requests npm makes for a package, as the npm registry API
// describes them (github.com/npm/registry, docs/REGISTRY-API.md and docs/responses/
// package-metadata.md): GET /<name> with the name's "/" escaped (@org%2fcodex-auth) returns the
// packument ("dist-tags", and per version the package.json with `dist.tarball`, `dist.integrity`,
// `dist.shasum`), and GET of `dist.tarball` returns the tarball. Anything else is a 404 and is
// recorded, so a dependency npm tried to fetch shows up.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { open } from '../src/chatgpt/login/envelope.js';
import { setupCommand } from '../src/action/setup-command.js';
import { TOKENS, startGitHubApi, type GitHubApi, type ScopeRef } from './support/github-api.js';
import { makeChatGptAuth } from './support/jwt.js';
import { listenOnLoopback } from './support/loopback.js';
import { NODE24, ROOT, SYSTEM_PATH, searchPath } from './support/paths.js';
import { runProcess, type ProcessRun } from './support/runner.js';

const run = promisify(execFile);
const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8'));
const REPO: ScopeRef = { scope: 'repository', owner: 'acme', repo: 'app' };
const LIMIT = 10 * 1024 * 1024;

let work: string;
let home: string;
let cache: string;
let installed: string;
let registry: { url: string; served: number; misses: string[]; stop: () => Promise<void> };
let firstRun: ProcessRun;

/** The npm registry stand-in (see the header) serving one tarball; counts the bytes it sends. */
async function startRegistry(tarball: Buffer, manifest: Record<string, unknown>): Promise<typeof registry> {
  const name = manifest.name as string;
  const version = manifest.version as string;
  const tarballPath = `/${name}/-/${name.split('/')[1]}-${version}.tgz`;
  const state = { served: 0, misses: [] as string[] };
  const server = http.createServer((req, res) => {
    const send = (type: string, body: Buffer): void => {
      state.served += body.length;
      res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body);
    };
    const url = decodeURIComponent(req.url ?? '');
    if (url === `/${name}`) {
      const base = `http://127.0.0.1:${port}`;
      const packument = {
        name,
        'dist-tags': { latest: version },
        versions: {
          [version]: {
            ...manifest,
            _id: `${name}@${version}`,
            dist: {
              tarball: `${base}${tarballPath}`,
              shasum: createHash('sha1').update(tarball).digest('hex'),
              integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`
            }
          }
        }
      };
      send('application/json', Buffer.from(JSON.stringify(packument)));
    } else if (url === tarballPath) {
      send('application/octet-stream', tarball);
    } else {
      state.misses.push(url);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    }
  });
  const { port, stop } = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    get served() {
      return state.served;
    },
    misses: state.misses,
    stop
  } as typeof registry;
}

/** Bytes of every file under a directory. */
async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** The installed command as a user's shell runs it: only these variables. */
function cli(args: string[], env: Record<string, string> = {}): Promise<ProcessRun> {
  return runProcess(NODE24, [installed, ...args], {
    cwd: home,
    env: { PATH: searchPath(...SYSTEM_PATH), HOME: home, TMPDIR: path.join(home, 'tmp'), ...env }
  });
}

beforeAll(async () => {
  await expect(fs.access(path.join(ROOT, 'dist', 'cli', 'index.js'))).resolves.toBeUndefined();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-package-'));
  home = path.join(work, 'home');
  cache = path.join(work, 'npm-cache');
  await fs.mkdir(path.join(home, 'tmp'), { recursive: true });
  await fs.mkdir(cache);
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024
  });
  const packed = JSON.parse(stdout)[0] as { filename: string; files: { path: string }[] };
  const files = packed.files.map((f) => f.path);
  // What the action and the CLI need, and nothing of the development setup.
  expect(files).toEqual(
    expect.arrayContaining([
      'action.yml',
      'README.md',
      'LICENSE',
      'package.json',
      'dist/cli/nightly-chatgpt.yml',
      'dist/cli/index.js',
      'dist/main/index.js',
      'dist/post/index.js'
    ])
  );
  expect(files.filter((f) => /^(src|__tests__|scripts|node_modules)\//.test(f))).toEqual([]);
  const tarball = await fs.readFile(path.join(work, packed.filename));
  registry = await startRegistry(tarball, pkg);

  // The printed command, cold: an empty cache and home, no --omit flags, Node 24 first on PATH.
  const [npx, ...args] = setupCommand().split(' ');
  expect(npx).toBe('npx');
  firstRun = await runProcess('npx', [...args.filter((a) => a !== 'init'), '--version'], {
    cwd: home,
    env: {
      PATH: searchPath(path.dirname(NODE24), ...SYSTEM_PATH),
      HOME: home,
      npm_config_registry: registry.url,
      npm_config_cache: cache,
      npm_config_update_notifier: 'false',
      npm_config_audit: 'false',
      npm_config_fund: 'false'
    }
  });
  const [npxDir] = await fs.readdir(path.join(cache, '_npx'));
  installed = path.join(cache, '_npx', npxDir, 'node_modules', '.bin', 'codex-auth');
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('a cold `npx --yes @org/codex-auth@1` downloads and unpacks at most 10 MB: the package alone, no dependency', async () => {
  expect(firstRun).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  // No dependency of any kind, optional or platform-specific, in what is published.
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies'])
    expect({ field, value: pkg[field] }).toEqual({ field, value: undefined });
  expect(registry.misses).toEqual([]);
  const modules = path.dirname(path.dirname(installed));
  expect(await fs.readdir(modules)).toEqual(expect.arrayContaining(['.bin', '@org']));
  expect((await fs.readdir(modules)).filter((e) => !e.startsWith('.'))).toEqual(['@org']);
  // Nothing but this command on npx's PATH (no `node` that would shadow the user's).
  expect(await fs.readdir(path.join(modules, '.bin'))).toEqual(['codex-auth']);
  const unpacked = await sizeOf(modules);
  process.stderr.write(
    `npx ${pkg.name}@${pkg.version.split('.')[0]}, cold: downloaded ${mb(registry.served)} (${registry.served} bytes), unpacked ${mb(unpacked)} (${unpacked} bytes)\n`
  );
  expect(registry.served).toBeLessThanOrEqual(LIMIT);
  expect(unpacked).toBeLessThanOrEqual(LIMIT);
  expect(await fs.realpath(installed)).toBe(path.join(modules, ...pkg.name.split('/'), 'dist', 'cli', 'index.js'));
});

test('-v, --version, --help and init --help of the installed command', async () => {
  for (const flag of ['-v', '--version'])
    expect(await cli([flag])).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  const help = await cli(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: codex-auth <command> [options]');
  expect(help.stdout).toContain(setupCommand('--help'));
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

test('a full init against the GitHub API mock: both secrets set, the envelope opens to the login, the workflow on stdout', async () => {
  const api: GitHubApi = await startGitHubApi();
  try {
    const authText = JSON.stringify(makeChatGptAuth({ plan: 'team' }), null, 2);
    await fs.mkdir(path.join(home, '.codex'), { recursive: true, mode: 0o700 });
    await fs.writeFile(path.join(home, '.codex', 'auth.json'), authText, { mode: 0o600 });
    const result = await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'Set the repository secret CODEX_AUTH_KEY of acme/app (created): the encryption key.'
    );
    // The repository's example (the bundler copies it next to dist/cli/index.js), with this repository put in.
    const example = await fs.readFile(path.join(ROOT, 'examples', 'nightly-chatgpt.yml'), 'utf8');
    expect(result.stdout).toBe(example.replace('OWNER/NAME', 'acme/app'));
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
