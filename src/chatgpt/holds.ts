// The holds that let one job at a time use a credential: the lease (`lease: true`: every job of the
// repository) and the lock of the runner-local store (`local-store: true`: every job on this
// machine). Always the lease first, then the lock: one order, no deadlock. `renewal: in-job` holds
// both from the main step to the post step; `renewal: ahead` only for the seconds of a renewal.
import { randomBytes } from 'node:crypto';
import { CredentialError, clause, errorMessage } from '../action/errors.js';
import { JOB_NONCE_VARIABLE } from '../action/constants.js';
import type { ChatGptInputs } from '../action/chatgpt-inputs.js';
import type { MainState, Runtime } from '../action/runtime.js';
import { acquireLease, leaseHolderFromEnv, LeaseError, releaseLease } from '../mutex/lease.js';
import { acquireLock, holderFromEnv, LockTimeoutError, releaseLock } from '../mutex/lock.js';
import type { LocalStore } from '../stores/local.js';
import { prepareLocalStore } from './restore/stores.js';

type LeaseSettings = NonNullable<ChatGptInputs['lease']>;
type Log = Pick<Runtime, 'info' | 'warning'>;

/** Who holds, and what: the credential, this job's nonce, the lease's settings and the lock's store. */
export interface Holder {
  credentialName: string;
  jobNonce: string;
  lease: LeaseSettings | undefined;
  /** The runner-local store's directory (prepared) and how long to wait for its lock. */
  lock: { dir: string; timeoutMs: number } | undefined;
}

/** How long the lease is taken for around a renewal: it ends by itself if the job dies in those seconds. */
const RENEWAL_LEASE_TTL_MS = 5 * 60_000;

function leaseTarget(settings: LeaseSettings, credentialName: string, log: (message: string) => void) {
  const { apiUrl, token, owner, repo } = settings;
  return { apiUrl, token, owner, repo, credentialName, log };
}

/** The lease for the whole job (until the post step releases it, or it expires: `lease-expiry-minutes`). */
async function takeJobLease(
  settings: LeaseSettings,
  holder: Pick<Holder, 'credentialName' | 'jobNonce'>,
  rt: Pick<Runtime, 'env' | 'info'>
): Promise<NonNullable<MainState['lease']>> {
  const lease = await acquireLease({
    ...leaseTarget(settings, holder.credentialName, rt.info),
    holder: leaseHolderFromEnv(rt.env, { jobNonce: holder.jobNonce }),
    ttlMs: settings.ttlMs,
    timeoutMs: settings.timeoutMs
  });
  return { ref: lease.ref, sha: lease.sha, expiresAt: lease.expiresAt };
}

/** The runner-local lock for the whole job; a wait that times out fails the job before anything is restored. */
async function takeJobLock(
  lock: NonNullable<Holder['lock']>,
  holder: Pick<Holder, 'credentialName' | 'jobNonce'>,
  rt: Pick<Runtime, 'env' | 'info'>
): Promise<NonNullable<MainState['localStore']>> {
  try {
    const held = await acquireLock({
      dir: lock.dir,
      name: holder.credentialName,
      holder: holderFromEnv(rt.env, { jobNonce: holder.jobNonce }),
      timeoutMs: lock.timeoutMs,
      log: rt.info
    });
    return { dir: lock.dir, lockToken: held.token };
  } catch (error) {
    if (error instanceof LockTimeoutError) {
      throw new CredentialError(
        `${error.message} (The wait is the input 'lock-timeout-minutes'.) Nothing was restored: this job did not touch the credential.`
      );
    }
    throw error;
  }
}

/**
 * `lease: true`: waits for the lease on the credential (every job, workflow and runner of the
 * repository). `local-store: true`: prepares the runner-local store and waits for its lock (every
 * runner process on this machine). Each is saved to the state as soon as it is held, so that the
 * post step releases it whatever fails after.
 */
export async function serializeThisJob(
  inputs: Pick<ChatGptInputs, 'credentialName' | 'lease' | 'localStore' | 'renewal'>,
  state: MainState,
  rt: Runtime
): Promise<{ local: LocalStore | undefined; holder: Holder }> {
  const holder: Holder = { credentialName: inputs.credentialName, jobNonce: '', lease: inputs.lease, lock: undefined };
  if (!inputs.lease && !inputs.localStore) return { local: undefined, holder };
  holder.jobNonce = ensureJobNonce(rt);
  // renewal: ahead holds the lease and the lock only for the seconds of a renewal.
  const forTheJob = inputs.renewal.mode === 'in-job';
  if (inputs.lease && forTheJob) {
    state.lease = await takeJobLease(inputs.lease, holder, rt);
    rt.saveState(state);
  }
  if (!inputs.localStore) return { local: undefined, holder };
  const local = await prepareLocalStore(inputs.localStore.dir, inputs.credentialName, rt.env, rt.info);
  holder.lock = { dir: local.dir, timeoutMs: inputs.localStore.lockTimeoutMs };
  if (forTheJob) {
    state.localStore = await takeJobLock(holder.lock, holder, rt);
    rt.saveState(state);
  }
  return { local, holder };
}

