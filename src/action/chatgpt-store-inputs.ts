// The ChatGPT inputs that say where the login is kept besides the Actions cache and how jobs take
// turns with it: the secret it is written back to, the lease, and the runner-local store with its
// lock. Each is off unless asked for, and its settings are ignored (with a warning) while off.
import { InputError } from './errors.js';
import { apiUrlFromEnv } from '../github/api-url.js';
import { isInsideResolved } from './paths.js';
import { placeLocalStore } from '../stores/local-placement.js';
import type { SecretTarget } from '../stores/secret.js';
import {
  DEFAULT_LOCAL_STORE_DIR,
  SECRET_NAMES,
  SECRET_SCOPES,
  secretNameProblem,
  secretWritePermission
} from './constants.js';
import {
  ignoring,
  oneLine,
  parseBoolean,
  parseChoice,
  parseMinutes,
  type InputGetter,
  type ParseContext
} from './input-values.js';

export interface LeaseSettings {
  /** The repository holding the lease ref (GITHUB_REPOSITORY), through GITHUB_API_URL. */
  owner: string;
  repo: string;
  apiUrl: string;
  /** `lease-token` (default: the workflow's GITHUB_TOKEN). Masked; never logged. */
  token: string;
  /** `lease-timeout-minutes`: how long the main step waits for another holder (0: one attempt). */
  timeoutMs: number;
  /** `lease-expiry-minutes`: when the lease ends by itself if no post step releases it. */
  ttlMs: number;
}

export interface LocalStoreSettings {
  /** `local-store-path`, `~` expanded; the main step checks it on disk. */
  dir: string;
  /** `lock-timeout-minutes`: how long the main step waits for the lock on the store (0: one attempt). */
  lockTimeoutMs: number;
}

/**
 * The write-back target: the secret named by `secret-name`, in the repository running the workflow
 * (GITHUB_REPOSITORY), its environment, or its owner organization, through GITHUB_API_URL.
 */
export function parseSecretWriteBack(
  get: InputGetter,
  env: NodeJS.ProcessEnv,
  warnings: string[]
): SecretTarget | undefined {
  const rawName = get('secret-name');
  const environment = get('environment');
  const token = get('secret-token');
  if (!rawName) {
    warnings.push(
      ...ignoring(
        get,
        ['secret-scope', 'environment', 'secret-token'],
        "the write-back to a secret is on only when 'secret-name' is set (the name of the secret passed as 'chatgpt-auth-json')."
      )
    );
    return undefined;
  }
  const name = secretName(rawName);
  const scope = parseChoice(get, 'secret-scope', SECRET_SCOPES, 'repository');
  checkEnvironment(scope, environment);
  if (!token) {
    throw new InputError(
      'secret-token',
      `is empty, and secret-name is set: writing the refreshed login back to the secret ${name} needs a token that may write secrets.`,
      `The workflow's GITHUB_TOKEN cannot write secrets, whatever its \`permissions:\` say. Use a fine-grained personal access token with ${secretWritePermission(scope)}, or a GitHub App installation token with that permission; store it as a secret and pass it, e.g. \`secret-token: \${{ secrets.${SECRET_NAMES.writeBackToken} }}\`. Or remove secret-name to keep the login in the Actions cache only.`
    );
  }
  oneLine('secret-token', token, 'token');
  const { owner, repo } = currentRepository(env, 'secret-name', 'to locate the secret', 'remove secret-name');
  return {
    scope,
    name,
    owner,
    repo,
    environment: scope === 'environment' ? environment : undefined,
    org: scope === 'organization' ? owner : undefined,
    ...(/^\d+$/.test(env.GITHUB_REPOSITORY_ID ?? '') ? { repositoryId: Number(env.GITHUB_REPOSITORY_ID) } : {}),
    apiUrl: apiUrlFromEnv(env),
    token
  };
}

/** `secret-name`, as GitHub stores it (upper-cased). */
function secretName(raw: string): string {
  const problem = secretNameProblem(raw);
  if (problem) {
    throw new InputError(
      'secret-name',
      `${problem}.`,
      `Give the name of the secret passed as 'chatgpt-auth-json', e.g. \`secret-name: ${SECRET_NAMES.login}\` with \`chatgpt-auth-json: \${{ secrets.${SECRET_NAMES.login} }}\`.`
    );
  }
  return raw.toUpperCase();
}

/** `environment` goes with `secret-scope: environment`, and only with it. */
function checkEnvironment(scope: string, environment: string): void {
  if (scope === 'environment' && !environment) {
    throw new InputError(
      'environment',
      'is empty, and secret-scope is environment.',
      "Give the environment the secret belongs to (the job's `environment:`), e.g. `environment: production`."
    );
  }
  if (scope !== 'environment' && environment) {
    throw new InputError(
      'environment',
      `is set ('${environment}') but secret-scope is ${scope}, so the login would be written to the ${scope} secret, not the environment's.`,
      "Set `secret-scope: environment` if the secret is an environment secret (the environment's copy wins over a repository or organization secret of the same name), or remove 'environment'."
    );
  }
}

