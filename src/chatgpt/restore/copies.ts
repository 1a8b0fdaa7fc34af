// Every copy the main step may restore, read and judged from its decrypted contents only: each
// store's newest entry, the seed, an auth.json this action left in codex-home. A re-seed mark read
// in a store's place stops the job unless a newer login was given.
import { CredentialError } from '../../action/errors.js';
import type { EnvelopeStore, NewestRead } from '../../stores/store.js';
import type { SecretTarget } from '../../stores/secret.js';
import { secretsOf } from '../login/credential.js';
import { markBlocks, needsReseedMessage, type ReseedMark } from '../login/reseed-mark.js';
import { decodeSeed } from '../login/seed.js';
import { openStored } from './open-stored.js';
import { judge, type JudgeOptions, type Reading, type Source } from './readings.js';

/** What the main step read: every place's reading, and the re-seed marks among them. */
export interface Found {
  readings: Reading[];
  marks: Map<Reading, ReseedMark>;
}

/** What reading and judging a copy needs. */
export interface ReadContext {
  credentialName: string;
  encryptionKey: Uint8Array;
  judging: JudgeOptions;
  /** For messages (describeSource): the secret's name and the runner-local store's file or folder. */
  secretName: string | undefined;
  localPlace: string | undefined;
  mask(value: string): void;
  warning(message: string): void;
}

/** A decrypted copy, judged; its token values masked. */
export function judged(
  ctx: ReadContext,
  source: Source,
  text: string,
  entry?: string,
  where = describeSource(source, ctx.secretName, ctx.localPlace)
) {
  const { reading, parsed } = judge(source, where, text, ctx.judging, entry);
  secretsOf(parsed).forEach(ctx.mask);
  return reading;
}

/**
 * Reads each store's newest copy into `found`. Returns the newest cache entry seen, whichever copy
 * then wins: the post step tells from it whether another job stored one since.
 */
export async function readStores(
  stores: EnvelopeStore[],
  found: Found,
  ctx: ReadContext
): Promise<{ cacheHit: boolean; restoredKey?: string }> {
  let restoredKey: string | undefined;
  for (const store of stores) {
    if (!store.readNewest) continue;
    const read = await store.readNewest();
    if (store.kind === 'cache' && read.status === 'found') restoredKey = read.entry;
    found.readings.push(await readingOf(store, read, found, ctx));
  }
  return { cacheHit: restoredKey !== undefined, restoredKey };
}

/** A store's newest envelope, opened and judged (unreadable when it does not open; a re-seed mark is noted). */
async function readingOf(store: EnvelopeStore, read: NewestRead, found: Found, ctx: ReadContext): Promise<Reading> {
  const source: Source = store.kind === 'local' ? 'local' : 'cache';
  if (read.status === 'found') {
    const where = store.kind === 'cache' ? `${store.where} entry ${read.entry}` : store.where;
    const stored = await openStored(read.envelope, ctx.encryptionKey, ctx.credentialName);
    if (stored.kind === 'unreadable')
      return { source, where, entry: read.entry, status: 'unreadable', reason: stored.reason };
    if (stored.kind === 'login') return judged(ctx, source, stored.text, read.entry, where);
    // Not a login, and it does not block the chain like garbage would: it stops the job (stopAtMark).
    const reading: Reading = {
      source,
      where,
      entry: read.entry,
      status: 'empty',
      reason: `marked as needing a re-seed (${stored.mark.cause})`
    };
    found.marks.set(reading, stored.mark);
    return reading;
  }
  if (read.status === 'off') ctx.warning(`The ${store.where} could not be read: ${read.reason}.`);
  if (read.status === 'failed')
    return {
      source,
      where: store.where,
      status: 'unreadable',
      reason: store.kind === 'cache' ? `the lookup failed (${read.reason})` : read.reason
    };
  return { source, where: store.where, status: 'empty', reason: read.reason };
}

/** The seed input (`chatgpt-auth-json`), decoded and judged. */
export async function readSeed(seed: string | undefined, ctx: ReadContext): Promise<Reading> {
  if (!seed)
    return {
      source: 'seed',
      where: describeSource('seed', ctx.secretName, ctx.localPlace),
      status: 'empty',
      reason: 'not given'
    };
  const decoded = await decodeSeed(seed, ctx.encryptionKey, ctx.credentialName);
  return decoded.ok
    ? judged(ctx, 'seed', decoded.text)
    : {
        source: 'seed',
        where: describeSource('seed', ctx.secretName, ctx.localPlace),
        status: 'unusable',
        reason: decoded.reason
      };
}

/**
 * A mark stops the job unless a login newer than the marked one was given (a new seed clears it):
 * the copies it blocks become empty, and with none left the job stops. Returns the mark, if any.
 */
export function stopAtMark(found: Found, credentialName: string, secret: SecretTarget | undefined) {
  const mark = strongestMark([...found.marks.values()]);
  if (!mark) return undefined;
  for (const r of found.readings) {
    if (
      r.status === 'usable' &&
      r.credential &&
      markBlocks(mark, r.credential.lastRefreshText, r.credential.accessTokenIssuedAt)
    ) {
      Object.assign(r, {
        status: 'empty',
        reason: `not newer than the login marked as needing a re-seed (last_refresh ${mark.login_last_refresh})`
      });
    }
  }
  if (!found.readings.some((r) => r.status === 'usable'))
    throw new CredentialError(needsReseedMessage(credentialName, mark, secret));
  return mark;
}

/** Of several marks (cache, local store), the one on the newest login blocks the most. */
function strongestMark(marks: ReseedMark[]): ReseedMark | undefined {
  return marks.reduce<ReseedMark | undefined>(
    (best, m) => (!best || !markBlocks(best, m.login_last_refresh) ? m : best),
    undefined
  );
}

/** Where a copy of `source` comes from, for messages: `localPlace` is the runner-local store's file or folder. */
export function describeSource(source: Source, secretName: string | undefined, localPlace: string | undefined): string {
  if (source === 'cache') return 'Actions cache';
  if (source === 'local') return `runner-local store (${localPlace})`;
  if (source === 'codex-home') return 'auth.json already in codex-home';
  return secretName !== undefined
    ? `secret ${secretName} (input 'chatgpt-auth-json')`
    : "seed (input 'chatgpt-auth-json')";
}
