// A GitHub Actions secret as a store of envelopes: the durable copy of the credential (a cache entry
// nobody reads for 7 days is evicted; a secret stays). GitHub's REST API through Octokit
// (../github/request.ts: retries, rate limits, GHES).
//
//   GET {api}/…/secrets/public-key            → {key_id, key}   (key: X25519, base64 original)
//   PUT {api}/…/secrets/{name}                 ← {encrypted_value, key_id[, visibility, selected_repository_ids]}
//                                              → 201 created, 204 updated
//
// `encrypted_value` is a libsodium sealed box (crypto_box_seal) of the value under the scope's
// public key. Scopes: repository (/repos/{owner}/{repo}/actions/secrets), environment
// (/repos/{owner}/{repo}/environments/{environment}/secrets), organization
// (/orgs/{org}/actions/secrets; the PUT must carry `visibility`, so the existing one is read first
// and kept). 5xx, network errors and rate limits are retried with backoff; every other failure
// becomes a SecretStoreError whose message says what to fix (../github/failure.ts, shared with the
// lease, src/mutex/lease.ts). No message ever contains the value.
//
// Loaded only in ChatGPT mode (dynamic import), and by the `codex-auth init` command.
import sodium from 'libsodium-wrappers';
import { githubFailure, type FailureWords, type GitHubAnswer } from '../github/failure.js';
import { githubClient, type GitHubCall, type GitHubClient } from '../github/request.js';

export { apiUrlFromEnv } from '../github/api-url.js';
type Answer = GitHubAnswer;

import { SECRET_SCOPES, secretNameProblem, type SecretScope } from '../action/constants.js';

export interface SecretTarget {
  scope: SecretScope;
  /** Secret name (GitHub stores it upper-cased). */
  name: string;
  /** The repository (`GITHUB_REPOSITORY` split): repository and environment scopes. */
  owner: string;
  repo: string;
  /** Environment scope: the environment's name (it must exist). */
  environment?: string;
  /** Organization scope: the organization; default `owner`. */
  org?: string;
  /** The repository's id (GITHUB_REPOSITORY_ID): a new organization secret is made visible to it alone. Looked up when absent. */
  repositoryId?: number;
  /** REST API base: `GITHUB_API_URL` (`https://api.github.com`, or `https://HOST/api/v3` on GHES). */
  apiUrl: string;
  token: string;
}

/** How the caller calls the things a user can change, for the messages (the action's inputs by default). */
export interface SettingNames {
  token: string;
  scope: string;
  environment: string;
  /** Where the repository comes from. */
  repository: string;
  org: string;
  name: string;
}

const ACTION_SETTING_NAMES: SettingNames = {
  token: "input 'secret-token'",
  scope: "input 'secret-scope'",
  environment: "input 'environment'",
  repository: 'GITHUB_REPOSITORY (the repository running the workflow)',
  org: 'the owner of the repository running the workflow',
  name: "input 'secret-name'"
};

export interface SecretStoreOptions {
  /** One line per retry, with the attempt count (e.g. core.info). */
  log?: (message: string) => void;
  /** Tries after the first, on a 5xx or a network error (default 3: 1 s, 4 s, 9 s apart). */
  retries?: number;
  /** The unit of the backoff and of the waits GitHub asks for: ms per second (default 1000; tests shrink it). */
  retryBaseMs?: number;
  /** The longest wait a rate limit may impose before the request is given up (default 60 s). */
  maxRateLimitWaitMs?: number;
  /** Per attempt (default 30 s). */
  timeoutMs?: number;
  /** Injectable for tests: the HTTP client. */
  fetch?: typeof fetch;
  names?: Partial<SettingNames>;
}

export interface WriteResult {
  status: 'created' | 'updated';
  /** Requests sent in all (public key, visibility lookups, PUT, retries). */
  requests: number;
  /** Attempts the PUT itself took. */
  attempts: number;
  keyId: string;
  /** Organization scope: the visibility written (the existing one, or `private` for a new secret). */
  visibility?: 'all' | 'private' | 'selected';
}

export type SecretErrorKind =
  'invalid' | 'unauthorized' | 'forbidden' | 'not-found' | 'rejected' | 'rate-limited' | 'unavailable' | 'network';

export class SecretStoreError extends Error {
  constructor(
    readonly kind: SecretErrorKind,
    message: string,
    readonly status?: number,
    readonly requestId?: string
  ) {
    super(message);
    this.name = 'SecretStoreError';
  }
}

