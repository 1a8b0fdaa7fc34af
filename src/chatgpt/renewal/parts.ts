// What the renewal rule (src/chatgpt/renewal/rule.ts) needs of the world: the stores, the claim,
// the token endpoint and the clock, as interfaces, so that the rule runs the same against the real
// stores (src/chatgpt/renewal/stores.ts) and in the tests' memory.
import type { ChatGptCredential } from '../login/credential.js';
import type { RefreshFailure } from '../login/refresh-failure.js';
import type { RefreshOutcome } from './token-endpoint.js';

/** A claim this job holds: `release(spent)` gives it back (unspent: the next job may renew at once). */
export interface HeldClaim {
  held: true;
  release(spent: boolean): Promise<void>;
  /** This job's clock: after this, the holder must not send the refresh (its claim may be taken over). */
  spendBy?: number;
}

/** Another job's claim: how old it is and when it turns stale (this job's clock), when known. */
export interface OtherClaim {
  held: false;
  holder: string;
  ageMs?: number;
  staleAt?: number;
}

export type Claim = HeldClaim | OtherClaim;

/** The points between claim and store where the fault tests stop a step (faultPoint in src/chatgpt/renewal/stores.ts). */
export type RenewalPoint = 'claimed' | 'answered' | 'stored';

export interface StoreReport {
  /** The stores that now hold the renewed login. */
  stored: string[];
  failed: { where: string; reason: string }[];
  /**
   * Some stores failed: what that means, judged by the one store policy (src/chatgpt/keep/save-outcome.ts).
   * Not `warnOnly`: no durable store has the renewed login, which on-save-failure: fail makes a failure.
   */
  problem?: { text: string; warnOnly: boolean };
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
   * Marks the chain as needing a re-seed (src/chatgpt/login/reseed-mark.ts) where later jobs look: the
   * stores and `generation`'s successor. Returns where it could not be stored.
   */
  markDead(credential: ChatGptCredential, generation: string, failure: RefreshFailure): Promise<string[]>;
  /** Takes the renewal mutex for `generation` (seconds; released by the holder). */
  claim(generation: string): Promise<Claim>;
  /** Stores the renewed login in every durable store and publishes it as `generation`'s successor. */
  store(credential: ChatGptCredential, generation: string): Promise<StoreReport>;
  /**
   * After an exception between the refresh answer and the stores: keeps `text` (the answer merged
   * into auth.json), sealed, in every store it can reach and as `generation`'s successor. Returns where.
   */
  recover(text: string, generation: string): Promise<string[]>;
  refresh(text: string): Promise<RefreshOutcome>;
  /** Test hook: stops the step at a named point (honoured only under the fault tests). */
  checkpoint?(point: RenewalPoint): void;
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
  /** Renewed, but only the cache holds it (StoreReport.problem, not warnOnly): the text the post step fails with. */
  unsaved?: string;
}
