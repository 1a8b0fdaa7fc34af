// Issue 21 item 7: the step state (which the runner's debug log can show) holds no identifier of the
// account in plain text that was not masked first: every one is registered with ::add-mask:: before
// the state that carries it is written.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setUpChatGpt } from '../src/chatgpt/main.js';
import { parseInputs } from '../src/action/inputs.js';
import type { ChatGptInputs } from '../src/action/chatgpt-inputs.js';
import { decodeJwt } from './support/jwt.js';
import { recordingRuntime } from './support/in-process.js';
import { startOAuthServer, type OAuthServer } from './support/oauth-server.js';

let oauth: OAuthServer;
let temp: string;
beforeAll(async () => {
  oauth = await startOAuthServer();
  temp = mkdtempSync(path.join(os.tmpdir(), 'state-ids-'));
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

  const unmaskedInState: string[] = [];
  // Each state is checked as it is saved, against what was masked before it.
  const recorded = recordingRuntime(temp, {
    onSaveState: (state) => {
      const text = JSON.stringify(state);
      for (const id of identifiers) if (text.includes(id) && !recorded.masked.includes(id)) unmaskedInState.push(id);
    }
  });
  const { rt } = recorded;
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
