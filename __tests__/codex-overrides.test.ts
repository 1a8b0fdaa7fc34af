// Credentials in the environment that Codex uses instead of the auth.json the action writes: the pinned
// binary confirms which variables take precedence (and which do not), and every mode warns about each
// one that is set (src/codex/overrides.ts, the one list).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CREDENTIAL_OVERRIDES, overrideWarnings } from '../src/codex/overrides.js';
import { setUpJobCredential } from '../src/job-credential/main.js';
import { setUpChatGpt } from '../src/chatgpt/main.js';
import { parseInputs } from '../src/action/inputs.js';
import type { ChatGptInputs } from '../src/action/chatgpt-inputs.js';
import type { Runtime } from '../src/action/runtime.js';
import { codexProviderArgs, makeCodexHome, runCodex } from './support/codex.js';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { startOAuthServer, type OAuthServer } from './support/oauth-server.js';

const OVERRIDING = CREDENTIAL_OVERRIDES.flatMap((o) => o.names.map((name) => ({ name, emptyCounts: o.emptyCounts })));
/** Read by the binary (its strings) but, alone, not in place of auth.json. */
const NOT_OVERRIDING = ['OPENAI_API_KEY', 'OPENAI_WORKLOAD_IDENTITY_CONTEXT', 'SPIFFE_ENDPOINT_SOCKET'];
const VALUE: Record<string, string> = {
  CODEX_API_KEY: 'sk-from-the-environment',
  CODEX_ACCESS_TOKEN: 'at-from-the-environment',
  OPENAI_FEDERATION_RULE_ID: 'idpm_test',
  OPENAI_IDENTITY_TOKEN_FILE: '/nonexistent/oidc-token',
  OPENAI_IDENTITY_TOKEN_SOURCE: 'file',
  OPENAI_SPIFFE_ID: 'spiffe://example.org/ci',
  OPENAI_SPIFFE_AUDIENCE: 'openai',
  OPENAI_API_KEY: 'sk-not-used-by-codex',
  OPENAI_WORKLOAD_IDENTITY_CONTEXT: '{"instance_id":"x"}',
  SPIFFE_ENDPOINT_SOCKET: 'unix:///nonexistent.sock'
};

