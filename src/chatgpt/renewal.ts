// Renewal ahead of expiry (`renewal: ahead`): the rule, over the stores and the mutex given as an
// interface (src/chatgpt/renewal-stores.ts wires the real ones).
//
// A login is a chain of generations: each refresh spends the current refresh token and yields the
// next one. A generation is named by an HMAC of its refresh token under the encryption key (no
// secret leaks through the name). When the freshest copy's access token expires within the window,
// the job claims the generation; of all jobs that try, exactly one holds the claim. The holder
// re-reads the newest copy (another job may have renewed since), refreshes only if that is still
// due, stores the renewed login in every durable store and publishes it as the generation's
// successor BEFORE anything uses it, then releases. The others wait (seconds) for the successor.
// Holding the claim of generation G means nobody else spends G's refresh token, whatever the
// stores say: that is the whole safety argument, and why a claimer that dies leaves the claim in
// place (its refresh token may be spent) instead of letting another job try again.
import { createHmac } from 'node:crypto';
import { CredentialError } from '../errors.js';
import { compareFreshness, parseCredential, type ChatGptCredential } from './credential.js';
import type { RefreshOutcome } from './refresh-client.js';
import type { RefreshFailure } from './refresh-failure.js';

/** Codex refreshes by itself when the access token expires within 5 minutes: a copy must stay clear of that. */
export const CODEX_REFRESH_MARGIN_MS = 5 * 60_000;
/** A copy handed to Codex must have at least this much left beyond Codex's own margin. */
export const MIN_USABLE_MS = CODEX_REFRESH_MARGIN_MS + 60_000;

export type Claim = { held: true; release(): Promise<void> } | { held: false; holder: string };

export interface StoreReport {
  /** The stores that now hold the renewed login. */
  stored: string[];
  failed: { where: string; reason: string }[];
}

