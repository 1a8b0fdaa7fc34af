// The REST calls on the lease's refs and commits (git data API), with their retries (Octokit, loaded
// on first use: src/github/request.ts) and the messages that say what to fix. The secret's version
// (src/stores/secret-version.ts) is kept by the same calls on a ref of its own.
import { githubFailure, githubMessage, type FailureWords, type GitHubAnswer } from '../github/failure.js';
import type { GitHubCall, GitHubClient } from '../github/request.js';
import { parseLeaseRecord, type LeaseRecord } from './lease-holder.js';
import { CREDENTIAL_NAME_RULE, isCredentialName } from '../action/credential-name.js';

const LEASE_REF_PREFIX = 'refs/codex-auth/leases/';
/** git's empty tree: exists in every repository, so a lease commit needs no tree of its own. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** How the messages call the inputs a user can change. */
const NAMES = {
  token: "input 'lease-token'",
  timeout: "input 'lease-timeout-minutes'",
  ttl: "input 'lease-expiry-minutes'"
} as const;

/** Where the lease lives. */
export interface LeaseTarget {
  /** REST API base: GITHUB_API_URL. */
  apiUrl: string;
  token: string;
  /** The repository holding the ref (GITHUB_REPOSITORY split). */
  owner: string;
  repo: string;
  credentialName: string;
}

export interface LeaseClientOptions {
  /** Progress, takeovers, retries (e.g. core.info). */
  log?: (message: string) => void;
  /** The wait between polls and between retries (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** The clock (injectable for tests): epoch ms. */
  now?: () => number;
  fetch?: typeof fetch;
  /** Tries after the first, on a 5xx or a network error (default 3: 1 s, 4 s, 9 s apart). */
  retries?: number;
  /** The unit of the backoff and of the waits GitHub asks for: ms per second (default 1000; tests shrink it). */
  retryBaseMs?: number;
  /** The longest wait a rate limit may impose before a request is given up (default 60 s). */
  maxRateLimitWaitMs?: number;
  /** Per attempt (default 30 s). */
  requestTimeoutMs?: number;
}

export type LeaseErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'rejected'
  | 'rate-limited'
  | 'unavailable'
  | 'network'
  | 'this-job'
  | 'not-needed'
  | 'timeout';

export class LeaseError extends Error {
  constructor(
    readonly kind: LeaseErrorKind,
    message: string,
    readonly status?: number,
    readonly holder?: LeaseRecord
  ) {
    super(message);
    this.name = 'LeaseError';
  }
}

export class LeaseTimeoutError extends LeaseError {
  constructor(message: string, holder?: LeaseRecord) {
    super('timeout', message, undefined, holder);
    this.name = 'LeaseTimeoutError';
  }
}

/** Faults worth waiting out while the lease wait has time left. */
export const TRANSIENT: LeaseErrorKind[] = ['network', 'unavailable', 'rate-limited'];

function leaseRef(credentialName: string): string {
  return `${LEASE_REF_PREFIX}${credentialName}`;
}

export type CreateResult = 'created' | 'exists' | 'transient';
export type MoveResult = 'moved' | 'lost' | 'gone';

