// Inputs are parsed once, before any side effect; every error names the input and the fix.
import { DEFAULT_LOCAL_STORE_PATH, parseInputs, secretInputs } from '../src/action/inputs.js';
import { DEFAULT_LOCAL_STORE_DIR } from '../src/stores/local-placement.js';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64');
const ctx = { workspace: '/work/app', home: '/home/runner' };
const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';

test('API-key mode is the default', () => {
  expect(parseInputs(reader({ 'openai-api-key': ' sk-1 ' }), ctx)).toEqual({
    inputs: { mode: 'api-key', apiKey: 'sk-1', codexHome: undefined },
    warnings: []
  });
});

test('codex-home: ~ is the runner home; relative paths and the workspace are refused', () => {
  expect(parseInputs(reader({ 'openai-api-key': 'k', 'codex-home': '~/.codex' }), ctx).inputs.codexHome).toBe(
    '/home/runner/.codex'
  );
  expect(() => parseInputs(reader({ 'openai-api-key': 'k', 'codex-home': '/work/app/sub/../.codex' }), ctx)).toThrow(
    /^Input 'codex-home': .* is inside the workspace/
  );
  expect(() => parseInputs(reader({ 'openai-api-key': 'k', 'codex-home': '.codex' }), ctx)).toThrow(/relative path/);
});

test('ChatGPT mode needs a real 32-byte key, and says how to make one', () => {
  const base = { 'auth-mode': 'chatgpt', 'chatgpt-auth-json': '{}' };
  expect(() => parseInputs(reader(base), ctx)).toThrow(/^Input 'encryption-key': is empty.*openssl rand -base64 32/);
  expect(() => parseInputs(reader({ ...base, 'encryption-key': 'hunter2' }), ctx)).toThrow(
    /must be 32 random bytes.*openssl rand -base64 32/
  );
  expect(() => parseInputs(reader({ ...base, 'encryption-key': Buffer.alloc(32, 1).toString('base64') }), ctx)).toThrow(
    /is not random/
  );
  const parsed = parseInputs(reader({ ...base, 'encryption-key': KEY }), ctx).inputs;
  expect(parsed).toMatchObject({
    mode: 'chatgpt',
    credentialName: 'default',
    allowPublicRepository: false,
    onSaveFailure: 'fail'
  });
});

test.each([
  ['credential-name', 'a.b', /^Input 'credential-name': 'a.b' is not a valid name/],
  [
    'dangerously-allow-public-repository',
    'yes',
    /^Input 'dangerously-allow-public-repository': 'yes' is not a boolean/
  ],
  ['on-save-failure', 'ignore', /^Input 'on-save-failure': 'ignore' is not a valid value\. Use one of: fail, warn\./],
  ['workspace-id', 'ws 1', /^Input 'workspace-id': 'ws 1' is not a workspace id/]
])('%s=%s is refused', (name, value, message) => {
  expect(() => parseInputs(reader({ 'auth-mode': 'chatgpt', 'encryption-key': KEY, [name]: value }), ctx)).toThrow(
    message
  );
});

test('secret inputs are listed for masking; a multi-line seed is not (its tokens are masked once parsed)', () => {
  expect(
    secretInputs(reader({ 'openai-api-key': 'sk-1', 'encryption-key': KEY, 'chatgpt-auth-json': '{\n "a": 1\n}' }))
  ).toEqual(['sk-1', KEY]);
  expect(secretInputs(reader({ 'chatgpt-auth-json': 'eyJhIjoxfQ==' }))).toEqual(['eyJhIjoxfQ==']);
});