export interface RenewalParts {
  /** The newest valid copy the stores hold now (the cache's newest entry, the local store), if any could be read. */
  readNewest(): Promise<ChatGptCredential | undefined>;
  /**
   * The renewed login published for `generation` by whichever job renewed it, if any yet. Throws a
   * CredentialError when that renewal failed for good (a re-seed mark was published instead).
   */
  successor(generation: string): Promise<ChatGptCredential | undefined>;
  /**
   * Marks the chain as needing a re-seed (src/chatgpt/reseed-mark.ts) where later jobs look: the
   * stores and `generation`'s successor. Returns where it could not be stored.
   */
  markDead(credential: ChatGptCredential, generation: string, failure: RefreshFailure): Promise<string[]>;
  /** Takes the renewal mutex for `generation` (seconds; released by the holder). */
  claim(generation: string): Promise<Claim>;
  /** Stores the renewed login in every durable store and publishes it as `generation`'s successor. */
  store(credential: ChatGptCredential, generation: string): Promise<StoreReport>;
  refresh(text: string): Promise<RefreshOutcome>;
  mask(value: string): void;
  info(message: string): void;
  warning(message: string): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface RenewalOptions {
  credentialName: string;
  encryptionKey: Uint8Array;
  /** Renew when the access token expires within this long. */
  windowMs: number;
  /** How long a job waits for another job's renewal. */
  waitMs: number;
  pollMs: number;
  /** How to re-seed, for the messages. */
  reseed: string;
}

export interface RenewalResult {
  credential: ChatGptCredential;
  renewed: boolean;
}

/** The generation's name: HMAC-SHA256 of the refresh token under the encryption key, per credential name. */
export function generationOf(credential: ChatGptCredential, key: Uint8Array, credentialName: string): string {
  const token = (JSON.parse(credential.text) as { tokens: { refresh_token: string } }).tokens.refresh_token;
  return createHmac('sha256', key)
    .update(`codex-auth renewal v1\0${credentialName}\0${token}`)
    .digest('base64url')
    .slice(0, 32);
}

/** Whether the access token expires within the window (no readable expiry: due, like Codex's 8-day rule cannot be trusted here). */
export function isDue(credential: ChatGptCredential, windowMs: number, now: number): boolean {
  const expires = credential.accessTokenExpiresAt?.getTime();
  return expires === undefined || expires - now <= windowMs;
}

function usable(credential: ChatGptCredential, now: number): boolean {
  const expires = credential.accessTokenExpiresAt?.getTime();
  return expires !== undefined && expires - now > MIN_USABLE_MS;
}

/**
 * The copy this job's Codex gets: `credential` (the freshest stored) or its renewal. Follows
 * published successors first (a copy read from a stale scope), then renews if still due.
 */
export async function renewIfDue(
  credential: ChatGptCredential,
  options: RenewalOptions,
  parts: RenewalParts
): Promise<RenewalResult> {
  // A copy that is not due needs nothing, even if a newer one exists: its access token is valid.
  if (!isDue(credential, options.windowMs, parts.now())) return { credential, renewed: false };
  let current = await followSuccessors(credential, options, parts);
  // A few rounds at most: a renewal another job just published may itself be due when the window is longer than a token lives.
  for (let round = 0; round < 3; round++) {
    if (!isDue(current, options.windowMs, parts.now())) return { credential: current, renewed: false };
    const generation = generationOf(current, options.encryptionKey, options.credentialName);
    const claim = await parts.claim(generation);
    if (!claim.held) {
      current = await waitForSuccessor(current, generation, claim.holder, options, parts);
      continue;
    }
    try {
      const newest = await parts.readNewest().catch(() => undefined);
      if (newest && compareFreshness(newest, current) > 0) {
        // Renewed since this job read it: nobody can have renewed this generation without its claim, so this is a later one.
        parts.info(`Another job renewed the login meanwhile (last_refresh ${newest.lastRefreshText}).`);
        current = newest;
        continue;
      }
      return { credential: await renew(current, generation, options, parts), renewed: true };
    } finally {
      await claim.release();
    }
  }
  return { credential: current, renewed: false };
}

/** The newest renewal published after `credential` (by exact successor keys, readable from every branch), or `credential`. */
export async function followSuccessors(
  credential: ChatGptCredential,
  options: RenewalOptions,
  parts: RenewalParts
): Promise<ChatGptCredential> {
  let current = credential;
  for (let hop = 0; hop < 8; hop++) {
    const next = await parts
      .successor(generationOf(current, options.encryptionKey, options.credentialName))
      .catch(unlessFinal);
    if (!next || compareFreshness(next, current) <= 0) return current;
    parts.info(
      `A newer renewal of this login was published by another job (last_refresh ${next.lastRefreshText}): using it.`
    );
    current = next;
  }
  return current;
}

async function renew(
  current: ChatGptCredential,
  generation: string,
  options: RenewalOptions,
  parts: RenewalParts
): Promise<ChatGptCredential> {
  const expires = current.accessTokenExpiresAt?.toISOString() ?? 'an unknown time';
  parts.info(
    `Renewing the ChatGPT login '${options.credentialName}' (its access token expires at ${expires}, within renew-before-hours).`
  );
  const outcome = await parts.refresh(current.text);
  if (!outcome.ok) {
    if (outcome.permanent) {
      // Dead for every job: later ones stop at once on the mark instead of waiting for a renewal that never comes.
      const unmarked = await parts.markDead(current, generation, {
        cause: outcome.cause,
        codexMessage: outcome.reason
      });
      throw new CredentialError(
        deadLogin(options, outcome.reason) +
          (unmarked.length
            ? ` (The mark could not be stored in ${unmarked.join('; ')}: a later job there tries again and fails the same way.)`
            : '')
      );
    }
    if (usable(current, parts.now())) {
      parts.warning(
        `Could not renew the ChatGPT login '${options.credentialName}' (${outcome.reason}); its access token is still valid until ${expires}, so this job uses it, and a later job renews it.`
      );
      return current;
    }
    throw new CredentialError(
      `Could not renew the ChatGPT login '${options.credentialName}': ${outcome.reason}. Its access token expires at ${expires}, too soon for Codex to run with it. ` +
        'Nothing was stored and the stored login is unchanged (its refresh token was not spent, or the token endpoint would have answered): re-run the job.'
    );
  }
  const parsed = parseCredential(outcome.text);
  if (!parsed.ok)
    throw new CredentialError(
      `The token endpoint's answer did not make a usable login (${parsed.reason}). ${options.reseed}`
    );
  parsed.credential.secrets.forEach(parts.mask);
  const renewed = parsed.credential;
  // Stored before anything uses it: a job whose renewal could not be stored must not run Codex with it.
  const report = await parts.store(renewed, generation);
  report.failed.forEach((f) =>
    parts.warning(`The renewed ChatGPT login could not be stored in ${f.where}: ${f.reason}.`)
  );
  if (!report.stored.length) {
    throw new CredentialError(
      `The ChatGPT login '${options.credentialName}' was renewed, but the renewed copy could not be stored anywhere (${report.failed.map((f) => `${f.where}: ${f.reason}`).join('; ')}). ` +
        `The old refresh token is now spent, so every stored copy stops working when its access token expires (${expires}). ${options.reseed}`
    );
  }
  parts.info(
    `Renewed the ChatGPT login '${options.credentialName}' (last_refresh ${renewed.lastRefreshText}, access token valid until ${renewed.accessTokenExpiresAt?.toISOString() ?? '?'}); stored, encrypted, in ${report.stored.join(', ')}.`
  );
  return renewed;
}

async function waitForSuccessor(
  current: ChatGptCredential,
  generation: string,
  holder: string,
  options: RenewalOptions,
  parts: RenewalParts
): Promise<ChatGptCredential> {
  parts.info(
    `Another job is renewing the ChatGPT login '${options.credentialName}' (${holder}); waiting for its renewed copy.`
  );
  const deadline = parts.now() + options.waitMs;
  while (parts.now() < deadline) {
    await parts.sleep(options.pollMs);
    // The successor entry, or the newest ordinary copy (when the successor could not be published).
    const next =
      (await parts.successor(generation).catch(unlessFinal)) ?? (await parts.readNewest().catch(() => undefined));
    if (next && compareFreshness(next, current) > 0) {
      parts.info(`Got the renewed login from the other job (last_refresh ${next.lastRefreshText}).`);
      return next;
    }
  }
  const expires = current.accessTokenExpiresAt?.toISOString() ?? 'an unknown time';
  if (usable(current, parts.now())) {
    parts.warning(
      `The renewal of the ChatGPT login '${options.credentialName}' claimed by another job (${holder}) has not been published after ${Math.round(options.waitMs / 1000)} s; its access token is still valid until ${expires}, so this job uses it. ` +
        `If that job was killed, its renewal will never be published: ${options.reseed} before ${expires}.`
    );
    return current;
  }
  throw new CredentialError(
    `The ChatGPT login '${options.credentialName}' expires at ${expires} and another job claimed its renewal (${holder}) but has not published the renewed copy after ${Math.round(options.waitMs / 1000)} s. ` +
      `If that job is still running, re-run this one in a minute. If it was killed, its refresh token may be spent and nobody else may try it again: ${options.reseed}`
  );
}

/** A failed lookup is a miss (the next poll tries again); a CredentialError (a dead chain) is final. */
function unlessFinal(error: unknown): undefined {
  if (error instanceof CredentialError) throw error;
  return undefined;
}

function deadLogin(options: RenewalOptions, reason: string): string {
  return (
    `The ChatGPT login '${options.credentialName}' could not be renewed: ${reason}. The login is no longer valid; Codex did not run, no login was stored, and the chain is marked as needing a re-seed, so later jobs stop at once. ` +
    `${options.reseed}`
  );
}
