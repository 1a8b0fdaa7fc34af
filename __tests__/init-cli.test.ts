// `codex-auth init`, the built command (dist/cli/index.js) under Node 24, as a user runs it on a
// trusted machine: it reads a fixture auth.json (shaped like `codex login` writes it), seals it, and
// sets both secrets in the loopback GitHub API, or prints what to set (offline). The stored seed must
// be an envelope that the stored key opens to exactly the fixture file, and the action's first
// ChatGPT-mode job must restore it and satisfy the real Codex CLI.
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { consumerCopy } from '../src/chatgpt/login/consumer-copy.js';
import { open } from '../src/chatgpt/login/envelope.js';
import { startCacheService } from './support/cache-service.js';
import { TOKENS, startGitHubApi, type GitHubApi, type ScopeRef } from './support/github-api.js';
import { makeApiKeyAuth, makeChatGptAuth } from './support/jwt.js';
import { NODE24, ROOT, SYSTEM_PATH, searchPath } from './support/paths.js';
import { runJob, runProcess, type ProcessRun } from './support/runner.js';

const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');
const REPO: ScopeRef = { scope: 'repository', owner: 'acme', repo: 'app' };

let api: GitHubApi;
let home: string;
let authText: string;
let refreshToken: string;

/** Runs the built command like a user's shell would: only the variables given (no GITHUB_TOKEN leaks in from this process). */
function cli(args: string[], env: Record<string, string> = {}): Promise<ProcessRun> {
  return runProcess(NODE24, [CLI, ...args], {
    env: { PATH: searchPath(...SYSTEM_PATH), HOME: home, TMPDIR: path.join(home, 'tmp'), ...env }
  });
}

/** Writes auth.json the way Codex does: two-space JSON, no trailing newline, 0600 in a 0700 ~/.codex. */
async function writeLogin(text: string, dir = path.join(home, '.codex')): Promise<string> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'auth.json');
  await fs.writeFile(file, text, { mode: 0o600 });
  return file;
}

/** The messages as a reader takes them in: stderr with the line wrapping undone. */
function said(run: ProcessRun): string {
  return run.stderr.replace(/ *\n */g, ' ');
}

/** Nothing secret in what the user sees (unless --show-secrets). */
function expectNoSecrets(run: ProcessRun, ...values: string[]): void {
  for (const value of [refreshToken, ...values]) {
    expect(run.stdout).not.toContain(value);
    expect(run.stderr).not.toContain(value);
  }
}

async function expectEnvelopeOpensToLogin(
  envelope: string,
  keyText: string,
  credentialName = 'default'
): Promise<void> {
  expect(envelope).toMatch(
    new RegExp(`^codex-auth:v1:${credentialName}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$`)
  );
  expect(keyText).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  const key = new Uint8Array(Buffer.from(keyText, 'base64'));
  expect(key).toHaveLength(32);
  const opened = await open(envelope, key, credentialName);
  expect(opened).toEqual({ ok: true, plaintext: authText });
}

beforeAll(async () => {
  await expect(fs.access(CLI)).resolves.toBeUndefined();
});

beforeEach(async () => {
  api = await startGitHubApi();
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-init-home-'));
  await fs.mkdir(path.join(home, 'tmp'));
  const login = makeChatGptAuth({ plan: 'pro' });
  refreshToken = login.tokens.refresh_token;
  authText = JSON.stringify(login, null, 2);
  await writeLogin(authText);
});

afterEach(async () => {
  await api.stop();
  await fs.rm(home, { recursive: true, force: true });
});

