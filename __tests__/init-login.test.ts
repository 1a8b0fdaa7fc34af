// `codex-auth init --login`, the built command (dist/cli/index.js) under Node 24, driving the real
// pinned Codex CLI through its device-code login against the loopback issuer (oauth-server.ts), the
// way a user on a headless machine would: Codex prints the code, the user signs in elsewhere, init
// seals the new login and sets both secrets. CI's login is its own: a new token family, never
// written to ~/.codex, and the private temporary Codex home is gone afterwards: also when the user
// presses Ctrl-C while Codex waits, or when Codex fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { open } from '../src/chatgpt/login/envelope.js';
import { TOKENS, startGitHubApi, type GitHubApi, type ScopeRef } from './support/github-api.js';
import { makeChatGptAuth } from './support/jwt.js';
import { listenOnLoopback } from './support/loopback.js';
import { startOAuthServer, type OAuthServer } from './support/oauth-server.js';
import { CODEX, NODE24, ROOT } from './support/paths.js';

/** Messages as a reader takes them in: the wrapping at 100 columns undone. */
const flat = (text: string): string => text.replace(/ *\n */g, ' ');
const CLI = path.join(ROOT, 'dist', 'cli', 'index.js');
const REPO: ScopeRef = { scope: 'repository', owner: 'acme', repo: 'app' };

