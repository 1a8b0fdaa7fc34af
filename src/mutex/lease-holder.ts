// Who holds a lease, as its commit records it: the holder's identity from the runner's variables,
// and the record a lease commit carries. Ids are hashed, so a record shows no host or path.
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseHolderRecord } from './holder-record.js';
import { JOB_LIMIT_MINUTES } from '../action/constants.js';

/** A lease lasts at most this long (the longest job GitHub runs). */
export const MAX_LEASE_TTL_MS = JOB_LIMIT_MINUTES * 60_000;
const TOKEN = /^[0-9a-f]{32}$/;

/** Who holds (or wants) the lease: what a waiting job logs about it. Everything is optional. */
export interface LeaseHolder {
  repository?: string;
  runId?: string;
  runAttempt?: string;
  job?: string;
  workflow?: string;
  runner?: string;
  /** Link to the holding run. */
  runUrl?: string;
  /** Opaque id of one runner process (hash of host, RUNNER_NAME and RUNNER_TEMP): a runner runs one job at a time. */
  runnerId?: string;
  /** RUNNER_ENVIRONMENT is `self-hosted`: only there does a runner's name identify one machine (hosted runners reuse names). */
  selfHosted?: boolean;
  /** Opaque id of one job (hash of repository, run, attempt, job and the per-job nonce). */
  jobId?: string;
}

/** The commit message of a lease commit (JSON). */
export interface LeaseRecord {
  codexAuthLease: 1;
  credential: string;
  /** Random, per acquisition. */
  token: string;
  /** On the holder's clock, taken before it read the ref as free: expiresAt − acquiredAt is the lease's duration, free of any skew. */
  acquiredAt: string;
  expiresAt: string;
  /** GitHub's clock (the Date of the answer the holder read just before taking it), when GitHub sent one. */
  serverAcquiredAt?: string;
  holder: LeaseHolder;
  /** Set on a takeover: the commit of the holder it replaced. */
  takeoverOf?: string;
  /** Set when the release renewed the lease before deleting it. */
  renewedAt?: string;
}

/**
 * The holder description of the current step, from the variables the runner sets. `jobNonce`: a
 * random value the first use of the action in a job exports (GITHUB_ENV) for its later steps, so that
 * "this very job holds it" is told apart from "an earlier job on this runner was killed".
 */
export function leaseHolderFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  options: { jobNonce?: string; hostname?: string } = {}
): LeaseHolder {
  const runner = env.RUNNER_NAME || undefined;
  const runId = env.GITHUB_RUN_ID || undefined;
  const runAttempt = env.GITHUB_RUN_ATTEMPT || (runId ? '1' : undefined);
  const repository = env.GITHUB_REPOSITORY || undefined;
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  return {
    repository,
    runId,
    runAttempt,
    job: env.GITHUB_JOB || undefined,
    workflow: env.GITHUB_WORKFLOW || undefined,
    runner,
    runUrl:
      repository && runId
        ? `${server}/${repository}/actions/runs/${runId}${runAttempt && runAttempt !== '1' ? `/attempts/${runAttempt}` : ''}`
        : undefined,
    ...(env.RUNNER_ENVIRONMENT === 'self-hosted' ? { selfHosted: true } : {}),
    runnerId:
      runner && env.RUNNER_TEMP
        ? opaqueId([options.hostname ?? os.hostname(), runner, path.resolve(env.RUNNER_TEMP)])
        : undefined,
    jobId: runId
      ? opaqueId([repository ?? '', runId, runAttempt ?? '', env.GITHUB_JOB ?? '', options.jobNonce ?? ''])
      : undefined
  };
}

/** "job 'build' of run 42 (attempt 2) of workflow 'CI' in acme/app on runner 'r1' (https://…)". */
export function describeLeaseHolder(record: Pick<LeaseRecord, 'holder'> | undefined): string {
  if (!record) return 'a holder whose record codex-auth cannot read';
  const h = record.holder ?? {};
  let text = h.job ? `job '${h.job}'` : 'a job';
  if (h.runId) text += ` of run ${h.runId}${h.runAttempt && h.runAttempt !== '1' ? ` (attempt ${h.runAttempt})` : ''}`;
  if (h.workflow) text += ` of workflow '${h.workflow}'`;
  if (h.repository) text += ` in ${h.repository}`;
  if (h.runner) text += ` on runner '${h.runner}'`;
  if (h.runUrl) text += ` (${h.runUrl})`;
  return text;
}

export function parseLeaseRecord(message: unknown): LeaseRecord | undefined {
  return parseHolderRecord<LeaseRecord>(message, (r) => r.codexAuthLease === 1 && TOKEN.test(r.token ?? ''));
}

function opaqueId(parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24);
}
