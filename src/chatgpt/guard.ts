// Where a ChatGPT login may be used: OpenAI's guide says trusted, private automation only.
// Checked from the event payload before anything is restored.
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export interface GuardResult {
  warnings: string[];
}

interface EventPayload {
  repository?: { private?: boolean; visibility?: string; full_name?: string };
  pull_request?: { head?: { repo?: { fork?: boolean; full_name?: string } | null } };
}

export function checkWhereWeRun(env: NodeJS.ProcessEnv, allowPublicRepository: boolean): GuardResult {
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  if (eventName === 'pull_request_target') {
    throw new Error(
      'ChatGPT mode is refused on pull_request_target: that event runs with the base repository\'s secrets and cache for code a pull request author controls, who could take the login. Run the Codex job on push, workflow_dispatch or schedule, or on pull_request from branches of this repository.'
    );
  }
  const payload = readEvent(env.GITHUB_EVENT_PATH);
  const head = payload.pull_request?.head?.repo;
  const base = payload.repository?.full_name ?? env.GITHUB_REPOSITORY;
  if (payload.pull_request && (head === null || head?.fork === true || (head?.full_name && base && head.full_name !== base))) {
    throw new Error(
      'ChatGPT mode is refused for a pull request from a fork: its code is not trusted with the login. Run Codex on pull requests from branches of this repository, or after merge.'
    );
  }
  const visibility = payload.repository?.visibility ?? (payload.repository?.private === false ? 'public' : payload.repository?.private === true ? 'private' : undefined);
  if (visibility === undefined) {
    throw new Error('ChatGPT mode needs to know that the repository is private, and the event payload (GITHUB_EVENT_PATH) does not say. Run it from a GitHub Actions workflow.');
  }
  if (visibility !== 'public') return { warnings: [] };
  if (!allowPublicRepository) {
    throw new InputError(
      'dangerously-allow-public-repository',
      `is false, and ${base ?? 'this repository'} is public: OpenAI advises never to use a ChatGPT login in public repositories, where the workflow and its logs are visible and contributors can change them.`,
      'Use an API key (`auth-mode: api-key`); only if you accept the risk, set `dangerously-allow-public-repository: true`.'
    );
  }
  return {
    warnings: [`Using a ChatGPT login in the public repository ${base ?? ''} because dangerously-allow-public-repository is true. Anyone who can change this workflow can use the login; prefer an API key.`]
  };
}

function readEvent(file: string | undefined): EventPayload {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as EventPayload;
  } catch {
    return {};
  }
}
