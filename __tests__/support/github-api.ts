// A loopback stand-in for the parts of GitHub's REST API this action uses: Actions secrets (repository,
// environment and organization scopes) and the git data API (refs and commits, for a lease). It is
// faithful where a client can tell:
//
// - Secrets: `GET …/secrets/public-key` answers `{key_id, key}` with a real libsodium (X25519) public
//   key per scope, base64 in the original variant. `PUT …/secrets/{name}` takes `{encrypted_value,
//   key_id}` (+ `visibility` for organizations, required, and `selected_repository_ids`) and answers
//   201 when it created the secret, 204 when it updated it. The server opens every sealed box with
//   its private key, so a value that was not sealed to the current key is a 422, and tests read back
//   what was stored with `secretValue()`. Names are upper-cased like GitHub's, 48 KB at most.
// - Auth: `Authorization: Bearer|token <t>`; no header → 401 "Requires authentication", unknown or
//   revoked token → 401 "Bad credentials". A token that cannot see the repository or organization
//   gets a 404 (GitHub hides what a token may not see); one that sees it but lacks the permission gets
//   a 403 "Resource not accessible by integration" (GITHUB_TOKEN, GitHub Apps) or "… by personal
//   access token" (fine-grained PATs), with `x-accepted-github-permissions` naming what was needed.
//   Permissions (GitHub App names): `secrets` (repository secrets), `environments` (environment
//   secrets), `organization_secrets`, `contents` (git data). `write` implies `read`.
// - Git data: commits get real git SHA-1s, `force: false` updates must be fast-forwards (422
//   "Update is not a fast forward"), creating an existing ref is a 422 "Reference already exists",
//   updating or deleting a missing one a 422 "Reference does not exist". Note the singular
//   `GET …/git/ref/{ref}` and the plural `PATCH|DELETE …/git/refs/{ref}`.
// - Pull request reviews (GitHub's REST docs, "Create a review for a pull request"): `POST
//   …/pulls/{n}/reviews` with `{event, body}` needs `pull_requests: write`; a pull request that
//   `addPullRequest` did not open is a 404; `COMMENT` or `REQUEST_CHANGES` without a body is a 422;
//   the answer is 200 with the review (`state` `COMMENTED`, `APPROVED`, `CHANGES_REQUESTED`).
// - Every response carries `x-github-request-id` and the `x-ratelimit-*` headers. Faults can be
//   injected for the next N matching requests: any status, rate limits (`retryAfter` → `retry-after`,
//   `rateLimitReset` → `x-ratelimit-remaining: 0` + `x-ratelimit-reset`), delays and dropped
//   connections. Every request is logged, faults included.
// - `pathPrefix: '/api/v3'` makes it look like GitHub Enterprise Server (`url` then ends with it).
// - Actions runs: `GET …/actions/runs/{run_id}/attempts/{attempt_number}` (permission `actions`),
//   answered from GitHub's own example run with the status a test set (`setRun`).
// - GitHub's contract: every request and every computed answer is checked against GitHub's OpenAPI
//   description (./github-openapi.ts); a violation is answered 500, kept in `violations`, and makes
//   `stop()` throw, so the test that caused it fails.
//
// Plain TypeScript without jest globals: usable from tests, the demo and the benchmark, under Node 20
// and Node 24. Nothing listens beyond 127.0.0.1.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { listenOnLoopback } from './loopback.js';
import { repositoryAnswer, type RepositoryFacts } from './github-repo-route.js';
import { exampleAnswer, operationOf, requestViolation, responseViolation } from './github-openapi.js';
import sodium from 'libsodium-wrappers';

type SecretScope = 'repository' | 'environment' | 'organization';

/**
 * Which secret store: shaped like `SecretTarget` of src/stores/secret.ts, so a target can be passed
 * as is. Organization scope uses `org`, or `owner` when `org` is not given.
 */
export interface ScopeRef {
  scope: SecretScope;
  owner?: string;
  repo?: string;
  environment?: string;
  org?: string;
}

type Permission = 'secrets' | 'environments' | 'organization_secrets' | 'contents' | 'pull_requests' | 'actions';
type Access = 'read' | 'write';

export interface TokenGrant {
  /** Wording of a 403: GITHUB_TOKEN and GitHub App tokens are "integrations". */
  kind: 'integration' | 'personal-access-token';
  permissions: Partial<Record<Permission, Access>>;
  /** Repositories (`owner/name`) the token can see; default: all. Others answer 404. */
  repositories?: string[];
  /** Organizations the token can see; default: all. Others answer 404. */
  organizations?: string[];
  /** Expired or revoked: every request answers 401 "Bad credentials". */
  revoked?: boolean;
}

/** Test tokens of the default setup (not secrets: they only mean something to this server). */
export const TOKENS = {
  /** Fine-grained PAT with Secrets, Environments, organization Secrets and Contents: read and write. */
  writer: 'github_pat_11LOOPBACK0writer0000000000000000000000000000000000000000',
  /** GitHub App installation token with the same permissions. */
  app: 'ghs_LOOPBACKapp0installation0token000000',
  /** Fine-grained PAT with read-only Secrets / Environments / organization Secrets. */
  reader: 'github_pat_11LOOPBACK0reader0000000000000000000000000000000000000000',
  /** Like a workflow's GITHUB_TOKEN: contents write, no secrets permission (none exists for it). */
  workflow: 'ghs_LOOPBACKworkflow0GITHUB0TOKEN000000',
  /** Fine-grained PAT with every permission, but granted only acme/other. */
  otherRepo: 'github_pat_11LOOPBACK0otherrepo000000000000000000000000000000000000000',
  /** Expired or revoked. */
  revoked: 'github_pat_11LOOPBACK0revoked00000000000000000000000000000000000000000'
} as const;

