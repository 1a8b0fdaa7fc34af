// The one command that runs the setup (`codex-auth init`), as the README, the docs, the action's errors
// and init's own messages print it. It installs the CLI straight from the action's repository, so it
// works on a fresh machine with only Node and never resolves a registry name someone else could own:
//
//   npx --yes github:org/codex-auth#v1 init
//
// npx clones the tag, installs the production dependencies and runs the package's `bin`
// (dist/cli/index.js, a self-contained bundle committed with the action). It builds nothing: a git
// dependency with a build/prepare/prepack/install script would make npm install every dev dependency
// first, so package.json must have none of those scripts. Dependency-free, so both bundles can use it.

/** The action's repository, as in `uses: org/codex-auth@v1` (package.json `repository` says the same; a test checks it). */
export const PACKAGE_REPOSITORY = 'org/codex-auth';
/** The major-version tag workflows use (`@v1`). */
export const DEFAULT_REF = 'v1';

const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

export interface SetupSource {
  /** owner/name of the repository holding the action and the CLI. */
  repository: string;
  /** Tag, branch or commit (`v1`). */
  ref: string;
}

/** `npx --yes github:OWNER/NAME#REF init` followed by `args` (already quoted for a shell). */
export function setupCommand(source: Partial<SetupSource> = {}, ...args: string[]): string {
  const repository = source.repository && REPOSITORY.test(source.repository) ? source.repository : PACKAGE_REPOSITORY;
  const ref = source.ref && REF.test(source.ref) && !source.ref.includes('..') ? source.ref : DEFAULT_REF;
  return [`npx --yes github:${repository}#${ref} init`, ...args].join(' ');
}

/**
 * In the action: the repository and ref the workflow's `uses:` named (GITHUB_ACTION_REPOSITORY,
 * GITHUB_ACTION_REF), so a fork or a pinned commit gets its own command; the package's own otherwise
 * (e.g. `uses: ./`, where both are empty).
 */
export function setupSourceFromEnv(env: NodeJS.ProcessEnv): Partial<SetupSource> {
  const repository = env.GITHUB_ACTION_REPOSITORY?.trim();
  if (!repository || !REPOSITORY.test(repository)) return {};
  const ref = env.GITHUB_ACTION_REF?.trim();
  return { repository, ref: ref || undefined };
}

/** owner/name from package.json's `repository` (`github:owner/name`, `owner/name`, or a github.com URL). */
export function repositoryFromPackage(repository: unknown): string | undefined {
  const text = typeof repository === 'string' ? repository : typeof repository === 'object' && repository !== null ? (repository as { url?: unknown }).url : undefined;
  if (typeof text !== 'string') return undefined;
  const match = /^(?:github:|git\+https:\/\/github\.com\/|https:\/\/github\.com\/|git@github\.com:)?([^/:#]+\/[^/#]+?)(?:\.git)?$/.exec(text.trim());
  return match && REPOSITORY.test(match[1]) ? match[1] : undefined;
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
