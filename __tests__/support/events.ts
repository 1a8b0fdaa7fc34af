// The events the harness's jobs run on, as GitHub sends them: real payloads from the npm package
// @octokit/webhooks-examples (collected from GitHub by Octokit), with only the repository's identity
// put in (its name, visibility and default branch, in the keys the example already has: nothing is
// added), and the GITHUB_REF GitHub sets for each event (docs.github.com, "Events that trigger
// workflows"). A `schedule` run's payload carries no `repository` (GitHub documents none; codeql-action
// PR 1211, scorecard-action issues 73 and 84 show it on real runs): `{"schedule": "<cron>"}`.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface EventSpec {
  name: string;
  payload: Record<string, unknown>;
  /** GITHUB_REF as GitHub sets it for this event (the runner's default: the default branch). */
  ref?: string;
}

export const EVENT_NAMES = [
  'schedule',
  'push',
  'workflow_dispatch',
  'merge_group',
  'pull_request',
  'repository_dispatch',
  'workflow_run'
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export interface EventOptions {
  /** `owner/name`; default `acme/app`. */
  repository?: string;
  /** Default `private`. */
  visibility?: 'private' | 'public' | 'internal';
  /** Default `main`. */
  defaultBranch?: string;
  /** push / workflow_dispatch: the branch the event is for (default: the default branch). */
  branch?: string;
}

type Json = Record<string, unknown>;

/** One real example payload per event: the first whose repository is the event's own (push: a branch, not a tag). */
function example(name: EventName): Json {
  const all = require('@octokit/webhooks-examples') as { name: string; examples: Json[] }[];
  const examples = all.find((e) => e.name === name)?.examples ?? [];
  const pick = name === 'push' ? examples.find((e) => String(e.ref).startsWith('refs/heads/')) : examples[0];
  if (!pick) throw new Error(`@octokit/webhooks-examples has no ${name} example`);
  return pick;
}

/** The event `name` of a job in `options.repository`, with its payload and GITHUB_REF. */
export function githubEvent(name: EventName, options: EventOptions = {}): EventSpec {
  const repository = options.repository ?? 'acme/app';
  const defaultBranch = options.defaultBranch ?? 'main';
  const branch = options.branch ?? defaultBranch;
  // schedule: GITHUB_REF is the default branch, GITHUB_SHA its last commit; no repository in the payload.
  if (name === 'schedule') return { name, payload: { schedule: '17 3 * * *' }, ref: `refs/heads/${defaultBranch}` };
  const source = example(name);
  const theirs = (source.repository as Json).full_name as string;
  const theirDefault = (source.repository as Json).default_branch as string;
  const payload = JSON.parse(JSON.stringify(source).replaceAll(theirs, repository)) as Json;
  ownRepository(payload, repository, options.visibility ?? 'private', defaultBranch, theirDefault);
  switch (name) {
    case 'push':
      Object.assign(payload, { ref: `refs/heads/${branch}` });
      return { name, payload, ref: `refs/heads/${branch}` };
    case 'workflow_dispatch':
      Object.assign(payload, { ref: `refs/heads/${branch}` });
      return { name, payload, ref: `refs/heads/${branch}` };
    case 'merge_group': {
      // GITHUB_REF: the merge group's temporary branch, gh-readonly-queue/<base>/pr-<n>-<sha>.
      const group = payload.merge_group as Json;
      group.base_ref = `refs/heads/${defaultBranch}`;
      group.head_ref = String(group.head_ref).replace(
        /gh-readonly-queue\/[^/]+\//,
        `gh-readonly-queue/${defaultBranch}/`
      );
      return { name, payload, ref: String(group.head_ref) };
    }
    case 'pull_request':
      // GITHUB_REF: the merge branch of the pull request.
      return { name, payload, ref: `refs/pull/${String(payload.number)}/merge` };
    case 'repository_dispatch':
      // GITHUB_REF: the default branch.
      Object.assign(payload, { branch: defaultBranch });
      return { name, payload, ref: `refs/heads/${defaultBranch}` };
    case 'workflow_run':
      return { name, payload, ref: `refs/heads/${defaultBranch}` };
  }
}

/**
 * `workflow_call`: a called workflow runs with its caller's event (github.event_name and the payload
 * are the caller's, docs.github.com "Reusing workflows"), so it is that event.
 */
export function calledFrom(caller: EventName, options: EventOptions = {}): EventSpec {
  return githubEvent(caller, options);
}

/** Every object that is `repository` (by full_name) gets its visibility and default branch, in the keys it has. */
function ownRepository(
  node: unknown,
  repository: string,
  visibility: string,
  defaultBranch: string,
  theirDefault: string
): void {
  if (!node || typeof node !== 'object') return;
  for (const value of Object.values(node)) ownRepository(value, repository, visibility, defaultBranch, theirDefault);
  const repo = node as Json;
  if (repo.full_name !== repository) return;
  const [owner, name] = repository.split('/');
  repo.name = name;
  if (repo.owner && typeof repo.owner === 'object') (repo.owner as Json).login = owner;
  if ('private' in repo) repo.private = visibility !== 'public';
  if ('visibility' in repo) repo.visibility = visibility;
  if ('default_branch' in repo) repo.default_branch = defaultBranch;
  if ('master_branch' in repo && repo.master_branch === theirDefault) repo.master_branch = defaultBranch;
}
