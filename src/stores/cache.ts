// The Actions cache as a store of envelopes. Keys are immutable, so every save gets a new key and
// a restore takes the newest entry under the credential's prefix. The key carries last_refresh,
// so the newest stored copy can be compared without downloading it.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as cache from '@actions/cache';
import { errorMessage } from '../action/errors.js';
import { cacheCompression, gzipWarning } from '../platform/cache-compression.js';
import { createFileNoFollow, formatDuration } from '../action/paths.js';
import { withDeadline } from '../action/deadline.js';
import { watchFailures } from './library-log.js';
import { cacheKeyPrefix } from './cache-key.js';
import type { EnvelopeStore, NewestRead, StoreWrite } from './store.js';

interface CacheCopy {
  key: string;
  envelope: string;
}

export type CacheLookup =
  | { status: 'hit'; copy: CacheCopy }
  | { status: 'miss' }
  | { status: 'unavailable'; reason: string }
  | { status: 'failed'; reason: string };

export type CacheSave =
  { ok: true; key: string } | { ok: false; reason: string; retryable: boolean; retryAfterMs?: number };

/**
 * Entries are readable by runners of every OS: without this, @actions/cache adds a "windows-only"
 * marker to the version of entries saved or looked up on Windows, and a credential used by Windows
 * and Linux jobs would silently fork into two chains.
 */
export const CROSS_OS_ARCHIVE = true;

/**
 * Where the envelope sits for a save or restore. The path string is hashed into the cache version,
 * so it is the same string on every runner and OS: relative to the workspace (the step's working
 * directory), always with '/' (Windows accepts it; path.join would give '\\' there).
 */
export function cacheFile(credentialName: string): string {
  return path.posix.join('.codex-auth', `${credentialName}.envelope`);
}

export interface CacheStoreOptions {
  credentialName: string;
  env: NodeJS.ProcessEnv;
  /** Waits between save attempts; the library itself already retries 5xx replies. */
  retryDelaysMs?: number[];
  /** The longest a lookup with its download, or one save attempt, may take (default 2 min, 3 min). */
  restoreDeadlineMs?: number;
  saveDeadlineMs?: number;
  /** A progress line this often while a cache call runs (default 30 s). */
  progressEveryMs?: number;
  /** The longest wait for a rate limit (429 Retry-After) before a save is given up (default 2 min). */
  maxRateLimitWaitMs?: number;
  log: (message: string) => void;
}

export class CacheStore implements EnvelopeStore {
  readonly kind = 'cache' as const;
  readonly where = 'Actions cache';

  /** cacheFile(): the same string on every runner; the file only lives there during a save or restore. */
  readonly file: string;
  readonly prefix: string;
  private compressionChecked = false;

  constructor(private readonly options: CacheStoreOptions) {
    this.file = cacheFile(options.credentialName);
    this.prefix = cacheKeyPrefix(options.credentialName);
  }

  async restore(): Promise<CacheLookup> {
    const unavailable = this.unavailableReason('read');
    if (unavailable) return { status: 'unavailable', reason: unavailable };
    await this.checkCompression();
    try {
      await this.prepareDirectory(this.file);
      const { result: key, failures } = await this.deadline(
        'the Actions cache lookup',
        this.options.restoreDeadlineMs ?? 120_000,
        () => watchFailures(() => cache.restoreCache([this.file], this.prefix, [], {}, CROSS_OS_ARCHIVE))
      );
      if (!key) return failures.length ? { status: 'failed', reason: failures.join('; ') } : { status: 'miss' };
      const envelope = await readNoFollow(this.file);
      if (envelope === undefined) return { status: 'failed', reason: `entry ${key} did not contain the envelope file` };
      return { status: 'hit', copy: { key, envelope } };
    } catch (error) {
      return { status: 'failed', reason: errorMessage(error) };
    } finally {
      await this.removeFile(this.file);
    }
  }

  async readNewest(): Promise<NewestRead> {
    const lookup = await this.restore();
    if (lookup.status === 'hit') return { status: 'found', entry: lookup.copy.key, envelope: lookup.copy.envelope };
    if (lookup.status === 'miss') return { status: 'empty', reason: 'no entry yet' };
    return { status: lookup.status === 'unavailable' ? 'off' : 'failed', reason: lookup.reason };
  }

