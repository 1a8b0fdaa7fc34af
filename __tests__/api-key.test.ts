// API-key mode end to end: the built action under Node 24 through the runner harness, checked with the real Codex CLI.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { destroyRunner, makeRunner, runJob, type JobResult, type Step } from './support/runner.js';

const KEY = 'sk-proj-TESTKEY0123456789abcdefghijklmnopqrstuvwxyzABCDE';

const action = (inputs: Record<string, string> = {}): Step => ({
  uses: 'action',
  id: 'auth',
  with: { 'openai-api-key': KEY, ...inputs }
});
const loginStatus: Step = { name: 'codex login status', run: 'codex login status' };

function expectNoKey(job: JobResult): void {
  for (const step of job.steps) {
    expect(step.log).not.toContain(KEY);
    expect(step.summary).not.toContain(KEY.slice(-5));
  }
  expect(job.masks).toContain(KEY);
}

async function statMode(file: string): Promise<number> {
  return (await fs.stat(file)).mode & 0o777;
}

describe('API-key mode (the default)', () => {
  test('a job gets a private CODEX_HOME that the real Codex CLI reads, and the post step removes it', async () => {
    const job = await runJob({
      name: 'codex',
      steps: [
        action(),
        loginStatus,
        { name: 'inspect', run: 'stat -c "%a %n" "$CODEX_HOME" "$CODEX_HOME/auth.json"; cat "$CODEX_HOME/config.toml"' }
      ]
    });
    expect(job.status).toBe('success');
    const outputs = job.outputs('auth');
    expect(outputs['auth-mode']).toBe('api-key');
    expect(outputs['codex-home'].startsWith(job.runnerTemp + path.sep)).toBe(true);
    expect(outputs['auth-file']).toBe(path.join(outputs['codex-home'], 'auth.json'));
    expect(job.step('auth').exported.CODEX_HOME).toBe(outputs['codex-home']);
    // The real CLI: key configured, shown masked by Codex itself.
    const status = job.step('codex login status');
    expect(status.status).toBe('success');
    expect(status.log).toMatch(/API key configured - sk-proj-\*+ABCDE/);
    const inspect = job.step('inspect').log;
    expect(inspect).toContain(`700 ${outputs['codex-home']}`);
    expect(inspect).toContain(`600 ${outputs['auth-file']}`);
    expect(inspect).toContain('cli_auth_credentials_store = "file"');
    // Post: everything removed and reported.
    const post = job.steps.find((s) => s.phase === 'post')!;
    expect(post.status).toBe('success');
    expect(post.log).toContain(`Removed ${outputs['codex-home']}`);
    expect(job.leftovers).toEqual([]);
    // One line in the job summary, nothing of the key.
    expect(job.step('auth').summary).toMatch(/### Codex auth: API key\n\nAn API key \(masked\) was written/);
    expectNoKey(job);
  });

  test('after the post step the real Codex CLI reports "Not logged in"', async () => {
    const runner = await makeRunner('self-hosted');
    const home = path.join(runner.home, 'codex');
    try {
      await fs.mkdir(home, { mode: 0o700 });
      const job = await runJob({ name: 'codex', runner, steps: [action({ 'codex-home': home }), loginStatus] });
      expect(job.status).toBe('success');
      expect(job.step('codex login status').log).toContain('API key configured');
      const after = await runJob({
        name: 'after',
        runner,
        steps: [{ name: 'status', run: 'codex login status', env: { CODEX_HOME: home } }]
      });
      expect(after.step('status').status).toBe('failure');
      expect(after.step('status').log).toContain('Not logged in');
      // A user's codex-home keeps its other files; only the credential is gone.
      await expect(fs.readdir(home)).resolves.toContain('config.toml');
      await expect(fs.access(path.join(home, 'auth.json'))).rejects.toThrow();
      expect(await statMode(home)).toBe(0o700);
      expectNoKey(job);
    } finally {
      await destroyRunner(runner);
    }
  });

  test('a codex-home the action had to create is removed whole by the post step', async () => {
    const runner = await makeRunner('self-hosted');
    const home = path.join(runner.home, 'new', 'codex');
    try {
      const job = await runJob({
        name: 'codex',
        runner,
        steps: [action({ 'codex-home': home }), loginStatus, { name: 'mode', run: 'stat -c "%a" "$CODEX_HOME"' }]
      });
      expect(job.step('codex login status').log).toContain('API key configured');
      expect(job.step('mode').log.trim()).toBe('700');
      expect(job.steps.find((s) => s.phase === 'post')!.log).toContain(`Removed ${home}`);
      await expect(fs.access(home)).rejects.toThrow();
    } finally {
      await destroyRunner(runner);
    }
  });

  test('the post step runs and cleans up after a failed step', async () => {
    const job = await runJob({
      name: 'codex',
      steps: [action(), { name: 'fails', run: 'exit 3' }, { name: 'never', run: 'true' }]
    });
    expect(job.status).toBe('failure');
    expect(job.step('never').status).toBe('skipped');
    const post = job.steps.find((s) => s.phase === 'post')!;
    expect(post.status).toBe('success');
    expect(post.log).toContain('Removed');
    expect(job.leftovers).toEqual([]);
  });

  test('a user-given codex-home holding a ChatGPT login is refused and left intact', async () => {
    const runner = await makeRunner('self-hosted');
    const home = path.join(runner.home, '.codex');
    const chatgpt = JSON.stringify({ auth_mode: 'chatgpt', tokens: { refresh_token: 'rt-keep-me' } });
    try {
      await fs.mkdir(home, { recursive: true });
      await fs.writeFile(path.join(home, 'auth.json'), chatgpt);
      const job = await runJob({ name: 'codex', runner, steps: [action({ 'codex-home': '~/.codex' })] });
      expect(job.status).toBe('failure');
      const error = job.step('auth').annotations.find((a) => a.level === 'error')!.message;
      expect(error).toContain("Input 'codex-home'");
      expect(error).toContain('ChatGPT login');
      expect(await fs.readFile(path.join(home, 'auth.json'), 'utf8')).toBe(chatgpt);
      expectNoKey(job);
    } finally {
      await destroyRunner(runner);
    }
  });

  test('ChatGPT-only inputs are ignored with a warning', async () => {
    const job = await runJob({
      name: 'codex',
      steps: [action({ 'chatgpt-auth-json': '{"auth_mode":"chatgpt"}', 'workspace-id': 'ws-1' }), loginStatus]
    });
    expect(job.status).toBe('success');
    const warning = job.step('auth').annotations.find((a) => a.level === 'warning')!.message;
    expect(warning).toContain("'chatgpt-auth-json', 'workspace-id'");
    expect(job.step('codex login status').log).toContain('API key configured');
  });

  describe('bad input: a one-line error naming the input and the fix, never the key', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['missing key', { 'openai-api-key': '' }, /^Input 'openai-api-key': is empty.*secrets\.OPENAI_API_KEY/],
      ['blank key', { 'openai-api-key': '   ' }, /^Input 'openai-api-key': is empty/],
      [
        'unknown auth-mode',
        { 'auth-mode': 'oauth' },
        /^Input 'auth-mode': 'oauth' is not a valid value\. Use one of: api-key, chatgpt, access-token, workload-identity\./
      ],
      ['relative codex-home', { 'codex-home': 'codex' }, /^Input 'codex-home': 'codex' is a relative path/],
      [
        'codex-home inside the workspace',
        { 'codex-home': '@WORKSPACE@/.codex' },
        /^Input 'codex-home': .* is inside the workspace/
      ],
      ['codex-home is a file', { 'codex-home': '@FILE@' }, /^Input 'codex-home': .* is a file, not a directory/],
      [
        'codex-home cannot be created',
        { 'codex-home': '/proc/codex' },
        /^Input 'codex-home': '\/proc\/codex' does not exist and could not be created/
      ],
      [
        'codex-home under a file',
        { 'codex-home': '@FILE@/codex' },
        /^Input 'codex-home': .* could not be created \(ENOTDIR\)/
      ]
    ];
    test.each(cases)('%s', async (_name, inputs, expected) => {
      const runner = await makeRunner('self-hosted');
      const file = path.join(runner.home, 'a-file');
      await fs.writeFile(file, 'x');
      const workspace = path.join(runner.workRoot, 'app', 'app');
      const resolved = Object.fromEntries(
        Object.entries(inputs).map(([k, v]) => [k, v.replace('@WORKSPACE@', workspace).replace('@FILE@', file)])
      );
      try {
        const job = await runJob({ name: 'codex', runner, steps: [action(resolved), loginStatus] });
        expect(job.status).toBe('failure');
        const main = job.step('auth');
        const errors = main.annotations.filter((a) => a.level === 'error');
        expect(errors).toHaveLength(1);
        expect(errors[0].message).toMatch(expected);
        expect(errors[0].message).not.toContain('\n');
        expect(job.step('codex login status').status).toBe('skipped');
        expectNoKeyIn(job);
        expect(job.leftovers).toEqual([]);
      } finally {
        await destroyRunner(runner);
      }
    });
  });
});

function expectNoKeyIn(job: JobResult): void {
  for (const step of job.steps) expect(step.log).not.toContain(KEY);
}
