// Issue 21 item 4: the action never renews, rewrites or deletes an auth.json it did not write. A
// codex-home it did not create may hold the user's own login (their ~/.codex) or another credential's:
// both are refused and left byte for byte; only a login the action wrote there for this credential
// (marked beside it, src/codex/home.ts OWNER_FILE) is used and replaced.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { promises as fs, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setUpChatGpt } from '../src/chatgpt/main.js';
import { setUpJobCredential } from '../src/job-credential/main.js';
import { OWNER_FILE, removeCredentials } from '../src/codex/home.js';
import { InputError } from '../src/action/errors.js';
import { parseInputs } from '../src/action/inputs.js';
import type { ChatGptInputs } from '../src/action/chatgpt-inputs.js';
import { rfc3339Nanos } from './support/jwt.js';
import { recordingRuntime } from './support/in-process.js';
import { startOAuthServer, type OAuthServer } from './support/oauth-server.js';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64');
let oauth: OAuthServer;
let temp: string;

beforeAll(async () => {
  oauth = await startOAuthServer();
  temp = mkdtempSync(path.join(os.tmpdir(), 'home-ownership-'));
});
afterAll(async () => {
  await oauth?.stop();
  rmSync(temp, { recursive: true, force: true });
});

function runtime() {
  return recordingRuntime(temp, {
    runnerTemp: path.join(temp, 'runner-temp'),
    env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: oauth.url }
  });
}

function chatGptInputs(codexHome: string, credentialName: string, seed: string): ChatGptInputs {
  const values: Record<string, string> = {
    'auth-mode': 'chatgpt',
    'encryption-key': KEY,
    renewal: 'in-job',
    'credential-name': credentialName,
    'codex-home': codexHome,
    'chatgpt-auth-json': seed
  };
  return parseInputs((name) => values[name] ?? '', { workspace: '/nowhere', home: temp }).inputs as ChatGptInputs;
}

async function newHome(name: string): Promise<string> {
  const dir = path.join(temp, name);
  await fs.mkdir(dir, { mode: 0o700 });
  return dir;
}

async function refusal(run: () => Promise<unknown>): Promise<InputError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe("a codex-home holding the user's own auth.json", () => {
  test('ChatGPT mode refuses it and leaves it byte for byte: not adopted, renewed, rewritten or deleted', async () => {
    const home = await newHome('users-own-chatgpt');
    // The user's own login, due for renewal and older than the seed: the old code adopted and overwrote it.
    const own = JSON.stringify(
      { ...oauth.issue({ accessTtlSeconds: 60 }), last_refresh: rfc3339Nanos(new Date(Date.now() - 3_600_000)) },
      null,
      2
    );
    writeFileSync(path.join(home, 'auth.json'), own, { mode: 0o600 });
    const before = oauth.stats().refreshes;
    const { rt, state } = runtime();

    const error = await refusal(() => setUpChatGpt(chatGptInputs(home, 'default', JSON.stringify(oauth.issue())), rt));
    expect(error.input).toBe('codex-home');
    expect(error.message).toContain('a ChatGPT login');
    expect(error.message).toContain('this action did not write it');
    expect(error.message).not.toContain(JSON.parse(own).tokens.refresh_token);
    expect(await fs.readFile(path.join(home, 'auth.json'), 'utf8')).toBe(own);
    expect(await fs.readdir(home)).toEqual(['auth.json']);
    expect(oauth.stats().refreshes).toBe(before);
    // No state: the post step has nothing of this job's to remove.
    expect(state()).toBeUndefined();
  });

  test.each(['api-key', 'access-token'] as const)('%s mode refuses it and leaves it byte for byte', async (mode) => {
    const home = await newHome(`users-own-${mode}`);
    const own = JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: 'sk-users-own-key-0123456789' }, null, 2);
    writeFileSync(path.join(home, 'auth.json'), own, { mode: 0o600 });
    const { rt } = runtime();
    const inputs =
      mode === 'api-key'
        ? { mode, apiKey: 'sk-action-key-0123456789', codexHome: home }
        : { mode, accessToken: 'at-action-token', codexHome: home };
    const error = await refusal(() => setUpJobCredential(inputs, rt));
    expect(error.message).toContain('an API key');
    expect(await fs.readFile(path.join(home, 'auth.json'), 'utf8')).toBe(own);
  });
});

describe('two credential names sharing one codex-home', () => {
  test("the second is refused and the first's login is left byte for byte", async () => {
    const home = await newHome('shared');
    const first = runtime();
    await setUpChatGpt(chatGptInputs(home, 'team-a', JSON.stringify(oauth.issue())), first.rt);
    const written = await fs.readFile(path.join(home, 'auth.json'), 'utf8');

    const error = await refusal(() =>
      setUpChatGpt(chatGptInputs(home, 'team-b', JSON.stringify(oauth.issue())), runtime().rt)
    );
    expect(error.message).toContain(
      "this action wrote it for the ChatGPT credential 'team-a', not the ChatGPT credential 'team-b'"
    );
    expect(await fs.readFile(path.join(home, 'auth.json'), 'utf8')).toBe(written);

    // team-a's post step removes its own login and its marker, nothing else.
    const removed = await removeCredentials({ dir: home, created: false }, first.state()?.authFile !== undefined);
    expect(removed.sort()).toEqual([path.join(home, OWNER_FILE), path.join(home, 'auth.json')].sort());
    expect((await fs.readdir(home)).sort()).toEqual(['config.toml']);
  });

  test('the same credential finds the login an earlier job of its own left (its post step never ran) and uses it', async () => {
    const home = await newHome('leftover');
    const account = { accountId: 'acct-leftover-1', userId: 'user-leftover1' };
    const seed = oauth.issue(account);
    await setUpChatGpt(chatGptInputs(home, 'default', JSON.stringify(seed)), runtime().rt);
    // Codex refreshed it in that job, whose post step never ran: the refreshed copy must not be lost.
    const refreshed = JSON.stringify({ ...oauth.issue(account), last_refresh: rfc3339Nanos(new Date()) }, null, 2);
    writeFileSync(path.join(home, 'auth.json'), refreshed);
    const next = runtime();
    await setUpChatGpt(chatGptInputs(home, 'default', JSON.stringify(seed)), next.rt);
    expect(next.state()?.source).toBe('codex-home');
  });

  test("a login put in place of the action's (another account, the marker still there) is not taken for it", async () => {
    const home = await newHome('replaced');
    await setUpChatGpt(chatGptInputs(home, 'default', JSON.stringify(oauth.issue())), runtime().rt);
    const own = JSON.stringify(oauth.issue(), null, 2);
    writeFileSync(path.join(home, 'auth.json'), own);
    const error = await refusal(() =>
      setUpChatGpt(chatGptInputs(home, 'default', JSON.stringify(oauth.issue())), runtime().rt)
    );
    expect(error.message).toContain('it is not the login this action wrote there');
    expect(await fs.readFile(path.join(home, 'auth.json'), 'utf8')).toBe(own);
  });
});