describe('with --repo: sets both secrets through the GitHub API', () => {
  test('repository scope: the stored seed is an envelope the stored key opens to the fixture auth.json', async () => {
    const run = await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
    expect(run.stderr).not.toMatch(/error|warning/i);
    expect(run.code).toBe(0);
    expect(api.secretNames(REPO)).toEqual(['CODEX_AUTH_JSON', 'CODEX_AUTH_KEY']);
    const envelope = api.secretValue(REPO, 'CODEX_AUTH_JSON')!;
    const keyText = api.secretValue(REPO, 'CODEX_AUTH_KEY')!;
    await expectEnvelopeOpensToLogin(envelope, keyText);
    expect(said(run)).toContain(
      `Read the ChatGPT login in ${path.join(home, '.codex', 'auth.json')}: plan pro, last_refresh `
    );
    expect(said(run)).toContain('Set the repository secret CODEX_AUTH_JSON of acme/app (created): the sealed login.');
    expect(said(run)).toContain('Set the repository secret CODEX_AUTH_KEY of acme/app (created): the encryption key.');
    expect(run.stdout).toContain('chatgpt-auth-json: ${{ secrets.CODEX_AUTH_JSON }}');
    expect(run.stdout).toContain('encryption-key: ${{ secrets.CODEX_AUTH_KEY }}');
    expect(said(run)).toContain('not `codex logout`, which revokes the login CI now holds');
    expectNoSecrets(run, envelope, keyText);
    // Seed first, then key; each sealed to the repository's key.
    expect(api.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
      '/repos/acme/app/actions/secrets/CODEX_AUTH_JSON',
      '/repos/acme/app/actions/secrets/CODEX_AUTH_KEY'
    ]);
    for (const request of api.requests) expect(request.token).toBe(TOKENS.writer);

    // Running it again (a re-seed) replaces both, with a new key.
    const again = await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
    expect(again.code).toBe(0);
    expect(said(again)).toContain('CODEX_AUTH_KEY of acme/app (updated)');
    const newKey = api.secretValue(REPO, 'CODEX_AUTH_KEY')!;
    expect(newKey).not.toBe(keyText);
    await expectEnvelopeOpensToLogin(api.secretValue(REPO, 'CODEX_AUTH_JSON')!, newKey);
  });

  test('environment scope, a credential name, custom secret names, GH_TOKEN and --api-url', async () => {
    const run = await cli(
      [
        'init',
        '--repo',
        'acme/app',
        '--environment',
        'production',
        '--credential-name',
        'nightly',
        '--secret-name',
        'nightly_login',
        '--key-secret-name',
        'NIGHTLY_KEY',
        '--api-url',
        api.url
      ],
      { GH_TOKEN: TOKENS.app, GITHUB_API_URL: 'http://127.0.0.1:1' }
    );
    expect(run.stderr).not.toMatch(/error|warning/i);
    expect(run.code).toBe(0);
    const env: ScopeRef = { scope: 'environment', owner: 'acme', repo: 'app', environment: 'production' };
    expect(api.secretNames(env)).toEqual(['NIGHTLY_KEY', 'NIGHTLY_LOGIN']);
    expect(api.secretNames(REPO)).toEqual([]);
    await expectEnvelopeOpensToLogin(
      api.secretValue(env, 'NIGHTLY_LOGIN')!,
      api.secretValue(env, 'NIGHTLY_KEY')!,
      'nightly'
    );
    expect(said(run)).toContain(
      "Set the environment secret NIGHTLY_LOGIN of acme/app (environment 'production') (created)"
    );
    expect(run.stdout).toContain('credential-name: nightly');
    expect(run.stdout).toContain('environment: production');
  });

  test('organization scope: the owner of --repo, visible to that repository only (selected)', async () => {
    const run = await cli(['init', '--repo', 'acme/app', '--scope', 'organization'], {
      GITHUB_TOKEN: TOKENS.writer,
      GITHUB_API_URL: api.url
    });
    expect(run.code).toBe(0);
    const org: ScopeRef = { scope: 'organization', org: 'acme' };
    expect(api.secret(org, 'CODEX_AUTH_JSON')!.visibility).toBe('selected');
    await expectEnvelopeOpensToLogin(api.secretValue(org, 'CODEX_AUTH_JSON')!, api.secretValue(org, 'CODEX_AUTH_KEY')!);
  });

  test('a GITHUB_TOKEN without the secrets permission: exit 1, the permission and the variable named, nothing stored', async () => {
    const run = await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.workflow, GITHUB_API_URL: api.url });
    expect(run.code).toBe(1);
    expect(said(run)).toContain(
      'codex-auth init: Cannot read the public key of the repository secret CODEX_AUTH_JSON of acme/app: GitHub answered 403 Resource not accessible by integration'
    );
    expect(said(run)).toContain('The token in GITHUB_TOKEN may not read this secret');
    expect(said(run)).toContain('"Secrets: Read and write"');
    expect(api.secretNames(REPO)).toEqual([]);
    expectNoSecrets(run);
  });

  test('the key secret failing after the seed was written: says so, and that re-running fixes it', async () => {
    api.inject({ status: 422, method: 'PUT', path: 'CODEX_AUTH_KEY' });
    const run = await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
    expect(run.code).toBe(1);
    expect(said(run)).toContain('Cannot write the repository secret CODEX_AUTH_KEY of acme/app: GitHub answered 422');
    expect(said(run)).toContain(
      'CODEX_AUTH_JSON was already replaced with a login sealed under the new key, which CODEX_AUTH_KEY does not hold yet: fix the problem and run this command again (it writes both).'
    );
    expectNoSecrets(run, api.secretValue(REPO, 'CODEX_AUTH_JSON')!);
  });

  test('a 503 on the way is retried, and the retry is reported', async () => {
    api.inject({ status: 503, method: 'PUT', path: 'CODEX_AUTH_JSON' });
    const run = await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
    expect(run.code).toBe(0);
    expect(said(run)).toContain('answered 503 Service Unavailable; attempt 2 of 4 in 1 s.');
    await expectEnvelopeOpensToLogin(
      api.secretValue(REPO, 'CODEX_AUTH_JSON')!,
      api.secretValue(REPO, 'CODEX_AUTH_KEY')!
    );
  });

  test('--repo without a token: exit 2, naming both variables and --print', async () => {
    const run = await cli(['init', '--repo', 'acme/app'], { GITHUB_API_URL: api.url });
    expect(run.code).toBe(2);
    expect(said(run)).toContain(
      'codex-auth init: --repo: needs a token to write the secrets, in GITHUB_TOKEN or GH_TOKEN'
    );
    expect(said(run)).toContain('--print');
    expect(api.requests).toEqual([]);
  });
});

