// Where a refresh token may be spent: only where its successor is stored for every later job.
// Actions-cache entries are branch-scoped: a job writes into its own ref's scope and reads its own
// then the default branch's, so a login renewed on any other ref is seen by that ref's jobs only,
// while the default branch keeps spending the old (now spent) refresh token. Off the default branch
// the other stores do not close that gap either:
// - the runner-local store of a GitHub-hosted runner is a disk that is gone when the job ends
//   (RUNNER_ENVIRONMENT=github-hosted, docs.github.com "Store information in variables"); only a
//   self-hosted runner's store outlives the job (every job of that machine reads it);
// - the secret of `secret-name` is read when a run is queued (actions-runtime notes), so a job of the
//   default branch queued before this job writes it still gets the old copy, and nothing lets it
//   read the newest one back.
import type { RepositoryFacts, RunEvent } from '../../action/event.js';
import { onDefaultBranch } from '../../action/event.js';

export interface RunPlace {
  /** GITHUB_REF, e.g. refs/heads/main or refs/pull/7/merge. */
  ref: string | undefined;
  /** The repository's default branch (from the payload, or the REST API when the payload is silent). */
  defaultBranch: string;
  onDefaultBranch: boolean;
}

/** What this job stores a renewed login in, besides the Actions cache. */
export interface RenewalStores {
  secret: boolean;
  local: boolean;
  /** RUNNER_ENVIRONMENT is `github-hosted`: the runner's disk does not outlive the job. */
  hostedRunner: boolean;
}

export type RenewalPlace = { ok: true } | { ok: false; problem: string; renewer: string; fix: string };

export function placeOfRun(event: RunEvent, facts: Pick<RepositoryFacts, 'defaultBranch'>): RunPlace {
  return { ref: event.ref, defaultBranch: facts.defaultBranch, onDefaultBranch: onDefaultBranch(event, facts) };
}

/** RUNNER_ENVIRONMENT: `github-hosted` on GitHub's runners (which always set it), `self-hosted` otherwise. */
export function isHostedRunner(env: NodeJS.ProcessEnv): boolean {
  return env.RUNNER_ENVIRONMENT?.trim() === 'github-hosted';
}

/**
 * Whether this job may spend the refresh token. On the default branch: always. Elsewhere: only with
 * the runner-local store of a self-hosted runner (every job of the machine reads it; its lock
 * serializes them). With the cache, the secret or a hosted runner's disk: never.
 */
export function renewalPlace(place: RunPlace, stores: RenewalStores): RenewalPlace {
  if (place.onDefaultBranch || (stores.local && !stores.hostedRunner)) return { ok: true };
  const main = `'${place.defaultBranch}'`;
  const where = place.ref ? `${place.ref}, not the default branch ${main}` : 'an unknown ref (GITHUB_REF is not set)';
  const cache = `a login renewed here would be saved in this ref's Actions-cache scope, which the jobs of ${main} never read`;
  const also = [
    ...(stores.local ? ["on this GitHub-hosted runner's local store, a disk that is gone when the job ends"] : []),
    ...(stores.secret
      ? [
          `in the secret, which a run reads when it is queued, so a job of ${main} queued before this write would still spend the old refresh token`
        ]
      : [])
  ];
  return {
    ok: false,
    problem: `this job runs on ${where}, and ${cache}${also.length ? `, ${also.map((a) => `and ${a}`).join(', ')}` : ''}`,
    renewer: `the next job on ${main} that uses it (a push, a workflow_dispatch, or a keep-fresh schedule: examples/nightly-chatgpt.yml in the codex-auth repository)`,
    fix: `To renew on any branch, keep the login in the runner-local store of a self-hosted runner (\`local-store: true\`).`
  };
}