/** GitHub's limit per secret value. */
const MAX_SECRET_BYTES = 48 * 1024;

/** "repository secret NAME of owner/repo", "environment secret NAME of owner/repo (environment 'E')", "organization secret NAME of org". */
export function describeTarget(
  target: Pick<SecretTarget, 'scope' | 'name' | 'owner' | 'repo' | 'environment' | 'org'>
): string {
  const name = target.name.toUpperCase();
  if (target.scope === 'organization') return `organization secret ${name} of ${target.org || target.owner}`;
  if (target.scope === 'environment')
    return `environment secret ${name} of ${target.owner}/${target.repo} (environment '${target.environment}')`;
  return `repository secret ${name} of ${target.owner}/${target.repo}`;
}

/**
 * Seals `value` under the scope's public key and stores it as the secret. Organization secrets keep
 * their visibility (and their list of selected repositories); a new one is `selected`, visible to
 * this repository alone (`private` would let every private repository of the organization read it).
 */
export async function writeSecret(
  target: SecretTarget,
  value: string,
  options: SecretStoreOptions = {}
): Promise<WriteResult> {
  const client = new Client(target, value, options);
  return client.write();
}

/**
 * Proves that the token may write the secret, before anything could depend on a later write: it
 * writes `currentValue` (the value the secret holds, e.g. the envelope just restored from it) back.
 * Throws the same SecretStoreError a failed write would.
 */
export async function checkWriteAccess(
  target: SecretTarget,
  currentValue: string,
  options: SecretStoreOptions = {}
): Promise<WriteResult> {
  const result = await writeSecret(target, currentValue, options);
  options.log?.(
    `Write access to the ${describeTarget(target)} confirmed (${result.status === 'created' ? 'created it' : 'wrote the current value back'}).`
  );
  return result;
}

class Client {
  private readonly names: SettingNames;
  private readonly base: string;
  private readonly log: (message: string) => void;
  private readonly client: GitHubClient;
  private requests = 0;
  private encrypted: string | undefined;

  constructor(
    private readonly target: SecretTarget,
    private readonly value: string,
    private readonly options: SecretStoreOptions
  ) {
    this.names = { ...ACTION_SETTING_NAMES, ...options.names };
    this.log = options.log ?? (() => undefined);
    this.base = this.validate();
    this.client = githubClient({
      apiUrl: target.apiUrl,
      token: target.token,
      log: this.log,
      fetch: options.fetch,
      retries: options.retries,
      retryBaseMs: options.retryBaseMs,
      maxRateLimitWaitMs: options.maxRateLimitWaitMs,
      timeoutMs: options.timeoutMs
    });
  }

  async write(): Promise<WriteResult> {
    const { target } = this;
    let key = await this.publicKey();
    let visibility: WriteResult['visibility'];
    let selected: number[] | undefined;
    if (target.scope === 'organization') ({ visibility, selected } = await this.existingVisibility());

    const put = async (): Promise<{ answer: Answer; attempts: number }> => {
      const body: Record<string, unknown> = { encrypted_value: await this.seal(key.key), key_id: key.key_id };
      if (visibility) body.visibility = visibility;
      if (selected) body.selected_repository_ids = selected;
      return this.request('PUT', this.secretUrl(), body, 'write');
    };
    let { answer, attempts } = await put();
    if (answer.status === 422) {
      // GitHub may have rotated the scope's key between our GET and PUT: seal again under the new key, once.
      const fresh = await this.publicKey();
      if (fresh.key_id !== key.key_id) {
        this.log(
          `The public key of the ${describeTarget(target)} changed while writing; sealing again under the new key.`
        );
        key = fresh;
        ({ answer, attempts } = await put());
      }
    }
    if (answer.status === 201 || answer.status === 204) {
      return {
        status: answer.status === 201 ? 'created' : 'updated',
        requests: this.requests,
        attempts,
        keyId: key.key_id,
        visibility
      };
    }
    throw this.failure(answer, 'write');
  }

