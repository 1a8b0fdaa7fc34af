// `GET /repos/{owner}/{repo}`: the repository's visibility and default branch, for an event whose
// payload does not carry `repository` (a `schedule` run). Loaded only then (src/action/event.ts). The
// answer's shape is GitHub's `full-repository` (OpenAPI description, @octokit/openapi): `private`
// (boolean), `visibility` (not always present on older servers), `default_branch`. Any token that
// can see the repository may read it: it needs only the "metadata: read" permission, which every
// GITHUB_TOKEN has (docs.github.com, "Permissions required for GitHub Apps": metadata is granted to
// every installation token, the GITHUB_TOKEN included).
import { CredentialError } from '../action/errors.js';
import type { RepositoryFacts, RepositoryLookup, RunEvent } from '../action/event.js';
import { githubFailure, type GitHubFailure } from './failure.js';
import { githubClient, type GitHubCall } from './request.js';

const WHY = 'ChatGPT mode must know whether the repository is private and which branch is its default';

export async function fetchRepositoryFacts(event: RunEvent, lookup: RepositoryLookup): Promise<RepositoryFacts> {
  const silent = `the event payload of this '${event.name || 'unknown'}' run (GITHUB_EVENT_PATH) does not say`;
  const [owner, repo, ...rest] = (event.repository ?? '').split('/');
  if (!owner || !repo || rest.length)
    throw new CredentialError(
      `${WHY}, and ${silent}, nor is GITHUB_REPOSITORY set to owner/name to ask GitHub. Run the action in a GitHub Actions job. Nothing was restored.`
    );
  if (!lookup.token.trim())
    throw new CredentialError(
      `Input 'github-token': is empty, and ${silent} whether ${owner}/${repo} is private: ${WHY}, and asks GET /repos/${owner}/${repo} for it. ` +
        "Leave 'github-token' at its default (`${{ github.token }}`, the workflow's GITHUB_TOKEN, which may always read the repository's metadata), or pass a token with \"Metadata: Read\" on this repository. Nothing was restored."
    );
  const call = callFor(owner, repo, lookup);
  // Two tries after the first on a 5xx or a network error (1 s, 4 s apart): a read, safe to repeat.
  const client = githubClient({ apiUrl: lookup.apiUrl, token: lookup.token, log: lookup.log, retries: 2 });
  const { answer } = await client.request(
    'GET',
    `${lookup.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`,
    undefined,
    call
  );
  if (answer.status !== 200) throw call.error(githubFailure(answer, client.context(call)));
  const body = answer.body as { private?: unknown; visibility?: unknown; default_branch?: unknown } | null;
  const visibility =
    typeof body?.visibility === 'string' && body.visibility
      ? body.visibility
      : typeof body?.private === 'boolean'
        ? body.private
          ? 'private'
          : 'public'
        : undefined;
  const defaultBranch = typeof body?.default_branch === 'string' ? body.default_branch : '';
  if (!visibility || !defaultBranch)
    throw new CredentialError(
      `${WHY}: GET /repos/${owner}/${repo} answered without \`private\` or \`default_branch\`. Check GITHUB_API_URL (${lookup.apiUrl}). Nothing was restored.`
    );
  lookup.log(
    `The event payload does not describe the repository: GitHub says ${owner}/${repo} is ${visibility}, default branch '${defaultBranch}'.`
  );
  return { visibility, defaultBranch, from: 'api' };
}

function callFor(owner: string, repo: string, lookup: RepositoryLookup): GitHubCall {
  const fix =
    'Leave \'github-token\' at its default (`${{ github.token }}`); if the workflow sets `permissions:`, the GITHUB_TOKEN still reads metadata. A token of your own needs "Metadata: Read" on this repository.';
  return {
    head: `Cannot learn whether ${owner}/${repo} is private (GET /repos/${owner}/${repo}, with the token in 'github-token')`,
    words: {
      tokenName: "the input 'github-token'",
      apiUrl: lookup.apiUrl,
      secrets: [lookup.token],
      tail: ' ChatGPT mode is refused until it is known; nothing was restored.',
      unauthorized: "The workflow's GITHUB_TOKEN expires when its job ends: leave 'github-token' at its default.",
      forbidden: (accepted) => `The token may not read this repository's metadata${accepted}. ${fix}`,
      notFound: `The repository does not exist, or the token in 'github-token' cannot see it (GitHub answers 404 rather than 403 then). ${fix}`,
      rateLimited: "the workflow's GITHUB_TOKEN may send 1,000 requests an hour per repository, shared by all its jobs."
    },
    error: (failure: GitHubFailure) => new CredentialError(failure.message)
  };
}