/** The repository running the workflow, where a secret or the lease lives. */
function currentRepository(
  env: NodeJS.ProcessEnv,
  input: string,
  purpose: string,
  orElse: string
): { owner: string; repo: string } {
  const repository = (env.GITHUB_REPOSITORY ?? '').trim();
  const [owner, repo, ...rest] = repository.split('/');
  if (!owner || !repo || rest.length) {
    throw new InputError(
      input,
      `needs the repository running the workflow (GITHUB_REPOSITORY, owner/name) ${purpose}, and GITHUB_REPOSITORY is ${repository ? `'${repository}'` : 'not set'}.`,
      `Run the action in a GitHub Actions job, or ${orElse}.`
    );
  }
  return { owner, repo };
}

/**
 * `lease: true`: the lease lives in the repository running the workflow (GITHUB_REPOSITORY), through
 * GITHUB_API_URL, written with `lease-token` (by default the workflow's GITHUB_TOKEN, which needs
 * `permissions: contents: write`).
 */
export function parseLease(get: InputGetter, env: NodeJS.ProcessEnv, warnings: string[]): LeaseSettings | undefined {
  const on = parseBoolean(get, 'lease');
  const timeoutMs = parseMinutes(get, 'lease-timeout-minutes', {
    zero: 'waits not at all (one attempt)',
    fix: 'e.g. 30: longer than the jobs it waits for usually run'
  });
  const ttlMs = parseMinutes(get, 'lease-expiry-minutes', {
    fix: 'Choose it longer than the longest job that uses the credential runs, e.g. 60'
  });
  if (!on) {
    warnings.push(
      ...ignoring(get, ['lease-timeout-minutes', 'lease-expiry-minutes'], 'the lease is on only with `lease: true`.')
    );
    return undefined;
  }
  const token = get('lease-token');
  if (!token) {
    throw new InputError(
      'lease-token',
      'is empty, and lease is true: the lease is a git ref in this repository, written with this token.',
      'Leave it at its default (`${{ github.token }}`, the workflow\'s GITHUB_TOKEN) and give the workflow or job `permissions: contents: write`, or pass a token with "Contents: Read and write" on this repository.'
    );
  }
  oneLine('lease-token', token, 'token');
  const { owner, repo } = currentRepository(env, 'lease', 'to hold the lease', 'set `lease: false`');
  return { owner, repo, apiUrl: apiUrlFromEnv(env), token, timeoutMs, ttlMs };
}

/**
 * `local-store: true`: the runner-local store of a trusted, persistent self-hosted runner. The path
 * is checked here (absolute, outside the workspace and RUNNER_TEMP); the main step checks the disk
 * (owner, modes, symbolic links, container-job mounts) before using it.
 */
export function parseLocalStore(
  get: InputGetter,
  where: ParseContext,
  warnings: string[]
): LocalStoreSettings | undefined {
  const on = parseBoolean(get, 'local-store');
  const lockTimeoutMs = parseMinutes(get, 'lock-timeout-minutes', {
    zero: 'waits not at all (one attempt)',
    fix: 'e.g. 10: longer than the jobs it waits for usually run'
  });
  if (!on) {
    warnings.push(
      ...ignoring(
        get,
        ['local-store-path', 'lock-timeout-minutes'],
        'the runner-local store is on only with `local-store: true`.'
      )
    );
    return undefined;
  }
  const dir = localStoreDir(get('local-store-path') || DEFAULT_LOCAL_STORE_DIR, where);
  if (where.env?.RUNNER_ENVIRONMENT === 'github-hosted') {
    warnings.push(
      "'local-store: true' on a GitHub-hosted runner: every job gets a fresh machine, so the runner-local store does not survive the job (the Actions cache and the secret still carry the login). The local store is for persistent self-hosted runners; remove 'local-store' here."
    );
  }
  return { dir, lockTimeoutMs };
}

/** `local-store-path`: the placement rule (src/stores/local-placement.ts), worded as this input's error. */
function localStoreDir(raw: string, { workspace, home, env }: ParseContext): string {
  const where = `Give an absolute path outside the workspace and the runner's work folder (default ${DEFAULT_LOCAL_STORE_DIR}).`;
  const place = { home, workspace, runnerTemp: env?.RUNNER_TEMP?.trim() };
  // Symbolic links resolved: a link inside the workspace to a directory outside it is still refused.
  const { dir, misplaced } = placeLocalStore(raw, place, isInsideResolved);
  if (!misplaced) return dir;
  const problem = {
    relative: `'${raw}' is a relative path, which would put the store in the workspace.`,
    workspace: `'${raw}' is inside the workspace (${workspace}), where a checkout, an artifact upload or a Docker build could pick up the credential.`,
    'runner-temp': `'${raw}' is inside RUNNER_TEMP (${place.runnerTemp}), which the runner empties after every job, so nothing would be kept.`
  }[misplaced.kind];
  throw new InputError('local-store-path', problem, where);
}