describe('serializing inputs (lease, local store)', () => {
  const env = {
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_API_URL: 'https://ghe.example/api/v3/',
    RUNNER_TEMP: '/work/_temp',
    RUNNER_ENVIRONMENT: 'self-hosted'
  };
  const chatgpt = (values: Record<string, string>) =>
    parseInputs(reader({ 'auth-mode': 'chatgpt', 'encryption-key': KEY, ...values }), { ...ctx, env });
  const TOKEN = 'ghs_workflowtoken';

  test('both are off by default; lease: true takes the repository and API from the job, and minutes as given', () => {
    expect(chatgpt({}).inputs).toMatchObject({ lease: undefined, localStore: undefined });
    expect(chatgpt({ lease: 'true', 'lease-token': TOKEN }).inputs).toMatchObject({
      lease: {
        owner: 'acme',
        repo: 'app',
        apiUrl: 'https://ghe.example/api/v3',
        token: TOKEN,
        timeoutMs: 30 * 60_000,
        ttlMs: 60 * 60_000
      }
    });
    expect(
      chatgpt({ lease: 'true', 'lease-token': TOKEN, 'lease-timeout-minutes': '0', 'lease-expiry-minutes': '360' })
        .inputs
    ).toMatchObject({ lease: { timeoutMs: 0, ttlMs: 360 * 60_000 } });
    expect(chatgpt({ lease: 'true', 'lease-token': TOKEN, 'lease-timeout-minutes': '0.5' }).inputs).toMatchObject({
      lease: { timeoutMs: 30_000 }
    });
  });

  test.each([
    [
      { 'lease-expiry-minutes': '400' },
      /^Input 'lease-expiry-minutes': 400 minutes is more than 360 \(6 hours.*Give more than 0 to 360 minutes/
    ],
    [
      { 'lease-expiry-minutes': '0' },
      /^Input 'lease-expiry-minutes': is 0\. Give more than 0 to 360 minutes. Choose it longer than the longest job/
    ],
    [
      { 'lease-timeout-minutes': 'soon' },
      /^Input 'lease-timeout-minutes': 'soon' is not a number of minutes \(digits, .*\)\. Give 0 to 360 minutes/
    ],
    [{ 'lock-timeout-minutes': '-1' }, /^Input 'lock-timeout-minutes': '-1' is negative\. Give 0 to 360 minutes/],
    [{ 'renew-before-hours': '1e3' }, /^Input 'renew-before-hours': '1e3' is not a number of hours \(digits/],
    [{ lease: 'yes' }, /^Input 'lease': 'yes' is not a boolean/],
    [{ 'local-store': 'on' }, /^Input 'local-store': 'on' is not a boolean/],
    [
      { lease: 'true', 'lease-token': '' },
      /^Input 'lease-token': is empty, and lease is true.*`permissions: contents: write`/
    ],
    [{ 'local-store': 'true', 'local-store-path': 'store' }, /^Input 'local-store-path': 'store' is a relative path/],
    [
      { 'local-store': 'true', 'local-store-path': '/work/app/.store' },
      /^Input 'local-store-path': '\/work\/app\/.store' is inside the workspace/
    ],
    [
      { 'local-store': 'true', 'local-store-path': '/work/_temp/store' },
      /^Input 'local-store-path': '\/work\/_temp\/store' is inside RUNNER_TEMP .* empties after every job/
    ]
  ])('%j is refused, naming the input and the fix', (values, message) => {
    expect(() => chatgpt(values)).toThrow(message);
  });

  test('lease: true needs the repository running the workflow', () => {
    expect(() =>
      parseInputs(reader({ 'auth-mode': 'chatgpt', 'encryption-key': KEY, lease: 'true', 'lease-token': TOKEN }), ctx)
    ).toThrow(/^Input 'lease': needs the repository running the workflow/);
  });

  test('the local store: ~ is the runner home, the default path is the store module default; warned about on a GitHub-hosted runner', () => {
    expect(DEFAULT_LOCAL_STORE_PATH).toBe(DEFAULT_LOCAL_STORE_DIR);
    expect(chatgpt({ 'local-store': 'true' })).toEqual(expect.objectContaining({ warnings: [] }));
    expect(chatgpt({ 'local-store': 'true' }).inputs).toMatchObject({
      localStore: { dir: '/home/runner/.codex-auth/store', lockTimeoutMs: 10 * 60_000 }
    });
    expect(
      chatgpt({ 'local-store': 'true', 'local-store-path': '/srv/codex-store', 'lock-timeout-minutes': '2' }).inputs
    ).toMatchObject({ localStore: { dir: '/srv/codex-store', lockTimeoutMs: 120_000 } });
    const hosted = parseInputs(reader({ 'auth-mode': 'chatgpt', 'encryption-key': KEY, 'local-store': 'true' }), {
      ...ctx,
      env: { ...env, RUNNER_ENVIRONMENT: 'github-hosted' }
    });
    expect(hosted.warnings).toEqual([
      expect.stringMatching(/^'local-store: true' on a GitHub-hosted runner: .*does not survive the job/)
    ]);
  });

  test('settings of a feature that is off are ignored with a warning; defaults (as the runner passes them) are not mentioned', () => {
    const defaults = {
      lease: 'false',
      'lease-token': 'ghs_default',
      'lease-timeout-minutes': '30',
      'lease-expiry-minutes': '60',
      'local-store': 'false',
      'local-store-path': '~/.codex-auth/store',
      'lock-timeout-minutes': '10'
    };
    expect(chatgpt(defaults).warnings).toEqual([]);
    expect(chatgpt({ ...defaults, 'lease-expiry-minutes': '90', 'local-store-path': '/srv/store' }).warnings).toEqual([
      "Ignoring 'lease-expiry-minutes': the lease is on only with `lease: true`.",
      "Ignoring 'local-store-path': the runner-local store is on only with `local-store: true`."
    ]);
    // API-key mode: the defaults (the lease token is always there) are not mentioned; a ChatGPT-only setting is.
    expect(parseInputs(reader({ 'openai-api-key': 'sk-1', ...defaults }), ctx).warnings).toEqual([]);
    expect(parseInputs(reader({ 'openai-api-key': 'sk-1', ...defaults, lease: 'true' }), ctx).warnings).toEqual([
      "Ignoring 'lease': a ChatGPT login is used only with `auth-mode: chatgpt`; this step uses the API key."
    ]);
  });

  test('the lease token is masked', () => {
    expect(secretInputs(reader({ 'lease-token': TOKEN }))).toEqual([TOKEN]);
  });
});