  private validate(): string {
    const { target, names } = this;
    const invalid = (message: string): SecretStoreError =>
      new SecretStoreError('invalid', `Cannot write the secret: ${message}`);
    if (!SECRET_SCOPES.includes(target.scope))
      throw invalid(`scope '${target.scope}' is not one of ${SECRET_SCOPES.join(', ')} (${names.scope}).`);
    const problem = secretNameProblem(target.name);
    if (problem) throw invalid(`${problem} (${names.name}).`);
    if (!target.token?.trim())
      throw invalid(
        `no token was given (${names.token}). It needs a fine-grained token with "Secrets: Read and write" or a GitHub App installation token with the secrets permission; GITHUB_TOKEN cannot write secrets.`
      );
    if (/\s/.test(target.token.trim()))
      throw invalid(`the token contains white space (${names.token}); store the token alone, on one line.`);
    let api: URL;
    try {
      api = new URL(target.apiUrl);
      if (api.protocol !== 'https:' && api.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw invalid(`the API URL '${target.apiUrl}' is not an http(s) URL (GITHUB_API_URL).`);
    }
    if (Buffer.byteLength(this.value, 'utf8') > MAX_SECRET_BYTES) {
      throw new SecretStoreError(
        'rejected',
        `Cannot write the ${describeTarget(target)}: the value is ${Buffer.byteLength(this.value, 'utf8')} bytes, over GitHub's limit of 48 KB per secret.`
      );
    }
    if (this.value === '') throw invalid('the value is empty.');
    const root = api.href.replace(/\/+$/, '');
    const seg = encodeURIComponent;
    if (target.scope === 'organization') {
      const org = target.org || target.owner;
      if (!org) throw invalid(`no organization was given (${names.org}).`);
      return `${root}/orgs/${seg(org)}/actions/secrets`;
    }
    if (!target.owner || !target.repo) throw invalid(`no repository was given (${names.repository}).`);
    const repo = `${root}/repos/${seg(target.owner)}/${seg(target.repo)}`;
    if (target.scope === 'environment') {
      if (!target.environment?.trim())
        throw invalid(`scope 'environment' needs the environment's name (${names.environment}).`);
      return `${repo}/environments/${seg(target.environment)}/secrets`;
    }
    return `${repo}/actions/secrets`;
  }

  /** This repository's id, for the list of repositories a new organization secret is visible to. */
  private async repositoryId(): Promise<number> {
    if (this.target.repositoryId !== undefined) return this.target.repositoryId;
    const url = `${this.target.apiUrl.replace(/\/+$/, '')}/repos/${encodeURIComponent(this.target.owner)}/${encodeURIComponent(this.target.repo)}`;
    const { answer } = await this.request('GET', url, undefined, 'look up the repository for');
    if (answer.status !== 200 || typeof answer.body?.id !== 'number')
      throw this.failure(answer, 'look up the repository for');
    return answer.body.id as number;
  }

  private secretUrl(): string {
    return `${this.base}/${encodeURIComponent(this.target.name.toUpperCase())}`;
  }

  private async publicKey(): Promise<{ key_id: string; key: string }> {
    const { answer } = await this.request('GET', `${this.base}/public-key`, undefined, 'read the public key of');
    if (answer.status !== 200) throw this.failure(answer, 'read the public key of');
    const { key_id: keyId, key } = answer.body ?? {};
    if (typeof keyId !== 'string' || typeof key !== 'string') {
      throw new SecretStoreError(
        'unavailable',
        `Cannot write the ${describeTarget(this.target)}: the API at ${this.target.apiUrl} answered the public-key request without key_id and key. Check GITHUB_API_URL.`,
        answer.status,
        answer.headers.get('x-github-request-id') ?? undefined
      );
    }
    return { key_id: keyId, key };
  }

  /** Organization secrets: the PUT must name a visibility; keep the secret's own (and its repository list). */
  private async existingVisibility(): Promise<{ visibility: WriteResult['visibility']; selected?: number[] }> {
    const { answer } = await this.request('GET', this.secretUrl(), undefined, 'read the visibility of');
    if (answer.status === 404) return { visibility: 'selected', selected: [await this.repositoryId()] };
    if (answer.status !== 200) throw this.failure(answer, 'read the visibility of');
    const visibility = answer.body?.visibility;
    if (visibility !== 'all' && visibility !== 'private' && visibility !== 'selected') return { visibility: 'private' };
    if (visibility !== 'selected') return { visibility };
    const selected: number[] = [];
    for (let page = 1; page <= 100; page++) {
      const { answer: list } = await this.request(
        'GET',
        `${this.secretUrl()}/repositories?per_page=100&page=${page}`,
        undefined,
        'read the selected repositories of'
      );
      if (list.status !== 200) throw this.failure(list, 'read the selected repositories of');
      const repos: unknown[] = Array.isArray(list.body?.repositories) ? list.body.repositories : [];
      for (const repo of repos)
        if (typeof (repo as { id?: unknown }).id === 'number') selected.push((repo as { id: number }).id);
      if (repos.length < 100 || selected.length >= Number(list.body?.total_count ?? 0)) break;
    }
    return { visibility, selected };
  }

  private async seal(publicKey: string): Promise<string> {
    await sodium.ready;
    let key: Uint8Array;
    try {
      key = sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL);
    } catch {
      key = new Uint8Array();
    }
    if (key.length !== sodium.crypto_box_PUBLICKEYBYTES) {
      throw new SecretStoreError(
        'unavailable',
        `Cannot write the ${describeTarget(this.target)}: the public key GitHub returned is not a ${sodium.crypto_box_PUBLICKEYBYTES}-byte key. Check GITHUB_API_URL.`
      );
    }
    this.encrypted = sodium.to_base64(
      sodium.crypto_box_seal(sodium.from_string(this.value), key),
      sodium.base64_variants.ORIGINAL
    );
    return this.encrypted;
  }

