// What the main step read from each place a login can come from, judged from decrypted contents
// only, and the one rule that picks the copy to use. Pure: no I/O, so a table of readings is a
// unit test, and the list is what a job summary reports.
import { CredentialError, clause } from '../../action/errors.js';
import { cacheKeyPrefix } from '../../stores/cache-key.js';
import { isConsumerCopy } from '../login/consumer-copy.js';
import {
  accountMismatch,
  compareFreshness,
  futureProblem,
  parseCredential,
  provenanceProblem,
  type ChatGptCredential,
  type Parsed
} from '../login/credential.js';

export type Source = 'cache' | 'local' | 'seed' | 'codex-home';

/**
 * One place, as read. `empty`: nothing there (or the store is off); `usable`: a login that passed
 * every check; `unusable`: contents were read but refused (reason); `unreadable`: the contents could
 * not be read or decrypted (reason).
 */
export interface Reading {
  source: Source;
  /** For messages: "Actions cache entry <key>", "seed (input 'chatgpt-auth-json')", … */
  where: string;
  /** The cache key or file the copy came from, when there is one. */
  entry?: string;
  status: 'empty' | 'usable' | 'unusable' | 'unreadable';
  credential?: ChatGptCredential;
  /** Why not usable (or what "empty" means), never quoting the contents. */
  reason?: string;
  /** Set on the reading whose copy was written for Codex. */
  used?: boolean;
}

export interface JudgeOptions {
  workspaceId: string | undefined;
  oauthIssuer: string | undefined;
  now?: number;
}

/** Judges a decrypted plaintext: parsed, and refused for another workspace, a foreign issuer or a future last_refresh. */
export function judge(
  source: Source,
  where: string,
  text: string,
  options: JudgeOptions,
  entry?: string
): { reading: Reading; parsed: Parsed } {
  const parsed = parseCredential(text);
  const base = { source, where, ...(entry ? { entry } : {}) };
  if (!parsed.ok) return { parsed, reading: { ...base, status: 'unusable', reason: parsed.reason } };
  const credential = parsed.credential;
  const problem = loginProblem(credential, options);
  const reason =
    consumerCopyProblem(text) ??
    (problem?.check === 'workspace' ? workspaceMismatch(credential, problem.workspaceId) : problem?.reason);
  return {
    parsed,
    reading: reason ? { ...base, status: 'unusable', credential, reason } : { ...base, status: 'usable', credential }
  };
}

/** A check a login fails: another workspace than 'workspace-id', a foreign OAuth issuer, a last_refresh in the future. */
export type LoginProblem =
  { check: 'workspace'; workspaceId: string } | { check: 'provenance' | 'future'; reason: string };

/** The checks every login passes before it is used (the main step) or kept (the post step). */
export function loginProblem(credential: ChatGptCredential, options: JudgeOptions): LoginProblem | undefined {
  if (options.workspaceId && credential.workspaceId !== options.workspaceId)
    return { check: 'workspace', workspaceId: options.workspaceId };
  const provenance = provenanceProblem(credential, options.oauthIssuer);
  if (provenance) return { check: 'provenance', reason: provenance };
  const future = futureProblem(credential, options.now ?? Date.now());
  return future ? { check: 'future', reason: future } : undefined;
}

/** A job's copy without the refresh token (renewal: ahead) is never a login to restore or store. */
function consumerCopyProblem(text: string): string | undefined {
  return isConsumerCopy(text) ? 'it is a copy without the refresh token (renewal: ahead), not a login' : undefined;
}

function workspaceMismatch(credential: ChatGptCredential, workspaceId: string): string {
  return `it belongs to another ChatGPT workspace than the input 'workspace-id' names (${credential.workspaceId ? 'a different account id' : 'no account id in its id token'}); log in to workspace ${workspaceId} and re-seed, or correct 'workspace-id'`;
}

