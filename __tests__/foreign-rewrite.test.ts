// The post step notices a login that another user rewrote (openai/codex-action's unprivileged-user
// strategy runs Codex as another user, and a refresh leaves an auth.json owned by that user, 0600):
// unreadable, it says the refreshed login cannot be stored and the fix; readable, it warns and saves.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { foreignRewriteProblem, inspectLogin, reportForeignRewrite } from '../src/chatgpt/keep/foreign-rewrite.js';
import { ROOT } from './support/paths.js';

const FILE = '/runner/_temp/codex-home-x/auth.json';
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'foreign-rewrite-'));
  await fs.chmod(dir, 0o755);
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('foreignRewriteProblem', () => {
  test('our own readable login: nothing to say', () => {
    expect(foreignRewriteProblem(FILE, { owner: 1001, self: 1001, readable: true, mode: 0o600 })).toBeUndefined();
  });

  test('owned by another user and unreadable: stop, naming both uids, the cause and the fix', () => {
    const problem = foreignRewriteProblem(FILE, { owner: 1002, self: 1001, readable: false, mode: 0o600 })!;
    expect(problem.stop).toBe(true);
    expect(problem.message).toContain(
      `Not saving: ${FILE} is now owned by uid 1002, not by the runner user (uid 1001)`
    );
    expect(problem.message).toContain('safety-strategy: unprivileged-user');
    expect(problem.message).toContain('`safety-strategy: drop-sudo` (its default), `read-only` or `unsafe`');
    expect(problem.message).toContain('no `openai-api-key`');
    expect(problem.message).toContain('re-seed');
  });

  test('owned by another user but readable: saved as usual, with a warning', () => {
    const problem = foreignRewriteProblem(FILE, { owner: 1002, self: 0, readable: true, mode: 0o600 })!;
    expect(problem.stop).toBe(false);
    expect(problem.message).toContain('The runner user can still read it, so it is saved as usual');
  });

  test('our own file made unreadable: a step changed its permissions', () => {
    const problem = foreignRewriteProblem(FILE, { owner: 1001, self: 1001, readable: false, mode: 0o000 })!;
    expect(problem.stop).toBe(true);
    expect(problem.message).toContain('is no longer readable by the runner user (mode 00)');
  });
});

describe('reportForeignRewrite', () => {
  test('a missing auth.json is left to the usual "is gone" report', async () => {
    const warnings: string[] = [];
    expect(await reportForeignRewrite(path.join(dir, 'auth.json'), 'fail', { warning: (m) => warnings.push(m) })).toBe(
      false
    );
    expect(warnings).toEqual([]);
  });

  test('our own file: nothing', async () => {
    await fs.writeFile(path.join(dir, 'auth.json'), '{}', { mode: 0o600 });
    const warnings: string[] = [];
    expect(await reportForeignRewrite(path.join(dir, 'auth.json'), 'fail', { warning: (m) => warnings.push(m) })).toBe(
      false
    );
    expect(warnings).toEqual([]);
  });

  (isRoot ? test : test.skip)(
    'as root, a file chowned to another user: read by root, so a warning and the save goes on',
    async () => {
      const file = path.join(dir, 'auth.json');
      await fs.writeFile(file, '{}', { mode: 0o600 });
      await fs.chown(file, NOBODY, NOBODY);
      expect(await inspectLogin(file)).toEqual({ owner: NOBODY, self: 0, readable: true, mode: 0o600 });
      const warnings: string[] = [];
      expect(await reportForeignRewrite(file, 'fail', { warning: (m) => warnings.push(m) })).toBe(false);
      expect(warnings).toEqual([
        expect.stringContaining(`is now owned by uid ${NOBODY}, not by the runner user (uid 0)`)
      ]);
    }
  );

  // The runner user here is `nobody` (a child process) and the file belongs to root, 0600: what a
  // runner user sees after Codex ran as another user and refreshed.
  (isRoot ? test : test.skip)(
    'as a runner user that cannot read the file: fails, or warns with on-save-failure: warn',
    async () => {
      const file = path.join(dir, 'auth.json');
      await fs.writeFile(file, '{}', { mode: 0o600 });
      const probe = path.join(dir, 'probe.mts');
      await fs.writeFile(
        probe,
        `import { inspectLogin, reportForeignRewrite } from ${JSON.stringify(path.join(ROOT, 'src', 'chatgpt', 'keep', 'foreign-rewrite.ts'))};
const warnings = [];
const rt = { warning: (m) => warnings.push(m) };
const access = await inspectLogin(process.argv[2]);
const warned = await reportForeignRewrite(process.argv[2], 'warn', rt);
const failed = await reportForeignRewrite(process.argv[2], 'fail', rt).then(() => 'no error', (e) => e.name + ': ' + e.message);
console.log(JSON.stringify({ access, warned, warnings, failed }));`,
        { mode: 0o644 }
      );
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [probe, file], {
          uid: NOBODY,
          gid: NOBODY,
          env: { PATH: process.env.PATH ?? '', HOME: dir },
          stdio: ['ignore', 'pipe', 'inherit']
        });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`probe exited ${code}`))));
      });
      const result = JSON.parse(out);
      expect(result.access).toEqual({ owner: 0, self: NOBODY, readable: false, mode: 0o600 });
      expect(result.warned).toBe(true);
      expect(result.warnings).toEqual([
        expect.stringContaining(`Not saving: ${file} is now owned by uid 0, not by the runner user (uid ${NOBODY})`)
      ]);
      expect(result.failed).toMatch(/^CredentialError: Not saving: .*The runner user cannot read it/);
    }
  );
});
