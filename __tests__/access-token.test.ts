// Access-token mode end to end: the built action through the runner harness, checked with the real
// Codex CLI against loopback stand-ins for the token check (whoami), the workspace config bundle and
// the model.
import { codexProviderArgs } from './support/codex.js';
import { startChatGptBackend, type ChatGptBackend } from './support/chatgpt-backend.js';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { runJob, errorsOf, warningsOf, type Step } from './support/runner.js';

const TOKEN = 'at-0123456789abcdefghijklmnopqrstuvwxyzABCDEF';
let backend: ChatGptBackend;
let model: ModelServer;

beforeAll(async () => {
  backend = await startChatGptBackend({ tokens: [TOKEN], accountId: 'acct-automation' });
  model = await startModelServer(null, { allowApiKeys: [TOKEN] });
});
afterAll(async () => {
  await Promise.all([backend.stop(), model.stop()]);
});

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;
const action = (inputs: Record<string, string>): Step => ({
  uses: 'action',
  id: 'auth',
  with: { 'auth-mode': 'access-token', ...inputs }
});

test('the real Codex CLI runs with the access token, checked by whoami and the config bundle; the post step removes it', async () => {
  const args = [
    'exec',
    ...codexProviderArgs(model.baseUrl),
    '-c',
    `chatgpt_base_url="${backend.chatgptBaseUrl}"`,
    'say hi'
  ];
  const job = await runJob({
    name: 'codex',
    env: { CODEX_AUTHAPI_BASE_URL: backend.authApiBaseUrl },
    steps: [
      action({ 'codex-access-token': TOKEN }),
      {
        name: 'inspect',
        run: "stat -c \"%a\" \"$CODEX_HOME/auth.json\"; node -e \"const d = JSON.parse(require('fs').readFileSync(process.env.CODEX_HOME + '/auth.json', 'utf8')); console.log(Object.keys(d).join(), d.OPENAI_API_KEY, d.personal_access_token.startsWith('at-'))\""
      },
      { name: 'codex exec', run: `codex ${args.map(quote).join(' ')} < /dev/null` }
    ]
  });
  expect(job.status).toBe('success');
  expect(job.outputs('auth')['auth-mode']).toBe('access-token');
  expect(job.step('inspect').log).toContain('600');
  expect(job.step('inspect').log).toContain('OPENAI_API_KEY,personal_access_token null true');
  expect(job.step('codex exec').log).toContain('hi');
  const checked = backend.requests.filter((r) => r.bearer === TOKEN && r.status === 200).map((r) => r.path);
  expect(checked).toContain('/api/accounts/v1/user-auth-credential/whoami');
  expect(checked).toContain('/backend-api/wham/config/bundle');
  const [response] = model.responsesRequests();
  expect(response).toMatchObject({ bearer: TOKEN, chatgptAccountId: 'acct-automation', status: 200 });
  const post = job.steps.find((s) => s.phase === 'post')!;
  expect(post.log).toContain(`Removed ${job.outputs('auth')['codex-home']}`);
  expect(job.leftovers).toEqual([]);
  expect(job.masks).toContain(TOKEN);
  expect(job.step('auth').summary).toMatch(/Codex auth: access token/);
  for (const step of job.steps) {
    expect(step.log).not.toContain(TOKEN);
    expect(step.summary).not.toContain(TOKEN);
  }
});

test.each([
  [
    'an API key',
    'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789',
    /holds an OpenAI API key \(sk-…\), not a Codex access token.*auth-mode: api-key/
  ],
  [
    'a ChatGPT login',
    '{"auth_mode":"chatgpt","tokens":{"refresh_token":"rt_secretvalue123"}}',
    /holds JSON.*auth-mode: chatgpt/
  ],
  ['something else', 'ghp_notacodextoken0123456789', /is not a Codex access token \(they start with `at-`\)/],
  ['nothing', '', /is empty, and auth-mode is access-token/]
])(
  '%s in codex-access-token fails the main step, naming the input, without echoing it',
  async (_name, value, message) => {
    const job = await runJob({
      name: 'codex',
      steps: [action({ 'codex-access-token': value }), { name: 'after', run: 'true' }]
    });
    expect(job.status).toBe('failure');
    const [error] = errorsOf(job);
    expect(error).toMatch(/^Input 'codex-access-token': /);
    expect(error).toMatch(message);
    if (value) for (const step of job.steps) expect(step.log).not.toContain(value);
    expect(job.step('after').status).toBe('skipped');
  }
);

test('on pull_request_target the job is warned that code from the pull request can read the access token, as in API-key mode', async () => {
  const job = await runJob({
    name: 'codex',
    event: { name: 'pull_request_target', payload: { repository: { full_name: 'acme/app', private: true } } },
    steps: [action({ 'codex-access-token': TOKEN })]
  });
  expect(job.status).toBe('success');
  expect(warningsOf(job)).toContainEqual(
    expect.stringMatching(/^This job runs on pull_request_target.*the access token in CODEX_HOME can be read/)
  );
});
