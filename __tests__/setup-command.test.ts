// The command that runs the setup is one string from one place (src/action/setup-command.ts): the README,
// the docs, the action's errors and `codex-auth init` all print exactly it: the npm package this
// repository publishes, pinned to the major version of package.json, so npx runs a published,
// immutable release (never a moving archive).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_REF,
  MAJOR,
  PACKAGE_NAME,
  PACKAGE_REPOSITORY,
  actionReference,
  initCommand,
  repositoryFromPackage,
  setupCommand
} from '../src/action/setup-command.js';
import { ROOT } from './support/paths.js';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const SETUP = `npx --yes @org/codex-auth@${pkg.version.split('.')[0]} init`;

/** Every `npx …` command in a text (not the word in a code span of its own), up to the end of the line or code span. */
function npxCommands(text: string): string[] {
  return [...text.matchAll(/(?<!`)\bnpx\b(?!`)[^`\n]*/g)].map((m) => m[0]);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(path.join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [path.join(dir, entry.name)]
        : []
  );
}

test('the command: the published package at the major version of package.json, run with npx', () => {
  expect(SETUP).toBe('npx --yes @org/codex-auth@1 init');
  expect(setupCommand()).toBe(SETUP);
  expect(setupCommand('--login', '--repo', 'acme/app')).toBe(`${SETUP} --login --repo acme/app`);
  expect([PACKAGE_NAME, MAJOR]).toEqual([pkg.name, pkg.version.split('.')[0]]);
  expect(actionReference()).toBe(`org/codex-auth@v${MAJOR}`);
});

test("package.json's repository, bugs and homepage name the same repository as the command and the README's uses:", () => {
  expect(repositoryFromPackage(pkg.repository)).toBe(PACKAGE_REPOSITORY);
  expect(pkg.bugs.url).toBe(`https://github.com/${PACKAGE_REPOSITORY}/issues`);
  expect(pkg.homepage).toBe(`https://github.com/${PACKAGE_REPOSITORY}#readme`);
  expect(`v${pkg.version.split('.')[0]}`).toBe(DEFAULT_REF);
  expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(`uses: ${PACKAGE_REPOSITORY}@${DEFAULT_REF}`);
  for (const form of [
    'github:org/codex-auth',
    'org/codex-auth',
    'https://github.com/org/codex-auth',
    'git+https://github.com/org/codex-auth.git',
    { type: 'git', url: 'git@github.com:org/codex-auth.git' }
  ]) {
    expect(repositoryFromPackage(form)).toBe('org/codex-auth');
  }
});

test('package.json: publishable (scoped, not private), the bin and what the package ships; no script that makes npm build a git install', () => {
  expect(pkg.private).toBeUndefined();
  expect(pkg.name).toMatch(/^@[a-z0-9-]+\/codex-auth$/);
  expect(pkg.bin).toEqual({ 'codex-auth': 'dist/cli/index.js' });
  expect(pkg.files).toEqual(expect.arrayContaining(['dist/', 'action.yml', 'README.md', 'LICENSE']));
  // npm runs these on install of a published package (and a git dependency's would need the dev dependencies).
  for (const script of ['preinstall', 'install', 'postinstall', 'prepare', 'prepack'])
    expect(pkg.scripts[script]).toBeUndefined();
});

test('the README and every doc print exactly this command, never another npx form', () => {
  const files = [
    'README.md',
    path.join('examples', 'nightly-chatgpt.yml'),
    ...readdirSync(path.join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.join('docs', f))
  ];
  const found: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const command of npxCommands(text)) {
      found.push(command);
      expect({ file, command: command.slice(0, SETUP.length) }).toEqual({ file, command: SETUP });
    }
    // No archive URL or unscoped name: those run whatever sits behind them today.
    expect(text).not.toMatch(/npx (--yes )?(codex-auth|https?:)/);
  }
  // The README shows it, as the recommended --login path.
  expect(npxCommands(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))).toContain(
    `${SETUP} --login --repo owner/name`
  );
  expect(found.length).toBeGreaterThanOrEqual(3);
});

test('the source spells the command in one place only', () => {
  const spelling = sourceFiles(path.join(ROOT, 'src')).filter((file) => /\bnpx\b/.test(readFileSync(file, 'utf8')));
  expect(spelling.map((file) => path.relative(ROOT, file))).toEqual([path.join('src', 'action', 'setup-command.ts')]);
});

describe("the action's re-seed command (initCommand)", () => {
  const target = {
    scope: 'repository' as const,
    name: 'CODEX_AUTH_JSON',
    owner: 'acme',
    repo: 'app',
    apiUrl: 'https://api.github.com',
    token: 't'
  };

  test('the same package and major version, whichever ref the workflow uses', () => {
    expect(initCommand(target)).toBe(`${SETUP} --login --repo acme/app --secret-name CODEX_AUTH_JSON`);
  });

  test('environment and organization scopes; an environment name is quoted for the shell', () => {
    expect(initCommand({ ...target, scope: 'environment', environment: 'prod eu' })).toBe(
      `${SETUP} --login --repo acme/app --environment 'prod eu' --secret-name CODEX_AUTH_JSON`
    );
    expect(initCommand({ ...target, scope: 'organization' })).toBe(
      `${SETUP} --login --repo acme/app --scope organization --secret-name CODEX_AUTH_JSON`
    );
  });
});
