// Where a ChatGPT login may be used: OpenAI's guide says trusted, private automation only.
// Checked from the event (src/action/event.ts) before anything is restored; what the payload does not say
// about the repository is asked of the REST API, never guessed.
import { InputError } from '../../action/errors.js';
import {
  learnRepository,
  readRunEvent,
  visibilityInPayload,
  type RepositoryFacts,
  type RepositoryLookup,
  type RunEvent
} from '../../action/event.js';

export interface GuardResult {
  warnings: string[];
  /** The repository's visibility and default branch, as learned. */
  facts: RepositoryFacts;
}

/**
 * What in this run comes from a fork, or undefined: a pull request from a fork, or a workflow_run
 * triggered by one (it runs with this repository's secrets and cache, on the fork's results).
 */
function forkOriginOf(event: RunEvent): 'pull request' | 'workflow_run' | undefined {
  const { payload } = event;
  const base = event.repository;
  const fromFork = (repo: { fork?: boolean; full_name?: string } | null | undefined): boolean =>
    repo === null || repo?.fork === true || Boolean(repo?.full_name && base && repo.full_name !== base);
  if (payload.pull_request && fromFork(payload.pull_request.head?.repo)) return 'pull request';
  if (event.name === 'workflow_run' && payload.workflow_run && fromFork(payload.workflow_run.head_repository))
    return 'workflow_run';
  return undefined;
}

/**
 * API-key and access-token modes: `what` ("the API key") is exposed to code from a fork on these
 * events; said, not refused (a revocable credential issued for automation: the user's call).
 */
export function exposureWarnings(env: NodeJS.ProcessEnv, what: string): string[] {
  const event = readRunEvent(env);
  if (event.name === 'pull_request_target') {
    return [
      `This job runs on pull_request_target, with this repository's secrets for a pull request whose author may control the code that runs next: ${what} in CODEX_HOME can be read by that code. Run Codex on trusted code only (do not check out the pull request head), or on pull_request.`
    ];
  }
  const fork = forkOriginOf(event);
  if (fork) {
    return [
      `This job runs for a ${fork === 'workflow_run' ? 'workflow_run triggered by a pull request from a fork' : 'pull request from a fork'}: code from the fork can read ${what} in CODEX_HOME. Run Codex on such code only with a credential you accept to expose (a limited project key), or after review.`
    ];
  }
  return [];
}

/**
 * Refuses untrusted events first (from the payload alone), then learns the repository's visibility
 * and default branch (the payload, or one REST call when it is silent) and refuses a public one
 * unless allowed.
 */
export async function checkWhereWeRun(
  event: RunEvent,
  lookup: RepositoryLookup,
  allowPublicRepository: boolean
): Promise<GuardResult> {
  if (event.name === 'pull_request_target') {
    throw new Error(
      "ChatGPT mode is refused on pull_request_target: that event runs with the base repository's secrets and cache for code a pull request author controls, who could take the login. Run the Codex job on push, workflow_dispatch or schedule, or on pull_request from branches of this repository."
    );
  }
  const base = event.repository;
  const fork = forkOriginOf(event);
  if (fork === 'pull request') {
    throw new Error(
      'ChatGPT mode is refused for a pull request from a fork: its code is not trusted with the login. Run Codex on pull requests from branches of this repository, or after merge.'
    );
  }
  if (fork === 'workflow_run') {
    throw new Error(
      "ChatGPT mode is refused on a workflow_run triggered by a pull request from a fork (workflow_run.head_repository is a fork): it runs with this repository's secrets and cache on the fork's code and artifacts, which could take the login. Run the Codex job on push, workflow_dispatch or schedule, or only for workflow runs of this repository's branches."
    );
  }
  // True for a public repository when allowed; throws when not. A payload that says "public" is refused before any request.
  const allowedPublic = (visibility: string | undefined): boolean => {
    if (visibility !== 'public') return false;
    if (allowPublicRepository) return true;
    throw new InputError(
      'dangerously-allow-public-repository',
      `is false, and ${base ?? 'this repository'} is public: OpenAI advises never to use a ChatGPT login in public repositories, where the workflow and its logs are visible and contributors can change them.`,
      'Use an API key (`auth-mode: api-key`); only if you accept the risk, set `dangerously-allow-public-repository: true`.'
    );
  };
  allowedPublic(visibilityInPayload(event));
  const facts = await learnRepository(event, lookup);
  if (!allowedPublic(facts.visibility)) return { warnings: [], facts };
  return {
    warnings: [
      `Using a ChatGPT login in the public repository ${base ?? ''} because dangerously-allow-public-repository is true. Anyone who can change this workflow can use the login; prefer an API key.`
    ],
    facts
  };
}