/** The REST calls of the lease, with their retries and error messages. */
export class LeaseClient {
  readonly names = NAMES;
  readonly name: string;
  readonly ref: string;
  readonly repository: string;
  readonly log: (message: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  private readonly base: string;
  private readonly words: FailureWords;
  private readonly commits = new Map<string, { record: LeaseRecord | undefined; date: number }>();
  private lastRejection: GitHubAnswer | undefined;
  /** GitHub's clock: the Date of the last answer, and our clock when it arrived. */
  private serverClock: { server: number; local: number } | undefined;
  /** Octokit, loaded on first use: a job whose lease is off never loads it. */
  private client: Promise<GitHubClient> | undefined;
  toldNoRunAccess = false;

  constructor(
    private readonly options: LeaseTarget & LeaseClientOptions,
    private readonly purpose: 'acquire' | 'release' | 'read',
    ref?: string
  ) {
    this.log = options.log ?? (() => undefined);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    const invalid = (message: string): LeaseError =>
      new LeaseError('invalid', `Cannot ${purpose} the lease: ${message}`);
    if (!isCredentialName(options.credentialName ?? ''))
      throw invalid(`'${options.credentialName}' is not a valid credential name (${CREDENTIAL_NAME_RULE}).`);
    this.name = options.credentialName;
    this.ref = ref ?? leaseRef(this.name);
    if (!options.owner || !options.repo) throw invalid('no repository was given (GITHUB_REPOSITORY).');
    this.repository = `${options.owner}/${options.repo}`;
    if (!options.token?.trim()) {
      throw invalid(
        `no token was given (${this.names.token}). The workflow's GITHUB_TOKEN works, with \`permissions: contents: write\`.`
      );
    }
    if (/\s/.test(options.token.trim())) throw invalid(`the token contains white space (${this.names.token}).`);
    let api: URL;
    try {
      api = new URL(options.apiUrl);
      if (api.protocol !== 'https:' && api.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw invalid(`the API URL '${options.apiUrl}' is not an http(s) URL (GITHUB_API_URL).`);
    }
    this.base = `${api.href.replace(/\/+$/, '')}/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}/git`;
    const permission =
      `The lease needs the \`contents: write\` permission on ${this.repository}: with the workflow's GITHUB_TOKEN (the default), add \`permissions: contents: write\` to the workflow or the job; ` +
      `with a token of your own in ${this.names.token}, grant it "Contents: Read and write" on ${this.repository}.`;
    this.words = {
      tokenName: this.names.token,
      apiUrl: options.apiUrl,
      secrets: [options.token],
      tail: purpose === 'acquire' ? ' Nothing was restored.' : '',
      unauthorized: "The workflow's GITHUB_TOKEN expires when its job ends: pass a valid token.",
      forbidden: (accepted: string) => `The token may not write git refs here${accepted}. ${permission}`,
      notFound: `The repository ${this.repository} does not exist, or the token in ${this.names.token} cannot see it (GitHub answers 404 rather than 403 then). ${permission}`,
      rejected: {
        409: `The lease is a git ref of ${this.repository}, which needs at least one commit; push one first.`
      },
      rateLimited: "the workflow's GITHUB_TOKEN may send 1,000 requests an hour per repository, shared by all its jobs."
    };
  }

  /** `gh api` command that deletes the lease by hand. */
  deleteCommand(): string {
    return `\`gh api -X DELETE repos/${this.repository}/git/${this.ref}\``;
  }

  /** GitHub's clock now (a lower bound: Date is rounded down to the second), from the last answer's Date. */
  serverNow(): number | undefined {
    return this.serverClock && this.serverClock.server + (this.now() - this.serverClock.local);
  }

  /** GitHub's clock when the last answer was sent (its Date), if GitHub sent one. */
  serverTimeOfLastAnswer(): number | undefined {
    return this.serverClock?.server;
  }

  /** Whether a run attempt of this repository has finished (GET …/actions/runs/{id}/attempts/{n}, `actions: read`). */
  async runState(runId: string, attempt: string): Promise<{ status: string; conclusion?: string } | 'no-access'> {
    if (!/^\d+$/.test(runId) || !/^\d+$/.test(attempt)) return { status: 'unknown' };
    const url = `${this.base.replace(/\/git$/, '')}/actions/runs/${runId}/attempts/${attempt}`;
    const answer = await this.call('GET', url, undefined, "read the lease holder's run");
    if (answer.status === 403 || answer.status === 404) return 'no-access';
    if (answer.status !== 200) throw this.failure(answer, "read the lease holder's run");
    const status = typeof answer.body?.status === 'string' ? answer.body.status : 'unknown';
    const conclusion = typeof answer.body?.conclusion === 'string' ? answer.body.conclusion : undefined;
    return { status, conclusion };
  }

  async createCommit(record: LeaseRecord, parents: string[]): Promise<string> {
    const date = (record.renewedAt ?? record.acquiredAt).replace(/\.\d{3}Z$/, 'Z');
    const sha = await this.createMessageCommit(JSON.stringify(record), parents, date, 'create a lease commit');
    this.commits.set(sha, { record, date: Date.parse(date) });
    return sha;
  }

  async createRef(sha: string): Promise<CreateResult> {
    const answer = await this.call('POST', `${this.base}/refs`, { ref: this.ref, sha }, 'create the lease ref');
    if (answer.status === 201) return 'created';
    if (answer.status === 422) {
      const said = githubMessage(answer, []);
      if (/already exists/i.test(said)) return 'exists';
      // "Reference update failed" (a concurrent update) and "Object does not exist" (the commit not
      // yet visible everywhere) can pass: look again, then try again.
      if (/update failed|does not exist/i.test(said)) {
        this.lastRejection = answer;
        return 'transient';
      }
    }
    throw this.failure(answer, 'create the lease ref');
  }

  /** The sha the ref points at, or undefined when it does not exist. */
  async readRef(): Promise<string | undefined> {
    const answer = await this.call('GET', `${this.base}/ref/${this.refPath()}`, undefined, 'read the lease ref');
    // The repository is visible (the call reached the git data API): a 404 is a missing ref... unless
    // nothing else was asked yet (release, read), where it may also be an invisible repository.
    if (answer.status === 404) return this.purpose === 'acquire' ? undefined : this.missingRefOrRepository(answer);
    const sha = answer.body?.object?.sha;
    if (answer.status === 200 && typeof sha === 'string') return sha;
    // A prefix match answers an array on some versions of the API: not our ref.
    if (answer.status === 200 && Array.isArray(answer.body))
      return answer.body.find((r: { ref?: string }) => r?.ref === this.ref)?.object?.sha;
    throw this.failure(answer, 'read the lease ref');
  }

  /** A commit's message (a secret version record), or undefined when there is no such commit. */
  async message(sha: string): Promise<string | undefined> {
    const answer = await this.call('GET', `${this.base}/commits/${sha}`, undefined, 'read the secret version');
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw this.failure(answer, 'read the secret version');
    return typeof answer.body?.message === 'string' ? answer.body.message : undefined;
  }

  /** A commit carrying `message`, dated `date` (ISO), with `parents`. */
  async createMessageCommit(
    message: string,
    parents: string[],
    date: string,
    purpose = 'record the secret version'
  ): Promise<string> {
    const author = {
      name: 'codex-auth',
      email: 'codex-auth@users.noreply.github.com',
      date: date.replace(/\.\d{3}Z$/, 'Z')
    };
    const answer = await this.call(
      'POST',
      `${this.base}/commits`,
      { message, tree: EMPTY_TREE, parents, author },
      purpose
    );
    if (answer.status !== 201 || typeof answer.body?.sha !== 'string') throw this.failure(answer, purpose);
    return answer.body.sha;
  }

  /** The record and date of a lease commit (cached: commits never change). */
  async commit(sha: string): Promise<{ record: LeaseRecord | undefined; date: number }> {
    const cached = this.commits.get(sha);
    if (cached) return cached;
    const answer = await this.call('GET', `${this.base}/commits/${sha}`, undefined, 'read the lease commit');
    if (answer.status !== 200 && answer.status !== 404) throw this.failure(answer, 'read the lease commit');
    const date = Date.parse(answer.body?.committer?.date ?? answer.body?.author?.date ?? '');
    const found = {
      record: answer.status === 200 ? parseLeaseRecord(answer.body?.message) : undefined,
      date: Number.isNaN(date) ? 0 : date
    };
    this.commits.set(sha, found);
    return found;
  }

  /** Moves the ref to `sha` if that is a fast-forward: the compare-and-swap. */
  async fastForward(sha: string): Promise<MoveResult> {
    const answer = await this.call(
      'PATCH',
      `${this.base}/refs/${this.refPath()}`,
      { sha, force: false },
      'take over the lease ref'
    );
    if (answer.status === 200) return 'moved';
    if (answer.status === 422)
      return /does not exist/i.test(githubMessage(answer, [])) && !/object/i.test(githubMessage(answer, []))
        ? 'gone'
        : 'lost';
    throw this.failure(answer, 'take over the lease ref');
  }

  /** True when deleted, false when it was gone already. */
  async deleteRef(): Promise<boolean> {
    const { answer, attempts } = await this.send(
      'DELETE',
      `${this.base}/refs/${this.refPath()}`,
      undefined,
      'delete the lease ref'
    );
    if (answer.status === 204 || answer.status === 200) return true;
    // Gone: released already, unless it was our own retry after a lost answer (the ref was ours just before).
    if (answer.status === 422 && /does not exist/i.test(githubMessage(answer, []))) return attempts > 1;
    throw this.failure(answer, 'delete the lease ref');
  }

  persistentRejection(): LeaseError {
    return this.failure(this.lastRejection!, 'create the lease ref');
  }

  private refPath(): string {
    return this.ref.slice('refs/'.length).split('/').map(encodeURIComponent).join('/');
  }

  /** release/read start with the GET: tell a missing ref from a repository the token cannot see. */
  private async missingRefOrRepository(answer: GitHubAnswer): Promise<undefined> {
    const others = await this.call(
      'GET',
      `${this.base}/matching-refs/${this.refPath()}`,
      undefined,
      'read the lease ref'
    );
    if (others.status === 200) return undefined;
    throw this.failure(others.status === 404 ? others : answer, 'read the lease ref');
  }

  private async call(method: string, url: string, body: unknown, action: string): Promise<GitHubAnswer> {
    return (await this.send(method, url, body, action)).answer;
  }

  private async send(
    method: string,
    url: string,
    body: unknown,
    action: string
  ): Promise<{ answer: GitHubAnswer; attempts: number }> {
    this.client ??= import('../github/request.js').then(({ githubClient }) =>
      githubClient({
        apiUrl: this.options.apiUrl,
        token: this.options.token,
        log: this.log,
        fetch: this.options.fetch,
        retries: this.options.retries,
        retryBaseMs: this.options.retryBaseMs,
        maxRateLimitWaitMs: this.options.maxRateLimitWaitMs,
        timeoutMs: this.options.requestTimeoutMs
      })
    );
    const sent = await (await this.client).request(method, url, body, this.callFor(action));
    const date = Date.parse(sent.answer.headers.get('date') ?? '');
    if (Number.isFinite(date)) this.serverClock = { server: date, local: this.now() };
    return sent;
  }

  private callFor(action: string): GitHubCall {
    return {
      head: `Cannot ${action} for credential '${this.name}' (${this.ref} in ${this.repository})`,
      words: this.words,
      error: (f) => new LeaseError(f.kind, f.message, f.status)
    };
  }

  private failure(answer: GitHubAnswer, action: string): LeaseError {
    const f = githubFailure(answer, {
      ...this.callFor(action),
      attempts: (this.options.retries ?? 3) + 1,
      maxRateLimitWaitMs: this.options.maxRateLimitWaitMs ?? 60_000
    });
    return new LeaseError(f.kind, f.message, f.status);
  }
}
