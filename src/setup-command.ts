// The one command that runs the setup (`codex-auth init`), as the README, the docs, the action's errors
// and init's own messages print it. It installs the CLI straight from the action's repository, so it
// works on a fresh machine with only Node and never resolves a registry name someone else could own:
//
//   npx --yes https://github.com/org/codex-auth/archive/v1.tar.gz init
//
// npm treats the URL as a plain tarball, not a git dependency: no git needed (`github:owner/name#v1`
// runs `git ls-remote` to resolve the tag) and nothing is built (for a git dependency with a
// build/prepare/prepack/install script, npm first installs every dev dependency). npx
// installs the production dependencies and runs the package's one `bin`, dist/cli/index.js: a
// self-contained bundle committed with the action. Dependency-free, so both bundles can use it.

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

/** The repository and ref to use: the ones given when valid, else the package's own and `v1`. */
export function resolveSetupSource(source: Partial<SetupSource> = {}): SetupSource {
  const repository = source.repository && REPOSITORY.test(source.repository) ? source.repository : PACKAGE_REPOSITORY;
  const ref = source.ref && REF.test(source.ref) && !source.ref.includes('..') ? source.ref : DEFAULT_REF;
  return { repository, ref };
}

/** `npx --yes https://github.com/OWNER/NAME/archive/REF.tar.gz init` followed by `args` (already quoted for a shell). */
export function setupCommand(source: Partial<SetupSource> = {}, ...args: string[]): string {
  const { repository, ref } = resolveSetupSource(source);
  return [`npx --yes https://github.com/${repository}/archive/${ref}.tar.gz init`, ...args].join(' ');
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
  return match && REPOSITORY.test(match[1]) ? match[1] : undefined;
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
