// Every input is read and checked here, once, into a typed object, before any side effect.
import path from 'node:path';
import { InputError } from './errors.js';
import { setupCommand, shellQuote } from './setup-command.js';
import { apiUrlFromEnv } from '../github/api-url.js';
import { expandHome, isInsideResolved } from './paths.js';
import type { SecretTarget } from '../stores/secret.js';
import { parseWorkloadIdentity, type WorkloadIdentityInputs } from '../workload-identity/inputs.js';
import {
  AUTH_MODES,
  CHATGPT_ONLY_INPUTS,
  DEFAULT_LOCAL_STORE_DIR,
  INPUT_DEFAULTS,
  SAVE_FAILURE_MODES,
  SECRET_SCOPES,
  WORKLOAD_IDENTITY_INPUTS,
  secretNameProblem,
  type SecretScope
} from './constants.js';

export type AuthMode = (typeof AUTH_MODES)[number];
export type SaveFailureMode = (typeof SAVE_FAILURE_MODES)[number];
const RENEWAL_MODES = ['ahead', 'in-job'] as const;
type RenewalMode = (typeof RENEWAL_MODES)[number];
/** The secret scopes, from the dependency-free constants (src/stores/secret.ts loads libsodium, and API-key jobs must not). */
const SECRET_SCOPE_INPUTS: readonly SecretScope[] = SECRET_SCOPES;
/** The runner-local store's default directory. */
export const DEFAULT_LOCAL_STORE_PATH = DEFAULT_LOCAL_STORE_DIR;
const DEFAULTS = INPUT_DEFAULTS;
/** The longest a job can run on a GitHub-hosted runner (and the default on self-hosted ones): 6 hours. */
const MAX_MINUTES = 360;
/** Real access tokens live about 9-10 days: a longer window would renew on every job. */
const MAX_RENEW_BEFORE_HOURS = 192;

interface CommonInputs {
  /** An existing or to-be-created directory chosen by the user, or undefined for a private one. */
  codexHome: string | undefined;
}

export interface ApiKeyInputs extends CommonInputs {
  mode: 'api-key';
  apiKey: string;
}

export interface ChatGptInputs extends CommonInputs {
  mode: 'chatgpt';
  /** The seed as given (raw JSON, base64 of it, or an envelope); decoded later. Never logged. */
  seed: string | undefined;
  encryptionKey: Uint8Array;
  credentialName: string;
  workspaceId: string | undefined;
  /** `oauth-issuer`: the one issuer besides Codex's a login's oauth_provenance may name (explicit opt-in). */
  oauthIssuer: string | undefined;
  allowPublicRepository: boolean;
  onSaveFailure: SaveFailureMode;
  /** What the post step does when Codex could not renew the login (src/chatgpt/keep/after-codex.ts). */
  onRefreshFailure: SaveFailureMode;
  /**
   * The secret the seed is read from, when `secret-name` is set: write access is proven in the
   * main step and the refreshed login is written back to it in the post step. Undefined: no
   * write-back.
   */
  secret: SecretTarget | undefined;
  /** `lease: true`: the lease serializing every job that uses this credential (src/mutex/lease.ts). */
  lease: LeaseSettings | undefined;
  /** `local-store: true`: the runner-local store and its lock (src/stores/local.ts, src/mutex/lock.ts). */
  localStore: LocalStoreSettings | undefined;
  /** `renewal` and `renew-before-hours` (src/chatgpt/renewal/rule.ts). */
  renewal: RenewalSettings;
  /**
   * `github-token` (default: the workflow's GITHUB_TOKEN): reads the repository's visibility and
   * default branch when the event payload does not carry them (src/action/event.ts). Masked; never logged.
   */
  githubToken: string;
}

interface RenewalSettings {
  /**
   * `ahead` (default): the main step renews a login whose access token expires within `windowMs`,
   * once, serialized, and Codex gets a copy without the refresh token; the post step saves nothing.
   * `in-job`: Codex gets the whole login, may refresh it, and the post step saves it.
   */
  mode: RenewalMode;
  /** `renew-before-hours`, in ms. */
  windowMs: number;
  /**
   * `min-token-minutes`, in ms: a due login this job may not renew (src/chatgpt/renewal/without-renewing.ts)
   * runs with its access token only if that lasts longer than this.
   */
  minTokenMs: number;
}