describe('the pinned Codex: which environment variables win over auth.json', () => {
  let oauth: OAuthServer;
  let model: ModelServer;
  let home: string;
  beforeAll(async () => {
    oauth = await startOAuthServer();
    model = await startModelServer(oauth, { allowApiKeys: [VALUE.CODEX_API_KEY] });
    home = makeCodexHome({ auth: oauth.issue() });
  });
  afterAll(async () => {
    await model?.stop();
    await oauth?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  /** Which credential Codex used: `auth.json` when it ran on the ChatGPT login, else what it did. */
  async function usedCredential(env: Record<string, string>): Promise<string> {
    // `codex login status` tells for every variable but CODEX_API_KEY, which only `codex exec` reads.
    if ('CODEX_API_KEY' in env) {
      const seen = model.responsesRequests().length;
      const r = await runCodex(['exec', ...codexProviderArgs(model.baseUrl), 'say hi'], {
        codexHome: home,
        oauth,
        env
      });
      expect(r.code).toBe(0);
      return model.responsesRequests().slice(seen)[0]?.bearer === VALUE.CODEX_API_KEY ? 'CODEX_API_KEY' : 'auth.json';
    }
    const r = await runCodex(['login', 'status'], {
      codexHome: home,
      // No whoami may leave the machine: a closed loopback port answers at once.
      env: { CODEX_AUTHAPI_BASE_URL: 'http://127.0.0.1:9/api/accounts', ...env }
    });
    return r.code === 0 && r.stderr.includes('Logged in using ChatGPT') ? 'auth.json' : 'other';
  }

  test.each(OVERRIDING)('$name set wins over auth.json', async ({ name }) => {
    expect(await usedCredential({ [name]: VALUE[name] })).not.toBe('auth.json');
  });

  test.each(OVERRIDING)('$name set but empty: as the list says', async ({ name, emptyCounts }) => {
    expect((await usedCredential({ [name]: '' })) !== 'auth.json').toBe(emptyCounts);
  });

  test.each(NOT_OVERRIDING)('%s does not replace auth.json (no warning needed)', async (name) => {
    expect(await usedCredential({ [name]: VALUE[name] })).toBe('auth.json');
  });
});

describe('every mode warns about each override that is set', () => {
  let temp: string;
  beforeAll(() => {
    temp = mkdtempSync(path.join(os.tmpdir(), 'overrides-'));
    writeFileSync(
      path.join(temp, 'event.json'),
      JSON.stringify({
        repository: { full_name: 'acme/app', private: true, visibility: 'private', default_branch: 'main' }
      })
    );
  });
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  const ENV = { CODEX_ACCESS_TOKEN: 'at-x', OPENAI_FEDERATION_RULE_ID: '', CODEX_API_KEY: '' };

  function runtime(warnings: string[]): Runtime {
    return {
      env: {
        RUNNER_TEMP: temp,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_EVENT_PATH: path.join(temp, 'event.json'),
        GITHUB_REPOSITORY: 'acme/app',
        GITHUB_REF: 'refs/heads/main',
        ...ENV
      },
      info: () => undefined,
      warning: (m) => warnings.push(m),
      notice: () => undefined,
      summary: () => undefined,
      setSecret: () => undefined,
      setOutput: () => undefined,
      exportVariable: () => undefined,
      saveState: () => undefined,
      openStores: async () => []
    };
  }

  const expectWarned = (warnings: string[], credential: string): void => {
    const about = warnings.filter((w) => w.includes('in the environment'));
    expect(about).toEqual([
      expect.stringMatching(new RegExp(`^CODEX_ACCESS_TOKEN is set .* instead of ${credential}`)),
      expect.stringMatching(/^OPENAI_FEDERATION_RULE_ID is set .*workload identity/)
    ]);
    // An empty CODEX_API_KEY is ignored by Codex: no false alarm.
    expect(about.join('\n')).not.toContain('CODEX_API_KEY');
  };

  test('API-key mode', async () => {
    const warnings: string[] = [];
    await setUpJobCredential({ mode: 'api-key', apiKey: 'sk-test', codexHome: undefined }, runtime(warnings));
    expectWarned(warnings, 'the API key');
  });

  test('access-token mode', async () => {
    const warnings: string[] = [];
    await setUpJobCredential({ mode: 'access-token', accessToken: 'at-test', codexHome: undefined }, runtime(warnings));
    expectWarned(warnings, 'the access token');
  });

  test('ChatGPT mode', async () => {
    const warnings: string[] = [];
    const oauth = await startOAuthServer();
    try {
      const values: Record<string, string> = {
        'auth-mode': 'chatgpt',
        'encryption-key': Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64'),
        renewal: 'in-job',
        'chatgpt-auth-json': JSON.stringify(oauth.issue())
      };
      const { inputs } = parseInputs((name) => values[name] ?? '', { workspace: '/nowhere', home: temp });
      await setUpChatGpt(inputs as ChatGptInputs, runtime(warnings));
    } finally {
      await oauth.stop();
    }
    expectWarned(warnings, 'the ChatGPT login');
  });

  test("a mode's own variables are exempt", () => {
    const env = { OPENAI_FEDERATION_RULE_ID: 'idpm_x', OPENAI_IDENTITY_TOKEN_FILE: '/f', CODEX_API_KEY: 'sk' };
    expect(
      overrideWarnings(env, 'the workload identity', ['OPENAI_FEDERATION_RULE_ID', 'OPENAI_IDENTITY_TOKEN_FILE'])
    ).toEqual([expect.stringMatching(/^CODEX_API_KEY is set/)]);
    expect(overrideWarnings(env, 'the API key')).toEqual([
      expect.stringMatching(/^CODEX_API_KEY is set/),
      expect.stringMatching(/^OPENAI_FEDERATION_RULE_ID, OPENAI_IDENTITY_TOKEN_FILE are set/)
    ]);
  });
});
