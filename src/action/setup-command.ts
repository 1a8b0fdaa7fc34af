// The one command that runs the setup (`codex-auth init`), as the README, the docs, the action's errors
// and init's own messages print it: `npx --yes @org/codex-auth@1 init`. A semver range on npm, not an
// archive URL, so a re-run never runs stale code (docs/design.md, "The setup command").
// Dependency-free apart from package.json, which the bundler inlines into both bundles.
import pkg from '../../package.json' with { type: 'json' };
import type { SecretTarget } from '../stores/secret.js';

/** The npm package (package.json `name`). */
export const PACKAGE_NAME: string = pkg.name;
/** The repository of the action and the package, as in `uses: org/codex-auth@v1` (a test checks package.json says the same). */
export const PACKAGE_REPOSITORY = 'org/codex-auth';
/** The major version of the package this code was built from: `@1` for npm, `@v1` for `uses:`. */
export const MAJOR: string = /^(\d+)\./.exec(pkg.version)?.[1] ?? '1';
/** The major-version tag workflows use (`v1`). */
export const DEFAULT_REF = `v${MAJOR}`;

/** `npx --yes @org/codex-auth@1 init` followed by `args` (already quoted for a shell). */
export function setupCommand(...args: string[]): string {
  return [`npx --yes ${PACKAGE_NAME}@${MAJOR} init`, ...args].join(' ');
}

/** The `codex-auth init` command that re-seeds this secret (and sets a new encryption key). */
export function initCommand(target: Pick<SecretTarget, 'scope' | 'environment' | 'owner' | 'repo' | 'name'>): string {
  const scope =
    target.scope === 'environment'
      ? ['--environment', shellQuote(target.environment ?? '')]
      : target.scope === 'organization'
        ? ['--scope', 'organization']
        : [];
  return setupCommand('--login', '--repo', `${target.owner}/${target.repo}`, ...scope, '--secret-name', target.name);
}

/** `org/codex-auth@v1`: the action as a workflow's `uses:` names it, at this major version. */
export function actionReference(): string {
  return `${PACKAGE_REPOSITORY}@${DEFAULT_REF}`;
}

/** owner/name from package.json's `repository` (`github:owner/name`, `owner/name`, or a github.com URL). */
export function repositoryFromPackage(repository: unknown): string | undefined {
  const text =
    typeof repository === 'string'
      ? repository
      : typeof repository === 'object' && repository !== null
        ? (repository as { url?: unknown }).url
        : undefined;
  if (typeof text !== 'string') return undefined;
  const match =
    /^(?:github:|git\+https:\/\/github\.com\/|https:\/\/github\.com\/|git@github\.com:)?([^/:#]+\/[^/#]+?)(?:\.git)?$/.exec(
      text.trim()
    );
  return match ? match[1] : undefined;
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