/** A store's newest copy: the live refresh token may be there, so it is never passed over. */
function isStored(reading: Reading): boolean {
  return reading.source === 'cache' || reading.source === 'local';
}

export interface Choice {
  chosen: Reading & { credential: ChatGptCredential };
  warnings: string[];
}

/**
 * The rule: the stored copies' newest entries must each be judged usable (else nothing is used:
 * an older copy may hold a spent refresh token); then the copy with the newest authenticated
 * last_refresh wins, a stored copy before the seed on a tie.
 */
export function choose(readings: Reading[], credentialName: string, noneUsable: (tried: string[]) => string): Choice {
  const blocked = readings.find((r) => isStored(r) && (r.status === 'unusable' || r.status === 'unreadable'));
  if (blocked) throw new CredentialError(unjudgedNewestMessage(blocked, credentialName));
  const usable = readings.filter(
    (r): r is Reading & { credential: ChatGptCredential } => r.status === 'usable' && r.credential !== undefined
  );
  const chosen = usable.sort(
    (a, b) => compareFreshness(b.credential, a.credential) || RANK[a.source] - RANK[b.source]
  )[0];
  if (!chosen)
    throw new CredentialError(
      noneUsable(readings.map((r) => `${r.where}: ${r.status === 'usable' ? 'usable' : r.reason}`))
    );
  chosen.used = true;
  return { chosen, warnings: rollBackWarnings(readings) };
}

/** On equal last_refresh, prefer a stored copy over the seed (the seed is usually the older original). */
const RANK: Record<Source, number> = { local: 0, cache: 1, 'codex-home': 2, seed: 3 };

/**
 * The Actions cache's newest entry older than the runner-local store's copy of the same login: an
 * older envelope was uploaded again as the newest (or a save to the cache failed). Said out loud,
 * since the newest copy wins anyway.
 */
function rollBackWarnings(readings: Reading[]): string[] {
  const cache = readings.find((r) => r.source === 'cache' && r.status === 'usable');
  const local = readings.find((r) => r.source === 'local' && r.status === 'usable');
  if (!cache?.credential || !local?.credential || accountMismatch(local.credential, cache.credential)) return [];
  if (compareFreshness(cache.credential, local.credential) >= 0) return [];
  return [
    `The newest Actions cache entry (${cache.entry}, last_refresh ${cache.credential.lastRefreshText}) is older than the copy in the ${local.where} (last_refresh ${local.credential.lastRefreshText}): ` +
      "an older envelope was stored again as the newest entry, or a save to the cache failed. The newer copy is used. If no job failed to save, someone who can write this repository's Actions cache re-uploaded an old copy: review who can run workflows on the default branch."
  ];
}

function unjudgedNewestMessage(reading: Reading, credentialName: string): string {
  const held = reading.status === 'unreadable' ? 'cannot be read' : 'is refused';
  const head = `The newest stored copy of '${credentialName}', the ${reading.where}, ${held}: ${clause(reading.reason ?? '')}. Nothing was restored: an older copy may hold a refresh token that was already used, and using it can get the whole login revoked.`;
  if (reading.source === 'cache' && reading.entry) {
    return (
      `${head} If this entry is not a copy you want (a key rotation, a bad upload), delete it: \`gh cache delete ${reading.entry}\` ` +
      `(every entry of this credential: \`gh cache list --key ${cacheKeyPrefix(credentialName)} --json key --jq '.[].key' | xargs -n1 gh cache delete\`), then re-run the job; the next newest entry is then judged the same way. ` +
      "If no stored copy is good any more, re-seed 'chatgpt-auth-json' from a fresh `codex login` as well."
    );
  }
  if (reading.source === 'cache') {
    return `${head} Re-run the job; if the cache stays unavailable, re-seed 'chatgpt-auth-json' from a fresh \`codex login\`.`;
  }
  return `${head} If this copy is not one you want, remove ${reading.entry ?? 'it'} on the runner, then re-run the job (re-seed 'chatgpt-auth-json' if no good copy is left).`;
}
