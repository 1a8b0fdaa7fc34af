// Where the runner-local store may live: the one rule, for the input (src/action/inputs.ts) and for
// the store itself. Outside the workspace (a checkout, an artifact or a Docker build could pick the
// credential up), outside RUNNER_TEMP (emptied after every job), off the container-job mounts.
import path from 'node:path';
import { expandHome, isInside } from '../action/paths.js';
import { DEFAULT_LOCAL_STORE_DIR } from '../action/constants.js';

/** Where the store lives unless the user says otherwise (`~` is the runner user's home). */
export { DEFAULT_LOCAL_STORE_DIR };
/**
 * Mount points the runner gives container jobs: /github/home is the host's RUNNER_TEMP/_github_home
 * (emptied after every job) and /github/workspace the workspace. HOME is /github/home there.
 */
const CONTAINER_JOB_MOUNTS = ['/github/home', '/github/workspace', '/github/workflow', '/__w'];

/** A problem with the store's location or permissions; the message says what is wrong and how to fix it. */
export class LocalStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStoreError';
  }
}

export interface StoreLocationContext {
  /** The runner user's home (HOME), for `~`. */
  home: string;
  /** GITHUB_WORKSPACE: the store must not be inside it. */
  workspace?: string;
  /** RUNNER_TEMP: emptied at the start and end of every job, so the store must not be inside it. */
  runnerTemp?: string;
}

/** Why a directory may not hold the store: the placement rule, worded by each caller (an input's error, the store's). */
export type Misplacement =
  | { kind: 'relative' }
  /** Inside the workspace, where a checkout, an artifact upload or a Docker build could pick up the credential. */
  | { kind: 'workspace'; root: string }
  /** Inside RUNNER_TEMP, which the runner empties after every job. */
  | { kind: 'runner-temp'; root: string };

/**
 * The rule of where the runner-local store may live, for a `local-store-path` value (empty: the
 * default; `~`: the runner user's home): the absolute directory, or why it may not hold the store.
 * `inside` compares paths: as text by default; src/action/inputs.ts also resolves symbolic links.
 */
export function placeLocalStore(
  raw: string | undefined,
  ctx: StoreLocationContext,
  inside: (child: string, parent: string) => boolean = isInsideAsText
): { given: string; dir: string; misplaced?: Misplacement } {
  const given = (raw ?? '').trim() || DEFAULT_LOCAL_STORE_DIR;
  const expanded = expandHome(given, ctx.home);
  if (!path.isAbsolute(expanded)) return { given, dir: expanded, misplaced: { kind: 'relative' } };
  const dir = path.resolve(expanded);
  return { given, dir, misplaced: misplacement(dir, ctx, inside) };
}

function misplacement(
  dir: string,
  ctx: { workspace?: string; runnerTemp?: string },
  inside: (child: string, parent: string) => boolean
): Exclude<Misplacement, { kind: 'relative' }> | undefined {
  if (ctx.workspace && inside(dir, ctx.workspace)) return { kind: 'workspace', root: ctx.workspace };
  if (ctx.runnerTemp && inside(dir, ctx.runnerTemp)) return { kind: 'runner-temp', root: ctx.runnerTemp };
  return undefined;
}

function isInsideAsText(child: string, parent: string): boolean {
  return isInside(child, path.resolve(parent));
}

/**
 * Turns the configured store directory (empty for the default) into an absolute path, and refuses
 * locations that would leak or lose the credential: relative paths, the workspace, RUNNER_TEMP, the
 * container-job mounts. Only looks at the path; `LocalStore.prepare()` checks the disk (symbolic
 * links, owner, modes, and the workspace again after resolving links).
 */
export function resolveLocalStoreDir(raw: string | undefined, ctx: StoreLocationContext): string {
  const { given, dir, misplaced } = placeLocalStore(raw, ctx);
  if (misplaced?.kind === 'relative') {
    throw new LocalStoreError(
      `The local store directory '${given}' is a relative path, which would put it in the workspace. Give an absolute path outside the workspace (default ${DEFAULT_LOCAL_STORE_DIR}).`
    );
  }
  if (misplaced) throw misplacedError(misplaced, dir, given);
  if (process.platform !== 'win32') {
    const mount = CONTAINER_JOB_MOUNTS.find((m) => isInside(dir, m));
    if (mount) {
      throw new LocalStoreError(
        `The local store directory '${dir}' is under ${mount}, a directory the runner mounts into container jobs and does not keep between jobs (HOME is /github/home there). ` +
          'Run the job on the runner itself (no `container:`), or give a store path on a volume that persists, outside the workspace.'
      );
    }
  }
  return dir;
}

export function checkPlacement(dir: string, shown: string, ctx: { workspace?: string; runnerTemp?: string }): void {
  const misplaced = misplacement(dir, ctx, isInsideAsText);
  if (misplaced) throw misplacedError(misplaced, dir, shown);
}

function misplacedError(
  misplaced: Exclude<Misplacement, { kind: 'relative' }>,
  dir: string,
  shown: string
): LocalStoreError {
  return new LocalStoreError(
    misplaced.kind === 'workspace'
      ? `The local store directory '${shown}' (${dir}) is inside the workspace (${misplaced.root}), where a checkout, an artifact upload or a Docker build could pick up the credential. Choose a directory outside the workspace (default ${DEFAULT_LOCAL_STORE_DIR}).`
      : `The local store directory '${shown}' (${dir}) is inside RUNNER_TEMP (${misplaced.root}), which the runner empties after every job, so nothing would be kept. Choose a directory outside the work folder (default ${DEFAULT_LOCAL_STORE_DIR}).`
  );
}
