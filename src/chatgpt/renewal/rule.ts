// Renewal ahead of expiry (`renewal: ahead`): the rule, over the stores and the claim given as
// interfaces (src/chatgpt/renewal/parts.ts). The protocol and its invariants: docs/design.md.
import { createHmac } from 'node:crypto';
import { CredentialError, clause, errorMessage } from '../../action/errors.js';
import { EXPECTED_RENEWAL_MS } from './claims.js';
import {
  CODEX_REFRESH_MARGIN_MS,
  compareFreshness,
  parseCredential,
  secretsOf,
  type ChatGptCredential
} from '../login/credential.js';
import type { HeldClaim, OtherClaim, RenewalOptions, RenewalParts, RenewalResult } from './parts.js';

/** A copy handed to Codex must stay clear of Codex's own refresh margin, by a minute. */
export const MIN_USABLE_MS = CODEX_REFRESH_MARGIN_MS + 60_000;

/** A waiting job tries the claim again on every this many polls of the successor. */
const CLAIM_EVERY_POLLS = 3;

/** A login file larger or deeper than this is refused before its refresh token is spent. */
const MAX_LOGIN_BYTES = 64 * 1024;
const MAX_LOGIN_DEPTH = 32;

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
 * `renewed` is true only when this job stored a renewed login.
 */
