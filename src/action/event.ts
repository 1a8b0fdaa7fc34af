// The run's event and ref: the only module that reads GITHUB_EVENT_PATH, GITHUB_EVENT_NAME and
// GITHUB_REF. Not every event carries `repository` (a `schedule` payload is `{"schedule": "<cron>"}`,
// docs.github.com "Events that trigger workflows"), so what the payload does not say about the
// repository is asked of the REST API (src/github/repository.ts, loaded only then), never
// guessed. API-key mode reads only the payload (fork warnings) and loads nothing else.
import { readFileSync } from 'node:fs';

/** The parts of an event payload this action reads (shapes from @octokit/webhooks-examples). */
interface EventPayload {
  repository?: { private?: unknown; visibility?: unknown; full_name?: unknown; default_branch?: unknown };
  pull_request?: { head?: { repo?: { fork?: boolean; full_name?: string } | null } };
  workflow_run?: { event?: string; head_repository?: { fork?: boolean; full_name?: string } | null };
}

export interface RunEvent {
  /** GITHUB_EVENT_NAME (`schedule`, `push`, …; in a called workflow, the caller's event). */
  name: string;
  /** GITHUB_REF, e.g. refs/heads/main or refs/pull/7/merge. */
  ref: string | undefined;
  /** GITHUB_REPOSITORY (`owner/name`). */
  repository: string | undefined;
  payload: EventPayload;
}

/** What the action must know about the repository, and where each fact came from. */
export interface RepositoryFacts {
  /** `public`, `private` or `internal`. */
  visibility: string;
  defaultBranch: string;
  /** `payload` or `api` (GET /repos/{owner}/{repo}). */
  from: 'payload' | 'api';
}

/** The run's event, from the runner's environment. An unreadable payload reads as `{}` (nothing said). */
export function readRunEvent(env: NodeJS.ProcessEnv): RunEvent {
  let payload: EventPayload = {};
  try {
    if (env.GITHUB_EVENT_PATH) {
      const parsed: unknown = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) payload = parsed as EventPayload;
    }
  } catch {
    payload = {};
  }
  return {
    name: env.GITHUB_EVENT_NAME?.trim() ?? '',
    ref: env.GITHUB_REF?.trim() || undefined,
    repository: env.GITHUB_REPOSITORY?.trim() || payloadRepository(payload),
    payload
  };
}

/** The visibility the payload states (`visibility`, else `private`), or undefined. */
export function visibilityInPayload(event: RunEvent): string | undefined {
  const repo = event.payload.repository;
  if (typeof repo?.visibility === 'string' && repo.visibility) return repo.visibility;
  return repo?.private === true ? 'private' : repo?.private === false ? 'public' : undefined;
}

/** What the payload itself says (visibility and `default_branch`), or undefined when it lacks either. */
export function factsInPayload(event: RunEvent): RepositoryFacts | undefined {
  const visibility = visibilityInPayload(event);
  const branch = event.payload.repository?.default_branch;
  const defaultBranch = typeof branch === 'string' ? branch : '';
  return visibility && defaultBranch ? { visibility, defaultBranch, from: 'payload' } : undefined;
}

/** How to ask the REST API when the payload is silent. */
export interface RepositoryLookup {
  /** `github-token` (masked). Empty: the user removed it. */
  token: string;
  apiUrl: string;
  log: (message: string) => void;
}

/**
 * The repository's visibility and default branch: from the payload when it says both, otherwise
 * from `GET /repos/{owner}/{repo}` (one request). Throws, naming the token and the permission, when
 * neither can tell: nothing is judged by guesswork.
 */
export async function learnRepository(event: RunEvent, lookup: RepositoryLookup): Promise<RepositoryFacts> {
  const said = factsInPayload(event);
  if (said) return said;
  const { fetchRepositoryFacts } = await import('../github/repository.js');
  return fetchRepositoryFacts(event, lookup);
}

/** Whether this run's ref is the repository's default branch. */
export function onDefaultBranch(event: RunEvent, facts: Pick<RepositoryFacts, 'defaultBranch'>): boolean {
  return !!event.ref && event.ref === `refs/heads/${facts.defaultBranch}`;
}

function payloadRepository(payload: EventPayload): string | undefined {
  const name = payload.repository?.full_name;
  return typeof name === 'string' && name ? name : undefined;
}