  newestEntry(): Promise<string | undefined> {
    return this.newestKey();
  }

  write(envelope: string, lastRefreshMs: number): Promise<StoreWrite> {
    return this.save(envelope, lastRefreshMs).then((saved) => (saved.ok ? { ok: true, entry: saved.key } : saved));
  }

  /** The newest key under the prefix, without downloading it (undefined on a miss or failure). */
  async newestKey(): Promise<string | undefined> {
    if (this.unavailableReason('read')) return undefined;
    return this.deadline('the Actions cache lookup', this.options.restoreDeadlineMs ?? 120_000, () =>
      cache.restoreCache([this.file], this.prefix, [], { lookupOnly: true }, CROSS_OS_ARCHIVE)
    ).catch(() => undefined);
  }

  async save(envelope: string, lastRefreshMs: number): Promise<CacheSave> {
    const unavailable = this.unavailableReason('write');
    if (unavailable) return { ok: false, reason: unavailable, retryable: false };
    await this.checkCompression();
    const env = this.options.env;
    const key = `${this.prefix}${lastRefreshMs}.${env.GITHUB_RUN_ID ?? 'local'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}.${randomBytes(4).toString('hex')}`;
    const delays = this.options.retryDelaysMs ?? [2000, 5000];
    let last: CacheSave = { ok: false, reason: 'not attempted', retryable: true };
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) {
        const wait = (!last.ok && last.retryAfterMs) || delays[attempt - 1];
        this.options.log(
          `Saving to the Actions cache failed (${last.ok ? '' : last.reason}); attempt ${attempt + 1} of ${delays.length + 1} in ${formatDuration(wait)}.`
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      last = await this.saveExact(this.file, key, envelope);
      if (last.ok || !last.retryable) return last;
    }
    return last;
  }

  /**
   * Saves `content` under exactly `key` as `file` (one attempt; the path enters the cache version,
   * so it must be spelled the same on every runner). `quiet`: a refused reservation is an expected
   * answer (a claim another job holds), kept out of the job's annotations. Only the result counts:
   * `ok` means an entry exists under the key; a failure says nothing about whether the key was
   * reserved (src/chatgpt/renewal/claims.ts looks it up).
   */
  async saveExact(file: string, key: string, content: string, quiet = false): Promise<CacheSave> {
    const unavailable = this.unavailableReason('write');
    if (unavailable) return { ok: false, reason: unavailable, retryable: false };
    try {
      await this.prepareDirectory(file);
      await createFileNoFollow(file, content);
      const {
        result: id,
        failures,
        causes
      } = await this.deadline('the Actions cache save', this.options.saveDeadlineMs ?? 180_000, () =>
        watchFailures(() => cache.saveCache([file], key, {}, CROSS_OS_ARCHIVE), quiet)
      );
      // The v1 client (GHES) returns the reserved id even when the upload or commit failed after (saveCacheV1): a failure it printed counts.
      if (id !== -1 && !failures.length) return { ok: true, key };
      return this.judgeSaveFailure(failures, causes);
    } catch (error) {
      return { ok: false, reason: errorMessage(error), retryable: true };
    } finally {
      await this.removeFile(file);
    }
  }

  /** The content of the entry with exactly this key (this branch's scope, then the default branch's), or undefined. */
  async restoreExact(file: string, key: string): Promise<string | undefined> {
    if (this.unavailableReason('read')) return undefined;
    try {
      await this.prepareDirectory(file);
      const hit = await this.deadline('the Actions cache lookup', this.options.restoreDeadlineMs ?? 120_000, () =>
        cache.restoreCache([file], key, [], {}, CROSS_OS_ARCHIVE)
      );
      return hit === key ? await readNoFollow(file) : undefined;
    } catch {
      return undefined;
    } finally {
      await this.removeFile(file);
    }
  }

