// What the loopback GitHub API holds: repositories (with their environments, refs, commits and runs),
// organizations, the secret stores of the three scopes with their libsodium (X25519) key pairs, and
// open pull requests. Every key pair ever used is kept, so secrets sealed to a rotated key still open,
// as on GitHub. Names of repositories and organizations are case-insensitive, as on GitHub.
import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import type { RepositoryFacts } from '../github-repo-route.js';
import { EMPTY_TREE, makeCommit, type GitCommit } from './git-objects.js';
import { githubTime } from './reply.js';

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

export interface RepositorySpec {
  /** `owner/name`. */
  name: string;
  environments?: string[];
  /** GET /repos/{owner}/{repo} (../github-repo-route.ts). Default: private, default branch `main`. */
  visibility?: RepositoryFacts['visibility'];
  defaultBranch?: string;
}

export interface StoredSecret {
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

export interface PullRequestReview {
  id: number;
  body: string;
  state: 'COMMENTED' | 'APPROVED' | 'CHANGES_REQUESTED';
}

interface KeyPair {
  keyId: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export interface SecretStore {
  /** Current key id; every key pair ever used stays in `keys`. */
  keyId: string;
  secrets: Map<string, StoredSecret>;
}

export interface Repository {
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

/** A GitHub-style numeric key id (they are long decimal strings). */
function newKeyId(): string {
  return (BigInt(`0x${randomBytes(8).toString('hex')}`) % 10n ** 18n).toString().padStart(18, '1');
}

/** The API's data. libsodium must be ready (`await sodium.ready`) before the first key is made. */
export class ApiState {
  readonly repositories = new Map<string, Repository>();
  readonly organizations = new Map<string, SecretStore>();
  /** Open pull requests, by `owner/name` (lower case) and number, with their reviews. */
  readonly pulls = new Map<string, Map<number, PullRequestReview[]>>();
  nextReviewId = 80_000_000;
  private readonly keys = new Map<string, KeyPair>();
  private nextRepoId = 100_000;

  newKey(): string {
    const pair = sodium.crypto_box_keypair();
    const keyId = newKeyId();
    this.keys.set(keyId, { keyId, publicKey: pair.publicKey, privateKey: pair.privateKey });
    return keyId;
  }

  private newStore(): SecretStore {
    return { keyId: this.newKey(), secrets: new Map() };
  }

  addRepository(spec: string | RepositorySpec): void {
    const { name: full, environments = [], ...facts } = typeof spec === 'string' ? { name: spec } : spec;
    const [owner, name] = full.split('/');
    if (!owner || !name) throw new Error(`Repository '${full}' is not owner/name`);
    if (this.repositories.has(full.toLowerCase())) return;
    const repo: Repository = {
      id: this.nextRepoId++,
      owner,
      name,
      store: this.newStore(),
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
    this.repositories.set(full.toLowerCase(), repo);
    for (const env of environments) repo.environments.set(env, this.newStore());
  }

  addOrganization(org: string): void {
    if (!this.organizations.has(org.toLowerCase())) this.organizations.set(org.toLowerCase(), this.newStore());
  }

  addEnvironment(repository: string, environment: string): void {
    const repo = this.repository(repository);
    if (!repo.environments.has(environment)) repo.environments.set(environment, this.newStore());
  }

  /** The repository `owner/name`, for the test helpers: a missing one is the test's mistake. */
  repository(repository: string): Repository {
    const repo = this.repositories.get(repository.toLowerCase());
    if (!repo) throw new Error(`No repository ${repository}`);
    return repo;
  }

  repoById(id: number): Repository | undefined {
    return [...this.repositories.values()].find((r) => r.id === id);
  }

  /** The store a scope names, for the test helpers (the HTTP routes resolve their own). */
  storeOf(scope: ScopeRef): SecretStore {
    if (scope.scope === 'organization') {
      const org = scope.org ?? scope.owner;
      const store = org ? this.organizations.get(org.toLowerCase()) : undefined;
      if (!store) throw new Error(`No organization ${org}`);
      return store;
    }
    const repo = this.repositories.get(`${scope.owner}/${scope.repo}`.toLowerCase());
    if (!repo) throw new Error(`No repository ${scope.owner}/${scope.repo}`);
    if (scope.scope === 'repository') return repo.store;
    const env = scope.environment ? repo.environments.get(scope.environment) : undefined;
    if (!env) throw new Error(`No environment '${scope.environment}' in ${scope.owner}/${scope.repo}`);
    return env;
  }

  /** The store's current public key as the API serves it: `{key_id, key}`, base64 (original variant). */
  publicKey(store: SecretStore): { key_id: string; key: string } {
    return {
      key_id: store.keyId,
      key: sodium.to_base64(this.keys.get(store.keyId)!.publicKey, sodium.base64_variants.ORIGINAL)
    };
  }

  /** Opens a sealed box (base64) with key `keyId`'s private key; throws when it was not sealed to it. */
  openSealed(encrypted: string, keyId: string): Uint8Array {
    const pair = this.keys.get(keyId)!;
    return sodium.crypto_box_seal_open(
      sodium.from_base64(encrypted, sodium.base64_variants.ORIGINAL),
      pair.publicKey,
      pair.privateKey
    );
  }

  open(secret: StoredSecret): string {
    return sodium.to_string(this.openSealed(secret.encrypted_value, secret.key_id));
  }

  /** Stores a secret as if set in the web UI (sealed to the current key; `writes` stays 0). */
  setSecret(
    scope: ScopeRef,
    name: string,
    value: string,
    opts: { visibility?: StoredSecret['visibility']; selectedRepositories?: string[] }
  ): void {
    const store = this.storeOf(scope);
    const upper = name.toUpperCase();
    const existing = store.secrets.get(upper);
    const now = githubTime();
    const org = scope.scope === 'organization';
    store.secrets.set(upper, {
      name: upper,
      encrypted_value: this.seal(value, store.keyId),
      key_id: store.keyId,
      created_at: existing?.created_at ?? now,
      updated_at: now,
      visibility: org ? (opts.visibility ?? 'private') : undefined,
      selectedRepositoryIds:
        org && opts.visibility === 'selected'
          ? (opts.selectedRepositories ?? []).map((r) => this.repositories.get(r.toLowerCase())!.id)
          : undefined,
      writes: 0
    });
  }

  private seal(value: string, keyId: string): string {
    return sodium.to_base64(
      sodium.crypto_box_seal(sodium.from_string(value), this.keys.get(keyId)!.publicKey),
      sodium.base64_variants.ORIGINAL
    );
  }
}
