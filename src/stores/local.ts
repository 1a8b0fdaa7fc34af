// The runner-local store: envelopes on the disk of a trusted, persistent self-hosted runner, outside
// every workspace (where: src/stores/local-placement.ts). One file per credential name,
// `<dir>/<name>.envelope`, mode 0600, in a directory that only the runner user can enter (0700).
// Writes are atomic and durable: a temp file in the same directory, fsync, rename over the old file,
// fsync of the directory; a reader sees the old copy or the new one, never a mix, even after a crash.
//
// The store keeps opaque one-line envelopes (src/chatgpt/login/envelope.ts); it refuses anything that
// does not look like one, so a wiring mistake cannot put a plaintext auth.json on disk.
//
// Jobs of several runner processes on one machine are serialized by the lock in ../mutex/lock.ts, taken in
// the same directory; this module does no locking of its own.
import { constants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { looksLikeEnvelope } from '../chatgpt/login/envelope.js';
import { makePrivateDirectories } from '../codex/home.js';
import { AclError, checkPrivate } from '../platform/acl.js';
import { realpathOfPrefixSync } from '../action/paths.js';
import { checkPlacement, LocalStoreError } from './local-placement.js';
import { CREDENTIAL_NAME_RULE, isCredentialName } from '../action/credential-name.js';

export { LocalStoreError, resolveLocalStoreDir } from './local-placement.js';

const ENVELOPE_SUFFIX = '.envelope';

/** An envelope of a real auth.json is a few KB; anything this large is not one. */
const MAX_ENVELOPE_BYTES = 1024 * 1024;
/** Temp files older than this were left by a writer that died between write and rename. */
const STALE_TEMP_MS = 60 * 60 * 1000;
export interface LocalStoreOptions {
  /** Absolute directory, e.g. from resolveLocalStoreDir(). */
  dir: string;
  credentialName: string;
  /** GITHUB_WORKSPACE, checked again against the directory with symbolic links resolved. */
  workspace?: string;
  /** RUNNER_TEMP, likewise. */
  runnerTemp?: string;
  /**
   * An existing store directory (or envelope file) of ours that group or others can access: true
   * (default) tightens it to 0700 (0600) and logs a line; false refuses it. A directory or file
   * owned by another user is always refused.
   */
  fixPermissions?: boolean;
  log?: (message: string) => void;
}

export class LocalStore {
  readonly dir: string;
  readonly file: string;
  readonly credentialName: string;
  private prepared?: Promise<void>;

  constructor(private readonly options: LocalStoreOptions) {
    if (!isCredentialName(options.credentialName)) {
      throw new LocalStoreError(
        `'${options.credentialName}' is not a valid credential name (${CREDENTIAL_NAME_RULE}).`
      );
    }
    if (!path.isAbsolute(options.dir))
      throw new LocalStoreError(`The local store directory '${options.dir}' must be an absolute path.`);
    this.dir = path.resolve(options.dir);
    this.credentialName = options.credentialName;
    this.file = path.join(this.dir, `${options.credentialName}${ENVELOPE_SUFFIX}`);
  }

  /**
   * Creates the directory (0700, missing parents too) or checks the existing one: a real directory,
   * not a symbolic link, owned by the runner user, not accessible to group or others, with no
   * ancestor that another user could use to swap it, and not inside the workspace once links are
   * resolved. Idempotent; read() and write() call it.
   */
  prepare(): Promise<void> {
    this.prepared ??= this.doPrepare().catch((error) => {
      this.prepared = undefined;
      throw error;
    });
    return this.prepared;
  }

  /** The stored envelope, or undefined when there is none yet. */
  async read(): Promise<string | undefined> {
    await this.prepare();
    let handle: fs.FileHandle;
    try {
      // O_NOFOLLOW: a symbolic link planted in place of the file fails here (ELOOP) instead of being followed.
      handle = await fs.open(this.file, constants.O_RDONLY | noFollow());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP' || code === 'EMLINK')
        throw new LocalStoreError(
          `Refusing to read ${this.file}: it is a symbolic link. Remove it; the store only keeps regular files.`
        );
      throw error;
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile())
        throw new LocalStoreError(`Refusing to read ${this.file}: it is not a regular file. Remove it.`);
      this.checkOwner(stat, this.file, 'file');
      if (posix() && (stat.mode & 0o077) !== 0) {
        if (this.options.fixPermissions === false) {
          throw new LocalStoreError(
            `Refusing to read ${this.file}: its mode is ${octal(stat.mode)}, readable by others than the runner user. Run \`chmod 600 ${this.file}\`.`
          );
        }
        await handle.chmod(0o600);
        this.log(`Tightened ${this.file} from mode ${octal(stat.mode)} to 0600.`);
      }
      if (stat.size > MAX_ENVELOPE_BYTES)
        throw new LocalStoreError(
          `Refusing to read ${this.file}: ${stat.size} bytes is far too large for an envelope.`
        );
      const text = await handle.readFile('utf8');
      return text.endsWith('\n') ? text.slice(0, -1) : text;
    } finally {
      await handle.close();
    }
  }

  /** Replaces the stored envelope atomically (temp file, fsync, rename, fsync of the directory). */
  async write(envelope: string): Promise<void> {
    if (typeof envelope !== 'string' || envelope === '' || /[\r\n]/.test(envelope)) {
      throw new LocalStoreError('Refusing to store an envelope that is empty or not on one line.');
    }
    if (!looksLikeEnvelope(envelope)) {
      throw new LocalStoreError(
        'Refusing to store something that is not a sealed codex-auth envelope: the local store never keeps a plaintext credential.'
      );
    }
    if (Buffer.byteLength(envelope) > MAX_ENVELOPE_BYTES)
      throw new LocalStoreError('Refusing to store an envelope larger than 1 MiB.');
    await this.prepare();
    const existing = await fs.lstat(this.file).catch(() => undefined);
    if (existing && !existing.isFile()) {
      throw new LocalStoreError(
        `Refusing to write ${this.file}: it is ${existing.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}. Remove it; the store only keeps regular files.`
      );
    }
    if (existing) this.checkOwner(existing, this.file, 'file');
    await this.removeStaleTemps();
    const temp = path.join(this.dir, `.${path.basename(this.file)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | noFollow(), 0o600);
    try {
      try {
        await handle.writeFile(`${envelope}\n`, 'utf8');
        // An explicit chmod: the mode given to open() is reduced by the umask (never widened, but be exact).
        if (posix()) await handle.chmod(0o600);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, this.file);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    await syncDirectory(this.dir);
  }

  private async doPrepare(): Promise<void> {
    const { dir } = this;
    checkPlacement(dir, dir, this.options);
    // Links may hide a path inside the workspace (e.g. HOME reached through a link into it): check
    // the path with links resolved, before creating anything, and again once it exists.
    await this.checkRealPlacement(realpathOfPrefixSync(dir));
    const stat = await fs.lstat(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!stat) {
      await makeStoreDirectories(dir);
      this.log(`Created the local store directory ${dir} (mode 0700).`);
    } else {
      if (stat.isSymbolicLink()) {
        throw new LocalStoreError(
          `The local store directory ${dir} is a symbolic link; credentials are not kept through links. Give the real directory path.`
        );
      }
      if (!stat.isDirectory())
        throw new LocalStoreError(
          `The local store path ${dir} exists and is not a directory. Remove it or choose another path.`
        );
      this.checkOwner(stat, dir, 'directory');
      if (!posix()) await this.checkAcl(dir);
      if (posix() && (stat.mode & 0o077) !== 0) {
        if (this.options.fixPermissions === false) {
          throw new LocalStoreError(
            `The local store directory ${dir} has mode ${octal(stat.mode)}: group or others can access it, and it holds credentials. Run \`chmod 700 ${dir}\` (and check who could have read it).`
          );
        }
        await fs.chmod(dir, 0o700);
        this.log(`The local store directory ${dir} had mode ${octal(stat.mode)}; tightened it to 0700.`);
      }
    }
    const real = await fs.realpath(dir);
    await this.checkRealPlacement(real);
    await checkAncestors(real);
  }

  /** Windows: the owner and "nobody else" checks, on the directory's ACL (files inside inherit it). */
  private async checkAcl(dir: string): Promise<void> {
    try {
      await checkPrivate(dir, 'directory', {
        fix: this.options.fixPermissions !== false,
        log: (message) => this.log(message)
      });
    } catch (error) {
      if (error instanceof AclError) throw new LocalStoreError(`The local store: ${error.message}`);
      throw error;
    }
  }

  private async checkRealPlacement(real: string): Promise<void> {
    checkPlacement(real, this.dir, {
      workspace: this.options.workspace && realpathOfPrefixSync(this.options.workspace),
      runnerTemp: this.options.runnerTemp && realpathOfPrefixSync(this.options.runnerTemp)
    });
  }

  private checkOwner(stat: Stats, file: string, what: 'file' | 'directory'): void {
    const uid = process.getuid?.();
    if (uid === undefined || stat.uid === uid) return;
    throw new LocalStoreError(
      `The local store ${what} ${file} belongs to user id ${stat.uid}, not to the runner user (id ${uid}). Another user's ${what} is never trusted with credentials: ` +
        `remove it, or give the runner its own store directory.`
    );
  }

  private async removeStaleTemps(): Promise<void> {
    const prefix = `.${path.basename(this.file)}.`;
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const file = path.join(this.dir, name);
      const stat = await fs.lstat(file).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > STALE_TEMP_MS) await fs.rm(file, { force: true });
    }
  }

  private log(message: string): void {
    this.options.log?.(message);
  }
}

