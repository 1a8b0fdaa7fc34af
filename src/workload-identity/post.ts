// Post step of `auth-mode: workload-identity` (post-if: always(), so also after a failed step or a
// failed main step): stop the keeper, remove the token file and its directory, print what the
// keeper did, and fail loudly when the file held an expired token while Codex might have needed it
// (a Codex step then could not authenticate, or will not next time the same way).
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MainState, Runtime } from '../action/runtime.js';
import { decodeClaims } from './oidc.js';
import { readEvents, summarize } from './keeper-log.js';
import { stopKeeper, type StopOutcome } from './keeper-process.js';
import { KEEPER_LOG } from './main.js';

export async function cleanUpWorkloadIdentity(state: MainState, rt: Runtime): Promise<void> {
  const wi = state.workloadIdentity;
  if (!wi) return;
  let outcome: StopOutcome | 'none' = 'none';
  let fileExpiresAt: number | undefined;
  let events: ReturnType<typeof readEvents>;
  try {
    if (wi.keeper) outcome = await stopKeeper(wi.keeper);
    events = readEvents(path.join(wi.dir, KEEPER_LOG));
    fileExpiresAt = tokenExpiry(wi.tokenFile);
  } finally {
    await fs.rm(wi.dir, { recursive: true, force: true });
  }
  rt.info(`Removed the token file and ${wi.dir}.`);
  if (!wi.keeper) return; // the main step failed before the keeper was needed

  const log = summarize(events);
  const how =
    outcome === 'stopped'
      ? 'stopped now'
      : log.ended
        ? `had ended: ${log.ended.detail ?? log.ended.event}`
        : outcome === 'not-ours'
          ? `pid ${wi.keeper.pid} now belongs to another process, which was left alone`
          : 'was no longer running';
  rt.info(
    `Keeper (pid ${wi.keeper.pid}): ${log.written} fresh token${log.written === 1 ? '' : 's'} written, ${log.failures} failed request${log.failures === 1 ? '' : 's'}${log.lastFailure ? ` (last: ${log.lastFailure})` : ''}; ${how}.`
  );

  const problems: string[] = [];
  if (!log.started) problems.push('the keeper never started, so the token file was not renewed');
  if (log.expired) {
    problems.push(
      `the token file held an expired token ${log.expired} time${log.expired === 1 ? '' : 's'} while the keeper could not renew it${log.lastFailure ? ` (${log.lastFailure})` : ''}: a Codex step running then could not authenticate`
    );
  } else if (outcome !== 'stopped' && fileExpiresAt !== undefined && fileExpiresAt < Date.now()) {
    problems.push(
      `the keeper ${log.ended ? `ended (${log.ended.detail ?? log.ended.event})` : 'died'} and the token file expired at ${new Date(fileExpiresAt).toISOString()} before this post step: a Codex step running after that could not authenticate`
    );
  }
  if (outcome === 'did-not-stop') problems.push(`the keeper (pid ${wi.keeper.pid}) did not stop when told to`);
  if (problems.length) {
    throw new Error(
      `Workload identity: ${problems.join('; ')}. Check the job's Codex steps; if GitHub's OIDC service had an outage, re-run the job. See docs/workload-identity.md.`
    );
  }
}

function tokenExpiry(file: string): number | undefined {
  try {
    const exp = decodeClaims(readFileSync(file, 'utf8').trim())?.exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
