// The one rule for a login that is due but is not renewed by this job (off the default branch with
// no store every branch reads; a renewal claim held by a job that does not finish it): Codex runs
// with the still-valid access token, and the job says how long it has left and who will renew it.
// It fails only when the token would expire within the job's own time budget (`min-token-minutes`),
// so that one missed default-branch run does not stop every other job.
import { clause } from '../../action/errors.js';
import { MIN_USABLE_MS } from './rule.js';

export type WithoutRenewing = { use: true; warning: string } | { use: false; message: string };

export interface NotRenewedHere {
  credentialName: string;
  /** The access token's `exp` (undefined: unknown, so never "still valid"). */
  accessTokenExpiresAt: Date | undefined;
  now: number;
  /** `min-token-minutes`, in ms: the job's own time budget. */
  minTokenMs: number;
  /** Why this job does not renew it, e.g. "this job runs on refs/pull/7/merge, not the default branch 'main', …". */
  why: string;
  /** Who will, e.g. "the next job on 'main' that uses it". */
  renewer: string;
}

/** Whether Codex may run with the login's access token as it is, and what to say either way. */
export function useWithoutRenewing(facts: NotRenewedHere): WithoutRenewing {
  const expires = facts.accessTokenExpiresAt?.getTime();
  const left = expires === undefined ? undefined : expires - facts.now;
  // Codex refreshes by itself within its margin of expiry: a copy must stay clear of it whatever the budget.
  const budget = Math.max(facts.minTokenMs, MIN_USABLE_MS);
  const name = `The ChatGPT login '${facts.credentialName}'`;
  if (left !== undefined && left > budget) {
    return {
      use: true,
      warning:
        `${name} is due for renewal, and this job does not renew it: ${clause(facts.why)}. ` +
        `Codex runs with its still-valid access token, which expires at ${new Date(expires!).toISOString()} (in ${duration(left)}). ` +
        `${capitalize(facts.renewer)} will renew it; until then every job like this one warns, and fails once less than min-token-minutes (${duration(facts.minTokenMs)}) is left.`
    };
  }
  const when =
    expires === undefined
      ? 'its access token has no readable expiry, so it is not known to last through this job'
      : left! <= 0
        ? `its access token expired at ${new Date(expires).toISOString()}`
        : `its access token expires at ${new Date(expires).toISOString()}, in ${duration(left!)}, within this job's budget (min-token-minutes: ${duration(facts.minTokenMs)})`;
  return {
    use: false,
    message:
      `${name} must be renewed before Codex can run, and this job does not renew it: ${facts.why}; ${when}. ` +
      `Codex did not run and every stored copy is unchanged. ${capitalize(facts.renewer)} will renew it: run that, then re-run this job` +
      (expires !== undefined && left! > MIN_USABLE_MS
        ? "; or, if this job is shorter, lower 'min-token-minutes'."
        : '.')
  };
}

function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
