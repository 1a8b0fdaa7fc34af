// Where a secret of `secret-name` is written and how the messages name what to fix: the target, its
// checks before any request, and the permission each scope needs. No libsodium here.
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

export const ACTION_SETTING_NAMES: SettingNames = {
  token: "input 'secret-token'",
  scope: "input 'secret-scope'",
  environment: "input 'environment'",
  repository: 'GITHUB_REPOSITORY (the repository running the workflow)',
  org: 'the owner of the repository running the workflow',
  name: "input 'secret-name'"
};

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

export function permissionHint(scope: SecretScope): string {
  switch (scope) {
    case 'environment':
      return 'a fine-grained personal access token with the repository permissions "Environments: Read and write" and "Secrets: Read and write" (GitHub lists both for environment secrets), or a GitHub App installation token with the environments and secrets permissions (read and write); a classic token needs the `repo` scope';
    case 'organization':
      return 'a fine-grained personal access token with the organization permission "Secrets: Read and write", or a GitHub App installation token with the organization_secrets permission (read and write); a classic token needs `admin:org`';
    default:
      return 'a fine-grained personal access token with the repository permission "Secrets: Read and write", or a GitHub App installation token with the secrets permission (read and write); a classic token needs the `repo` scope';
  }
}

export function notFoundHint(target: SecretTarget, names: SettingNames): string {
  if (target.scope === 'organization') {
    return `The organization ${target.org || target.owner} does not exist, or the token in ${names.token} cannot see it. Check ${names.scope} (organization scope writes to ${names.org}) and that the token was granted access to that organization.`;
  }
  const repo = `${target.owner}/${target.repo}`;
  if (target.scope === 'environment') {
    return `The repository ${repo} or its environment '${target.environment}' does not exist, or the token in ${names.token} cannot see it. Check ${names.environment} (create the environment under Settings → Environments first) and ${names.scope}, and that the token was granted access to ${repo}.`;
  }
  return `The repository ${repo} does not exist, or the token in ${names.token} cannot see it: grant the token access to ${repo} (a fine-grained token lists its repositories). Check ${names.scope} too.`;
}

/**
 * The REST base of the target's secrets (…/actions/secrets, …/environments/{e}/secrets), after
 * checking the target and the value; throws a SecretStoreError that names the setting to fix.
 */
export function secretsUrl(target: SecretTarget, value: string, names: SettingNames): string {
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
  if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_BYTES) {
    throw new SecretStoreError(
      'rejected',
      `Cannot write the ${describeTarget(target)}: the value is ${Buffer.byteLength(value, 'utf8')} bytes, over GitHub's limit of 48 KB per secret.`
    );
  }
  if (value === '') throw invalid('the value is empty.');
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