interface LeaseSettings {
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

interface LocalStoreSettings {
  /** `local-store-path`, `~` expanded; the main step checks it on disk. */
  dir: string;
  /** `lock-timeout-minutes`: how long the main step waits for the lock on the store (0: one attempt). */
  lockTimeoutMs: number;
}

/** `auth-mode: access-token`: a Codex access token (`at-…`) of a ChatGPT Business/Enterprise workspace. */
export interface AccessTokenInputs extends CommonInputs {
  mode: 'access-token';
  accessToken: string;
}

type Inputs = ApiKeyInputs | ChatGptInputs | AccessTokenInputs | WorkloadIdentityInputs;

export interface ParsedInputs {
  inputs: Inputs;
  warnings: string[];
}

export type InputReader = (name: string) => string;

export interface ParseContext {
  workspace: string | undefined;
  home: string;
  /** The job's environment: GITHUB_REPOSITORY and GITHUB_API_URL locate the secret of `secret-name`. */
  env?: NodeJS.ProcessEnv;
}

export const CREDENTIAL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_COMMAND = 'openssl rand -base64 32';

/** The secret input values, to mask before anything else can be logged (even before parsing). */
export function secretInputs(read: InputReader): string[] {
  const values = [
    'openai-api-key',
    'codex-access-token',
    'encryption-key',
    'chatgpt-auth-json',
    'secret-token',
    'lease-token',
    'github-token'
  ].map((name) => read(name).trim());
  // A multi-line value would be masked line by line ('{' lines and all): the seed's tokens are masked one by one once parsed.
  return values.filter((value) => value !== '' && !value.includes('\n'));
}

/** The one input that may span lines (auth.json as `codex login` writes it); read on its own. */
const MULTI_LINE_INPUT = 'chatgpt-auth-json';

/**
 * Every other input is one line: a line break in a path or a name could put a line of its own in
 * the log, and a line there can be a workflow command (`::stop-commands::`, which also ends masking
 * for what follows). Refused without quoting the value (it may be a secret).
 */
function singleLine(name: string, value: string): string {
  if (name !== MULTI_LINE_INPUT && /[\r\n]/.test(value))
    throw new InputError(
      name,
      'holds a line break.',
      'Give it on one line (check for a stray newline in the workflow or in the secret it comes from).'
    );
  return value;
}

export function parseInputs(read: InputReader, ctx: ParseContext): ParsedInputs {
  const get = (name: string): string => singleLine(name, read(name).trim());
  const mode = get('auth-mode') || 'api-key';
  if (!(AUTH_MODES as readonly string[]).includes(mode)) {
    throw new InputError('auth-mode', `'${mode}' is not a valid value.`, `Use one of: ${AUTH_MODES.join(', ')}.`);
  }
  const codexHome = parseCodexHome(get('codex-home'), ctx);
  if (mode === 'chatgpt') return parseChatGpt(get, read('chatgpt-auth-json'), codexHome, ctx);
  if (mode === 'access-token') return parseAccessToken(get, codexHome);
  if (mode === 'workload-identity') {
    const parsed = parseWorkloadIdentity(get, ctx.env ?? {});
    const warnings = ignoring(
      get,
      [...CHATGPT_ONLY_INPUTS, 'openai-api-key', 'codex-access-token'],
      'this step uses workload identity (`auth-mode: workload-identity`); no stored credential is read.'
    );
    return { inputs: { ...parsed, codexHome }, warnings: [...warnings, ...parsed.warnings] };
  }

  const apiKey = get('openai-api-key');
  if (!apiKey) {
    throw new InputError(
      'openai-api-key',
      'is empty, and auth-mode is api-key (the default).',
      'Pass a key, e.g. `openai-api-key: ${{ secrets.OPENAI_API_KEY }}`, and check that the secret exists and is available to this workflow (secrets are not passed to workflows triggered from forks); or set `auth-mode: chatgpt`.'
    );
  }
  if (looksLikeChatGptLogin(apiKey)) {
    throw new InputError(
      'openai-api-key',
      'holds a ChatGPT login (an auth.json from `codex login`, or an envelope of one), not an API key; it would be written as the key and fail.',
      'Use `auth-mode: chatgpt` and pass the login as `chatgpt-auth-json` (with an `encryption-key`), or pass an OpenAI API key here.'
    );
  }
  oneLine('openai-api-key', apiKey, 'key');
  const warnings = ignoring(
    get,
    [...CHATGPT_ONLY_INPUTS, ...WORKLOAD_IDENTITY_INPUTS, 'codex-access-token'],
    'a ChatGPT login is used only with `auth-mode: chatgpt`; this step uses the API key.'
  );
  return { inputs: { mode: 'api-key', apiKey, codexHome }, warnings };
}

/**
 * `auth-mode: access-token`: the token Codex accepts from `codex login --with-access-token`. Checked
 * for its shape only (Codex checks it online, with its whoami call); the value is never quoted.
 */
function parseAccessToken(get: (name: string) => string, codexHome: string | undefined): ParsedInputs {
  const token = get('codex-access-token');
  const input = 'codex-access-token';
  const example =
    'Pass the access token your ChatGPT workspace issued for automation, e.g. `codex-access-token: ${{ secrets.CODEX_ACCESS_TOKEN }}`';
  if (!token) {
    throw new InputError(
      input,
      'is empty, and auth-mode is access-token.',
      `${example}, and check that the secret exists and is available to this workflow (secrets are not passed to workflows triggered from forks).`
    );
  }
  if (token.startsWith('{')) {
    throw new InputError(
      input,
      'holds JSON (a ChatGPT login, auth.json?), not an access token.',
      'For a login from `codex login`, use `auth-mode: chatgpt` with `chatgpt-auth-json`; for an access token, pass the `at-…` value alone.'
    );
  }
  if (/^sk-/.test(token)) {
    throw new InputError(
      input,
      'holds an OpenAI API key (sk-…), not a Codex access token.',
      'For an API key, use `auth-mode: api-key` with `openai-api-key`; for an access token, pass the `at-…` value.'
    );
  }
  oneLine(input, token, 'token');
  if (!token.startsWith('at-')) {
    throw new InputError(input, 'is not a Codex access token (they start with `at-`).', `${example}.`);
  }
  const warnings = ignoring(
    get,
    [...CHATGPT_ONLY_INPUTS, ...WORKLOAD_IDENTITY_INPUTS, 'openai-api-key'],
    'this step uses the access token (`auth-mode: access-token`).'
  );
  return { inputs: { mode: 'access-token', accessToken: token, codexHome }, warnings };
}

/** An auth.json (raw JSON or base64 of it) or a codex-auth envelope: what `chatgpt-auth-json` takes. */
function looksLikeChatGptLogin(value: string): boolean {
  if (value.startsWith('codex-auth:')) return true;
  const json = value.startsWith('{')
    ? value
    : /^[A-Za-z0-9+/=_-]{40,}$/.test(value)
      ? Buffer.from(value, 'base64').toString('utf8').trim()
      : '';
  return json.startsWith('{') && /"(auth_mode|tokens|refresh_token)"\s*:/.test(json);
}

function isDefault(name: string, value: string): boolean {
  // lease-token and github-token default to the workflow's token, which the runner expands: a value is always there.
  if (name === 'lease-token' || name === 'github-token') return true;
  return DEFAULTS[name] !== undefined && value.toLowerCase() === DEFAULTS[name].toLowerCase();
}

const ONE_LINE_FIX = 'Store it alone, on one line, in the secret.';

/** A key or token with white space inside would be sent as is and refused: say so here. */
function oneLine(input: string, value: string, what: 'key' | 'token'): void {
  if (/\s/.test(value)) throw new InputError(input, `contains white space inside the ${what}.`, ONE_LINE_FIX);
}

/** "Ignoring 'a', 'b': <why>" for the inputs among `names` given a value other than their default, or nothing. */
function ignoring(get: (name: string) => string, names: string[], why: string): string[] {
  const stray = names.filter((name) => get(name) !== '' && !isDefault(name, get(name)));
  return stray.length ? [`Ignoring ${stray.map((n) => `'${n}'`).join(', ')}: ${why}`] : [];
}

function parseChatGpt(
  get: (name: string) => string,
  seed: string,
  codexHome: string | undefined,
  ctx: ParseContext
): ParsedInputs {
  const rawKey = get('encryption-key');
  if (!rawKey) {
    throw new InputError(
      'encryption-key',
      'is empty; ChatGPT mode stores the credential encrypted and needs a key.',
      `Create one with \`${KEY_COMMAND}\`, store it as a secret and pass it, e.g. \`encryption-key: \${{ secrets.CODEX_AUTH_KEY }}\`.`
    );
  }
  const encryptionKey = decodeKey(rawKey);
  const credentialName = get('credential-name') || 'default';
  if (!CREDENTIAL_NAME.test(credentialName)) {
    throw new InputError(
      'credential-name',
      `'${credentialName}' is not a valid name.`,
      'Use 1 to 64 letters, digits, hyphens or underscores.'
    );
  }
  const workspaceId = get('workspace-id') || undefined;
  if (workspaceId && !/^[A-Za-z0-9_-]+$/.test(workspaceId)) {
    throw new InputError(
      'workspace-id',
      `'${workspaceId}' is not a workspace id.`,
      'Give the ChatGPT workspace (account) id, e.g. the `chatgpt_account_id` of your login, or leave it empty.'
    );
  }
  const oauthIssuer = parseIssuer(get('oauth-issuer'));
  const allowPublicRepository = parseBoolean(get, 'dangerously-allow-public-repository');
  const onSaveFailure = parseChoice(get, 'on-save-failure', SAVE_FAILURE_MODES, 'fail');
  const onRefreshFailure = parseChoice(get, 'on-refresh-failure', SAVE_FAILURE_MODES, 'fail');
  const warnings: string[] = [];
  const secret = parseSecretWriteBack(get, ctx.env ?? {}, warnings);
  const lease = parseLease(get, ctx.env ?? {}, warnings);
  const localStore = parseLocalStore(get, ctx, warnings);
  const renewal = parseRenewal(get);
  if (secret && !seed.trim()) {
    warnings.push(
      `'secret-name' is set (${secret.name}) but 'chatgpt-auth-json' is empty: pass the same secret, \`chatgpt-auth-json: \${{ secrets.${secret.name} }}\`, so the action reads the copy it writes back. (Empty is expected only when the secret does not exist yet.)`
    );
  }
  return {
    inputs: {
      mode: 'chatgpt',
      codexHome,
      seed: seed.trim() ? seed : undefined,
      encryptionKey,
      credentialName,
      workspaceId,
      oauthIssuer,
      allowPublicRepository,
      onSaveFailure,
      onRefreshFailure,
      secret,
      lease,
      localStore,
      renewal,
      githubToken: parseGithubToken(get)
    },
    warnings
  };
}

/** `github-token`: may be empty (then a payload without the repository's visibility fails the job, src/action/event.ts). */
function parseGithubToken(get: (name: string) => string): string {
  const token = get('github-token');
  if (token) oneLine('github-token', token, 'token');
  return token;
}

/**
 * The write-back target: the secret named by `secret-name`, in the repository running the workflow
 * (GITHUB_REPOSITORY), its environment, or its owner organization, through GITHUB_API_URL.
 */
function parseSecretWriteBack(
  get: (name: string) => string,
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
  const nameProblem = secretNameProblem(rawName);
  if (nameProblem) {
    throw new InputError(
      'secret-name',
      `${nameProblem}.`,
      `Give the name of the secret passed as 'chatgpt-auth-json', e.g. \`secret-name: CODEX_AUTH_JSON\` with \`chatgpt-auth-json: \${{ secrets.CODEX_AUTH_JSON }}\`.`
    );
  }
  const name = rawName.toUpperCase();
  const scope = parseChoice(get, 'secret-scope', SECRET_SCOPE_INPUTS, 'repository');
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
  if (!token) {
    throw new InputError(
      'secret-token',
      `is empty, and secret-name is set: writing the refreshed login back to the secret ${name} needs a token that may write secrets.`,
      `The workflow's GITHUB_TOKEN cannot write secrets, whatever its \`permissions:\` say. Use ${tokenKinds(scope)}; store it as a secret and pass it, e.g. \`secret-token: \${{ secrets.CODEX_AUTH_SECRET_TOKEN }}\`. Or remove secret-name to keep the login in the Actions cache only.`
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
function parseLease(
  get: (name: string) => string,
  env: NodeJS.ProcessEnv,
  warnings: string[]
): LeaseSettings | undefined {
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
function parseLocalStore(
  get: (name: string) => string,
  ctx: ParseContext,
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
  const raw = get('local-store-path') || DEFAULT_LOCAL_STORE_PATH;
  const expanded = expandHome(raw, ctx.home);
  const where = `Give an absolute path outside the workspace and the runner's work folder (default ${DEFAULT_LOCAL_STORE_PATH}).`;
  if (!path.isAbsolute(expanded))
    throw new InputError(
      'local-store-path',
      `'${raw}' is a relative path, which would put the store in the workspace.`,
      where
    );
  const dir = path.resolve(expanded);
  if (ctx.workspace && isInsideResolved(dir, ctx.workspace)) {
    throw new InputError(
      'local-store-path',
      `'${raw}' is inside the workspace (${ctx.workspace}), where a checkout, an artifact upload or a Docker build could pick up the credential.`,
      where
    );
  }
  const runnerTemp = ctx.env?.RUNNER_TEMP?.trim();
  if (runnerTemp && isInsideResolved(dir, runnerTemp)) {
    throw new InputError(
      'local-store-path',
      `'${raw}' is inside RUNNER_TEMP (${runnerTemp}), which the runner empties after every job, so nothing would be kept.`,
      where
    );
  }
  if (ctx.env?.RUNNER_ENVIRONMENT === 'github-hosted') {
    warnings.push(
      "'local-store: true' on a GitHub-hosted runner: every job gets a fresh machine, so the runner-local store does not survive the job (the Actions cache and the secret still carry the login). The local store is for persistent self-hosted runners; remove 'local-store' here."
    );
  }
  return { dir, lockTimeoutMs };
}

/** `renewal` and `renew-before-hours`. */
function parseRenewal(get: (name: string) => string): RenewalSettings {
  const mode = parseChoice(get, 'renewal', RENEWAL_MODES, 'ahead');
  const value = get('renew-before-hours') || DEFAULTS['renew-before-hours'];
  const hours = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  const fix = `Give more than 0 and at most ${MAX_RENEW_BEFORE_HOURS} hours, longer than your longest job (default 24).`;
  if (Number.isNaN(hours)) throw new InputError('renew-before-hours', notDecimal(value, 'hours'), fix);
  if (hours === 0)
    throw new InputError(
      'renew-before-hours',
      'is 0: the login would be renewed only once expired, while jobs still use it.',
      fix
    );
  if (hours > MAX_RENEW_BEFORE_HOURS) {
    throw new InputError(
      'renew-before-hours',
      `${value} hours is more than ${MAX_RENEW_BEFORE_HOURS} (8 days): ChatGPT access tokens live about 9-10 days, so every job would renew.`,
      fix
    );
  }
  const minTokenMs = parseMinutes(get, 'min-token-minutes', {
    fix: "e.g. 120: longer than this job runs, so that Codex's access token outlasts it"
  });
  return { mode, windowMs: Math.round(hours * 3_600_000), minTokenMs };
}

/** Why a duration is not the plain decimal number the duration inputs take. */
function notDecimal(value: string, unit: 'hours' | 'minutes'): string {
  return /^-\s*[\d.]/.test(value)
    ? `'${value}' is negative.`
    : `'${value}' is not a number of ${unit} (digits, with an optional decimal point, e.g. 1.5).`;
}

/** A duration input in minutes (decimals allowed), more than 0 (or 0 when `zero` says what it means) and at most 6 hours. */
function parseMinutes(get: (name: string) => string, name: string, options: { zero?: string; fix: string }): number {
  const value = get(name) || DEFAULTS[name];
  const minutes = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  const range = `${options.zero ? '0' : 'more than 0'} to ${MAX_MINUTES}`;
  if (Number.isNaN(minutes))
    throw new InputError(name, notDecimal(value, 'minutes'), `Give ${range} minutes, ${options.fix}.`);
  if (minutes === 0 && !options.zero) throw new InputError(name, 'is 0.', `Give ${range} minutes, ${options.fix}.`);
  if (minutes > MAX_MINUTES) {
    throw new InputError(
      name,
      `${value} minutes is more than ${MAX_MINUTES} (6 hours, the longest a job runs on a GitHub-hosted runner).`,
      `Give ${range} minutes, ${options.fix}.`
    );
  }
  return Math.round(minutes * 60_000);
}

/** The `codex-auth init` command that re-seeds this secret (and sets a new encryption key): see src/action/setup-command.ts. */
export function initCommand(target: SecretTarget): string {
  const scope =
    target.scope === 'environment'
      ? ['--environment', shellQuote(target.environment ?? '')]
      : target.scope === 'organization'
        ? ['--scope', 'organization']
        : [];
  return setupCommand('--login', '--repo', `${target.owner}/${target.repo}`, ...scope, '--secret-name', target.name);
}

function tokenKinds(scope: SecretScope): string {
  const permission =
    scope === 'environment'
      ? '"Environments: Read and write" on this repository'
      : scope === 'organization'
        ? 'the organization permission "Secrets: Read and write"'
        : '"Secrets: Read and write" on this repository';
  return `a fine-grained personal access token with ${permission}, or a GitHub App installation token with that permission`;
}

/** The encryption key must be exactly 32 random bytes, base64: nothing weaker is accepted. */
function decodeKey(raw: string): Uint8Array {
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) {
    throw new InputError(
      'encryption-key',
      'must be 32 random bytes in base64 (44 characters); the value given is not.',
      `Create one with \`${KEY_COMMAND}\` and store it as a secret.`
    );
  }
  if (new Set(bytes).size < 8) {
    throw new InputError(
      'encryption-key',
      'is not random (too few distinct bytes).',
      `Create one with \`${KEY_COMMAND}\`.`
    );
  }
  return new Uint8Array(bytes);
}

function parseBoolean(get: (name: string) => string, name: string): boolean {
  const value = get(name).toLowerCase() || 'false';
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InputError(name, `'${value}' is not a boolean.`, 'Use true or false.');
}

function parseIssuer(raw: string): string | undefined {
  if (!raw) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !['https:', 'http:'].includes(url.protocol) || url.search || url.hash) {
    throw new InputError(
      'oauth-issuer',
      `'${raw}' is not an issuer URL.`,
      "Give the issuer as a login's tokens.oauth_provenance.issuer names it (e.g. https://auth.example.com), or leave it empty for Codex's own."
    );
  }
  return raw.replace(/\/+$/, '');
}

function parseChoice<T extends string>(
  get: (name: string) => string,
  name: string,
  choices: readonly T[],
  fallback: T
): T {
  const value = get(name) || fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new InputError(name, `'${value}' is not a valid value.`, `Use one of: ${choices.join(', ')}.`);
}

/** A user-chosen CODEX_HOME: absolute (or ~/...), and never inside the workspace, where a checkout, an artifact or a Docker context could pick the credential up. */
function parseCodexHome(raw: string, ctx: ParseContext): string | undefined {
  if (!raw) return undefined;
  const expanded = expandHome(raw, ctx.home);
  if (!path.isAbsolute(expanded)) {
    throw new InputError(
      'codex-home',
      `'${raw}' is a relative path, which would put credentials in the workspace.`,
      'Give an absolute path outside the workspace (e.g. ~/.codex), or leave it empty for a private directory under RUNNER_TEMP.'
    );
  }
  const resolved = path.resolve(expanded);
  // With links resolved: a link in a parent can put a path that reads as outside inside the workspace.
  if (ctx.workspace && isInsideResolved(resolved, ctx.workspace)) {
    throw new InputError(
      'codex-home',
      `'${raw}' is inside the workspace (${ctx.workspace}) once symbolic links are resolved, where a checkout, an artifact upload or a Docker build could pick up the credential.`,
      'Choose a directory outside the workspace, or leave it empty for a private directory under RUNNER_TEMP.'
    );
  }
  return resolved;
}