let api: GitHubApi;
let oauth: OAuthServer;
let home: string;
let tmp: string;

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The built command as a user's shell runs it: Codex on PATH (next to node), nothing else inherited. */
function start(args: string[], env: Record<string, string> = {}, opts: { ownProcessGroup?: boolean } = {}): Running {
  const child = spawn(NODE24, [CLI, ...args], {
    detached: opts.ownProcessGroup ?? false,
    env: {
      PATH: [path.dirname(CODEX), path.dirname(NODE24), '/usr/bin', '/bin'].join(path.delimiter),
      HOME: home,
      TMPDIR: tmp,
      LANG: 'C.UTF-8',
      NO_COLOR: '1',
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Waits for a condition (no fixed sleeps): generous, since Codex starts slowly on a loaded machine. */
async function waitFor(what: string, condition: () => boolean, run?: Running, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${run ? `\nstdout:\n${run.stdout()}\nstderr:\n${run.stderr()}` : ''}`
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Processes whose environment mentions this test's HOME (init, Codex and its native binary all do). */
function processesOfThisTest(): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`HOME=${home}\0`)) found.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

const loginArgs = (): string[] => [
  'init',
  '--login',
  '--device-auth',
  '--oauth-issuer',
  oauth.issuer,
  '--repo',
  'acme/app'
];

beforeAll(async () => {
  await expect(fs.access(CLI)).resolves.toBeUndefined();
});

beforeEach(async () => {
  api = await startGitHubApi();
  oauth = await startOAuthServer();
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-login-home-'));
  tmp = path.join(home, 'tmp');
  await fs.mkdir(tmp);
});

afterEach(async () => {
  await api.stop();
  await oauth.stop();
  await fs.rm(home, { recursive: true, force: true });
});

test('device-code login: Codex prompts, the user signs in, the new login is sealed into the secrets and nothing is left on disk', async () => {
  const run = start(loginArgs(), { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
  // Codex asked the issuer for a code and printed it; init passes its prompt through.
  await waitFor(
    'the device code prompt',
    () => oauth.deviceCodes.length === 1 && run.stderr().includes(oauth.deviceCodes[0].userCode),
    run
  );
  const code = oauth.deviceCodes[0];
  expect(flat(run.stderr())).toContain(`${oauth.issuer}/codex/device`);
  // While the user has not signed in, the temporary Codex home exists, private, with file storage.
  const [codexHome] = await fs.readdir(tmp);
  expect(codexHome).toMatch(/^codex-auth-login-/);
  expect((await fs.stat(path.join(tmp, codexHome))).mode & 0o777).toBe(0o700);
  expect(await fs.readFile(path.join(tmp, codexHome, 'config.toml'), 'utf8')).toBe(
    'cli_auth_credentials_store = "file"\n'
  );

  await waitFor('Codex polling', () => code.polls >= 1, run);
  oauth.approveDevice(code.userCode, { plan: 'pro', email: 'ci@example.com' });
  const exit = await run.done;
  expect(run.stderr()).not.toContain('codex-auth init:');
  expect(exit.code).toBe(0);

  // The secrets hold the login Codex wrote: sealed under the key, of the family the issuer just created.
  expect(api.secretNames(REPO)).toEqual(['CODEX_AUTH_JSON', 'CODEX_AUTH_KEY']);
  const envelope = api.secretValue(REPO, 'CODEX_AUTH_JSON')!;
  const keyText = api.secretValue(REPO, 'CODEX_AUTH_KEY')!;
  const opened = await open(envelope, new Uint8Array(Buffer.from(keyText, 'base64')), 'default');
  if (!opened.ok) throw new Error(opened.reason);
  const auth = JSON.parse(opened.plaintext);
  expect(auth.auth_mode).toBe('chatgpt');
  expect(auth.tokens.oauth_provenance).toEqual({ issuer: oauth.issuer, client_id: 'app_EMoamEEZ73f0CkXaXp7hrann' });
  const exchange = oauth.requests.find((r) => r.outcome === 'code_exchanged')!;
  expect(oauth.familyOf(auth.tokens.refresh_token)).toBe(exchange.familyId);
  for (const value of [auth.tokens.refresh_token, auth.tokens.access_token, envelope, keyText]) {
    expect(run.stdout()).not.toContain(value);
    expect(run.stderr()).not.toContain(value);
  }
  // Messages and Codex's prompts on stderr (wrapped at 100 columns); stdout is the workflow alone.
  const said = run.stderr().replace(/ *\n */g, ' ');
  expect(said).toContain('Signed in for CI: plan pro');
  expect(said).toContain('Set the repository secret CODEX_AUTH_JSON of acme/app (created): the sealed login.');
  expect(said).toContain('This login belongs to CI alone: nothing of it was kept on this machine');
  expect(said).toContain('create that third secret yourself');
  expect(run.stdout()).toMatch(/^# Codex every night on a ChatGPT login/);

  // Nothing left: no temporary Codex home, no ~/.codex, no process.
  expect(await fs.readdir(tmp)).toEqual([]);
  expect(await fs.readdir(home)).toEqual(['tmp']);
  expect(processesOfThisTest()).toEqual([]);
}, 240_000);

test.each([
  ['to init alone', false],
  ["to init and Codex together, as a terminal's Ctrl-C does", true]
])(
  'SIGINT while Codex waits for the sign-in (%s): Codex is stopped, nothing is stored, the temporary Codex home is gone',
  async (_how, group) => {
    const run = start(
      loginArgs(),
      { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url },
      { ownProcessGroup: group }
    );
    await waitFor('Codex polling', () => oauth.deviceCodes.length === 1 && oauth.deviceCodes[0].polls >= 1, run);
    expect(await fs.readdir(tmp)).toHaveLength(1);
    if (group) process.kill(-run.child.pid!, 'SIGINT');
    else run.child.kill('SIGINT');
    const exit = await run.done;
    expect(exit.code).toBe(130);
    expect(flat(run.stderr())).toContain(
      'codex-auth init: Cancelled (SIGINT): nothing was stored, and the temporary Codex home was removed.'
    );
    expect(api.requests).toEqual([]);
    expect(await fs.readdir(tmp)).toEqual([]);
    expect(await fs.readdir(home)).toEqual(['tmp']);
    // Codex (the node wrapper and its native binary) went with it: no more polls from anyone.
    expect(processesOfThisTest()).toEqual([]);
    expect(oauth.requests.filter((r) => r.outcome === 'code_exchanged')).toEqual([]);
  },
  240_000
);

test('SIGTERM is handled the same way', async () => {
  const run = start(loginArgs(), { GITHUB_TOKEN: TOKENS.writer, GITHUB_API_URL: api.url });
  await waitFor('Codex polling', () => oauth.deviceCodes.length === 1 && oauth.deviceCodes[0].polls >= 1, run);
  run.child.kill('SIGTERM');
  const exit = await run.done;
  expect(exit.code).toBe(143);
  expect(await fs.readdir(tmp)).toEqual([]);
  expect(processesOfThisTest()).toEqual([]);
  expect(api.requests).toEqual([]);
}, 240_000);

test('Codex failing (the issuer refuses the device-code request): exit 1, the reason from Codex, nothing left', async () => {
  // An issuer that refuses every request with 401, as an OAuth server refuses an unknown client.
  const refusing = await listenOnLoopback(
    http.createServer((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized_client"}');
    })
  );
  const issuer = `http://127.0.0.1:${refusing.port}`;
  const run = start(['init', '--login', '--device-auth', '--oauth-issuer', issuer, '--repo', 'acme/app'], {
    GITHUB_TOKEN: TOKENS.writer,
    GITHUB_API_URL: api.url
  });
  const exit = await run.done.finally(() => refusing.stop());
  expect(exit.code).toBe(1);
  expect(flat(run.stderr())).toContain('Error logging in: device code request failed with status 401');
  expect(flat(run.stderr())).toContain(
    'codex-auth init: `codex login` failed (exit 1): see its messages above. Nothing was stored; run the command again.'
  );
  expect(api.secretNames(REPO)).toEqual([]);
  expect(await fs.readdir(tmp)).toEqual([]);
}, 240_000);

test('no Codex on PATH, or a wrong --codex: exit 1, how to install it or point at it', async () => {
  const run = start(['init', '--login', '--print'], { PATH: '/usr/bin:/bin' });
  expect((await run.done).code).toBe(1);
  expect(flat(run.stderr())).toContain(
    'The Codex CLI (codex) is not on PATH: install it (`npm install -g @openai/codex`) or give its path with --codex PATH'
  );
  const wrong = start(['init', '--login', '--print', '--codex', path.join(home, 'nope')]);
  expect((await wrong.done).code).toBe(1);
  expect(flat(wrong.stderr())).toContain(`--codex: ${path.join(home, 'nope')} is not an executable file`);
  expect(await fs.readdir(tmp)).toEqual([]);
});

test('--login without a token for --repo stops before Codex runs, and prints the command to run again', async () => {
  const run = start(['init', '--login', '--repo', 'acme/app']);
  expect((await run.done).code).toBe(2);
  expect(flat(run.stderr())).toContain(
    '`GH_TOKEN=$(gh auth token) npx --yes @org/codex-auth@1 init --login --repo acme/app`'
  );
  expect(oauth.requests).toEqual([]);
  expect(await fs.readdir(tmp)).toEqual([]);
});

describe('the OAuth issuer in the login (tokens.oauth_provenance): Codex refreshes wherever it says', () => {
  async function loginFile(issuer: string): Promise<{ file: string; text: string }> {
    const login = makeChatGptAuth();
    const text = JSON.stringify(
      {
        ...login,
        tokens: { ...login.tokens, oauth_provenance: { issuer, client_id: 'app_EMoamEEZ73f0CkXaXp7hrann' } }
      },
      null,
      2
    );
    const file = path.join(home, 'auth.json');
    await fs.writeFile(file, text, { mode: 0o600 });
    return { file, text };
  }

  test('another issuer is refused, naming --oauth-issuer; with it the login is accepted', async () => {
    const { file } = await loginFile('https://evil.example/');
    const refused = start(['init', '--auth-file', file, '--print']);
    expect((await refused.done).code).toBe(1);
    expect(flat(refused.stderr())).toContain(
      `${file} is refused: its tokens.oauth_provenance names the issuer "https://evil.example/", not Codex's https://auth.openai.com: Codex would send its refresh token there.`
    );
    expect(flat(refused.stderr())).toContain('run the command again with --oauth-issuer https://evil.example');
    expect(await fs.readdir(tmp)).toEqual([]);
    const accepted = start(['init', '--auth-file', file, '--print', '--oauth-issuer', 'https://evil.example']);
    expect((await accepted.done).code).toBe(0);
  });

  test("Codex's own issuer needs no flag", async () => {
    const { file } = await loginFile('https://auth.openai.com');
    const run = start(['init', '--auth-file', file, '--print']);
    expect((await run.done).code).toBe(0);
  });
});

test.each<[string[], string]>([
  [['init', '--login', '--auth-file', 'x'], '--auth-file: does not go with --login'],
  [['init', '--device-auth'], '--device-auth: only goes with --login.'],
  [['init', '--codex', '/bin/true'], '--codex: only goes with --login.'],
  [['init', '--login', '--oauth-issuer', 'http://127.0.0.1:1'], '--oauth-issuer: with --login needs --device-auth'],
  [
    ['init', '--oauth-issuer', 'nope'],
    '--oauth-issuer: is not an http(s) URL without a user name, password, query or fragment.'
  ],
  [['init', '--oauth-issuer', 'https://auth.example.com/?next=1'], '--oauth-issuer: is not an http(s) URL without'],
  [['init', '--oauth-issuer', 'https://auth.example.com#x'], '--oauth-issuer: is not an http(s) URL without']
])('usage error %j: exit 2 on stderr', async (args, message) => {
  const run = start(args);
  expect((await run.done).code).toBe(2);
  expect(flat(run.stderr())).toContain(`codex-auth init: ${message}`);
  expect(run.stdout()).toBe('');
});
