// Names and defaults shared by modules that must not load each other (inputs.ts must not load the
// secret store, which loads libsodium; the post step must not load the cache library before it
// needs it). No imports: anything may import this.

export const AUTH_MODES = ['api-key', 'chatgpt', 'access-token', 'workload-identity'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
/** `on-save-failure` and `on-refresh-failure`. */
export const SAVE_FAILURE_MODES = ['fail', 'warn'] as const;
export type SaveFailureMode = (typeof SAVE_FAILURE_MODES)[number];
export const SECRET_SCOPES = ['repository', 'environment', 'organization'] as const;
export type SecretScope = (typeof SECRET_SCOPES)[number];

/** The secret names the docs, the example workflow and `codex-auth init` use (init's defaults). */
export const SECRET_NAMES = {
  /** The sealed login (`chatgpt-auth-json`, `secret-name`). */
  login: 'CODEX_AUTH_JSON',
  /** The encryption key (`encryption-key`). */
  key: 'CODEX_AUTH_KEY',
  /** The token that may write the login back (`secret-token`); init cannot create it. */
  writeBackToken: 'CODEX_AUTH_SECRET_TOKEN'
} as const;

/** Why GitHub would refuse this secret name, or undefined when it is valid. */
export function secretNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    return `'${name}' is not a valid secret name: use letters, digits and underscores, not starting with a digit`;
  if (/^GITHUB_/i.test(name)) return `'${name}' is not a valid secret name: names starting with GITHUB_ are reserved`;
  return undefined;
}

/** The permission a token needs to write a secret of this scope (`repository` names the repository). */
export function secretWritePermission(scope: SecretScope, repository = 'this repository'): string {
  if (scope === 'organization') return 'the organization permission "Secrets: Read and write"';
  if (scope === 'environment') return `"Environments: Read and write" on ${repository}`;
  return `"Secrets: Read and write" on ${repository}`;
}

/** The runner-local store's default directory (`local-store-path`). */
export const DEFAULT_LOCAL_STORE_DIR = '~/.codex-auth/store';

/** Inputs that only mean something in ChatGPT mode (warned about and ignored in API-key mode). */
export const CHATGPT_ONLY_INPUTS = [
  'chatgpt-auth-json',
  'encryption-key',
  'workspace-id',
  'oauth-issuer',
  'dangerously-allow-public-repository',
  'on-save-failure',
  'on-refresh-failure',
  'secret-name',
  'secret-scope',
  'environment',
  'secret-token',
  'lease',
  'lease-token',
  'lease-timeout-minutes',
  'lease-expiry-minutes',
  'local-store',
  'local-store-path',
  'lock-timeout-minutes',
  'renewal',
  'renew-before-hours',
  'min-token-minutes',
  'github-token'
] as const;

/** Inputs that only mean something with `auth-mode: workload-identity` (src/workload-identity/inputs.ts). */
export const WORKLOAD_IDENTITY_INPUTS = ['federation-rule-id', 'audience', 'workload-context', 'verify'] as const;

/** Defaults of action.yml, to tell a value the user set from the default the runner passes. */
export const INPUT_DEFAULTS: Readonly<Record<string, string>> = {
  'dangerously-allow-public-repository': 'false',
  'on-save-failure': 'fail',
  'on-refresh-failure': 'fail',
  'secret-scope': 'repository',
  lease: 'false',
  'lease-timeout-minutes': '30',
  'lease-expiry-minutes': '60',
  'local-store': 'false',
  'local-store-path': DEFAULT_LOCAL_STORE_DIR,
  'lock-timeout-minutes': '10',
  renewal: 'ahead',
  'renew-before-hours': '24',
  'min-token-minutes': '120',
  verify: 'false'
};

/**
 * The longest a job runs on a GitHub-hosted runner, and the default `timeout-minutes` everywhere
 * (6 hours): the bound of every duration input and of the workload-identity keeper.
 */
export const JOB_LIMIT_MINUTES = 360;

/** The name under which the main step saves its state for the post step. */
export const STATE_NAME = 'codex-auth';

/**
 * A random value per job, exported (GITHUB_ENV) by the first use of the action in a job for its later
 * steps: the lease and the lock tell "this very job holds it" from "an earlier job on this runner
 * was killed" by it (GITHUB_JOB alone is the same for every leg of a matrix).
 */
export const JOB_NONCE_VARIABLE = 'CODEX_AUTH_JOB_NONCE';