describe('printing (no --repo, or --print): offline, values in private files unless --show-secrets', () => {
  test('no --repo: nothing is sent; the values sit in 0600 files in a new 0700 directory', async () => {
    // Both an unreachable API and the loopback one: neither may be contacted.
    const run = await cli(['init'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
    expect(run.stderr).not.toMatch(/error|warning/i);
    expect(run.code).toBe(0);
    expect(api.requests).toEqual([]);
    const dir = /The secret values are in (\S+) \(readable only by you/.exec(said(run))![1];
    expect(dir.startsWith(path.join(home, 'tmp') + path.sep)).toBe(true);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    const seedFile = path.join(dir, 'CODEX_AUTH_JSON');
    const keyFile = path.join(dir, 'CODEX_AUTH_KEY');
    for (const file of [seedFile, keyFile]) {
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      expect(said(run)).toContain(`gh secret set ${path.basename(file)} < ${file}`);
    }
    const envelope = await fs.readFile(seedFile, 'utf8');
    const keyText = await fs.readFile(keyFile, 'utf8');
    await expectEnvelopeOpensToLogin(envelope, keyText);
    expectNoSecrets(run, envelope, keyText);
    expect(said(run)).toContain('No --repo given, so nothing was sent to GitHub');
    expect(said(run)).toContain(`rm -r ${dir}`);
  });

  test('--print with --repo and environment scope: gh commands for that repository and environment, still offline', async () => {
    const run = await cli(['init', '--print', '--repo', 'acme/app', '--environment', 'production'], {
      GITHUB_TOKEN: TOKENS.writer,
      GITHUB_API_URL: 'http://127.0.0.1:1'
    });
    expect(run.code).toBe(0);
    expect(said(run)).toContain(
      'Set them as environment secrets (acme/app: Settings → Environments → production → Add environment secret)'
    );
    expect(said(run)).toMatch(/gh secret set CODEX_AUTH_JSON --repo acme\/app --env production < \S+CODEX_AUTH_JSON/);
  });

  test('--show-secrets prints the values themselves', async () => {
    const run = await cli(['init', '--print', '--show-secrets']);
    expect(run.code).toBe(0);
    const envelope = /^\s*CODEX_AUTH_JSON:\n(.+)$/m.exec(run.stderr)![1];
    const keyText = /^\s*CODEX_AUTH_KEY:\n(.+)$/m.exec(run.stderr)![1];
    await expectEnvelopeOpensToLogin(envelope, keyText);
    // No files were left behind.
    expect(await fs.readdir(path.join(home, 'tmp'))).toEqual([]);
  });
});

describe('the checks on auth.json, with the fix in the message', () => {
  test('no auth.json and config.toml keeps the login in the keyring: switch to file storage and log in again', async () => {
    await fs.rm(path.join(home, '.codex', 'auth.json'));
    await fs.writeFile(
      path.join(home, '.codex', 'config.toml'),
      'model = "gpt-5"\ncli_auth_credentials_store = "keyring"\n'
    );
    const run = await cli(['init', '--print']);
    expect(run.code).toBe(1);
    expect(said(run)).toContain(`No auth.json at ${path.join(home, '.codex', 'auth.json')}`);
    expect(said(run)).toContain(
      'sets cli_auth_credentials_store = "keyring", so `codex login` keeps the login in the system keyring'
    );
    expect(said(run)).toContain(
      `Set cli_auth_credentials_store = "file" in ${path.join(home, '.codex', 'config.toml')}, run \`codex login\` again`
    );
  });

  test('"auto" counts as the keyring too; CODEX_HOME is where the files are looked for', async () => {
    const codexHome = path.join(home, 'elsewhere');
    await fs.mkdir(codexHome);
    await fs.writeFile(path.join(codexHome, 'config.toml'), 'cli_auth_credentials_store = "auto"\n');
    const run = await cli(['init'], { CODEX_HOME: codexHome });
    expect(run.code).toBe(1);
    expect(said(run)).toContain(`No auth.json at ${path.join(codexHome, 'auth.json')}`);
    expect(said(run)).toContain('cli_auth_credentials_store = "auto"');
  });

  test('no auth.json and no keyring setting: how to log in with file storage, or --auth-file', async () => {
    const run = await cli(['init', '--auth-file', '~/missing/auth.json']);
    expect(run.code).toBe(1);
    expect(said(run)).toContain(
      `No auth.json at ${path.join(home, 'missing', 'auth.json')}. Add --login to sign in now with a login of CI's own (recommended).`
    );
    expect(said(run)).toContain('Or, on this trusted machine, put cli_auth_credentials_store = "file"');
    expect(said(run)).toContain('--auth-file');
  });

  test('an API-key auth.json is refused without echoing the key, pointing to API-key mode', async () => {
    const key = 'sk-proj-NEVERPRINTED0123456789abcdefghijklmnopqrstuvwxyz';
    const file = await writeLogin(JSON.stringify(makeApiKeyAuth(key), null, 2), path.join(home, 'apikey'));
    const run = await cli(['init', '--auth-file', file]);
    expect(run.code).toBe(1);
    expect(said(run)).toContain(`${file} is not a usable ChatGPT login: auth_mode is "apikey"`);
    expect(said(run)).toContain('openai-api-key');
    expect(run.stderr).not.toContain(key);
  });

  test("a ChatGPT login without a refresh token fails the guide's check", async () => {
    const login = makeChatGptAuth();
    const file = await writeLogin(
      JSON.stringify({ ...login, tokens: { ...login.tokens, refresh_token: '' } }),
      path.join(home, 'broken')
    );
    const run = await cli(['init', '--auth-file', file, '--print']);
    expect(run.code).toBe(1);
    expect(said(run)).toContain('is not a usable ChatGPT login: tokens.refresh_token is missing or empty');
    expect(run.stderr).not.toContain(login.tokens.access_token);
  });

  test('a file that exists while config.toml says keyring is used, with a warning that it may be stale', async () => {
    await fs.writeFile(path.join(home, '.codex', 'config.toml'), 'cli_auth_credentials_store = "keyring"\n');
    const run = await cli(['init', '--print']);
    expect(run.code).toBe(0);
    expect(said(run)).toContain('Warning:');
    expect(said(run)).toContain('may then be an old, spent copy');
  });
});

describe('command-line mistakes: exit 2, the flag named', () => {
  test.each<[string[], string]>([
    [['init', '--scope', 'environment'], '--environment: is required with --scope environment'],
    [['init', '--scope', 'team'], "--scope: 'team' is not one of repository, environment, organization."],
    [['init', '--repo', 'acme'], "--repo: 'acme' is not OWNER/NAME"],
    [['init', '--credential-name', 'a b'], "--credential-name: 'a b' is not a valid name"],
    [['init', '--secret-name', 'GITHUB_X'], '--secret-name: '],
    [['init', '--key-secret-name', 'codex_auth_json'], '--key-secret-name: is the same as --secret-name'],
    [['init', '--org', 'acme', '--scope', 'repository'], '--org: only goes with --scope organization'],
    [['init', '--api-url', 'ftp://x'], "--api-url: 'ftp://x' is not an http(s) URL"],
    [['init', '--nope'], "--nope: Unknown option '--nope'"],
    [['init', 'extra'], 'arguments: ']
  ])('%j', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(said(run)).toContain(`codex-auth init: ${message}`);
  });

  test('help, and an unknown command', async () => {
    const help = await cli(['init', '--help']);
    expect(help.code).toBe(0);
    // --login, the recommended way, comes first.
    expect(help.stdout.split('\n')[0]).toBe(
      'Usage: codex-auth init --login [--device-auth] --repo OWNER/NAME [options]   (recommended)'
    );
    expect(help.stdout).toContain('--show-secrets');
    const helpInit = await cli(['help', 'init']);
    expect(helpInit).toMatchObject({ code: 0, stdout: help.stdout, stderr: '' });
    const unknown = await cli(['seed']);
    expect(unknown.code).toBe(2);
    expect(said(unknown)).toContain("codex-auth: unknown command 'seed'.");
  });
});

test('the first ChatGPT-mode job restores what init stored, and the real Codex CLI is logged in', async () => {
  const run = await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
  expect(run.code).toBe(0);
  // A workflow passes the two secrets to the action, as the printed snippet says, on a runner with
  // the Actions cache (cache-only ChatGPT mode needs it: it stops without one).
  const cache = await startCacheService();
  const job = await runJob({
    name: 'codex',
    actionEnv: cache.env,
    steps: [
      {
        uses: 'action',
        id: 'auth',
        with: {
          'auth-mode': 'chatgpt',
          'chatgpt-auth-json': api.secretValue(REPO, 'CODEX_AUTH_JSON')!,
          'encryption-key': api.secretValue(REPO, 'CODEX_AUTH_KEY')!
        }
      },
      { name: 'codex login status', run: 'codex login status' },
      { name: 'same file', run: 'cat "$CODEX_HOME/auth.json"' }
    ]
  }).finally(() => cache.stop());
  expect(job.step('codex login status').log).toContain('Logged in using ChatGPT');
  expect(job.outputs('auth').source).toBe('seed');
  expect(job.outputs('auth')['plan-type']).toBe('pro');
  // renewal: ahead (the default): the same login, with the refresh token withheld from Codex.
  expect(job.step('same file').log.trim()).toBe(consumerCopy(authText));
  expect(job.status).toBe('success');
  expect(job.step('same file').masked).not.toContain(refreshToken);
}, 180_000);

describe('what init prints: the example workflow alone on stdout, instructions on stderr', () => {
  const example = readFileSync(path.join(ROOT, 'examples', 'nightly-chatgpt.yml'), 'utf8');

  test('stdout is exactly examples/nightly-chatgpt.yml, with the repository put in; its start and end marked on stderr', async () => {
    const run = await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(example.replace('OWNER/NAME', 'acme/app'));
    expect(run.stderr).toContain('----- begin .github/workflows/codex-nightly.yml -----');
    expect(run.stderr).toContain('----- end .github/workflows/codex-nightly.yml -----');
    // It names only the two secrets init set; write-back, which needs a third, is described, not printed.
    expect([...run.stdout.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1])).toEqual([
      'CODEX_AUTH_JSON',
      'CODEX_AUTH_KEY'
    ]);
    expect(api.secretNames(REPO)).toEqual(['CODEX_AUTH_JSON', 'CODEX_AUTH_KEY']);
    expect(said(run)).toContain('The workflow needs only the two secrets above');
    expect(said(run)).toContain(
      'create that third secret yourself (this command cannot: it holds your token): a fine-grained personal access token'
    );
    expect(said(run)).toContain('`gh secret set CODEX_AUTH_SECRET_TOKEN --repo acme/app`');
  });

  test('other names: the secrets, the credential name and the environment the secrets live in', async () => {
    const run = await cli([
      'init',
      '--print',
      '--repo',
      'acme/app',
      '--environment',
      'production',
      '--credential-name',
      'nightly',
      '--secret-name',
      'NIGHTLY_LOGIN',
      '--key-secret-name',
      'NIGHTLY_KEY'
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      example
        .replace('OWNER/NAME', 'acme/app')
        .replaceAll('CODEX_AUTH_JSON', 'NIGHTLY_LOGIN')
        .replaceAll('CODEX_AUTH_KEY', 'NIGHTLY_KEY')
        .replace('    runs-on: ubuntu-latest\n', '    runs-on: ubuntu-latest\n    environment: production\n')
        .replace(
          '          encryption-key: ${{ secrets.NIGHTLY_KEY }}\n',
          '          encryption-key: ${{ secrets.NIGHTLY_KEY }}\n          credential-name: nightly\n'
        )
    );
    expect(said(run)).toContain('`secret-scope: environment`, `environment: production`');
  });

  test('every line of help and messages fits 100 columns, except one unbreakable command or path', async () => {
    const runs = [
      await cli(['--help']),
      await cli(['init', '--help']),
      await cli(['init', '--repo', 'acme/app'], { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url }),
      await cli(['init', '--print', '--repo', 'acme/app', '--scope', 'organization', '--org', 'other']),
      await cli(['init', '--repo', 'acme/app'], { GITHUB_API_URL: api.url }),
      await cli(['init', '--auth-file', '~/missing/auth.json'])
    ];
    for (const run of runs) {
      const text = run.stderr + (run.stdout.startsWith('Usage') ? run.stdout : '');
      for (const line of text.split('\n')) {
        // A line over 100 columns is a command printed to be copied whole (`  gh …`, `  rm …`), or holds a
        // single word (a code span, a URL, a path) that may not be split.
        if (line.length <= 100 || /^ {2}(gh|rm) /.test(line)) continue;
        expect({
          line,
          words: line
            .trim()
            .replace(/`[^`]*`/g, 'X')
            .split(' ').length
        }).toEqual({ line, words: 1 });
      }
    }
  });

  test('-v and --version print the version', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    for (const flag of ['-v', '--version'])
      expect(await cli([flag])).toMatchObject({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});
