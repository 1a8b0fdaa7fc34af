// A loopback stand-in for the parts of GitHub's REST API this action uses: Actions secrets (repository,
// environment and organization scopes), the git data API (refs and commits, for a lease), pull request
// reviews and Actions runs. It is faithful where a client can tell; each part names its source in
// GitHub's REST documentation at the top of its file:
//
// - github-api/auth.ts: tokens, what each may see (404) and do (403), `TOKENS`.
// - github-api/secrets.ts: public keys and sealed secrets of the three scopes; tests read back what
//   was stored with `secretValue()`.
// - github-api/git.ts, git-objects.ts: refs and commits with real git SHA-1s, fast-forward rules.
// - github-api/pulls.ts: reviews of the pull requests a test opened (`addPullRequest`).
// - github-api/runs.ts: a run's attempt, with the status a test set (`setRun`).
// - github-api/http.ts, faults.ts: the request log, the rate-limit headers, injected faults, and
//   GitHub's contract: every request and every computed answer is checked against GitHub's OpenAPI
//   description (./github-openapi.ts); a violation is answered 500, kept in `violations`, and makes
//   `stop()` throw, so the test that caused it fails.
// - github-api/model.ts: what the API holds; GET /repos/{owner}/{repo} is ./github-repo-route.ts.
//
// `pathPrefix: '/api/v3'` makes it look like GitHub Enterprise Server (`url` then ends with it).
// Plain TypeScript without jest globals: usable from tests, the demo and the benchmark, under Node 20
// and Node 24. Nothing listens beyond 127.0.0.1.
import sodium from 'libsodium-wrappers';
import { operationOf } from './github-openapi.js';
import { repositoryAnswer } from './github-repo-route.js';
import { DEFAULT_TOKENS, authenticate, visibleOrg, visibleRepo, type TokenGrant } from './github-api/auth.js';
import { Faults, type ApiFault } from './github-api/faults.js';
import type { GitCommit } from './github-api/git-objects.js';
import { gitRoute } from './github-api/git.js';
import { gitHubServer, type ApiRequest, type Router } from './github-api/http.js';
import {
  ApiState,
  type PullRequestReview,
  type Repository,
  type RepositorySpec,
  type ScopeRef,
  type StoredSecret
} from './github-api/model.js';
import { createReview } from './github-api/pulls.js';
import { notFound, type Call, type Reply } from './github-api/reply.js';
import { runsRoute } from './github-api/runs.js';
import { secretsRoute } from './github-api/secrets.js';
import { listenOnLoopback } from './loopback.js';

export { TOKENS } from './github-api/auth.js';
export { EMPTY_TREE } from './github-api/git-objects.js';
export type { ScopeRef } from './github-api/model.js';
export type { TokenGrant } from './github-api/auth.js';
export type { ApiRequest } from './github-api/http.js';

interface GitHubApiOptions {
  /** Default: `acme/app` (environments `production`, `staging`) and `acme/other`. */
  repositories?: (string | RepositorySpec)[];
  /** Default: `acme`. Repositories whose owner is an organization are its repositories. */
  organizations?: string[];
  /** Default: DEFAULT_TOKENS (see TOKENS). */
  tokens?: Record<string, TokenGrant>;
  /** E.g. `/api/v3` to look like GitHub Enterprise Server; requests without it answer 404. */
  pathPrefix?: string;
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

export async function startGitHubApi(options: GitHubApiOptions = {}): Promise<GitHubApi> {
  await sodium.ready;
  // Read GitHub's description now (seconds, once per process), not while the first requests wait.
  operationOf('GET', '/');
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const tokens = new Map(Object.entries(options.tokens ?? DEFAULT_TOKENS));
  const state = new ApiState();
  for (const spec of options.repositories ?? [
    { name: 'acme/app', environments: ['production', 'staging'] },
    'acme/other'
  ])
    state.addRepository(spec);
  for (const org of options.organizations ?? ['acme']) state.addOrganization(org);

  const requests: ApiRequest[] = [];
  const violations: string[] = [];
  const faults = new Faults();
  const route: Router = (method, segments, authorization, body, origin) =>
    routeOf(state, segments, { method, grant: authenticate(tokens, authorization), body, origin });
  const server = gitHubServer({ prefix, requests, violations, faults, route });
  const { port, stop } = await listenOnLoopback(server);

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    ...testControls(state),
    addToken: (token, grant) => void tokens.set(token, grant),
    violations,
    inject: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    async stop() {
      faults.clear();
      await stop();
      if (violations.length)
        throw new Error(`GitHub's OpenAPI description refuses what the loopback API saw:\n${violations.join('\n')}`);
    }
  };
}

