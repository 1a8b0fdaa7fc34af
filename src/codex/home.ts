// The CODEX_HOME the action hands to Codex: a private directory, files 0600 in 0700, outside the workspace.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../action/errors.js';
import { protect } from '../platform/acl.js';
import { codexAuthMode, sha256 } from '../chatgpt/login/credential.js';

export const AUTH_FILE = 'auth.json';
export const CONFIG_FILE = 'config.toml';
/**
 * Beside an auth.json the action writes into a codex-home it did not create: which credential it
 * wrote it for and what it wrote (`{"writer":"codex-auth","owner":"chatgpt:default","sha256":…,
 * "login":…}`: the file's digest, and for a ChatGPT login a digest of its account, which Codex's
 * refresh keeps). Written before auth.json and removed after it. An auth.json without it, with
 * another owner's, or that is neither what was written nor a refresh of that login, was not written
 * for this credential: the action leaves it byte for byte.
 */
export const OWNER_FILE = '.codex-auth-owner.json';

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

/** Whose auth.json a codex-home the action did not create holds. */
export type Ownership =
  | { status: 'absent' }
  /** Written by this action for this owner (an earlier job whose post step did not run, or Codex's refresh of it). */
  | { status: 'ours'; text: string }
  | { status: 'foreign'; what: string; reason: string };

/**
 * Whether the action may use and replace the auth.json in `dir`: only one it wrote for `owner`
 * (`chatgpt:<credential name>`, `api-key`, `access-token`). Anything else is never renewed,
 * rewritten or deleted.
 */
export async function ownershipOf(
  dir: string,
  owner: string,
  loginOf: (text: string) => string | undefined = () => undefined
): Promise<Ownership> {
  const text = await readFileIfExists(path.join(dir, AUTH_FILE));
  if (text === undefined) return { status: 'absent' };
  const recorded = parseMarker(await readFileIfExists(path.join(dir, OWNER_FILE)));
  const foreign = (reason: string): Ownership => ({ status: 'foreign', what: describeLogin(text), reason });
  if (!recorded) return foreign('this action did not write it');
  if (recorded.owner !== owner)
    return foreign(`this action wrote it for ${describeOwner(recorded.owner)}, not ${describeOwner(owner)}`);
  const login = loginOf(text);
  if (sha256(text) === recorded.sha256 || (login !== undefined && login === recorded.login))
    return { status: 'ours', text };
  return foreign('it is not the login this action wrote there');
}

/** The refusal for a codex-home holding an auth.json that is not this credential's (left byte for byte). */
export function foreignAuthError(dir: string, found: Extract<Ownership, { status: 'foreign' }>): InputError {
  return new InputError(
    'codex-home',
    `${dir} already holds an auth.json (${found.what}) that ${found.reason}; it is left as it is, byte for byte.`,
    'Give each credential a codex-home of its own (or leave codex-home empty for a private directory under RUNNER_TEMP); if that auth.json is a leftover you no longer need, delete it.'
  );
}

/**
 * Records that `text`, about to be written as auth.json in `dir`, is the action's, for `owner`;
 * `login`: a digest of the login's account (ChatGPT), so that Codex's refresh of it is still known.
 */
export async function markOwner(dir: string, owner: string, text: string, login?: string): Promise<void> {
  const marker = { writer: 'codex-auth', owner, sha256: sha256(text), ...(login ? { login } : {}) };
  await writePrivateFile(path.join(dir, OWNER_FILE), JSON.stringify(marker));
}

interface Marker {
  owner: string;
  sha256?: string;
  login?: string;
}

function parseMarker(text: string | undefined): Marker | undefined {
  try {
    const doc = JSON.parse(text ?? '') as Record<string, unknown>;
    if (doc.writer !== 'codex-auth' || typeof doc.owner !== 'string') return undefined;
    const string = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
    return { owner: doc.owner, sha256: string(doc.sha256), login: string(doc.login) };
  } catch {
    return undefined;
  }
}

function describeOwner(owner: string): string {
  if (owner.startsWith('chatgpt:')) return `the ChatGPT credential '${owner.slice('chatgpt:'.length)}'`;
  return owner === 'api-key' ? 'an API key' : owner === 'access-token' ? 'an access token' : `'${owner}'`;
}

/** What kind of login a file is, for messages (never its contents). */
function describeLogin(text: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'not a login this action can read';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a login this action can read';
  const mode = codexAuthMode(doc as Record<string, unknown>);
  if (mode === 'chatgpt') return 'a ChatGPT login';
  if (mode === 'apikey') return 'an API key';
  if (mode === 'personalAccessToken') return 'an access token';
  return 'another kind of login';
}

/**
 * Removes what main created: the whole directory if it made it, else only the auth.json it wrote
 * (with Codex's lock files beside it, then the owner marker). Returns the paths removed, for the log.
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
  for (const name of [AUTH_FILE, `${AUTH_FILE}.lock`, 'auth.lock', OWNER_FILE]) {
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
