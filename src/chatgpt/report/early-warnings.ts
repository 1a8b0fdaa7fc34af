// Early warnings: the rules that turn what the main step knows about the login into annotations,
// before anything fails. Each rule has a name (shown in the job summary, listed in
// docs/chatgpt-login.md#early-warnings with its meaning and fix) and works on authenticated facts
// only (the decrypted login's own times), never on a cache key or a file date.
import type { RunPlace } from '../renewal/place.js';
import { compareLastRefresh } from '../login/credential.js';
import { CACHE_EVICTION_DAYS, type StoreName } from './summary.js';

export interface WarningFacts {
  now: Date;
  renewal: 'ahead' | 'in-job';
  credentialName: string;
  /** The copy written for Codex. */
  chosen: { store: StoreName; lastRefresh: string; accessTokenExpiresAt?: Date };
  /** last_refresh of a readable seed (`chatgpt-auth-json`), when one was given. */
  seedLastRefresh?: string;
  /** `secret-name` is set: renewed logins are written back to the secret. */
  writeBack: boolean;
  /** `local-store: true`. */
  localStore: boolean;
  /** Why this job's cache saves do not reach every later job, or undefined when they do. */
  cacheLimit?: string;
}

export interface EarlyWarning {
  name: 'renewal-due-cannot-renew' | 'cache-only-aging' | 'seed-older-than-stored';
  level: 'warning' | 'notice';
  message: string;
}

const DAY_MS = 86_400_000;
/** Warn 2 days before GitHub evicts a cache entry no job used. */
const CACHE_AGING_DAYS = CACHE_EVICTION_DAYS - 2;

export function earlyWarnings(facts: WarningFacts): EarlyWarning[] {
  return [renewalDueCannotRenew(facts), cacheOnlyAging(facts), seedOlderThanStored(facts)].filter(
    (w): w is EarlyWarning => w !== undefined
  );
}

/** In-job renewal due within a day, and a copy renewed by this job would not reach the later jobs. */
function renewalDueCannotRenew(facts: WarningFacts): EarlyWarning | undefined {
  const expires = facts.chosen.accessTokenExpiresAt;
  if (facts.renewal !== 'in-job' || !expires || !facts.cacheLimit || facts.writeBack || facts.localStore)
    return undefined;
  if (expires.getTime() - facts.now.getTime() > DAY_MS) return undefined;
  return {
    name: 'renewal-due-cannot-renew',
    level: 'warning',
    message:
      `The ChatGPT login '${facts.credentialName}' is due for renewal (its access token expires ${expires.toISOString()}), and this job cannot store a renewed login where later jobs find it: ${facts.cacheLimit}. ` +
      'If Codex renews it here, the copy the other jobs restore keeps a spent refresh token and their refresh fails. ' +
      'Fix: run a job that uses it on the default branch first (a `schedule:` works), or turn on write-back to a secret (`secret-name`).'
  };
}

/** The only stored copy is in the cache, and the login has not been renewed for 5 days. */
function cacheOnlyAging(facts: WarningFacts): EarlyWarning | undefined {
  if (facts.chosen.store !== 'cache' || facts.writeBack || facts.localStore) return undefined;
  const days = Math.floor((facts.now.getTime() - Date.parse(facts.chosen.lastRefresh)) / DAY_MS);
  if (days < CACHE_AGING_DAYS) return undefined;
  return {
    name: 'cache-only-aging',
    level: 'warning',
    message:
      `The only stored copy of the ChatGPT login '${facts.credentialName}' is in the Actions cache, and it was last renewed ${days} days ago. ` +
      `GitHub evicts a cache entry no job uses for ${CACHE_EVICTION_DAYS} days (earlier when the repository cache is full); once it is gone, only the seed is left, whose refresh token is spent. ` +
      'Fix: run a job with it at least every few days (a `schedule:`), or keep a durable copy: `secret-name` (write-back) or `local-store: true`.'
  };
}

/** The seed is older than the stored chain: expected, but the seed is no longer the source. */
function seedOlderThanStored(facts: WarningFacts): EarlyWarning | undefined {
  const seed = facts.seedLastRefresh;
  if (!seed || facts.writeBack || facts.chosen.store === 'seed' || facts.chosen.store === 'secret') return undefined;
  if (compareLastRefresh(seed, facts.chosen.lastRefresh) >= 0) return undefined;
  return {
    name: 'seed-older-than-stored',
    level: 'notice',
    message:
      `The seed 'chatgpt-auth-json' (last_refresh ${seed}) is older than the stored login (${facts.chosen.lastRefresh}): the stored chain is the source now, which is expected once a job has renewed it. ` +
      'The seed is used again only if every stored copy is lost, and by then its refresh token is spent: re-seed then. To keep the seed current, turn on write-back (`secret-name`).'
  };
}

/**
 * Why a login this job saves to the cache would not reach every later job: a cache this run cannot
 * write, or a branch other than the default one (its entries are visible to that branch only).
 */
export function cacheLimitOf(env: NodeJS.ProcessEnv, place: RunPlace): string | undefined {
  const mode = (env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
  if (mode === 'read' || mode === 'none') return `the Actions cache is not writable in this run (cache-mode '${mode}')`;
  if (!place.onDefaultBranch) {
    return `this job runs on ${place.ref ?? 'an unknown ref'}, not the default branch ${place.defaultBranch}, and a cache entry saved here is visible to this branch only`;
  }
  return undefined;
}
