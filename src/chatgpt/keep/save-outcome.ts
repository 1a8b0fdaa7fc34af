// What the post step says when a store did not take the refreshed login: one policy over every
// store's result, and, stored nowhere, the sealed copy printed to recover from.
import type { ChatGptInputs } from '../../action/chatgpt-inputs.js';
import { clause } from '../../action/errors.js';
import type { SecretTarget } from '../../stores/secret.js';
import type { EnvelopeStore, StoreWrite } from '../../stores/store.js';
import { reseedSteps } from '../login/instructions.js';
import { CACHE_EVICTION_DAYS } from '../report/summary.js';

export type Written = { store: EnvelopeStore; result: StoreWrite }[];

export interface Problem {
  text: string;
  /** No store has the refreshed login (the post step then prints it sealed, to recover from). */
  nowhere?: boolean;
  /** A durable store has the refreshed login: whatever on-save-failure says, only a warning. */
  warnOnly: boolean;
}

/**
 * One policy over the stores' results. Stored everywhere: nothing to say. A durable store (the
 * secret, the runner-local store) has the refreshed login: a warning, the login is not lost. Only
 * the cache has it: a save failure (the durable stores hold a spent copy, and the cache entry goes
 * after CACHE_EVICTION_DAYS unused). Nowhere: a save failure with the recovery steps. `by` says who
 * rotated the refresh token: Codex during the job (the post step saves), or the main step's renewal
 * (`renewal: ahead`, where the secret is written only by the next renewal).
 */
export function storeProblem(
  inputs: Pick<ChatGptInputs, 'secret'>,
  results: Written,
  by: 'codex' | 'renewal' = 'codex'
): Problem | undefined {
  const failed = results.filter((r) => !r.result.ok);
  if (!failed.length) return undefined;
  const place = (store: EnvelopeStore): string => `the ${store.where}`;
  const reasons = failed
    .map(({ store, result }) => {
      const reason = result.ok ? '' : clause(result.reason);
      return `${capitalize(place(store))}: ${reason}.`;
    })
    .join(' ');
  const stored = results.filter((r) => r.result.ok);
  if (!stored.length) {
    return {
      warnOnly: false,
      nowhere: true,
      text:
        `The refreshed ChatGPT login could not be stored anywhere. ${reasons} ` +
        `Codex rotated the refresh token in this job, so every stored copy now holds a spent token and the next job will fail to authenticate. ${reseedSteps(inputs.secret)}`
    };
  }
  const where = stored
    .map(({ store, result }) =>
      store.kind === 'cache' && result.ok
        ? `saved to the Actions cache as ${result.entry}`
        : `written to ${place(store)}`
    )
    .join(' and ');
  const lead = `The ${by === 'renewal' ? 'renewed' : 'refreshed'} ChatGPT login was ${where}, but could not be stored in ${failed.map((r) => place(r.store)).join(' and ')}. ${reasons}`;
  const has = (kind: EnvelopeStore['kind']) => stored.some((r) => r.store.kind === kind);
  const lost = (kind: EnvelopeStore['kind']) => failed.some((r) => r.store.kind === kind);
  if (has('secret')) {
    return {
      warnOnly: true,
      text:
        `${lead} The login is not lost: the next workflow run reads the new copy from the secret${lost('local') ? ' (the newest copy wins over the spent one in the local store)' : ''}.` +
        (lost('cache') ? ` ${sameRunCaveat(inputs.secret!)}` : '') +
        (lost('local') ? ' Fix the local store before its copy is the only one left.' : '')
    };
  }
  if (has('local')) {
    return {
      warnOnly: true,
      text:
        `${lead} The login is not lost: the next job on this machine restores it from the local store. A job on another machine would restore the older copy, whose refresh token is now spent: ` +
        'until a job of this machine stores a refreshed copy everywhere, run the jobs of this credential on this machine only.'
    };
  }
  // Only the cache has it: each durable store holds a copy whose refresh token is now spent.
  const spent = failed.map((r) => (r.store.kind === 'secret' ? 'the secret' : 'the local store')).join(' and ');
  return {
    warnOnly: false,
    text:
      `${lead} ${capitalize(spent)} still ${failed.length > 1 ? 'hold' : 'holds'} an older copy whose refresh token is now spent. ` +
      `The next jobs that can restore this cache entry (this branch or the default branch, before ${CACHE_EVICTION_DAYS} days without use) get the new copy (the newest copy wins)${lost('secret') ? `, and ${by === 'renewal' ? 'the next renewal writes' : 'their main step writes'} it to the secret again` : ''}; ` +
      'if the entry is evicted first, or the next job runs on another branch, only the spent copy is left. ' +
      (lost('secret')
        ? by === 'renewal'
          ? 'If the cause persists, the next renewal fails the same way: fix it (secret-token, secret-scope, environment, or wait out a GitHub outage) before then.'
          : 'If the cause persists, the next main step stops on the same error before Codex runs, and the cached copy stays valid: fix it (secret-token, secret-scope, environment) before then.'
        : 'Fix the local store before then.')
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Repository and organization secrets are read when a run is queued: what that means for later jobs of this run. */
function sameRunCaveat(secret: SecretTarget): string {
  return secret.scope === 'environment'
    ? `Environment secrets are read when a job starts, so later jobs of this run that use the environment '${secret.environment}' get the new copy too.`
    : `But ${secret.scope} secrets are read when a run is queued: a later job of this same run still gets the old value, whose refresh token is now spent, and without the cache it has no newer copy, so Codex fails to refresh there (and reusing a spent refresh token can get the whole login revoked). Do not run another job with this login in this run.`;
}

/**
 * The refreshed login, sealed with the encryption key, for the log: without the key it reveals
 * nothing (the same envelope the cache would have held), and it is the one copy left once the
 * runner removes auth.json.
 */
export function recoveryEnvelopeMessage(
  envelope: string,
  inputs: Pick<ChatGptInputs, 'credentialName' | 'secret'>
): string {
  const secret = inputs.secret?.name ?? 'the secret you pass as chatgpt-auth-json';
  return (
    `Recovery copy of the refreshed login '${inputs.credentialName}' (encrypted with encryption-key; useless without it). ` +
    `Put this one line into ${secret} (for example \`gh secret set ${inputs.secret?.name ?? 'CODEX_AUTH_JSON'}\` and paste it), then re-run: the next job restores it as the seed.\n${envelope}`
  );
}
