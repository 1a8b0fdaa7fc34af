// Where a renewed (or Codex-refreshed) login may be created: only where every later job sees it.
// Actions-cache entries are branch-scoped: a job writes into its own ref's scope and reads its own
// then the default branch's, so a login renewed on any other ref is seen by that ref's jobs only,
// while everyone else keeps spending the old (now spent) refresh token. The secret is read by every
// branch; the runner-local store by every job of its machine.
import { readFileSync } from 'node:fs';

export interface RunPlace {
  /** GITHUB_REF, e.g. refs/heads/main or refs/pull/7/merge. */
  ref: string | undefined;
  /** `repository.default_branch` of the event payload (GITHUB_EVENT_PATH). */
  defaultBranch: string | undefined;
  onDefaultBranch: boolean;
}

/** What this job stores a renewed login in, and what serializes renewals beyond its cache scope. */
export interface RenewalStores {
  secret: boolean;
  local: boolean;
  lease: boolean;
}

export type RenewalPlace = { ok: true } | { ok: false; problem: string; fix: string };

/** This run's ref and the repository's default branch. An unreadable payload counts as "not the default branch" (fail closed). */
export function placeOfRun(env: NodeJS.ProcessEnv): RunPlace {
  const ref = env.GITHUB_REF?.trim() || undefined;
  let defaultBranch: string | undefined;
  try {
    const payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH ?? '', 'utf8')) as {
      repository?: { default_branch?: unknown };
    };
    if (typeof payload.repository?.default_branch === 'string' && payload.repository.default_branch)
      defaultBranch = payload.repository.default_branch;
  } catch {
    defaultBranch = undefined;
  }
  return { ref, defaultBranch, onDefaultBranch: !!ref && !!defaultBranch && ref === `refs/heads/${defaultBranch}` };
}

/**
 * Whether this job may renew the login. On the default branch: always. Elsewhere: with the
 * runner-local store (every job of the machine reads it; its lock serializes them), or with the
 * secret and the lease (the secret is read by every branch; the lease, unlike a cache claim, holds
 * across branches). With the cache alone: never.
 */
export function renewalPlace(place: RunPlace, stores: RenewalStores): RenewalPlace {
  if (place.onDefaultBranch || stores.local || (stores.secret && stores.lease)) return { ok: true };
  const where = describePlace(place);
  const main = place.defaultBranch ? `'${place.defaultBranch}'` : 'the default branch';
  if (stores.secret) {
    return {
      ok: false,
      problem: `this job runs on ${where}, and a renewal here could race one on ${main}: the claim that keeps two jobs from renewing at once lives in the Actions cache, whose entries are branch-scoped`,
      fix: `It will be renewed by the next job on ${main} that uses it (run this workflow there, or a keep-fresh schedule: examples/nightly-chatgpt.yml in the codex-auth repository), then re-run this job; or set \`lease: true\` (needs \`permissions: contents: write\`), which serializes renewals across branches.`
    };
  }
  return {
    ok: false,
    problem: `this job runs on ${where}, and with the Actions cache as the only store a login renewed here would be saved in this ref's cache scope, which jobs of ${main} and of other branches never read: they would keep the spent refresh token`,
    fix: `It will be renewed by the next job on ${main} that uses it: run this workflow there (or a keep-fresh schedule: examples/nightly-chatgpt.yml in the codex-auth repository), then re-run this job. Or write the login back to its secret (\`secret-name\` with \`lease: true\`), so that any branch may renew it.`
  };
}

function describePlace(place: RunPlace): string {
  if (!place.ref) return 'an unknown ref (GITHUB_REF is not set)';
  if (!place.defaultBranch)
    return `${place.ref} (the event payload does not name the default branch, so this is not known to be it)`;
  return `${place.ref}, not the default branch '${place.defaultBranch}'`;
}