const ALL_WRITE: TokenGrant['permissions'] = {
  secrets: 'write',
  environments: 'write',
  organization_secrets: 'write',
  contents: 'write',
  actions: 'read'
};

const DEFAULT_TOKENS: Record<string, TokenGrant> = {
  [TOKENS.writer]: { kind: 'personal-access-token', permissions: ALL_WRITE },
  [TOKENS.app]: { kind: 'integration', permissions: ALL_WRITE },
  [TOKENS.reader]: {
    kind: 'personal-access-token',
    permissions: { secrets: 'read', environments: 'read', organization_secrets: 'read', contents: 'read' }
  },
  [TOKENS.workflow]: { kind: 'integration', permissions: { contents: 'write' } },
  [TOKENS.otherRepo]: {
    kind: 'personal-access-token',
    permissions: ALL_WRITE,
    repositories: ['acme/other'],
    organizations: []
  },
  [TOKENS.revoked]: { kind: 'personal-access-token', permissions: ALL_WRITE, revoked: true }
};

interface RepositorySpec {
  /** `owner/name`. */
  name: string;
  environments?: string[];
  /** GET /repos/{owner}/{repo} (./github-repo-route.ts). Default: private, default branch `main`. */
  visibility?: RepositoryFacts['visibility'];
  defaultBranch?: string;
}

export interface GitHubApiOptions {
  /** Default: `acme/app` (environments `production`, `staging`) and `acme/other`. */
  repositories?: (string | RepositorySpec)[];
  /** Default: `acme`. Repositories whose owner is an organization are its repositories. */
  organizations?: string[];
  /** Default: DEFAULT_TOKENS (see TOKENS). */
  tokens?: Record<string, TokenGrant>;
  /** E.g. `/api/v3` to look like GitHub Enterprise Server; requests without it answer 404. */
  pathPrefix?: string;
}

export interface ApiRequest {
  method: string;
  /** Path without the prefix and query, e.g. `/repos/acme/app/actions/secrets/public-key`. */
  path: string;
  query: string;
  status: number;
  /** Token sent (test tokens only), or undefined. */
  token: string | undefined;
  rawBody: string;
  /** Parsed JSON body, or null. */
  body: any;
  /** Answered by an injected fault (status 0: connection dropped). */
  fault: boolean;
  at: number;
}

/**
 * An injected fault, consumed by the next `times` (default 1) requests that match `method` and `path`
 * (a substring or RegExp of the path without prefix). Without `status` (only `delayMs`), the request
 * is then served normally. `retryAfter` (seconds) adds `retry-after`; `rateLimitReset` (epoch
 * seconds) adds `x-ratelimit-remaining: 0` and `x-ratelimit-reset`; both default the status to 403
 * with GitHub's rate-limit message. `drop` destroys the connection without an answer.
 */
interface ApiFault {
  status?: number;
  method?: string;
  path?: string | RegExp;
  times?: number;
  body?: unknown;
  headers?: Record<string, string>;
  retryAfter?: number;
  rateLimitReset?: number;
  delayMs?: number;
  drop?: boolean;
}

interface StoredSecret {
  /** Upper-cased, as GitHub stores it. */
  name: string;
  encrypted_value: string;
  key_id: string;
  created_at: string;
  updated_at: string;
  /** Organization secrets only. */
  visibility?: 'all' | 'private' | 'selected';
  selectedRepositoryIds?: number[];
  /** PUTs that reached this secret (1 = created, never updated). */
  writes: number;
}

interface GitCommit {
  sha: string;
  message: string;
  tree: string;
  parents: string[];
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
}

interface PullRequestReview {
  id: number;
  body: string;
  state: 'COMMENTED' | 'APPROVED' | 'CHANGES_REQUESTED';
}

export interface GitHubApi {
  /** Base URL to use as GITHUB_API_URL, e.g. `http://127.0.0.1:PORT` (+ pathPrefix). */
  url: string;
  /** Live request log, in arrival order. */
  requests: ApiRequest[];
  addRepository(spec: string | RepositorySpec): void;
  addEnvironment(repository: string, environment: string): void;
  addOrganization(org: string): void;
  addToken(token: string, grant: TokenGrant): void;
  /** Opens pull request `number` in `repository`, so that reviews can be posted to it. */
  addPullRequest(repository: string, number: number): void;
  /** The reviews posted to a pull request, oldest first. */
  reviews(repository: string, number: number): PullRequestReview[];
  /** The scope's current public key, as the API serves it. */
  publicKey(scope: ScopeRef): { key_id: string; key: string };
  /** Replace the scope's key pair (GitHub rotates them); secrets sealed to older keys still open. */
  rotateKey(scope: ScopeRef): void;
  /** Opens the sealed box stored for `name` with the scope's private key (undefined: no such secret). */
  secretValue(scope: ScopeRef, name: string): string | undefined;
  secret(scope: ScopeRef, name: string): StoredSecret | undefined;
  secretNames(scope: ScopeRef): string[];
  /** Store a secret as if set in the web UI (sealed to the current key). */
  setSecret(
    scope: ScopeRef,
    name: string,
    value: string,
    options?: { visibility?: StoredSecret['visibility']; selectedRepositories?: string[] }
  ): void;
  deleteSecret(scope: ScopeRef, name: string): void;
  /** Numeric id of a repository (`owner/name`). */
  repositoryId(repository: string): number;
  /** sha a ref (`refs/...`) points to, or undefined. */
  ref(repository: string, ref: string): string | undefined;
  refs(repository: string): Record<string, string>;
  commit(repository: string, sha: string): GitCommit | undefined;
  /** Sets what `GET …/actions/runs/{runId}/attempts/{attempt}` answers (a run GitHub knows). */
  setRun(repository: string, runId: number, attempt: number, run: { status: string; conclusion?: string | null }): void;
  /** Requests or answers GitHub's OpenAPI description refuses (each answered 500); `stop()` throws when any. */
  violations: string[];
  inject(fault: ApiFault): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

/** git's empty tree: exists in every repository. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const MAX_SECRET_BYTES = 48 * 1024;
const DOCS = 'https://docs.github.com/rest';

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

interface KeyPair {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

interface SecretStore {
  /** Current key id; every key pair ever used stays in `keys`. */
  keyId: string;
  secrets: Map<string, StoredSecret>;
}

