// The main step's part of `renewal: ahead` and the branch rule of `renewal: in-job`: what runs
// after the freshest stored copy is chosen and before Codex gets anything.
import { CredentialError } from '../errors.js';
import { reseedSteps as reseedStepsFor } from './refresh-failure.js';
import type { ChatGptInputs } from '../inputs.js';
import type { Runtime } from '../runtime.js';
import type { LocalStore } from '../stores/local.js';
import type { EnvelopeStore } from '../stores/store.js';
import { placeOfRun, renewalPlace } from './branch.js';
import type { ChatGptCredential } from './credential.js';
import { followSuccessors, isDue, renewIfDue, type RenewalResult } from './renewal.js';

/** How long a job waits for another job's renewal, and how often it looks. */
const WAIT_FOR_RENEWAL_MS = 90_000;
const POLL_RENEWAL_MS = 2_000;

/** `renewal: ahead`: renews `credential` first when it is due here, and only where the result is seen by every later job. */
export async function renewAheadIfDue(
  inputs: ChatGptInputs,
  credential: ChatGptCredential,
  stores: EnvelopeStore[],
  local: LocalStore | undefined,
  jobNonce: string,
  rt: Runtime
): Promise<RenewalResult> {
  const { windowMs } = inputs.renewal;
  if (!isDue(credential, windowMs, Date.now())) return { credential, renewed: false };
  const { realRenewalParts } = await import('./renewal-stores.js');
  const options = {
    credentialName: inputs.credentialName,
    encryptionKey: inputs.encryptionKey,
    windowMs,
    waitMs: WAIT_FOR_RENEWAL_MS,
    pollMs: POLL_RENEWAL_MS,
    reseed: reseedSteps(inputs)
  };
  const parts = realRenewalParts({ inputs, rt, stores, local, jobNonce });
  const place = renewalPlace(placeOfRun(rt.env), { secret: !!inputs.secret, local: !!local, lease: !!inputs.lease });
  if (!place.ok) {
    // Not here; but a job on the default branch may have renewed it already (this copy came from an older store).
    const newest = await followSuccessors(credential, options, parts);
    if (!isDue(newest, windowMs, Date.now())) return { credential: newest, renewed: false };
    throw new CredentialError(notHere(inputs, newest, place.problem, place.fix));
  }
  return renewIfDue(credential, options, parts);
}

/**
 * `renewal: in-job`: with the Actions cache as the only store, a job off the default branch whose
 * login Codex may refresh (due within the window) would save the refreshed login only into its own
 * branch's cache scope, leaving a spent refresh token to everyone else: refused before Codex runs.
 */
export function refuseInJobRefreshOffDefaultBranch(
  inputs: ChatGptInputs,
  credential: ChatGptCredential,
  local: LocalStore | undefined,
  env: NodeJS.ProcessEnv
): void {
  if (!isDue(credential, inputs.renewal.windowMs, Date.now())) return;
  const place = renewalPlace(placeOfRun(env), { secret: !!inputs.secret, local: !!local, lease: !!inputs.lease });
  if (!place.ok)
    throw new CredentialError(
      notHere(inputs, credential, place.problem, place.fix, 'Codex may refresh it in this job, but')
    );
}

function notHere(
  inputs: ChatGptInputs,
  credential: ChatGptCredential,
  problem: string,
  fix: string,
  lead = 'It must be renewed, but'
): string {
  const expires = credential.accessTokenExpiresAt?.toISOString() ?? 'an unknown time';
  return (
    `The ChatGPT login '${inputs.credentialName}' is close to expiry (its access token expires at ${expires}, within renew-before-hours). ${lead} ${problem}. ` +
    `Codex did not run and every stored copy is unchanged. ${fix}`
  );
}

export function reseedSteps(inputs: ChatGptInputs): string {
  return reseedStepsFor(inputs.secret);
}
