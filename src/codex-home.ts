// The CODEX_HOME the action hands to Codex: a private directory, files 0600 in 0700, outside the workspace.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from './errors.js';
import { protect } from './platform/acl.js';

export const AUTH_FILE = 'auth.json';
export const CONFIG_FILE = 'config.toml';

export interface CodexHome {
  dir: string;
  /** True when this action created the directory, so the post step removes all of it. */
  created: boolean;
}

/** Creates a private CODEX_HOME under RUNNER_TEMP, or checks (and if needed creates) the user's. */
export async function prepareCodexHome(requested: string | undefined, runnerTemp: string): Promise<CodexHome> {
  if (!requested) {
    await fs.mkdir(runnerTemp, { recursive: true });
    // mkdtemp creates the directory 0700; on Windows it inherits RUNNER_TEMP's ACL, so set one.
    const dir = await fs.mkdtemp(path.join(runnerTemp, 'codex-home-'));
    if (process.platform === 'win32') await protect(dir, 'directory');
    return { dir, created: true };
  }
  const stat = await fs.lstat(requested).catch(() => undefined);
  if (!stat) {
    await makePrivateDirectories(requested).catch((error: NodeJS.ErrnoException) => {
      throw new InputError(
        'codex-home',
        `'${requested}' does not exist and could not be created (${error.code ?? error.message}).`,
        'Choose a directory the runner user can write, or leave it empty for a private directory under RUNNER_TEMP.'
      );
    });
    return { dir: requested, created: true };
  }
  if (stat.isSymbolicLink()) {
    throw new InputError(
      'codex-home',
      `'${requested}' is a symbolic link; credentials are not written through links.`,
      'Give the real directory path.'
    );
  }
  if (!stat.isDirectory()) {
    throw new InputError(
      'codex-home',
      `'${requested}' is a file, not a directory.`,
      'Give a directory path (it is created if missing), or leave it empty for a private directory under RUNNER_TEMP.'
    );
  }
  try {
    await fs.access(requested, constants.W_OK | constants.X_OK);
  } catch {
    throw new InputError(
      'codex-home',
      `'${requested}' is not writable by the runner user.`,
      'Fix its permissions, choose another directory, or leave it empty for a private directory under RUNNER_TEMP.'
    );
  }
  return { dir: requested, created: false };
}

/**
 * `mkdir -p` with every directory it creates exactly 0700, one level at a time: Node's recursive
 * mkdir never returns on some paths (under /proc, for one). A directory that another process
 * creates at the same moment is fine (the caller checks what it got). On Windows the first
 * directory it creates gets an ACL for the runner user only, which the ones inside inherit.
 */
export async function makePrivateDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = dir;
  while (
    !(await fs.lstat(current).then(
      () => true,
      () => false
    ))
  ) {
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  let protectedAbove = false;
  for (const each of missing) {
    try {
      await fs.mkdir(each, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    // mkdir's mode is reduced by the umask; make it exactly 0700.
    if (process.platform !== 'win32') await fs.chmod(each, 0o700);
    else if (!protectedAbove) {
      await protect(each, 'directory');
      protectedAbove = true;
    }
  }
}

/**
 * Writes a file 0600 atomically (temp file + rename, as Codex itself does), refusing to follow a
 * symbolic link planted where the file should be.
 */
export async function writePrivateFile(file: string, content: string): Promise<void> {
  const existing = await fs.lstat(file).catch(() => undefined);
  if (existing?.isSymbolicLink()) throw new Error(`Refusing to write ${file}: it is a symbolic link.`);
  // Unique, not secret: 'wx' refuses any existing path (a planted link too). No node:crypto: it alone
  // would add about a fifth to an API-key step's start-up.
  const unique = `${process.pid}.${Math.random().toString(36).slice(2)}`;
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${unique}.tmp`);
  await fs.writeFile(temp, content, { mode: 0o600, flag: 'wx' });
  try {
    // Windows: the file would keep the ACL it inherited from a directory the user may share.
    if (process.platform === 'win32') await protect(temp, 'file');
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Removes what main created: the whole directory if it made it, else only the auth.json it wrote
 * (with Codex's lock files beside it). Returns the paths removed, for the log.
 */
export async function removeCredentials(home: CodexHome, wroteAuthFile: boolean): Promise<string[]> {
  if (home.created) {
    const exists = await fs.lstat(home.dir).then(
      () => true,
      () => false
    );
    await fs.rm(home.dir, { recursive: true, force: true });
    return exists ? [home.dir] : [];
  }
  const removed: string[] = [];
  if (!wroteAuthFile) return removed;
  for (const name of [AUTH_FILE, `${AUTH_FILE}.lock`, 'auth.lock']) {
    const file = path.join(home.dir, name);
    if (
      await fs.lstat(file).then(
        () => true,
        () => false
      )
    ) {
      await fs.rm(file, { force: true });
      removed.push(file);
    }
  }
  return removed;
}
