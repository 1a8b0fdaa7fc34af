// What the loopback cache service holds, shared by both protocols (v2 Twirp and v1 REST): the entries
// with their scope and blob, the request logs, the byte counters and the injected faults. A lookup
// resolves keys as GitHub's cache does: per readable scope in order, each key (the primary key, then
// the restore keys) matching exactly first, else the newest entry whose key starts with it.
import type { Azurite } from './azurite.js';
import type { CacheScope } from './scopes.js';

/** One Twirp call, in arrival order. `status` 0 = the connection was reset by an injected fault. */
export interface CacheRequest {
  method: string;
  body: any;
  status: number;
  at: number;
}

/** One request that went through the blob proxy (upload or download of an archive). */
export interface BlobRequest {
  method: string;
  blobName: string;
  /** Azure operation from the `comp` query parameter ('' for Put Blob / Get Blob). */
  comp: string;
  status: number;
  /** Archive bytes sent: request body for uploads (even if refused), 2xx response body for downloads. */
  bytes: number;
  at: number;
}

export type CacheMethod =
  | 'CreateCacheEntry'
  | 'FinalizeCacheEntryUpload'
  | 'GetCacheEntryDownloadURL'
  /** v2: the archive upload to the signed blob URL (Put Blob / Put Block / Put Block List). */
  | 'BlobUpload'
  /** v1 (GHES): GET cache, POST caches (reserve), PATCH caches/{id} (upload), POST caches/{id} (commit). */
  | 'GetCacheEntry'
  | 'ReserveCache'
  | 'UploadChunk'
  | 'CommitCache';

/**
 * Fault for the next `times` (default 1) calls of `method` ('*' = any method), consumed in the
 * order injected. `delayMs` waits before answering; `reset` destroys the connection (the client
 * sees ECONNRESET); `status`/`body` replace the answer (body defaults to a Twirp JSON error;
 * a non-JSON body is retried by the client like a 5xx). With only `delayMs`, the call is then
 * served normally.
 */
export type CacheFault = {
  method: CacheMethod | '*';
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  times?: number;
  delayMs?: number;
  reset?: boolean;
};

export interface CacheEntry {
  key: string;
  version: string;
  /** Scope (ref) the entry was written under, e.g. `refs/heads/main`. */
  scope: string;
  blobName: string;
  /** Size reported by FinalizeCacheEntryUpload / CommitCache (checked against the upload); 0 until finalized. */
  sizeBytes: number;
  createdAt: number;
  finalized: boolean;
}

/** An entry as kept: v1 archives are kept in memory (`chunks`, by offset), v2 ones in Azurite. */
export type StoredEntry = CacheEntry & { id: number; seq: number; chunks?: Buffer[] };

export class CacheState {
  entries: StoredEntry[] = [];
  readonly requests: CacheRequest[] = [];
  readonly blobRequests: BlobRequest[] = [];
  /** Archive bytes accepted by the blob store (or the v1 chunks), and sent back. */
  uploaded = 0;
  downloaded = 0;
  stopped = false;
  /** The service's own port, where signed and archive URLs point; set once it listens. */
  port = 0;
  private faults: (CacheFault & { left: number })[] = [];
  private nextId = 1;
  private seq = 0;
  private readonly background = new Set<Promise<unknown>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly azurite: Azurite,
    readonly defaultScopes: CacheScope[]
  ) {}

  /** A signed URL of the blob proxy for `blobName`. */
  sign(blobName: string, permissions: string): string {
    return this.azurite.sign(blobName, permissions, this.port);
  }

  /** Reserves a new, unfinalized entry; `blobNameOf` names its blob from its id. */
  addEntry(
    fields: { key: string; version: string; scope: string; chunks?: Buffer[] },
    blobNameOf: (id: number) => string
  ): StoredEntry {
    const id = this.nextId++;
    const entry: StoredEntry = {
      id,
      seq: this.seq++,
      key: fields.key,
      version: fields.version,
      scope: fields.scope,
      blobName: blobNameOf(id),
      sizeBytes: 0,
      createdAt: Date.now(),
      finalized: false,
      ...(fields.chunks ? { chunks: fields.chunks } : {})
    };
    this.entries.push(entry);
    return entry;
  }

  has(key: string, version: string, scope: string): boolean {
    return this.entries.some((e) => e.key === key && e.version === version && e.scope === scope);
  }

  /** The finalized entry `keys` resolve to in the first readable scope that has one. */
  lookup(scopes: CacheScope[], version: string, keys: string[]): StoredEntry | undefined {
    for (const scope of scopes) {
      const candidates = this.entries.filter((e) => e.finalized && e.version === version && e.scope === scope.scope);
      const newestWithPrefix = (prefix: string) =>
        candidates
          .filter((e) => e.key.startsWith(prefix))
          .sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq)[0];
      for (const k of keys) {
        const hit = candidates.find((e) => e.key === k) ?? newestWithPrefix(k);
        if (hit) return hit;
      }
    }
    return undefined;
  }

  inject(fault: CacheFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The next fault for `method`; `exact`: not a '*' fault (the blob proxy's, which '*' never meant). */
  takeFault(method: string, exact = false): CacheFault | undefined {
    const i = this.faults.findIndex((f) => (!exact && f.method === '*') || f.method === method);
    if (i < 0) return undefined;
    const f = this.faults[i];
    f.left -= 1;
    if (f.left <= 0) this.faults.splice(i, 1);
    return f;
  }

  /** A delay that `quiesce()` cuts short (the fault's call then finds the service stopped). */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  deleteEntry(key: string): void {
    const gone = this.entries.filter((e) => e.key === key);
    this.entries = this.entries.filter((e) => e.key !== key);
    this.deleteBlobs(gone.map((e) => e.blobName));
  }

  reset(): void {
    this.deleteBlobs(this.entries.map((e) => e.blobName));
    this.entries = [];
    this.requests.length = 0;
    this.blobRequests.length = 0;
    this.faults = [];
    this.uploaded = 0;
    this.downloaded = 0;
  }

  /** Raw archive bytes for `key` (newest entry with that key, finalized first). */
  async readBlob(key: string): Promise<Buffer> {
    const entry = this.entries
      .filter((e) => e.key === key)
      .sort((a, b) => Number(b.finalized) - Number(a.finalized) || b.seq - a.seq)[0];
    if (!entry) throw new Error(`no cache entry with key ${key}`);
    if (entry.chunks) return Buffer.concat(entry.chunks.filter(Boolean));
    return this.azurite.container.getBlockBlobClient(entry.blobName).downloadToBuffer();
  }

  /** Stops answering: faults forgotten, delays cut, blob deletions awaited. */
  async quiesce(): Promise<void> {
    this.stopped = true;
    this.faults = [];
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.background]);
  }

  private deleteBlobs(names: string[]): void {
    for (const n of names) this.track(this.azurite.container.getBlockBlobClient(n).deleteIfExists());
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.background.delete(q));
    this.background.add(q);
  }
}