/** Which handler answers a path (`segments`, decoded), for an authenticated call. */
function routeOf(state: ApiState, segments: string[], call: Call): Reply {
  const [root, a, b, ...rest] = segments;
  if (root === 'repos' && a && b) return repositoryRoute(state, call, visibleRepo(state, call.grant, a, b), rest);
  if (root === 'orgs' && a && b === 'actions' && rest[0] === 'secrets') {
    const store = visibleOrg(state, call.grant, a);
    const urlBase = `${call.origin}/orgs/${a}/actions/secrets`;
    return secretsRoute(state, call, rest.slice(1), {
      store,
      permission: 'organization_secrets',
      urlBase,
      org: { org: a }
    });
  }
  throw notFound();
}

/** `/repos/{owner}/{repo}/…`: `rest` is the path after the repository. */
function repositoryRoute(state: ApiState, call: Call, repo: Repository, rest: string[]): Reply {
  const base = `${call.origin}/repos/${repo.owner}/${repo.name}`;
  const [area, ...more] = rest;
  if (area === undefined && call.method === 'GET') return { status: 200, body: repositoryAnswer(repo, call.origin) };
  if (area === 'actions' && more[0] === 'secrets') {
    const urlBase = `${base}/actions/secrets`;
    return secretsRoute(state, call, more.slice(1), { store: repo.store, permission: 'secrets', urlBase });
  }
  if (area === 'environments' && more.length >= 2 && more[1] === 'secrets') {
    const env = repo.environments.get(more[0]);
    if (!env) throw notFound();
    const urlBase = `${base}/environments/${encodeURIComponent(more[0])}/secrets`;
    return secretsRoute(state, call, more.slice(2), { store: env, permission: 'environments', urlBase });
  }
  if (area === 'pulls' && more.length === 2 && more[1] === 'reviews' && call.method === 'POST')
    return createReview(state, call, repo, Number(more[0]));
  if (area === 'git') return gitRoute(call, more, repo, base);
  if (area === 'actions' && more[0] === 'runs') return runsRoute(call, more.slice(1), repo, base);
  throw notFound();
}

/** What a test reads and sets directly, without a request. */
function testControls(
  state: ApiState
): Omit<GitHubApi, 'url' | 'requests' | 'addToken' | 'violations' | 'inject' | 'clearFaults' | 'stop'> {
  return {
    addRepository: (spec) => state.addRepository(spec),
    addEnvironment: (repository, environment) => state.addEnvironment(repository, environment),
    addOrganization: (org) => state.addOrganization(org),
    addPullRequest(repository, number) {
      if (!state.repositories.has(repository.toLowerCase())) throw new Error(`No repository ${repository}`);
      const open = state.pulls.get(repository.toLowerCase()) ?? new Map<number, PullRequestReview[]>();
      if (!open.has(number)) open.set(number, []);
      state.pulls.set(repository.toLowerCase(), open);
    },
    reviews: (repository, number) => [...(state.pulls.get(repository.toLowerCase())?.get(number) ?? [])],
    publicKey: (scope) => state.publicKey(state.storeOf(scope)),
    rotateKey(scope) {
      state.storeOf(scope).keyId = state.newKey();
    },
    secretValue(scope, name) {
      const secret = state.storeOf(scope).secrets.get(name.toUpperCase());
      return secret ? state.open(secret) : undefined;
    },
    secret(scope, name) {
      const secret = state.storeOf(scope).secrets.get(name.toUpperCase());
      return secret
        ? { ...secret, selectedRepositoryIds: secret.selectedRepositoryIds && [...secret.selectedRepositoryIds] }
        : undefined;
    },
    secretNames: (scope) => [...state.storeOf(scope).secrets.keys()].sort(),
    setSecret: (scope, name, value, opts = {}) => state.setSecret(scope, name, value, opts),
    deleteSecret: (scope, name) => void state.storeOf(scope).secrets.delete(name.toUpperCase()),
    repositoryId: (repository) => state.repository(repository).id,
    ref: (repository, ref) => state.repositories.get(repository.toLowerCase())?.refs.get(ref),
    refs: (repository) => Object.fromEntries(state.repositories.get(repository.toLowerCase())?.refs ?? []),
    commit: (repository, sha) => state.repositories.get(repository.toLowerCase())?.commits.get(sha),
    setRun(repository, runId, attempt, run) {
      state
        .repository(repository)
        .runs.set(`${runId}/${attempt}`, { status: run.status, conclusion: run.conclusion ?? null });
    }
  };
}
