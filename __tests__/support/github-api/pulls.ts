// Pull request reviews of the loopback GitHub API (GitHub's REST docs, "Create a review for a pull
// request"): `POST …/pulls/{n}/reviews` with `{event, body}` needs `pull_requests: write`; a pull
// request that `addPullRequest` did not open is a 404; `COMMENT` or `REQUEST_CHANGES` without a body is
// a 422; the answer is 200 with the review (`state` `COMMENTED`, `APPROVED`, `CHANGES_REQUESTED`), as
// GitHub's `pull-request-review` schema describes it.
import { need } from './auth.js';
import type { ApiState, PullRequestReview, Repository } from './model.js';
import { error, githubTime, notFound, type Call, type Reply } from './reply.js';

/** The user a GITHUB_TOKEN acts as (`simple-user` in GitHub's OpenAPI description; id and login are GitHub's). */
const GITHUB_ACTIONS_BOT = {
  login: 'github-actions[bot]',
  id: 41898282,
  node_id: 'MDM6Qm90NDE4OTgyODI=',
  avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
  gravatar_id: '',
  url: 'https://api.github.com/users/github-actions%5Bbot%5D',
  html_url: 'https://github.com/apps/github-actions',
  followers_url: 'https://api.github.com/users/github-actions%5Bbot%5D/followers',
  following_url: 'https://api.github.com/users/github-actions%5Bbot%5D/following{/other_user}',
  gists_url: 'https://api.github.com/users/github-actions%5Bbot%5D/gists{/gist_id}',
  starred_url: 'https://api.github.com/users/github-actions%5Bbot%5D/starred{/owner}{/repo}',
  subscriptions_url: 'https://api.github.com/users/github-actions%5Bbot%5D/subscriptions',
  organizations_url: 'https://api.github.com/users/github-actions%5Bbot%5D/orgs',
  repos_url: 'https://api.github.com/users/github-actions%5Bbot%5D/repos',
  events_url: 'https://api.github.com/users/github-actions%5Bbot%5D/events{/privacy}',
  received_events_url: 'https://api.github.com/users/github-actions%5Bbot%5D/received_events',
  type: 'Bot',
  site_admin: false
};

const REVIEW_STATES = { COMMENT: 'COMMENTED', APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED' } as const;

/** `POST …/pulls/{n}/reviews`. */
export function createReview(state: ApiState, call: Call, repo: Repository, number: number): Reply {
  const reviews = state.pulls.get(`${repo.owner}/${repo.name}`.toLowerCase())?.get(number);
  if (!reviews) throw notFound();
  need(call.grant, 'pull_requests', 'write');
  const { event, body: text } = (call.body ?? {}) as { event?: string; body?: string };
  const reviewState = REVIEW_STATES[event as keyof typeof REVIEW_STATES];
  if (!reviewState) throw error(422, 'Unprocessable Entity');
  if (event !== 'APPROVE' && !text) throw error(422, 'Unprocessable Entity');
  const review: PullRequestReview = { id: state.nextReviewId++, body: text ?? '', state: reviewState };
  reviews.push(review);
  const htmlUrl = `https://github.com/${repo.owner}/${repo.name}/pull/${number}#pullrequestreview-${review.id}`;
  const pullRequestUrl = `${call.origin}/repos/${repo.owner}/${repo.name}/pulls/${number}`;
  return {
    status: 200,
    body: {
      ...review,
      node_id: `PRR_${Buffer.from(String(review.id)).toString('base64url')}`,
      user: GITHUB_ACTIONS_BOT,
      html_url: htmlUrl,
      pull_request_url: pullRequestUrl,
      _links: { html: { href: htmlUrl }, pull_request: { href: pullRequestUrl } },
      submitted_at: githubTime(),
      commit_id: repo.refs.get('refs/heads/main'),
      author_association: 'NONE'
    }
  };
}
