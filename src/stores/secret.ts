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
// lease, src/mutex/lease-client.ts). No message ever contains the value.
//
// Loaded only in ChatGPT mode (dynamic import), and by the `codex-auth init` command.
import sodium from 'libsodium-wrappers';
import { githubFailure, type FailureWords, type GitHubAnswer } from '../github/failure.js';
import { githubClient, type GitHubCall, type GitHubClient } from '../github/request.js';
import {
  ACTION_SETTING_NAMES,
  describeTarget,
  notFoundHint,
  permissionHint,
  secretsUrl,
  SecretStoreError,
  type SecretTarget,
  type SettingNames
} from './secret-target.js';

export { describeTarget, SecretStoreError, type SecretTarget, type SettingNames } from './secret-target.js';

type Answer = GitHubAnswer;

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
    this.base = secretsUrl(target, value, this.names);
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
