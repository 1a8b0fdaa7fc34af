// Actions secrets of the loopback GitHub API, for the three scopes (GitHub's REST docs, "REST API
// endpoints for GitHub Actions secrets"): `GET …/secrets/public-key` answers `{key_id, key}` with the
// scope's libsodium (X25519) public key, base64 in the original variant. `PUT …/secrets/{name}` takes
// `{encrypted_value, key_id}` (+ `visibility` for organizations, required, and
// `selected_repository_ids`) and answers 201 when it created the secret, 204 when it updated it. The
// server opens every sealed box with its private key, so a value that was not sealed to the current
// key is a 422. Names are upper-cased like GitHub's, 48 KB at most. Also: list, get, delete, and an
// organization secret's selected repositories.
import { exampleAnswer } from '../github-openapi.js';
import { need, type Permission } from './auth.js';
import type { ApiState, Repository, SecretStore, StoredSecret } from './model.js';
import { error, githubTime, isObject, notFound, validation, type Call, type Reply } from './reply.js';

const MAX_SECRET_BYTES = 48 * 1024;

/** Which secrets a route reaches: a repository's, an environment's or an organization's. */
export interface SecretsScope {
  store: SecretStore;
  permission: Permission;
  /** The API URL of the scope's secrets, `…/actions/secrets` or `…/environments/{env}/secrets`. */
  urlBase: string;
  /** Organization scope only. */
  org?: { org: string };
}

/** `…/secrets/…`: `rest` is the path after `secrets`. */
export function secretsRoute(state: ApiState, call: Call, rest: string[], scope: SecretsScope): Reply {
  const { method, grant } = call;
  const { store, permission } = scope;
  if (rest.length === 1 && rest[0] === 'public-key' && method === 'GET') {
    need(grant, permission, 'read');
    return { status: 200, body: state.publicKey(store) };
  }
  if (rest.length === 0 && method === 'GET') {
    need(grant, permission, 'read');
    const list = [...store.secrets.values()].map((s) => secretInfo(s, scope, s.name));
    return { status: 200, body: { total_count: list.length, secrets: list } };
  }
  if (rest.length === 1) {
    const name = rest[0].toUpperCase();
    if (method === 'GET') {
      need(grant, permission, 'read');
      const secret = store.secrets.get(name);
      if (!secret) throw notFound();
      return { status: 200, body: secretInfo(secret, scope, name) };
    }
    if (method === 'PUT') {
      need(grant, permission, 'write');
      return putSecret(state, store, rest[0], call.body, scope.org);
    }
    if (method === 'DELETE') {
      need(grant, permission, 'write');
      if (!store.secrets.delete(name)) throw notFound();
      return { status: 204 };
    }
  }
  if (scope.org && rest.length === 2 && rest[1] === 'repositories' && method === 'GET') {
    need(grant, permission, 'read');
    return selectedRepositories(state, store, rest[0]);
  }
  throw notFound();
}

function secretInfo(secret: StoredSecret, scope: SecretsScope, name: string): Record<string, unknown> {
  const info: Record<string, unknown> = {
    name: secret.name,
    created_at: secret.created_at,
    updated_at: secret.updated_at
  };
  if (scope.org) {
    info.visibility = secret.visibility;
    if (secret.visibility === 'selected') info.selected_repositories_url = `${scope.urlBase}/${name}/repositories`;
  }
  return info;
}

/** `GET /orgs/{org}/actions/secrets/{name}/repositories`. */
function selectedRepositories(state: ApiState, store: SecretStore, rawName: string): Reply {
  const secret = store.secrets.get(rawName.toUpperCase());
  if (!secret) throw notFound();
  if (secret.visibility !== 'selected') throw error(409, 'The visibility of this secret is not set to selected.');
  const repos = (secret.selectedRepositoryIds ?? [])
    .map((id) => state.repoById(id))
    .filter((r): r is Repository => !!r);
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

/** What makes GitHub's example repository this one. */
function repositoryFields(repo: Repository): Record<string, unknown> {
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

function putSecret(
  state: ApiState,
  store: SecretStore,
  rawName: string,
  body: unknown,
  org: { org: string } | undefined
): Reply {
  if (!isObject(body)) throw validation("Invalid request.\n\nFor 'links/0/schema', nil is not an object.");
  const name = secretName(rawName);
  const { encrypted_value: encrypted, key_id: keyId } = body;
  checkSealedValue(state, store, encrypted, keyId);
  const existing = store.secrets.get(name);
  const { visibility, selected } = org ? orgVisibility(state, org.org, body, existing) : {};
  const now = githubTime();
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

/** A value sealed to the store's current key, as GitHub checks it before storing. */
function checkSealedValue(state: ApiState, store: SecretStore, encrypted: unknown, keyId: unknown): void {
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
  let plaintext: Uint8Array;
  try {
    plaintext = state.openSealed(encrypted, keyId);
  } catch {
    throw validation(
      'Invalid request.\n\n"encrypted_value" is not a sealed box for the public key "key_id" names.',
      'encrypted_value'
    );
  }
  if (plaintext.length > MAX_SECRET_BYTES)
    throw validation('Secret value is too large: secrets are limited to 48 KB.', 'encrypted_value');
}

/** An organization secret's `visibility` and `selected_repository_ids` (kept from `existing` when not sent). */
function orgVisibility(
  state: ApiState,
  org: string,
  body: Record<string, any>,
  existing: StoredSecret | undefined
): { visibility: StoredSecret['visibility']; selected?: number[] } {
  if (body.visibility === undefined)
    throw validation('Invalid request.\n\n"visibility" wasn\'t supplied.', 'visibility', 'missing_field');
  if (!['all', 'private', 'selected'].includes(body.visibility))
    throw validation(
      `Invalid request.\n\n${JSON.stringify(body.visibility)} is not a member of ["all", "private", "selected"].`,
      'visibility'
    );
  const visibility: StoredSecret['visibility'] = body.visibility;
  if (body.selected_repository_ids === undefined)
    return { visibility, selected: visibility === 'selected' ? (existing?.selectedRepositoryIds ?? []) : undefined };
  if (visibility !== 'selected')
    throw validation(
      'selected_repository_ids can only be given when visibility is selected.',
      'selected_repository_ids'
    );
  if (
    !Array.isArray(body.selected_repository_ids) ||
    !body.selected_repository_ids.every(
      (id: unknown) => Number.isInteger(id) && state.repoById(id as number)?.owner.toLowerCase() === org.toLowerCase()
    )
  ) {
    throw validation(
      'selected_repository_ids must list ids of repositories of this organization.',
      'selected_repository_ids'
    );
  }
  return { visibility, selected: [...body.selected_repository_ids] };
}
