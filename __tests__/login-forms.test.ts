// Every login file Codex accepts as a ChatGPT login, the action accepts: the mode is judged as the
// pinned Codex judges it (checked here against the binary with `codex login status`), and a file
// without auth_mode is written back without it (Codex's own form), by the renewal and for Codex.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codexAuthMode, parseCredential } from '../src/chatgpt/login/credential.js';
import { consumerCopy } from '../src/chatgpt/login/consumer-copy.js';
import { refreshLogin } from '../src/chatgpt/renewal/token-endpoint.js';
import { setUpChatGpt } from '../src/chatgpt/main.js';
import { parseInputs } from '../src/action/inputs.js';
import type { ChatGptInputs } from '../src/action/chatgpt-inputs.js';
import { makeCodexHome, runCodex } from './support/codex.js';
import { startOAuthServer, type OAuthServer } from './support/oauth-server.js';
import { recordingRuntime } from './support/in-process.js';

let oauth: OAuthServer;
let temp: string;
beforeAll(async () => {
  oauth = await startOAuthServer();
  temp = mkdtempSync(path.join(os.tmpdir(), 'login-forms-'));
});
afterAll(async () => {
  await oauth?.stop();
  rmSync(temp, { recursive: true, force: true });
});

/** A ChatGPT login as an older Codex writes it: no auth_mode (and, in some, no OPENAI_API_KEY either). */
function withoutMode(keyField: 'null' | 'absent' = 'null'): Record<string, unknown> {
  const { auth_mode: _mode, OPENAI_API_KEY: _key, ...rest } = oauth.issue() as unknown as Record<string, unknown>;
  return keyField === 'null' ? { OPENAI_API_KEY: null, ...rest } : rest;
}

describe('the mode, judged as the pinned Codex judges it (`codex login status`)', () => {
  const forms: [string, () => Record<string, unknown>][] = [
    ['auth_mode "chatgpt"', () => oauth.issue() as unknown as Record<string, unknown>],
    ['no auth_mode, OPENAI_API_KEY null', () => withoutMode('null')],
    ['no auth_mode, no OPENAI_API_KEY', () => withoutMode('absent')],
    ['no auth_mode, OPENAI_API_KEY set', () => ({ ...withoutMode(), OPENAI_API_KEY: 'sk-abcdefghij12345' })],
    ['no auth_mode, OPENAI_API_KEY empty', () => ({ ...withoutMode(), OPENAI_API_KEY: '' })],
    ['auth_mode "chatgpt" with an OPENAI_API_KEY', () => ({ ...oauth.issue(), OPENAI_API_KEY: 'sk-abcdefghij12345' })]
  ];

  test.each(forms)('%s', async (_name, make) => {
    const doc = make();
    const home = makeCodexHome({ auth: doc });
    try {
      const r = await runCodex(['login', 'status'], { codexHome: home });
      const codexSays = r.stderr.includes('Logged in using ChatGPT')
        ? 'chatgpt'
        : r.stderr.includes('API key configured')
          ? 'apikey'
          : 'other';
      expect(codexAuthMode(doc)).toBe(codexSays);
      // Accepted by the action exactly when Codex reads it as a ChatGPT login (these all hold tokens).
      const parsed = parseCredential(JSON.stringify(doc, null, 2));
      expect(parsed.ok).toBe(codexSays === 'chatgpt');
      if (!parsed.ok) expect(parsed.reason).toMatch(/"apikey".*not a ChatGPT login/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('a login without auth_mode keeps its form', () => {
  test('the renewal writes it back without auth_mode, as Codex does', async () => {
    const doc = { ...withoutMode('absent') };
    const outcome = await refreshLogin(JSON.stringify(doc, null, 2), {
      env: { CODEX_REFRESH_TOKEN_URL_OVERRIDE: oauth.url }
    });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const renewed = JSON.parse(outcome.text) as Record<string, unknown>;
    expect(Object.keys(renewed)).toEqual(Object.keys(doc));
    expect(parseCredential(outcome.text).ok).toBe(true);
    expect(Object.keys(JSON.parse(consumerCopy(outcome.text)) as object)).toEqual(Object.keys(doc));
  });

  test('the main step takes it as a seed and hands Codex the file unchanged (renewal: in-job)', async () => {
    const text = JSON.stringify(withoutMode('null'), null, 2);
    const values: Record<string, string> = {
      'auth-mode': 'chatgpt',
      'encryption-key': Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64'),
      renewal: 'in-job',
      'chatgpt-auth-json': text
    };
    const { inputs } = parseInputs((name) => values[name] ?? '', { workspace: '/nowhere', home: temp });
    const { rt, state } = recordingRuntime(temp);
    await setUpChatGpt(inputs as ChatGptInputs, rt);
    expect(readFileSync(state()!.authFile!, 'utf8')).toBe(text);
  });
});