interface Repository {
  id: number;
  owner: string;
  name: string;
  store: SecretStore;
  environments: Map<string, SecretStore>;
  refs: Map<string, string>;
  commits: Map<string, GitCommit>;
  facts: RepositoryFacts;
  /** `runId/attempt` → status. */
  runs: Map<string, { status: string; conclusion: string | null }>;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text body (non-JSON), e.g. an HTML 502 page. */
  text?: string;
}

class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

const error = (
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {}
): HttpError =>
  new HttpError({ status, body: { message, documentation_url: DOCS, status: String(status), ...extra }, headers });

const notFound = (): HttpError => error(404, 'Not Found');

const validation = (message: string, field?: string, code = 'invalid'): HttpError =>
  error(422, message, field ? { errors: [{ resource: 'Secret', field, code }] } : {});

/** What makes GitHub's example repository this one. */
function repositoryFields(repo: {
  id: number;
  owner: string;
  name: string;
  facts: RepositoryFacts;
}): Record<string, unknown> {
  return {
    id: repo.id,
    node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: { ...(exampleAnswer('full-repository') as { owner: object }).owner, login: repo.owner },
    private: repo.facts.visibility !== 'public',
    visibility: repo.facts.visibility,
    default_branch: repo.facts.defaultBranch,
    // Required by GitHub's schema, missing from its own example.
    has_discussions: false
  };
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function gitSha(type: string, content: string): string {
  return createHash('sha1')
    .update(`${type} ${Buffer.byteLength(content)}\0`)
    .update(content)
    .digest('hex');
}

function gitSignature(person: { name: string; email: string; date: string }): string {
  return `${person.name} <${person.email}> ${Math.floor(Date.parse(person.date) / 1000)} +0000`;
}

/** A GitHub-style numeric key id (they are long decimal strings). */
function newKeyId(): string {
  return (BigInt(`0x${randomBytes(8).toString('hex')}`) % 10n ** 18n).toString().padStart(18, '1');
}

function defaultFaultBody(status: number, fault: ApiFault): { body?: unknown; text?: string } {
  if (fault.retryAfter !== undefined) {
    return {
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
        status: String(status)
      }
    };
  }
  if (fault.rateLimitReset !== undefined) {
    return {
      body: {
        message:
          'API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID.',
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
        status: String(status)
      }
    };
  }
  switch (status) {
    case 401:
      return { body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
    case 403:
      return { body: { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' } };
    case 404:
      return { body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
    case 422:
      return {
        body: {
          message: 'Validation Failed',
          errors: [{ resource: 'Secret', code: 'custom', message: 'injected validation failure' }],
          documentation_url: DOCS,
          status: '422'
        }
      };
    case 429:
      return { body: { message: 'API rate limit exceeded', documentation_url: DOCS, status: '429' } };
    // GitHub's load balancer answers some 5xx with an HTML page, not JSON: clients must cope.
    case 502:
      return { text: '<html><body><h1>502 Bad Gateway</h1>Server Error</body></html>' };
    case 503:
      return { body: { message: 'Service Unavailable', documentation_url: DOCS, status: '503' } };
    default:
      return {
        body: { message: status >= 500 ? 'Server Error' : 'Error', documentation_url: DOCS, status: String(status) }
      };
  }
}

export async function startGitHubApi(options: GitHubApiOptions = {}): Promise<GitHubApi> {
  await sodium.ready;
  // Read GitHub's description now (seconds, once per process), not while the first requests wait.
  operationOf('GET', '/');
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const tokens = new Map(Object.entries(options.tokens ?? DEFAULT_TOKENS));
  const keys = new Map<string, KeyPair>();
  const repositories = new Map<string, Repository>();
  const organizations = new Map<string, SecretStore>();
  const requests: ApiRequest[] = [];
  const violations: string[] = [];
  let faults: (ApiFault & { left: number })[] = [];
  let nextRepoId = 100_000;
  let rateRemaining = 5000;

  const newKey = (): string => {
    const pair = sodium.crypto_box_keypair();
    const keyId = newKeyId();
    keys.set(keyId, { keyId, publicKey: pair.publicKey, privateKey: pair.privateKey });
    return keyId;
  };
  const newStore = (): SecretStore => ({ keyId: newKey(), secrets: new Map() });

  const addRepository = (spec: string | RepositorySpec): void => {
    const { name: full, environments = [], ...facts } = typeof spec === 'string' ? { name: spec } : spec;
    const [owner, name] = full.split('/');
    if (!owner || !name) throw new Error(`Repository '${full}' is not owner/name`);
    if (repositories.has(full.toLowerCase())) return;
    const repo: Repository = {
      id: nextRepoId++,
      owner,
      name,
      store: newStore(),
      environments: new Map(),
      refs: new Map(),
      commits: new Map(),
      facts: { visibility: facts.visibility ?? 'private', defaultBranch: facts.defaultBranch ?? 'main' },
      runs: new Map()
    };
    // Every repository starts with one commit on main, like a real one.
    const initial = makeCommit({ message: 'Initial commit', tree: EMPTY_TREE, parents: [] });
    repo.commits.set(initial.sha, initial);
    repo.refs.set('refs/heads/main', initial.sha);
    repositories.set(full.toLowerCase(), repo);
    for (const env of environments) repo.environments.set(env, newStore());
  };
  const addOrganization = (org: string): void => {
    if (!organizations.has(org.toLowerCase())) organizations.set(org.toLowerCase(), newStore());
  };
  const addEnvironment = (repository: string, environment: string): void => {
    const repo = repositories.get(repository.toLowerCase());
    if (!repo) throw new Error(`No repository ${repository}`);
    if (!repo.environments.has(environment)) repo.environments.set(environment, newStore());
  };

  for (const spec of options.repositories ?? [
    { name: 'acme/app', environments: ['production', 'staging'] },
    'acme/other'
  ])
    addRepository(spec);
  for (const org of options.organizations ?? ['acme']) addOrganization(org);

  function makeCommit(input: {
    message: string;
    tree: string;
    parents: string[];
    author?: Partial<GitCommit['author']>;
    committer?: Partial<GitCommit['committer']>;
  }): GitCommit {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const person = (p?: Partial<GitCommit['author']>) => ({
      name: p?.name ?? 'codex-auth-test',
      email: p?.email ?? 'codex-auth-test@users.noreply.github.com',
      date: p?.date ?? now
    });
    const author = person(input.author);
    const committer = input.committer ? person(input.committer) : author;
    const content =
      `tree ${input.tree}\n` +
      input.parents.map((p) => `parent ${p}\n`).join('') +
      `author ${gitSignature(author)}\ncommitter ${gitSignature(committer)}\n\n${input.message}`;
    return {
      sha: gitSha('commit', content),
      message: input.message,
      tree: input.tree,
      parents: input.parents,
      author,
      committer
    };
  }

  // --- scope resolution (for the helpers; the HTTP routes resolve their own) -----------------------
  function storeOf(scope: ScopeRef): SecretStore {
    if (scope.scope === 'organization') {
      const org = scope.org ?? scope.owner;
      const store = org ? organizations.get(org.toLowerCase()) : undefined;
      if (!store) throw new Error(`No organization ${org}`);
      return store;
    }
    const repo = repositories.get(`${scope.owner}/${scope.repo}`.toLowerCase());
    if (!repo) throw new Error(`No repository ${scope.owner}/${scope.repo}`);
    if (scope.scope === 'repository') return repo.store;
    const env = scope.environment ? repo.environments.get(scope.environment) : undefined;
    if (!env) throw new Error(`No environment '${scope.environment}' in ${scope.owner}/${scope.repo}`);
    return env;
  }

  function open(secret: StoredSecret): string {
    const pair = keys.get(secret.key_id)!;
    const sealed = sodium.from_base64(secret.encrypted_value, sodium.base64_variants.ORIGINAL);
    return sodium.to_string(sodium.crypto_box_seal_open(sealed, pair.publicKey, pair.privateKey));
  }

  function seal(value: string, keyId: string): string {
    return sodium.to_base64(
      sodium.crypto_box_seal(sodium.from_string(value), keys.get(keyId)!.publicKey),
      sodium.base64_variants.ORIGINAL
    );
  }

  const repoById = (id: number): Repository | undefined => [...repositories.values()].find((r) => r.id === id);

  // --- pull request reviews ----------------------------------------------------------------------
  /** Open pull requests, by `owner/name` (lower case) and number, with their reviews. */
  const pulls = new Map<string, Map<number, PullRequestReview[]>>();
  const REVIEW_STATES = { COMMENT: 'COMMENTED', APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED' } as const;
  let nextReviewId = 80_000_000;

  /** `POST …/pulls/{n}/reviews`, answered as GitHub's `pull-request-review` schema describes it. */
  function createReview(repo: Repository, number: number, grant: TokenGrant, body: unknown, origin: string): Reply {
    const reviews = pulls.get(`${repo.owner}/${repo.name}`.toLowerCase())?.get(number);
    if (!reviews) throw notFound();
    need(grant, 'pull_requests', 'write');
    const { event, body: text } = (body ?? {}) as { event?: string; body?: string };
    const state = REVIEW_STATES[event as keyof typeof REVIEW_STATES];
    if (!state) throw error(422, 'Unprocessable Entity');
    if (event !== 'APPROVE' && !text) throw error(422, 'Unprocessable Entity');
    const review: PullRequestReview = { id: nextReviewId++, body: text ?? '', state };
    reviews.push(review);
    const htmlUrl = `https://github.com/${repo.owner}/${repo.name}/pull/${number}#pullrequestreview-${review.id}`;
    const pullRequestUrl = `${origin}/repos/${repo.owner}/${repo.name}/pulls/${number}`;
    return {
      status: 200,
      body: {
        ...review,
        node_id: `PRR_${Buffer.from(String(review.id)).toString('base64url')}`,
        user: GITHUB_ACTIONS_BOT,
        html_url: htmlUrl,
        pull_request_url: pullRequestUrl,
        _links: { html: { href: htmlUrl }, pull_request: { href: pullRequestUrl } },
        submitted_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        commit_id: repo.refs.get('refs/heads/main'),
        author_association: 'NONE'
      }
    };
  }

  // --- auth --------------------------------------------------------------------------------------
  function authenticate(header: string | undefined): { token: string; grant: TokenGrant } {
    if (!header) throw error(401, 'Requires authentication');
    const match = /^(?:bearer|token)\s+(\S+)$/i.exec(header.trim());
    const grant = match ? tokens.get(match[1]) : undefined;
    if (!match || !grant || grant.revoked) throw error(401, 'Bad credentials');
    return { token: match[1], grant };
  }

  function need(grant: TokenGrant, permission: Permission, access: Access): void {
    const has = grant.permissions[permission];
    if (has === 'write' || has === access) return;
    const message =
      grant.kind === 'integration'
        ? 'Resource not accessible by integration'
        : 'Resource not accessible by personal access token';
    throw error(403, message, {}, { 'x-accepted-github-permissions': `${permission}=${access}` });
  }

  function visibleRepo(grant: TokenGrant, owner: string, name: string): Repository {
    const repo = repositories.get(`${owner}/${name}`.toLowerCase());
    if (!repo) throw notFound();
    if (grant.repositories && !grant.repositories.some((r) => r.toLowerCase() === `${owner}/${name}`.toLowerCase()))
      throw notFound();
    return repo;
  }

  function visibleOrg(grant: TokenGrant, org: string): SecretStore {
    const store = organizations.get(org.toLowerCase());
    if (!store) throw notFound();
    if (grant.organizations && !grant.organizations.some((o) => o.toLowerCase() === org.toLowerCase()))
      throw notFound();
    return store;
  }

  // --- secrets -----------------------------------------------------------------------------------
  function secretName(raw: string): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw)) {
      throw validation(
        'Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_). Spaces are not allowed. Must start with a letter ([a-z], [A-Z]) or underscores (_).',
        'name'
      );
    }
    if (/^GITHUB_/i.test(raw)) throw validation('Secret names must not start with the GITHUB_ prefix.', 'name');
    return raw.toUpperCase();
  }

  function putSecret(store: SecretStore, rawName: string, body: unknown, org?: { org: string }): Reply {
    if (!isObject(body)) throw validation("Invalid request.\n\nFor 'links/0/schema', nil is not an object.");
    const name = secretName(rawName);
    const { encrypted_value: encrypted, key_id: keyId } = body;
    if (typeof encrypted !== 'string' || encrypted === '')
      throw validation('Invalid request.\n\n"encrypted_value" wasn\'t supplied.', 'encrypted_value', 'missing_field');
    if (typeof keyId !== 'string' || keyId === '')
      throw validation('Invalid request.\n\n"key_id" wasn\'t supplied.', 'key_id', 'missing_field');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted) || encrypted.length % 4 !== 0) {
      throw validation(
        'Invalid request.\n\n"encrypted_value" must be base64 (standard alphabet, padded).',
        'encrypted_value'
      );
    }
    if (keyId !== store.keyId)
      throw validation('Invalid request.\n\n"key_id" does not match the current public key of this scope.', 'key_id');
    const pair = keys.get(keyId)!;
    let plaintext: Uint8Array;
    try {
      plaintext = sodium.crypto_box_seal_open(
        sodium.from_base64(encrypted, sodium.base64_variants.ORIGINAL),
        pair.publicKey,
        pair.privateKey
      );
    } catch {
      throw validation(
        'Invalid request.\n\n"encrypted_value" is not a sealed box for the public key "key_id" names.',
        'encrypted_value'
      );
    }
    if (plaintext.length > MAX_SECRET_BYTES)
      throw validation('Secret value is too large: secrets are limited to 48 KB.', 'encrypted_value');

    let visibility: StoredSecret['visibility'];
    let selected: number[] | undefined;
    const existing = store.secrets.get(name);
    if (org) {
      if (body.visibility === undefined)
        throw validation('Invalid request.\n\n"visibility" wasn\'t supplied.', 'visibility', 'missing_field');
      if (!['all', 'private', 'selected'].includes(body.visibility))
        throw validation(
          `Invalid request.\n\n${JSON.stringify(body.visibility)} is not a member of ["all", "private", "selected"].`,
          'visibility'
        );
      visibility = body.visibility;
      if (body.selected_repository_ids !== undefined) {
        if (visibility !== 'selected')
          throw validation(
            'selected_repository_ids can only be given when visibility is selected.',
            'selected_repository_ids'
          );
        if (
          !Array.isArray(body.selected_repository_ids) ||
          !body.selected_repository_ids.every(
            (id: unknown) =>
              Number.isInteger(id) && repoById(id as number)?.owner.toLowerCase() === org.org.toLowerCase()
          )
        ) {
          throw validation(
            'selected_repository_ids must list ids of repositories of this organization.',
            'selected_repository_ids'
          );
        }
        selected = [...body.selected_repository_ids];
      } else if (visibility === 'selected') {
        selected = existing?.selectedRepositoryIds ?? [];
      }
    }
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    store.secrets.set(name, {
      name,
      encrypted_value: encrypted,
      key_id: keyId,
      created_at: existing?.created_at ?? now,
      updated_at: now,
      visibility,
      selectedRepositoryIds: selected,
      writes: (existing?.writes ?? 0) + 1
    });
    return existing ? { status: 204 } : { status: 201, body: {} };
  }

  function secretInfo(secret: StoredSecret, orgUrl?: string): Record<string, unknown> {
    const info: Record<string, unknown> = {
      name: secret.name,
      created_at: secret.created_at,
      updated_at: secret.updated_at
    };
    if (orgUrl) {
      info.visibility = secret.visibility;
      if (secret.visibility === 'selected') info.selected_repositories_url = `${orgUrl}/repositories`;
    }
    return info;
  }

  function secretsRoute(
    method: string,
    rest: string[],
    store: SecretStore,
    grant: TokenGrant,
    permission: Permission,
    body: unknown,
    urlBase: string,
    org?: { org: string }
  ): Reply {
    if (rest.length === 1 && rest[0] === 'public-key' && method === 'GET') {
      need(grant, permission, 'read');
      return {
        status: 200,
        body: {
          key_id: store.keyId,
          key: sodium.to_base64(keys.get(store.keyId)!.publicKey, sodium.base64_variants.ORIGINAL)
        }
      };
    }
    if (rest.length === 0 && method === 'GET') {
      need(grant, permission, 'read');
      const list = [...store.secrets.values()].map((s) => secretInfo(s, org ? `${urlBase}/${s.name}` : undefined));
      return { status: 200, body: { total_count: list.length, secrets: list } };
    }
    if (rest.length === 1) {
      const name = rest[0].toUpperCase();
      if (method === 'GET') {
        need(grant, permission, 'read');
        const secret = store.secrets.get(name);
        if (!secret) throw notFound();
        return { status: 200, body: secretInfo(secret, org ? `${urlBase}/${name}` : undefined) };
      }
      if (method === 'PUT') {
        need(grant, permission, 'write');
        return putSecret(store, rest[0], body, org);
      }
      if (method === 'DELETE') {
        need(grant, permission, 'write');
        if (!store.secrets.delete(name)) throw notFound();
        return { status: 204 };
      }
    }
    if (org && rest.length === 2 && rest[1] === 'repositories' && method === 'GET') {
      need(grant, permission, 'read');
      const secret = store.secrets.get(rest[0].toUpperCase());
      if (!secret) throw notFound();
      if (secret.visibility !== 'selected') throw error(409, 'The visibility of this secret is not set to selected.');
      const repos = (secret.selectedRepositoryIds ?? []).map(repoById).filter((r): r is Repository => !!r);
      return {
        status: 200,
        body: {
          total_count: repos.length,
          repositories: repos.map((r) => ({
            ...(exampleAnswer('public-repository-paginated') as { repositories: object[] }).repositories[0],
            ...repositoryFields(r)
          }))
        }
      };
    }
    throw notFound();
  }

  // --- git data ----------------------------------------------------------------------------------
  function refObject(base: string, ref: string, sha: string): Record<string, unknown> {
    return {
      ref,
      node_id: Buffer.from(`ref:${ref}`).toString('base64'),
      url: `${base}/git/${ref}`,
      object: { sha, type: 'commit', url: `${base}/git/commits/${sha}` }
    };
  }

  function commitObject(base: string, commit: GitCommit): Record<string, unknown> {
    return {
      sha: commit.sha,
      node_id: Buffer.from(`commit:${commit.sha}`).toString('base64'),
      url: `${base}/git/commits/${commit.sha}`,
      html_url: `${base.replace('/repos/', '/')}/commit/${commit.sha}`,
      author: commit.author,
      committer: commit.committer,
      tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
      message: commit.message,
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${base}/git/commits/${sha}`,
        html_url: `${base.replace('/repos/', '/')}/commit/${sha}`
      })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null }
    };
  }

  function isAncestor(repo: Repository, ancestor: string, of: string): boolean {
    const seen = new Set<string>();
    const queue = [of];
    while (queue.length) {
      const sha = queue.shift()!;
      if (sha === ancestor) return true;
      if (seen.has(sha)) continue;
      seen.add(sha);
      queue.push(...(repo.commits.get(sha)?.parents ?? []));
    }
    return false;
  }

  function gitRoute(
    method: string,
    rest: string[],
    repo: Repository,
    grant: TokenGrant,
    body: unknown,
    base: string
  ): Reply {
    const [kind, ...tail] = rest;
    const refPath = tail.join('/');
    if (kind === 'commits' && tail.length === 0 && method === 'POST') {
      need(grant, 'contents', 'write');
      if (!isObject(body)) throw validation("Invalid request.\n\nFor 'links/0/schema', nil is not an object.");
      if (typeof body.message !== 'string')
        throw validation('Invalid request.\n\n"message" wasn\'t supplied.', 'message', 'missing_field');
      if (typeof body.tree !== 'string')
        throw validation('Invalid request.\n\n"tree" wasn\'t supplied.', 'tree', 'missing_field');
      if (body.tree !== EMPTY_TREE && ![...repo.commits.values()].some((c) => c.tree === body.tree))
        throw error(422, 'Tree SHA does not exist');
      const parents: unknown = body.parents ?? [];
      if (!Array.isArray(parents) || !parents.every((p) => typeof p === 'string'))
        throw validation('Invalid request.\n\n"parents" must be an array of strings.', 'parents');
      if (!parents.every((p: string) => repo.commits.has(p)))
        throw error(422, 'Parent SHA does not exist or is not a commit object');
      const commit = makeCommit({
        message: body.message,
        tree: body.tree,
        parents: parents as string[],
        author: isObject(body.author) ? body.author : undefined,
        committer: isObject(body.committer) ? body.committer : undefined
      });
      repo.commits.set(commit.sha, commit);
      return { status: 201, body: commitObject(base, commit) };
    }
    if (kind === 'commits' && tail.length === 1 && method === 'GET') {
      need(grant, 'contents', 'read');
      const commit = repo.commits.get(tail[0]);
      if (!commit) throw notFound();
      return { status: 200, body: commitObject(base, commit) };
    }
    if (kind === 'ref' && method === 'GET' && refPath) {
      need(grant, 'contents', 'read');
      const full = `refs/${refPath}`;
      const sha = repo.refs.get(full);
      if (!sha) throw notFound();
      return { status: 200, body: refObject(base, full, sha) };
    }
    if (kind === 'matching-refs' && method === 'GET') {
      need(grant, 'contents', 'read');
      const start = `refs/${refPath}`;
      const matches = [...repo.refs.entries()]
        .filter(([ref]) => ref.startsWith(start))
        .sort(([a], [b]) => a.localeCompare(b));
      return { status: 200, body: matches.map(([ref, sha]) => refObject(base, ref, sha)) };
    }
    if (kind === 'refs' && tail.length === 0 && method === 'POST') {
      need(grant, 'contents', 'write');
      if (!isObject(body) || typeof body.ref !== 'string' || typeof body.sha !== 'string')
        throw validation('Invalid request.\n\n"ref" and "sha" are required.', 'ref', 'missing_field');
      if (
        !/^refs\/[^/]+\/.+/.test(body.ref) ||
        body.ref
          .split('/')
          .some((part: string) => part === '' || part === '.' || part === '..' || part.endsWith('.lock'))
      ) {
        throw error(422, "Reference name must start with 'refs/' and have at least two slashes.");
      }
      if (repo.refs.has(body.ref)) throw error(422, 'Reference already exists');
      if (!repo.commits.has(body.sha)) throw error(422, 'Object does not exist');
      repo.refs.set(body.ref, body.sha);
      return {
        status: 201,
        body: refObject(base, body.ref, body.sha),
        headers: { location: `${base}/git/${body.ref}` }
      };
    }
    if (kind === 'refs' && refPath && method === 'PATCH') {
      need(grant, 'contents', 'write');
      if (!isObject(body) || typeof body.sha !== 'string')
        throw validation('Invalid request.\n\n"sha" wasn\'t supplied.', 'sha', 'missing_field');
      const full = `refs/${refPath}`;
      const current = repo.refs.get(full);
      if (!current) throw error(422, 'Reference does not exist');
      if (!repo.commits.has(body.sha)) throw error(422, 'Object does not exist');
      if (body.force !== true && !isAncestor(repo, current, body.sha)) throw error(422, 'Update is not a fast forward');
      repo.refs.set(full, body.sha);
      return { status: 200, body: refObject(base, full, body.sha) };
    }
    if (kind === 'refs' && refPath && method === 'DELETE') {
      need(grant, 'contents', 'write');
      const full = `refs/${refPath}`;
      if (!repo.refs.delete(full)) throw error(422, 'Reference does not exist');
      return { status: 204 };
    }
    throw notFound();
  }

  // --- actions runs (source: GitHub's OpenAPI description, its example `workflow-run`) -----------
  function runsRoute(method: string, rest: string[], repo: Repository, grant: TokenGrant, base: string): Reply {
    const [runId, attempts, attempt] = rest;
    if (method !== 'GET' || attempts !== 'attempts' || !/^\d+$/.test(runId ?? '') || !/^\d+$/.test(attempt ?? ''))
      throw notFound();
    need(grant, 'actions', 'read');
    const run = repo.runs.get(`${runId}/${attempt}`);
    if (!run) throw notFound();
    const example = exampleAnswer('workflow-run') as Record<string, unknown>;
    return {
      status: 200,
      body: {
        ...example,
        id: Number(runId),
        run_attempt: Number(attempt),
        status: run.status,
        conclusion: run.conclusion,
        url: `${base}/actions/runs/${runId}`
      }
    };
  }

  // --- routing -----------------------------------------------------------------------------------
  function route(
    method: string,
    segments: string[],
    authorization: string | undefined,
    body: unknown,
    origin: string
  ): Reply {
    const { grant } = authenticate(authorization);
    const [root, a, b, ...rest] = segments;
    if (root === 'repos' && a && b) {
      const repo = visibleRepo(grant, a, b);
      const base = `${origin}/repos/${repo.owner}/${repo.name}`;
      const [area, ...more] = rest;
      if (area === undefined && method === 'GET') return { status: 200, body: repositoryAnswer(repo, origin) };
      if (area === 'actions' && more[0] === 'secrets')
        return secretsRoute(method, more.slice(1), repo.store, grant, 'secrets', body, `${base}/actions/secrets`);
      if (area === 'environments' && more.length >= 2 && more[1] === 'secrets') {
        const env = repo.environments.get(more[0]);
        if (!env) throw notFound();
        return secretsRoute(
          method,
          more.slice(2),
          env,
          grant,
          'environments',
          body,
          `${base}/environments/${encodeURIComponent(more[0])}/secrets`
        );
      }
      if (area === 'pulls' && more.length === 2 && more[1] === 'reviews' && method === 'POST')
        return createReview(repo, Number(more[0]), grant, body, origin);
      if (area === 'git') return gitRoute(method, more, repo, grant, body, base);
      if (area === 'actions' && more[0] === 'runs') return runsRoute(method, more.slice(1), repo, grant, base);
      throw notFound();
    }
    if (root === 'orgs' && a && b === 'actions' && rest[0] === 'secrets') {
      const store = visibleOrg(grant, a);
      return secretsRoute(
        method,
        rest.slice(1),
        store,
        grant,
        'organization_secrets',
        body,
        `${origin}/orgs/${a}/actions/secrets`,
        { org: a }
      );
    }
    throw notFound();
  }

  const takeFault = (method: string, path: string): (ApiFault & { left: number }) | undefined => {
    const i = faults.findIndex(
      (f) =>
        (!f.method || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path)))
    );
    if (i < 0) return undefined;
    const fault = faults[i];
    fault.left -= 1;
    if (fault.left <= 0) faults.splice(i, 1);
    return fault;
  };

  const send = (res: http.ServerResponse, reply: Reply): void => {
    const resetAt = Math.floor(Date.now() / 1000) + 3600;
    const headers: Record<string, string> = {
      'x-github-request-id': `${randomBytes(4).toString('hex').toUpperCase()}:${randomBytes(3).toString('hex').toUpperCase()}`,
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(0, --rateRemaining)),
      'x-ratelimit-used': String(5000 - rateRemaining),
      'x-ratelimit-reset': String(resetAt),
      'x-ratelimit-resource': 'core',
      ...reply.headers
    };
    if (reply.status === 204 || reply.status === 304) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const text = reply.text ?? JSON.stringify(reply.body ?? {});
    headers['content-type'] = reply.text !== undefined ? 'text/html' : 'application/json; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(reply.status, headers);
    res.end(text);
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: any = null;
    let malformed = false;
    if (rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        malformed = true;
      }
    }
    const hasPrefix = !prefix || url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
    const path = hasPrefix ? url.pathname.slice(prefix.length) || '/' : url.pathname;
    const match = /^(?:bearer|token)\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '');
    const entry: ApiRequest = {
      method,
      path,
      query: url.search,
      status: 0,
      token: match?.[1],
      rawBody,
      body,
      fault: false,
      at: Date.now()
    };
    requests.push(entry);

    // GitHub's contract: a request GitHub would refuse is the client's bug, whatever the test injects.
    const refused = hasPrefix && !malformed ? requestViolation(method, path, body ?? undefined) : undefined;
    if (refused) violations.push(refused);
    if (refused?.startsWith("GitHub's REST API has no operation")) {
      entry.status = 404;
      send(res, notFound().reply);
      return;
    }

    const fault = takeFault(method, path);
    if (fault) {
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault.drop) {
        entry.fault = true;
        req.socket.destroy();
        return;
      }
      const rateLimited = fault.retryAfter !== undefined || fault.rateLimitReset !== undefined;
      const status = fault.status ?? (rateLimited ? 403 : undefined);
      if (status !== undefined) {
        entry.fault = true;
        entry.status = status;
        const headers: Record<string, string> = { ...fault.headers };
        if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
        if (fault.rateLimitReset !== undefined) {
          headers['x-ratelimit-remaining'] = '0';
          headers['x-ratelimit-reset'] = String(fault.rateLimitReset);
        }
        const fallback = defaultFaultBody(status, fault);
        send(res, {
          status,
          headers,
          ...(fault.body !== undefined
            ? typeof fault.body === 'string'
              ? { text: fault.body }
              : { body: fault.body }
            : fallback)
        });
        return;
      }
    }

    let reply: Reply;
    try {
      if (!hasPrefix) throw notFound();
      if (malformed) throw error(400, 'Problems parsing JSON');
      const segments = path
        .split('/')
        .filter(Boolean)
        .map((s) => decodeURIComponent(s));
      reply = route(method, segments, req.headers.authorization, body, `http://${req.headers.host}${prefix}`);
    } catch (caught) {
      if (caught instanceof HttpError) reply = caught.reply;
      else
        reply = {
          status: 500,
          body: { message: `loopback server bug: ${caught instanceof Error ? caught.message : String(caught)}` }
        };
    }
    // A body GitHub's schema refuses is refused, with the stand-in's own words when it has them.
    if (refused && reply.status < 400) reply = error(422, `Invalid request.\n\n${refused}`).reply;
    const wrong = reply.text === undefined ? responseViolation(method, path, reply.status, reply.body) : undefined;
    if (wrong) {
      violations.push(`answer of the stand-in: ${wrong}`);
      reply = { status: 500, body: { message: `loopback: not in GitHub's OpenAPI description: ${wrong}` } };
    }
    entry.status = reply.status;
    send(res, reply);
  });
  const { port, stop } = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    addRepository,
    addEnvironment,
    addOrganization,
    addToken: (token, grant) => void tokens.set(token, grant),
    addPullRequest(repository, number) {
      if (!repositories.has(repository.toLowerCase())) throw new Error(`No repository ${repository}`);
      const open = pulls.get(repository.toLowerCase()) ?? new Map<number, PullRequestReview[]>();
      if (!open.has(number)) open.set(number, []);
      pulls.set(repository.toLowerCase(), open);
    },
    reviews: (repository, number) => [...(pulls.get(repository.toLowerCase())?.get(number) ?? [])],
    publicKey(scope) {
      const store = storeOf(scope);
      return {
        key_id: store.keyId,
        key: sodium.to_base64(keys.get(store.keyId)!.publicKey, sodium.base64_variants.ORIGINAL)
      };
    },
    rotateKey(scope) {
      storeOf(scope).keyId = newKey();
    },
    secretValue(scope, name) {
      const secret = storeOf(scope).secrets.get(name.toUpperCase());
      return secret ? open(secret) : undefined;
    },
    secret(scope, name) {
      const secret = storeOf(scope).secrets.get(name.toUpperCase());
      return secret
        ? { ...secret, selectedRepositoryIds: secret.selectedRepositoryIds && [...secret.selectedRepositoryIds] }
        : undefined;
    },
    secretNames: (scope) => [...storeOf(scope).secrets.keys()].sort(),
    setSecret(scope, name, value, opts = {}) {
      const store = storeOf(scope);
      const upper = name.toUpperCase();
      const existing = store.secrets.get(upper);
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const org = scope.scope === 'organization';
      store.secrets.set(upper, {
        name: upper,
        encrypted_value: seal(value, store.keyId),
        key_id: store.keyId,
        created_at: existing?.created_at ?? now,
        updated_at: now,
        visibility: org ? (opts.visibility ?? 'private') : undefined,
        selectedRepositoryIds:
          org && opts.visibility === 'selected'
            ? (opts.selectedRepositories ?? []).map((r) => repositories.get(r.toLowerCase())!.id)
            : undefined,
        writes: 0
      });
    },
    deleteSecret: (scope, name) => void storeOf(scope).secrets.delete(name.toUpperCase()),
    repositoryId(repository) {
      const repo = repositories.get(repository.toLowerCase());
      if (!repo) throw new Error(`No repository ${repository}`);
      return repo.id;
    },
    ref: (repository, ref) => repositories.get(repository.toLowerCase())?.refs.get(ref),
    refs: (repository) => Object.fromEntries(repositories.get(repository.toLowerCase())?.refs ?? []),
    commit: (repository, sha) => repositories.get(repository.toLowerCase())?.commits.get(sha),
    setRun(repository, runId, attempt, run) {
      const repo = repositories.get(repository.toLowerCase());
      if (!repo) throw new Error(`No repository ${repository}`);
      repo.runs.set(`${runId}/${attempt}`, { status: run.status, conclusion: run.conclusion ?? null });
    },
    violations,
    inject(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    clearFaults() {
      faults = [];
    },
    async stop() {
      faults = [];
      await stop();
      if (violations.length)
        throw new Error(`GitHub's OpenAPI description refuses what the loopback API saw:\n${violations.join('\n')}`);
    }
  };
}
