// The command that runs the setup is one string from one place (src/setup-command.ts): the README,
// the docs, the action's errors and `codex-auth init` all print exactly it, and it names the
// repository the package and the README's `uses:` name. No text may suggest a registry name
// (`npx codex-auth …`) nobody here owns.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { initCommand } from '../src/inputs.js';
import {
  DEFAULT_REF,
  PACKAGE_REPOSITORY,
  repositoryFromPackage,
  setupCommand,
  setupSourceFromEnv
} from '../src/setup-command.js';
import { ROOT } from './support/paths.js';

const SETUP = 'npx --yes https://github.com/org/codex-auth/archive/v1.tar.gz init';
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** Every `npx …` in a text, up to the end of the line or code span. */
function npxCommands(text: string): string[] {
  return [...text.matchAll(/\bnpx\b[^`\n]*/g)].map((m) => m[0]);
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

test('the command: a tarball of the action repository at v1, run with npx (no git, no registry name)', () => {
  expect(setupCommand()).toBe(SETUP);
  expect(setupCommand({}, '--login', '--repo', 'acme/app')).toBe(`${SETUP} --login --repo acme/app`);
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
    expect(text).not.toMatch(/npx codex-auth|npx @[^ ]+\/codex-auth/);
  }
  // The README shows it, as the recommended --login path.
  expect(npxCommands(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))).toContain(
    `${SETUP} --login --repo owner/name`
  );
  expect(found.length).toBeGreaterThanOrEqual(3);
});

test('the source spells the command in one place only', () => {
  const spelling = sourceFiles(path.join(ROOT, 'src')).filter((file) => /\bnpx\b/.test(readFileSync(file, 'utf8')));
  expect(spelling.map((file) => path.relative(ROOT, file))).toEqual([path.join('src', 'setup-command.ts')]);
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

  test('from the repository and ref the workflow uses (GITHUB_ACTION_REPOSITORY / GITHUB_ACTION_REF)', () => {
    expect(initCommand(target, { GITHUB_ACTION_REPOSITORY: 'acme/codex-auth-fork', GITHUB_ACTION_REF: 'v1.4.0' })).toBe(
      'npx --yes https://github.com/acme/codex-auth-fork/archive/v1.4.0.tar.gz init --login --repo acme/app --secret-name CODEX_AUTH_JSON'
    );
  });

  test("the package's own when the action runs from a path (uses: ./) or the variables are odd", () => {
    for (const env of [
      {},
      { GITHUB_ACTION_REPOSITORY: '' },
      { GITHUB_ACTION_REPOSITORY: 'not a repo; rm -rf /' },
      { GITHUB_ACTION_REPOSITORY: 'acme/x', GITHUB_ACTION_REF: '$(id)' }
    ]) {
      expect(initCommand(target, env).startsWith(`${setupCommand(setupSourceFromEnv(env))} --login`)).toBe(true);
      expect(initCommand(target, env)).toMatch(
        /^npx --yes https:\/\/github\.com\/[A-Za-z0-9-]+\/[A-Za-z0-9._-]+\/archive\/[A-Za-z0-9._/-]+\.tar\.gz init /
      );
    }
    expect(initCommand(target, {})).toBe(`${SETUP} --login --repo acme/app --secret-name CODEX_AUTH_JSON`);
  });

  test('environment and organization scopes; an environment name is quoted for the shell', () => {
    expect(initCommand({ ...target, scope: 'environment', environment: 'prod eu' }, {})).toBe(
      `${SETUP} --login --repo acme/app --environment 'prod eu' --secret-name CODEX_AUTH_JSON`
    );
    expect(initCommand({ ...target, scope: 'organization' }, {})).toBe(
      `${SETUP} --login --repo acme/app --scope organization --secret-name CODEX_AUTH_JSON`
    );
  });
});
