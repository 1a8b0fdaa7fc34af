// Issue 21 item 7: the step state (which the runner's debug log can show) holds no identifier of the
// account in plain text that was not masked first: every one is registered with ::add-mask:: before
// the state that carries it is written.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setUpChatGpt } from '../src/chatgpt/main.js';
import { parseInputs, type ChatGptInputs } from '../src/inputs.js';
import type { Runtime } from '../src/runtime.js';
import { decodeJwt } from './support/jwt.js';
import { startOAuthServer, type OAuthServer } from './support/oauth-server.js';

let oauth: OAuthServer;
let temp: string;
beforeAll(async () => {
  oauth = await startOAuthServer();
  temp = mkdtempSync(path.join(os.tmpdir(), 'state-ids-'));
  writeFileSync(
    path.join(temp, 'event.json'),
    JSON.stringify({ repository: { private: true, full_name: 'a/b', default_branch: 'main' } })
  );
});
afterAll(async () => {
  await oauth?.stop();
  rmSync(temp, { recursive: true, force: true });
});

test('every account identifier in the state was masked before the state was written', async () => {
  const seed = oauth.issue({ email: 'dev@example.com', userId: 'user-Abc123Def456', accountId: 'acct-9f8e7d6c' });
  const claims = decodeJwt(seed.tokens.id_token)!;
  const auth = claims['https://api.openai.com/auth'] as Record<string, string>;
  const identifiers = [auth.chatgpt_user_id, auth.chatgpt_account_id, seed.tokens.account_id, String(claims.email)];

  const masked = new Set<string>();
  const unmaskedInState: string[] = [];
  const rt: Runtime = {
    env: {
      RUNNER_TEMP: temp,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: path.join(temp, 'event.json'),
      GITHUB_REPOSITORY: 'a/b',
      GITHUB_REF: 'refs/heads/main'
    },
    info: () => undefined,
    warning: () => undefined,
    notice: () => undefined,
    summary: () => undefined,
    setSecret: (value) => masked.add(value),
    setOutput: () => undefined,
    exportVariable: () => undefined,
    saveState: (state) => {
      const text = JSON.stringify(state);
      for (const id of identifiers) if (text.includes(id) && !masked.has(id)) unmaskedInState.push(id);
    },
    openStores: async () => []
  };
  const values: Record<string, string> = {
    'auth-mode': 'chatgpt',
    'encryption-key': Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64'),
    renewal: 'in-job',
    'chatgpt-auth-json': JSON.stringify(seed)
  };
  const { inputs } = parseInputs((name) => values[name] ?? '', { workspace: '/nowhere', home: temp });
  await setUpChatGpt(inputs as ChatGptInputs, rt);
  expect(unmaskedInState).toEqual([]);
});
