// The secret's version: with `secret-name` and `lease: true`, the newest login in the secret wins by a
// version the repository keeps, not by the order in which jobs ran (a job queued before another
// job's write holds an older copy and must not write it back). docs/design.md, "The secret's version".
import { errorMessage } from '../action/errors.js';
import {
  LeaseClient,
  LeaseError,
  TRANSIENT,
  type LeaseClientOptions,
  type LeaseTarget
} from '../mutex/lease-client.js';
import { describeLeaseHolder, leaseHolderFromEnv, type LeaseHolder } from '../mutex/lease-holder.js';

const SECRET_VERSION_REF_PREFIX = 'refs/codex-auth/secret-versions/';

/** What the repository keeps about the newest login written to the secret. */
export interface SecretVersion {
  codexAuthSecretVersion: 1;
  credential: string;
  /** The written login's last_refresh, as the login says it (its own ordering within one chain). */
  lastRefresh: string;
  writtenAt: string;
  holder: LeaseHolder;
}

/** The recorded version of the credential's secret, or undefined when none was recorded yet. */
export async function readSecretVersion(
  options: LeaseTarget & LeaseClientOptions & { patienceMs?: number }
): Promise<{ sha: string; version: SecretVersion } | undefined> {
  const client = new LeaseClient(options, 'acquire', `${SECRET_VERSION_REF_PREFIX}${options.credentialName}`);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // Read while this job holds the lease, so it rides out a GitHub fault (5xx, network, rate limit)
  // longer than one request's retries, as the lease's own wait does, rather than fail the job.
  const deadline = now() + (options.patienceMs ?? VERSION_READ_PATIENCE_MS);
  for (;;) {
    try {
      const sha = await client.readRef();
      if (!sha) return undefined;
      const version = parseVersion(await client.message(sha));
      return version ? { sha, version } : undefined;
    } catch (error) {
      if (!(error instanceof LeaseError) || !TRANSIENT.includes(error.kind) || now() >= deadline) throw error;
      options.log?.(`Reading the secret's version failed for now (${error.kind}); trying again in 5 s.`);
      await sleep(VERSION_READ_PAUSE_MS);
    }
  }
}

/** How long reading the secret's version rides out GitHub faults, and the pause between tries. */
const VERSION_READ_PATIENCE_MS = 120_000;
const VERSION_READ_PAUSE_MS = 5_000;

/**
 * Records that the secret now holds a login of `lastRefresh` (after the write succeeded). Never moves
 * the record back: a newer recorded version is left in place, and the result says so.
 */
export async function recordSecretVersion(
  options: LeaseTarget & LeaseClientOptions & { lastRefresh: string; holder: LeaseHolder }
): Promise<'recorded' | 'newer-recorded'> {
  const client = new LeaseClient(options, 'acquire', `${SECRET_VERSION_REF_PREFIX}${options.credentialName}`);
  for (let attempt = 0; attempt < 5; attempt++) {
    const seen = await client.readRef();
    const current = seen ? parseVersion(await client.message(seen)) : undefined;
    if (current && Date.parse(current.lastRefresh) > Date.parse(options.lastRefresh)) return 'newer-recorded';
    const version: SecretVersion = {
      codexAuthSecretVersion: 1,
      credential: client.name,
      lastRefresh: options.lastRefresh,
      writtenAt: new Date(client.now()).toISOString(),
      holder: options.holder
    };
    const sha = await client.createMessageCommit(JSON.stringify(version), seen ? [seen] : [], version.writtenAt);
    const moved = seen ? await client.fastForward(sha) : (await client.createRef(sha)) === 'created' ? 'moved' : 'lost';
    if (moved === 'moved') return 'recorded';
  }
  throw new LeaseError(
    'rejected',
    `Cannot record the version of the secret of credential '${client.name}': it kept changing while this job wrote it.`
  );
}

function parseVersion(message: unknown): SecretVersion | undefined {
  if (typeof message !== 'string') return undefined;
  try {
    const v = JSON.parse(message) as SecretVersion;
    return v?.codexAuthSecretVersion === 1 && !Number.isNaN(Date.parse(v.lastRefresh)) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The secret's version, as the secret store asks for it: kept in the repository when the lease is on. */
export interface SecretVersions {
  /** Why a login of `lastRefreshMs` must not be written (a newer one is recorded), or undefined. */
  newerThan(lastRefreshMs: number): Promise<string | undefined>;
  /** After a write: the secret now holds a login of `lastRefreshMs`. */
  written(lastRefreshMs: number): Promise<void>;
}

/** With `lease: true` (its token and repository), the secret's version; without it, none is kept. */
export function secretVersions(
  inputs: { credentialName: string; lease: Pick<LeaseTarget, 'apiUrl' | 'token' | 'owner' | 'repo'> | undefined },
  env: NodeJS.ProcessEnv,
  log: (message: string) => void
): SecretVersions | undefined {
  const lease = inputs.lease;
  if (!lease) return undefined;
  const target = {
    apiUrl: lease.apiUrl,
    token: lease.token,
    owner: lease.owner,
    repo: lease.repo,
    credentialName: inputs.credentialName,
    log
  };
  return {
    async newerThan(lastRefreshMs) {
      const recorded = await readSecretVersion(target);
      if (!recorded || Date.parse(recorded.version.lastRefresh) <= lastRefreshMs) return undefined;
      const v = recorded.version;
      return `the secret already holds a newer login (last_refresh ${v.lastRefresh}, written at ${v.writtenAt} by ${describeLeaseHolder(v)}) than this one (last_refresh ${new Date(lastRefreshMs).toISOString()})`;
    },
    async written(lastRefreshMs) {
      try {
        await recordSecretVersion({
          ...target,
          lastRefresh: new Date(lastRefreshMs).toISOString(),
          holder: leaseHolderFromEnv(env)
        });
      } catch (error) {
        log(`The secret was written, but its version could not be recorded: ${errorMessage(error)}`);
      }
    }
  };
}
