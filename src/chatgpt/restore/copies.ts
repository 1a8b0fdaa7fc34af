// Restoring, the main step's way: every copy read and judged from its decrypted contents only (each
// store's newest entry, the seed, an auth.json this action left in codex-home), then the freshest
// chosen. A re-seed mark read in a store's place stops the job unless a newer login was given.
import { CredentialError, clause } from '../../action/errors.js';
import type { ChatGptInputs } from '../../action/chatgpt-inputs.js';
import type { Runtime } from '../../action/runtime.js';
import type { EnvelopeStore, NewestRead } from '../../stores/store.js';
import type { SecretTarget } from '../../stores/secret.js';
import { secretsOf } from '../login/credential.js';
import { markBlocks, needsReseedMessage, type ReseedMark } from '../login/reseed-mark.js';
import { decodeSeed } from '../login/seed.js';
import { reseedSteps } from '../login/instructions.js';
import { openStored } from './open-stored.js';
import { choose, judge, type JudgeOptions, type Reading, type Source } from './readings.js';
import { cacheOnlyWithoutCache, openStores } from './stores.js';

/** What the main step read: every place's reading, and the re-seed marks among them. */
export interface Found {
  readings: Reading[];
  marks: Map<Reading, ReseedMark>;
}

/** What reading and judging a copy needs. */
interface ReadContext {
  credentialName: string;
  encryptionKey: Uint8Array;
  judging: JudgeOptions;
  /** For messages (describeSource): the secret's name and the runner-local store's file or folder. */
  secretName: string | undefined;
  localPlace: string | undefined;
  mask(value: string): void;
  warning(message: string): void;
}

/** Where the main step's copies are besides the stores and the seed input. */
export interface CopyPlaces {
  /** The runner-local store's directory, once prepared (`local-store: true`). */
  localDir: string | undefined;
  /** The runner-local store's file or folder, for messages. */
  localPlace: string | undefined;
  /** An auth.json this action wrote in codex-home for this credential (a job whose post step did not run). */
  leftInHome: { text: string; file: string } | undefined;
}

/**
 * Restores the freshest copy: reads every copy into `found` (each store's newest, the seed, one left
 * in codex-home), stops at a re-seed mark, chooses. Returns the choice with the stores and the
 * newest cache entry seen.
 */
export async function restoreFreshest(inputs: ChatGptInputs, places: CopyPlaces, found: Found, rt: Runtime) {
  const { credentialName, encryptionKey, workspaceId, oauthIssuer, secret } = inputs;
  const ctx: ReadContext = {
    credentialName,
    encryptionKey,
    judging: { workspaceId, oauthIssuer },
    secretName: secret?.name,
    localPlace: places.localPlace,
    mask: rt.setSecret,
    warning: rt.warning
  };
  const stores = await (rt.openStores ?? openStores)({ inputs, env: rt.env, log: rt.info, localDir: places.localDir });
  const noCache = cacheOnlyWithoutCache(inputs, stores);
  if (noCache) throw new CredentialError(noCache);
  const { cacheHit, restoredKey } = await readStores(stores, found, ctx);
  rt.setOutput('cache-hit', String(cacheHit));
  found.readings.push(await readSeed(inputs.seed, ctx));
  if (places.leftInHome) found.readings.push(judged(ctx, 'codex-home', places.leftInHome.text, places.leftInHome.file));
  warnSkipped(found.readings, rt);

  const mark = stopAtMark(found, credentialName, secret);
  const { chosen, warnings } = choose(found.readings, credentialName, (tried) =>
    noUsableCredential(credentialName, secret, tried)
  );
  warnings.forEach(rt.warning);
  return { stores, restoredKey, chosen, mark };
}

function warnSkipped(readings: Reading[], rt: Pick<Runtime, 'warning'>): void {
  for (const r of readings) {
    if (r.status === 'unusable' && (r.source === 'seed' || r.source === 'codex-home'))
      rt.warning(`Skipping the ${r.where}: ${clause(r.reason ?? '')}.`);
  }
}

function noUsableCredential(credentialName: string, secret: SecretTarget | undefined, tried: string[]): string {
  return (
    `No usable ChatGPT credential for '${credentialName}'. Tried:\n  - ${tried.join('\n  - ')}\n` +
    reseedSteps(secret, 'line')
  );
}

/** A decrypted copy, judged; its token values masked. */
function judged(
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
async function readStores(
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
  if (read.status === 'off') ctx.warning(`The ${store.where} could not be read: ${clause(read.reason)}.`);
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
async function readSeed(seed: string | undefined, ctx: ReadContext): Promise<Reading> {
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
function stopAtMark(found: Found, credentialName: string, secret: SecretTarget | undefined) {
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