export async function renewIfDue(
  credential: ChatGptCredential,
  options: RenewalOptions,
  parts: RenewalParts
): Promise<RenewalResult> {
  // A copy that is not due needs nothing, even if a newer one exists: its access token is valid.
  if (!isDue(credential, options.windowMs, parts.now())) return { credential, renewed: false };
  let current = await followSuccessors(credential, options, parts);
  // One budget for every wait of this job, whatever the rounds.
  const waitUntil = parts.now() + options.waitMs;
  // A few rounds at most: a renewal another job just published may itself be due when the window is longer than a token lives.
  for (let round = 0; round < 4; round++) {
    if (!isDue(current, options.windowMs, parts.now())) return { credential: current, renewed: false };
    const generation = generationOf(current, options.encryptionKey, options.credentialName);
    let claim = await parts.claim(generation);
    if (!claim.held) {
      const waited = await waitForRenewal(current, generation, claim, waitUntil, options, parts);
      if (waited.kind === 'newer') {
        current = waited.credential;
        continue;
      }
      if (waited.kind === 'use') return { credential: waited.credential, renewed: false };
      claim = waited.claim;
    }
    const result = await renewHolding(current, generation, claim, options, parts);
    if ('newer' in result) {
      current = result.newer;
      continue;
    }
    return result;
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

/**
 * Under the claim: re-reads the newest copy, then spends the refresh token once and keeps the
 * answer. The claim is given back unspent when the token was not sent (or the endpoint never
 * answered), so the next job may try at once; a spent claim stays (its successor says the rest).
 */
async function renewHolding(
  current: ChatGptCredential,
  generation: string,
  claim: HeldClaim,
  options: RenewalOptions,
  parts: RenewalParts
): Promise<RenewalResult | { newer: ChatGptCredential }> {
  let spent = false;
  try {
    parts.checkpoint?.('claimed');
    const newest = await parts.readNewest().catch(() => undefined);
    if (newest && compareFreshness(newest, current) > 0) {
      // Renewed since this job read it: nobody can have renewed this generation without its claim, so this is a later one.
      parts.info(`Another job renewed the login meanwhile (last_refresh ${newest.lastRefreshText}).`);
      return { newer: newest };
    }
    // What could make the code after the answer throw is refused while the refresh token is unspent.
    const problem = refreshableProblem(current.text);
    if (problem)
      throw new CredentialError(
        `The ChatGPT login '${options.credentialName}' cannot be renewed: its auth.json ${problem}. Its refresh token was not spent. ${options.reseed}`
      );
    // A holder that took longer than this may see its claim taken over: it must not spend any more (docs/design.md).
    if (claim.spendBy !== undefined && parts.now() > claim.spendBy)
      return notRenewed(current, 'the claim took too long to take', options, parts);
    const expires = current.accessTokenExpiresAt?.toISOString() ?? 'an unknown time';
    parts.info(
      `Renewing the ChatGPT login '${options.credentialName}' (its access token expires at ${expires}, within renew-before-hours).`
    );
    spent = true;
    const outcome = await parts.refresh(current.text);
    if (outcome.ok) return { ...(await keepAnswer(outcome.text, current, generation, options, parts)), renewed: true };
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
    // No answer: the token endpoint did not take the refresh token (token-endpoint.ts), so the claim goes back.
    spent = false;
    return notRenewed(current, outcome.reason, options, parts);
  } finally {
    await claim.release(spent);
  }
}

/** Not renewed, the claim given back: this job uses its copy while it is valid (a later job renews it), else fails. */
function notRenewed(
  current: ChatGptCredential,
  reason: string,
  options: RenewalOptions,
  parts: RenewalParts
): RenewalResult {
  const expires = current.accessTokenExpiresAt?.toISOString() ?? 'an unknown time';
  if (usable(current, parts.now())) {
    parts.warning(
      `Could not renew the ChatGPT login '${options.credentialName}' (${reason}); its access token is still valid until ${expires}, so this job uses it, and a later job renews it.`
    );
    return { credential: current, renewed: false };
  }
  throw new CredentialError(
    `Could not renew the ChatGPT login '${options.credentialName}': ${clause(reason)}. Its access token expires at ${expires}, too soon for Codex to run with it. ` +
      'Nothing was stored and the stored login is unchanged (its refresh token was not spent, or the token endpoint would have answered): re-run the job.'
  );
}

/**
 * The token endpoint answered: from here the old refresh token is spent and the answer is the only
 * live login. It is stored before anything uses it; whatever throws on the way, the answer goes to a
 * recovery copy in every store (parts.recover) and the job fails saying where it is.
 */
async function keepAnswer(
  text: string,
  current: ChatGptCredential,
  generation: string,
  options: RenewalOptions,
  parts: RenewalParts
): Promise<{ credential: ChatGptCredential; unsaved?: string }> {
  const expires = current.accessTokenExpiresAt?.toISOString() ?? 'an unknown time';
  try {
    const parsed = parseCredential(text);
    secretsOf(parsed).forEach(parts.mask);
    parts.checkpoint?.('answered');
    if (!parsed.ok)
      throw new CredentialError(`the token endpoint's answer did not make a usable login (${parsed.reason})`);
    const renewed = parsed.credential;
    const report = await parts.store(renewed, generation);
    if (!report.stored.length)
      throw new CredentialError(
        `the renewed copy could not be stored anywhere (${report.failed.map((f) => `${f.where}: ${f.reason}`).join('; ')})`
      );
    // Only the cache has it: the caller reports it by on-save-failure (RenewalResult.unsaved).
    if (report.problem?.warnOnly) parts.warning(report.problem.text);
    parts.checkpoint?.('stored');
    parts.info(
      `Renewed the ChatGPT login '${options.credentialName}' (last_refresh ${renewed.lastRefreshText}, access token valid until ${renewed.accessTokenExpiresAt?.toISOString() ?? '?'}); stored, encrypted, in ${report.stored.join(', ')}.`
    );
    return { credential: renewed, unsaved: report.problem?.warnOnly === false ? report.problem.text : undefined };
  } catch (error) {
    const kept = await parts.recover(text, generation).catch(() => []);
    const head = `The ChatGPT login '${options.credentialName}' was renewed (its old refresh token is now spent), but keeping the renewed copy failed: ${clause(errorMessage(error))}.`;
    throw new CredentialError(
      kept.length
        ? `${head} The renewed login was kept, encrypted, as a recovery copy in ${kept.join(', ')}: the next job uses it. Codex did not run in this job: re-run it.`
        : `${head} No recovery copy could be stored either, so every stored copy stops working when its access token expires (${expires}). ${options.reseed}`
    );
  }
}

/** Where a waiting job stands: a newer copy, its own claim (the other was given back or went stale), or its own copy to use. */
type Waited =
  | { kind: 'newer'; credential: ChatGptCredential }
  | { kind: 'claimed'; claim: HeldClaim }
  | { kind: 'use'; credential: ChatGptCredential };

/**
 * Another job holds the claim: waits (at most waitMs, and not at all for a claim older than a
 * renewal takes) for its renewed copy, taking the claim over as soon as it is given back or stale.
 */
async function waitForRenewal(
  current: ChatGptCredential,
  generation: string,
  other: OtherClaim,
  waitUntil: number,
  options: RenewalOptions,
  parts: RenewalParts
): Promise<Waited> {
  const budget =
    other.ageMs !== undefined && other.ageMs > EXPECTED_RENEWAL_MS ? 0 : Math.max(0, waitUntil - parts.now());
  if (budget > 0)
    parts.info(
      `Another job is renewing the ChatGPT login '${options.credentialName}' (${other.holder}); waiting for its renewed copy.`
    );
  const deadline = parts.now() + budget;
  let polls = 0;
  while (parts.now() < deadline) {
    await parts.sleep(options.pollMs);
    // The successor entry, or the newest ordinary copy (when the successor could not be published).
    const next =
      (await parts.successor(generation).catch(unlessFinal)) ?? (await parts.readNewest().catch(() => undefined));
    if (next && compareFreshness(next, current) > 0) {
      parts.info(`Got the renewed login from the other job (last_refresh ${next.lastRefreshText}).`);
      return { kind: 'newer', credential: next };
    }
    // Given back unspent, or stale: this job renews it. Looked at every few polls (a claim costs a few cache lookups).
    if (++polls % CLAIM_EVERY_POLLS !== 0) continue;
    const again = await parts.claim(generation);
    if (again.held) return { kind: 'claimed', claim: again };
  }
  const expires = current.accessTokenExpiresAt?.toISOString() ?? 'an unknown time';
  const ends =
    other.staleAt !== undefined
      ? ` Its claim ends by itself at ${new Date(other.staleAt).toISOString()}; the next job after that renews it.`
      : '';
  if (usable(current, parts.now())) {
    parts.warning(
      `The renewal of the ChatGPT login '${options.credentialName}' claimed by another job (${other.holder}) has not been published${budget ? ` after ${Math.round(budget / 1000)} s` : ' (the claim is older than a renewal takes)'}; its access token is still valid until ${expires}, so this job uses it.${ends}`
    );
    return { kind: 'use', credential: current };
  }
  throw new CredentialError(
    `The ChatGPT login '${options.credentialName}' expires at ${expires} and another job claimed its renewal (${other.holder}) but has not published the renewed copy${budget ? ` after ${Math.round(budget / 1000)} s` : ''}.${ends} ` +
      `If that job is still running, re-run this one in a minute. If it was killed after spending the refresh token, nobody can renew this copy: ${options.reseed}`
  );
}

/** Why a login file could make the code after the refresh answer throw (too large, nested too deep), or undefined. */
function refreshableProblem(text: string): string | undefined {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_LOGIN_BYTES) return `is ${bytes} bytes, more than the ${MAX_LOGIN_BYTES} any login file needs`;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return deepest > MAX_LOGIN_DEPTH
    ? `nests ${deepest} levels deep, more than the ${MAX_LOGIN_DEPTH} any login file needs (Codex writes 3)`
    : undefined;
}

/** A failed lookup is a miss (the next poll tries again); a CredentialError (a dead chain) is final. */
function unlessFinal(error: unknown): undefined {
  if (error instanceof CredentialError) throw error;
  return undefined;
}

function deadLogin(options: RenewalOptions, reason: string): string {
  return (
    `The ChatGPT login '${options.credentialName}' could not be renewed: ${clause(reason)}. The login is no longer valid; Codex did not run, no login was stored, and the chain is marked as needing a re-seed, so later jobs stop at once. ` +
    `${options.reseed}`
  );
}