  /**
   * The cache service's clock: the `Date` header of an answer from its base URL (any status), or
   * undefined. Claims are aged on it, never on a runner's clock (src/chatgpt/renewal/claims.ts). Observed:
   * GitHub's services and the loopback stand-in send `Date` on every answer (RFC 9110 section 6.6.1
   * requires it of a server with a clock).
   */
  async serverTime(timeoutMs = 10_000): Promise<number | undefined> {
    const base = this.options.env.ACTIONS_RESULTS_URL || this.options.env.ACTIONS_CACHE_URL;
    if (!base || this.unavailableReason('read')) return undefined;
    try {
      const response = await fetch(base, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
      const date = Date.parse(response.headers.get('date') ?? '');
      return Number.isNaN(date) ? undefined : date;
    } catch {
      return undefined;
    }
  }

  /** Whether the runner gives this job a cache service at all (ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL). */
  hasService(): boolean {
    return cache.isFeatureAvailable();
  }

  /** Why this job cannot use the cache for `access` (no cache service, a cache-mode), or undefined. */
  unavailable(access: 'read' | 'write'): string | undefined {
    return this.unavailableReason(access);
  }

  /** Once per store: a runner without zstd cannot share entries with those that have it (see cache-compression.ts). */
  private async checkCompression(): Promise<void> {
    if (this.compressionChecked) return;
    this.compressionChecked = true;
    if ((await cacheCompression(this.options.env)) === 'gzip')
      this.options.log(gzipWarning(this.options.credentialName));
  }

  /** What the library's log lines say went wrong, as what it is (a 403 is not "another job may be creating this cache"). */
  private judgeSaveFailure(failures: string[], causes: string[]): CacheSave {
    const all = [...failures, ...causes].join('; ');
    const rate = /rate limit will reset in (\d+) seconds/i.exec(all);
    if (rate || /\(429\)|Rate limited/i.test(all)) {
      const waitMs = rate ? Number(rate[1]) * 1000 : 60_000;
      const max = this.options.maxRateLimitWaitMs ?? 120_000;
      const reason = `the cache service rate-limited this save (429; it asks to wait ${formatDuration(waitMs)})`;
      return waitMs > max
        ? { ok: false, reason: `${reason}, longer than this step waits (${formatDuration(max)})`, retryable: false }
        : { ok: false, reason, retryable: true, retryAfterMs: waitMs };
    }
    const forbidden = causes.find((c) => /\(403\)|Forbidden/i.test(c));
    if (forbidden && !/cache write denied/i.test(all)) {
      return {
        ok: false,
        reason: `the cache service refused the write (403 Forbidden: ${forbidden.replace(/^.*?Failed request: /, '')}): this job's token may not write the cache`,
        retryable: false
      };
    }
    const reason = failures.join('; ') || 'the cache service did not accept the entry';
    return { ok: false, reason, retryable: !/cache write denied/i.test(reason) };
  }

  private deadline<T>(what: string, ms: number, call: () => Promise<T>): Promise<T> {
    return withDeadline(what, call, {
      deadlineMs: ms,
      progressEveryMs: this.options.progressEveryMs,
      log: this.options.log
    });
  }

  private unavailableReason(access: 'read' | 'write'): string | undefined {
    if (!cache.isFeatureAvailable())
      return 'the Actions cache service is not available to this job (no ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL)';
    const mode = (this.options.env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
    const allowed = access === 'read' ? ['read', 'write'] : ['write', 'write-only'];
    if (['none', 'read', 'write', 'write-only'].includes(mode) && !allowed.includes(mode)) {
      return `the cache is not ${access === 'read' ? 'readable' : 'writable'} in this run (cache-mode '${mode}'; low-trust events such as pull_request_target get a read-only cache)`;
    }
    return undefined;
  }

  /**
   * The envelope's directory in the workspace, made fresh: a symbolic link planted there (by a step
   * between main and post) is refused, never written through; a stale file is removed first.
   */
  private async prepareDirectory(file: string): Promise<void> {
    const dir = path.dirname(file);
    const stat = await fs.lstat(dir).catch(() => undefined);
    if (stat && !stat.isDirectory()) {
      throw new Error(
        `${path.resolve(dir)} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; the action does not write the envelope through it. Remove it`
      );
    }
    if (!stat) await fs.mkdir(dir, { mode: 0o700 });
    await fs.rm(file, { force: true });
  }

  private async removeFile(file: string): Promise<void> {
    await fs.rm(file, { force: true });
    await fs.rmdir(path.dirname(file)).catch(() => undefined);
  }
}

/** The file's text, not following a symbolic link; undefined when it is missing or a link. */
async function readNoFollow(file: string): Promise<string | undefined> {
  const handle = await fs.open(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0)).catch(() => undefined);
  if (!handle) return undefined;
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
