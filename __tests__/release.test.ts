// The release is one fact stated in several places: package.json, package-lock.json, the CHANGELOG and
// the README (which says what `@v1` resolves to). A release that updates one and not another fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './support/paths.js';

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { version: string };
const lock = JSON.parse(read('package-lock.json')) as {
  version: string;
  packages: Record<string, { version: string }>;
};
const changelog = read('CHANGELOG.md');

test('package.json and the root entries of package-lock.json carry the same version', () => {
  expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
  expect([lock.version, lock.packages[''].version]).toEqual([pkg.version, pkg.version]);
});

test('the CHANGELOG has an empty Unreleased section on top, then this version with its date', () => {
  const headings = [...changelog.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  expect(headings[0]).toBe('[Unreleased]');
  expect(headings[1]).toMatch(new RegExp(`^\\[${pkg.version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`));
  const unreleased = changelog.slice(changelog.indexOf('## [Unreleased]'), changelog.indexOf(`## [${pkg.version}]`));
  expect(unreleased.trim()).toBe('## [Unreleased]');
});

test('the release entry tells 1.x users what changes and how to keep the old behaviour', () => {
  const entry = changelog.slice(
    changelog.indexOf(`## [${pkg.version}]`),
    changelog.indexOf('\n## [', changelog.indexOf(`## [${pkg.version}]`) + 1)
  );
  expect(entry).toMatch(/^### Upgrading from /m);
  expect(entry).toContain('`renewal: in-job`');
  expect(entry).toMatch(/Why \d+\.\d+\.\d+ and not \d+\.0\.0/);
});

test('the README says which version `@v1` resolves to: this one', () => {
  const readme = read('README.md');
  expect(readme).toContain(
    `This README documents version ${pkg.version}, which \`@v${pkg.version.split('.')[0]}\` resolves to`
  );
  // Its link to the release's CHANGELOG entry points at the heading's anchor.
  const anchor = `${pkg.version.replace(/\./g, '')}---${/^## \[[^\]]+\] - (\S+)$/m.exec(changelog.slice(changelog.indexOf(`## [${pkg.version}]`)))![1]}`;
  expect(readme).toContain(`(CHANGELOG.md#${anchor})`);
});
