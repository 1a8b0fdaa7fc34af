// One interface for the places an envelope is kept between jobs: the Actions cache, the
// runner-local store, the secret of `secret-name`. The ChatGPT main step reads the newest envelope
// of each readable store; the post step writes the refreshed one to every store and applies one
// policy to the results. Types only: importing this loads nothing.

export type StoreKind = 'cache' | 'local' | 'secret';

/**
 * The newest envelope a store holds. `empty`: none yet; `off`: the store cannot be read in this run
 * (said as a warning, nothing more); `failed`: it could not be read, so the newest copy is unknown
 * (the main step fails closed).
 */
export type NewestRead =
  | { status: 'found'; entry: string; envelope: string }
  | { status: 'empty'; reason: string }
  | { status: 'off'; reason: string }
  | { status: 'failed'; reason: string };

/** What a write did: `entry` names the copy written (a cache key), `detail` says more for the log. */
export type StoreWrite = { ok: true; entry?: string; detail?: string } | { ok: false; reason: string };

export interface EnvelopeStore {
  readonly kind: StoreKind;
  /** For messages: "Actions cache", "runner-local store (/path)", "repository secret X of o/r". */
  readonly where: string;
  /** Absent for a store whose copy comes back another way (the secret, as the seed input). */
  readNewest?(): Promise<NewestRead>;
  /** The newest entry's name without downloading it, when that is cheaper than readNewest. */
  newestEntry?(): Promise<string | undefined>;
  write(envelope: string, lastRefreshMs: number): Promise<StoreWrite>;
}