  private async request(
    method: string,
    url: string,
    body: unknown,
    action: string
  ): Promise<{ answer: Answer; attempts: number }> {
    return this.client.request(method, url, body, this.callFor(action));
  }

  private callFor(action: string): GitHubCall {
    const { target, names } = this;
    const words: FailureWords = {
      tokenName: names.token,
      apiUrl: target.apiUrl,
      // Anything that could be the value or its sealed form never shows, even in GitHub's words.
      secrets: [this.value, this.encrypted, target.token],
      unauthorized: `Create a new one (${permissionHint(target.scope)}) and store it where ${names.token} reads it.`,
      forbidden: (accepted: string) =>
        `The token in ${names.token} may not ${action === 'write' ? 'write' : 'read'} this secret${accepted}. Use ${permissionHint(target.scope)}. The workflow's GITHUB_TOKEN cannot write secrets, whatever its \`permissions:\` say.`,
      notFound: notFoundHint(target, names),
      rejected: {
        422: `GitHub rejected the value or the request: a secret holds at most 48 KB, and its name only letters, digits and underscores (${names.name}). The value was not stored.`
      },
      rateLimited: `if other jobs share the token in ${names.token}, give this one its own token.`
    };
    return {
      onSend: () => {
        this.requests++;
      },
      head: `Cannot ${action} the ${describeTarget(target)}`,
      words,
      error: (f) => new SecretStoreError(f.kind, f.message, f.status, f.requestId)
    };
  }

  private failure(answer: Answer, action: string): SecretStoreError {
    const f = githubFailure(answer, this.client.context(this.callFor(action)));
    return new SecretStoreError(f.kind, f.message, f.status, f.requestId);
  }
}

function permissionHint(scope: SecretScope): string {
  switch (scope) {
    case 'environment':
      return 'a fine-grained personal access token with the repository permissions "Environments: Read and write" and "Secrets: Read and write" (GitHub lists both for environment secrets), or a GitHub App installation token with the environments and secrets permissions (read and write); a classic token needs the `repo` scope';
    case 'organization':
      return 'a fine-grained personal access token with the organization permission "Secrets: Read and write", or a GitHub App installation token with the organization_secrets permission (read and write); a classic token needs `admin:org`';
    default:
      return 'a fine-grained personal access token with the repository permission "Secrets: Read and write", or a GitHub App installation token with the secrets permission (read and write); a classic token needs the `repo` scope';
  }
}

function notFoundHint(target: SecretTarget, names: SettingNames): string {
  if (target.scope === 'organization') {
    return `The organization ${target.org || target.owner} does not exist, or the token in ${names.token} cannot see it. Check ${names.scope} (organization scope writes to ${names.org}) and that the token was granted access to that organization.`;
  }
  const repo = `${target.owner}/${target.repo}`;
  if (target.scope === 'environment') {
    return `The repository ${repo} or its environment '${target.environment}' does not exist, or the token in ${names.token} cannot see it. Check ${names.environment} (create the environment under Settings → Environments first) and ${names.scope}, and that the token was granted access to ${repo}.`;
  }
  return `The repository ${repo} does not exist, or the token in ${names.token} cannot see it: grant the token access to ${repo} (a fine-grained token lists its repositories). Check ${names.scope} too.`;
}