/**
 * Every directory above the store must be safe from other users: owned by root or by the runner
 * user, and not writable by group or others unless sticky (as /tmp is). Otherwise another user
 * could rename the store away and put their own in its place. (OpenSSH's StrictModes rule.)
 */
async function checkAncestors(realDir: string): Promise<void> {
  const uid = process.getuid?.();
  if (!posix() || uid === undefined) return;
  let current = path.dirname(realDir);
  for (;;) {
    const stat = await fs.stat(current);
    const ownerOk = stat.uid === 0 || stat.uid === uid;
    const writableByOthers = (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0;
    if (!ownerOk || writableByOthers) {
      throw new LocalStoreError(
        `The local store directory ${realDir} is not private: its parent ${current} ${!ownerOk ? `belongs to another user (id ${stat.uid})` : `is writable by group or others (mode ${octal(stat.mode)})`}, so someone else could replace the store. ` +
          'Choose a store path whose parent directories only the runner user (or root) can change.'
      );
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/** The store's directories, created 0700 (see src/codex/home.ts), with an error that says what to do. */
async function makeStoreDirectories(dir: string): Promise<void> {
  try {
    await makePrivateDirectories(dir);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LocalStoreError(
      `Could not create the local store directory ${dir} (${reason}). Choose a directory the runner user can create.`
    );
  }
}

async function syncDirectory(dir: string): Promise<void> {
  if (!posix()) return;
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function noFollow(): number {
  return constants.O_NOFOLLOW ?? 0;
}

/** Mode bits and owners mean something (Windows has ACLs instead: ../platform/acl.ts). */
function posix(): boolean {
  return process.platform !== 'win32';
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
