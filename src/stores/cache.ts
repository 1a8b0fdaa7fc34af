// The Actions cache as a store of envelopes. Keys are immutable, so every save gets a new key and
// a restore takes the newest entry under the credential's prefix. The key carries last_refresh,
// so the newest stored copy can be compared without downloading it.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as cache from '@actions/cache';
import { errorMessage } from '../errors.js';
import { cacheCompression, gzipWarning } from '../platform/cache-compression.js';
import { watchFailures } from './library-log.js';

export interface CacheCopy {
  key: string;
  envelope: string;
}

export type CacheLookup =
  | { status: 'hit'; copy: CacheCopy }
  | { status: 'miss' }
  | { status: 'unavailable'; reason: string }
  | { status: 'failed'; reason: string };

export type CacheSave = { ok: true; key: string } | { ok: false; reason: string; retryable: boolean };

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
  log: (message: string) => void;
}

export class CacheStore {
  /** cacheFile(): the same string on every runner; the file only lives there during a save or restore. */
  readonly file: string;
  readonly prefix: string;
  private compressionChecked = false;

  constructor(private readonly options: CacheStoreOptions) {
    this.file = cacheFile(options.credentialName);
    this.prefix = `codex-auth-v1.${options.credentialName}.`;
  }

  /** last_refresh (epoch ms) recorded in a key of this store, if it is one. */
  lastRefreshOfKey(key: string): number | undefined {
    if (!key.startsWith(this.prefix)) return undefined;
    const ms = Number(key.slice(this.prefix.length).split('.')[0]);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }

  async restore(): Promise<CacheLookup> {
    const unavailable = this.unavailableReason('read');
    if (unavailable) return { status: 'unavailable', reason: unavailable };
    await this.checkCompression();
    try {
      const { result: key, failures } = await watchFailures(() => cache.restoreCache([this.file], this.prefix, [], {}, CROSS_OS_ARCHIVE));
      if (!key) return failures.length ? { status: 'failed', reason: failures.join('; ') } : { status: 'miss' };
      const envelope = await fs.readFile(this.file, 'utf8').catch(() => undefined);
      if (envelope === undefined) return { status: 'failed', reason: `entry ${key} did not contain the envelope file` };
      return { status: 'hit', copy: { key, envelope } };
    } catch (error) {
      return { status: 'failed', reason: errorMessage(error) };
    } finally {
      await this.removeFile();
    }
  }

  /** The newest key under the prefix, without downloading it (undefined on a miss or failure). */
  async newestKey(): Promise<string | undefined> {
    if (this.unavailableReason('read')) return undefined;
    return cache.restoreCache([this.file], this.prefix, [], { lookupOnly: true }, CROSS_OS_ARCHIVE).catch(() => undefined);
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
        this.options.log(`Saving to the Actions cache failed (${last.ok ? '' : last.reason}); attempt ${attempt + 1} of ${delays.length + 1} in ${delays[attempt - 1] / 1000} s.`);
        await new Promise((resolve) => setTimeout(resolve, delays[attempt - 1]));
      }
      last = await this.saveOnce(envelope, key);
      if (last.ok || !last.retryable) return last;
    }
    return last;
  }

  private async saveOnce(envelope: string, key: string): Promise<CacheSave> {
    await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await fs.writeFile(this.file, envelope, { mode: 0o600 });
    try {
      const { result: id, failures } = await watchFailures(() => cache.saveCache([this.file], key, {}, CROSS_OS_ARCHIVE));
      if (id !== -1) return { ok: true, key };
      const reason = failures.join('; ') || 'the cache service did not accept the entry';
      return { ok: false, reason, retryable: !/cache write denied/i.test(reason) };
    } catch (error) {
      return { ok: false, reason: errorMessage(error), retryable: true };
    } finally {
      await this.removeFile();
    }
  }

  /** Once per store: a runner without zstd cannot share entries with those that have it (see cache-compression.ts). */
  private async checkCompression(): Promise<void> {
    if (this.compressionChecked) return;
    this.compressionChecked = true;
    if ((await cacheCompression(this.options.env)) === 'gzip') this.options.log(gzipWarning(this.options.credentialName));
  }

  private unavailableReason(access: 'read' | 'write'): string | undefined {
    if (!cache.isFeatureAvailable()) return 'the Actions cache service is not available to this job (no ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL)';
    const mode = (this.options.env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
    const allowed = access === 'read' ? ['read', 'write'] : ['write', 'write-only'];
    if (['none', 'read', 'write', 'write-only'].includes(mode) && !allowed.includes(mode)) {
      return `the cache is not ${access === 'read' ? 'readable' : 'writable'} in this run (cache-mode '${mode}'; low-trust events such as pull_request_target get a read-only cache)`;
    }
    return undefined;
  }

  private async removeFile(): Promise<void> {
    await fs.rm(this.file, { force: true });
    await fs.rmdir(path.dirname(this.file)).catch(() => undefined);
  }
}