/** This job's nonce (see JOB_NONCE_VARIABLE): the one an earlier step of the job exported, or a new one. */
export function ensureJobNonce(rt: Runtime): string {
  const existing = rt.env[JOB_NONCE_VARIABLE]?.trim();
  if (existing && /^[0-9a-f]{32}$/.test(existing)) return existing;
  const nonce = randomBytes(16).toString('hex');
  rt.exportVariable(JOB_NONCE_VARIABLE, nonce);
  return nonce;
}

/**
 * The post step: releases the lock, then the lease (the reverse order of the main step). A release
 * that fails does not fail the step (the login is saved by now) but is a loud warning: the next
 * jobs wait until the lock or lease is found stale or expires.
 */
export async function releaseJobHolds(
  credentialName: string,
  settings: LeaseSettings | undefined,
  state: Pick<MainState, 'lease' | 'localStore'>,
  rt: Log
): Promise<void> {
  if (state.localStore) await releaseJobLock(credentialName, state.localStore, rt);
  if (state.lease) await releaseJobLease(credentialName, settings, state.lease, rt);
}

async function releaseJobLock(name: string, held: NonNullable<MainState['localStore']>, rt: Log): Promise<void> {
  const { dir, lockToken } = held;
  try {
    const result = await releaseLock({ dir, name, token: lockToken });
    if (result.released) rt.info(`Released the lock on credential '${name}' in the runner-local store ${dir}.`);
    else
      rt.warning(
        `The lock on credential '${name}' in the runner-local store was not released: ${clause(result.reason)}.`
      );
  } catch (error) {
    rt.warning(
      `Could not release the lock on credential '${name}' in the runner-local store ${dir}: ${clause(errorMessage(error))}. ` +
        `Other jobs on this machine that use the credential wait until they find the lock stale (its runner runs another job, or its lease ends); remove ${dir}/${name}.lock if no job uses it.`
    );
  }
}

async function releaseJobLease(
  name: string,
  settings: LeaseSettings | undefined,
  held: NonNullable<MainState['lease']>,
  rt: Log
): Promise<void> {
  const { ref, sha, expiresAt } = held;
  if (!settings) {
    rt.warning(
      `Could not release the lease on credential '${name}' (${ref}): 'lease' is no longer true in the post step. It ends by itself at ${expiresAt}.`
    );
    return;
  }
  try {
    const result = await releaseLease({ ...leaseTarget(settings, name, rt.info), sha, expiresAt });
    if (result.released) rt.info(`Released the lease on credential '${name}' (${ref}).`);
    else rt.warning(`The lease on credential '${name}' was not released: ${clause(result.reason)}.`);
  } catch (error) {
    rt.warning(
      `Could not release the lease on credential '${name}' (${ref} in ${settings.owner}/${settings.repo}): ${errorMessage(error)} ` +
        `Other jobs that use the credential wait until it expires at ${expiresAt}, or delete it now: \`gh api -X DELETE repos/${settings.owner}/${settings.repo}/git/${ref}\`.`
    );
  }
}

/** The holds of one renewal: `release` gives them back; `notNeeded` when another job renewed meanwhile. */
export type RenewalHolds = { notNeeded: true } | { notNeeded: false; release(): Promise<void> };

/**
 * `renewal: ahead`: the lease, then the lock, for the seconds of a renewal (whichever are on).
 * `stopWaiting` ends the wait for the lease when another job published the renewal (the rate budget).
 */
export async function holdForRenewal(
  holder: Holder,
  rt: Pick<Runtime, 'env' | 'info' | 'warning'>,
  stopWaiting: () => Promise<string | undefined>
): Promise<RenewalHolds> {
  const releases: (() => Promise<unknown>)[] = [];
  const release = async (): Promise<void> => {
    for (const give of releases.reverse())
      await give().catch((error: unknown) => rt.warning(`Releasing a renewal hold failed: ${errorMessage(error)}`));
  };
  try {
    if (holder.lease) {
      const target = leaseTarget(holder.lease, holder.credentialName, rt.info);
      const lease = await acquireLease({
        ...target,
        holder: leaseHolderFromEnv(rt.env, { jobNonce: holder.jobNonce }),
        ttlMs: RENEWAL_LEASE_TTL_MS,
        timeoutMs: holder.lease.timeoutMs,
        stopWaiting
      }).catch((error: unknown) => {
        if (error instanceof LeaseError && error.kind === 'not-needed') return undefined;
        throw error;
      });
      if (!lease) return { notNeeded: true };
      releases.push(() => releaseLease({ ...target, sha: lease.sha, expiresAt: lease.expiresAt }));
    }
    if (holder.lock) {
      const lock = await acquireLock({
        dir: holder.lock.dir,
        name: holder.credentialName,
        holder: holderFromEnv(rt.env, { jobNonce: holder.jobNonce }),
        timeoutMs: holder.lock.timeoutMs,
        log: rt.info
      });
      releases.push(() => lock.release());
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { notNeeded: false, release };
}
