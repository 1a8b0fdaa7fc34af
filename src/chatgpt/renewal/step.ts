// The main step's part of `renewal: ahead` and the branch rule of `renewal: in-job`: what runs
// after the freshest stored copy is chosen and before Codex gets anything. A refresh token is spent
// only where its successor is stored for every later job (src/chatgpt/renewal/place.ts); elsewhere a due
// login runs with its still-valid access token (src/chatgpt/renewal/without-renewing.ts).
import { CredentialError } from '../../action/errors.js';
import { reseedSteps } from '../login/instructions.js';
import type { ChatGptInputs } from '../../action/chatgpt-inputs.js';
import type { Runtime } from '../../action/runtime.js';
import type { Holder } from '../holds.js';
import type { EnvelopeStore } from '../../stores/store.js';
import { isHostedRunner, renewalPlace, type RenewalPlace, type RunPlace } from './place.js';
import type { ChatGptCredential } from '../login/credential.js';
import type { RenewalResult } from './parts.js';
import { followSuccessors, isDue, renewIfDue } from './rule.js';
import { useWithoutRenewing } from './without-renewing.js';

/** How long a job waits for another job's renewal, and how often it looks. */
const WAIT_FOR_RENEWAL_MS = 90_000;
const POLL_RENEWAL_MS = 2_000;

/** `renewal: ahead`: renews `credential` first when it is due here, and only where the result is seen by every later job. */
export async function renewAheadIfDue(
  inputs: ChatGptInputs,
  credential: ChatGptCredential,
  stores: EnvelopeStore[],
  holder: Holder,
  rt: Runtime,
  place: RunPlace
): Promise<RenewalResult> {
  const { windowMs } = inputs.renewal;
  if (!isDue(credential, windowMs, Date.now())) return { credential, renewed: false };
  const { realRenewalParts } = await import('./stores.js');
  const options = {
    credentialName: inputs.credentialName,
    encryptionKey: inputs.encryptionKey,
    windowMs,
    waitMs: WAIT_FOR_RENEWAL_MS,
    pollMs: POLL_RENEWAL_MS,
    reseed: reseedSteps(inputs.secret)
  };
  const { credentialName, encryptionKey, secret } = inputs;
  const parts = realRenewalParts({ credentialName, encryptionKey, secret, holder, stores, rt });
  const here = renewalPlaceOf(inputs, holder.lock !== undefined, place, rt.env);
  if (!here.ok) {
    // Not here; but a job on the default branch may have renewed it already (this copy came from an older store).
    const newest = await followSuccessors(credential, options, parts);
    if (!isDue(newest, windowMs, Date.now())) return { credential: newest, renewed: false };
    useAsIs(inputs, newest, here, rt);
    return { credential: newest, renewed: false };
  }
  return renewIfDue(credential, options, parts);
}

/**
 * `renewal: in-job` where a refresh could not be stored for every later job (off the default
 * branch, no self-hosted local store): Codex gets the login without its refresh token, so nothing
 * is spent and the post step has nothing to store into a scope other branches never read. Returns
 * whether the refresh token is withheld; fails when the access token would not last the job.
 */
export function withholdInJobRefresh(
  inputs: ChatGptInputs,
  credential: ChatGptCredential,
  local: boolean,
  place: RunPlace,
  rt: Runtime
): boolean {
  const here = renewalPlaceOf(inputs, local, place, rt.env);
  if (here.ok) return false;
  if (isDue(credential, inputs.renewal.windowMs, Date.now())) useAsIs(inputs, credential, here, rt);
  else
    rt.warning(
      `renewal: in-job off the default branch: Codex gets the ChatGPT login '${inputs.credentialName}' without its refresh token, so it cannot refresh it here: ${here.problem}. ` +
        `It runs with the access token (expires ${credential.accessTokenExpiresAt?.toISOString() ?? 'at an unknown time'}); ${here.renewer} keeps the login fresh. ${here.fix}`
    );
  return true;
}

function renewalPlaceOf(inputs: ChatGptInputs, local: boolean, place: RunPlace, env: NodeJS.ProcessEnv): RenewalPlace {
  return renewalPlace(place, { secret: !!inputs.secret, local, hostedRunner: isHostedRunner(env) });
}

/** A due login this job may not renew: run with its access token (warned), or fail when it would not last. */
function useAsIs(
  inputs: ChatGptInputs,
  credential: ChatGptCredential,
  here: Extract<RenewalPlace, { ok: false }>,
  rt: Runtime
): void {
  const verdict = useWithoutRenewing({
    credentialName: inputs.credentialName,
    accessTokenExpiresAt: credential.accessTokenExpiresAt,
    now: Date.now(),
    minTokenMs: inputs.renewal.minTokenMs,
    why: here.problem,
    renewer: here.renewer
  });
  if (!verdict.use) throw new CredentialError(`${verdict.message} ${here.fix}`);
  rt.warning(verdict.warning);
}
