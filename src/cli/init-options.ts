// `codex-auth init`'s command line: the help text, the flags, and the checks that refuse a command
// line before anything is signed in, generated or sent. A refusal is a UsageError (exit code 2).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CODEX_ISSUER } from '../chatgpt/login/credential.js';
import { errorMessage } from '../action/errors.js';
import { ISSUER_URL_RULE, issuerUrl } from '../action/issuer-url.js';
import { CREDENTIAL_NAME_RULE, DEFAULT_CREDENTIAL_NAME, isCredentialName } from '../action/credential-name.js';
import { SECRET_NAMES, SECRET_SCOPES, secretNameProblem, type SecretScope } from '../action/constants.js';
import { apiUrlFromEnv, DEFAULT_API_URL } from '../github/api-url.js';
import { WORKFLOW_FILE } from './workflow.js';
import type { InitIO } from './text.js';

export const INIT_USAGE = `Usage: codex-auth init --login [--device-auth] --repo OWNER/NAME [options]   (recommended)
       codex-auth init [--auth-file PATH] [options]

Seeds a ChatGPT login into GitHub Actions secrets, encrypted: the secret --secret-name holds the
sealed auth.json (an envelope), --key-secret-name the key that opens it. Run it on a trusted
machine. Messages go to standard error; standard output carries only a workflow that uses the
secrets (\`> ${WORKFLOW_FILE}\` saves it).

Login:
  --login                   sign in now with \`codex login\`, in a private temporary Codex home, so
                            CI gets a login session of its own: nothing is kept on this machine,
                            and your own Codex login (~/.codex) is untouched. Needs the Codex CLI.
  --device-auth             with --login: sign in with a one-time code instead of a browser
                            (headless machines)
  --codex PATH              with --login: the Codex CLI to run (default: codex on PATH)
  --oauth-issuer URL        accept a login from this OAuth issuer instead of Codex's own
                            (${CODEX_ISSUER}); with --login, Codex signs in there
                            (needs --device-auth)
  --auth-file PATH          without --login: the auth.json of an existing login (default:
                            $CODEX_HOME/auth.json, else ~/.codex/auth.json); CI then shares that
                            session with this machine

Options:
  --credential-name NAME    the action's credential-name (default: ${DEFAULT_CREDENTIAL_NAME})
  --repo OWNER/NAME         set the secrets in this repository through the GitHub API; the token
                            is read from GITHUB_TOKEN or GH_TOKEN (e.g. GH_TOKEN=$(gh auth token))
  --secret-name NAME        secret for the sealed login (default: ${SECRET_NAMES.login})
  --key-secret-name NAME    secret for the encryption key (default: ${SECRET_NAMES.key})
  --scope SCOPE             repository (default), environment or organization
  --environment NAME        environment scope: the environment (implies --scope environment)
  --org NAME                organization scope: the organization (default: the owner of --repo)
  --api-url URL             GitHub API (default: GITHUB_API_URL, else ${DEFAULT_API_URL};
                            GitHub Enterprise Server: https://HOST/api/v3)
  --print                   do not call GitHub: print what to set where (the default without --repo)
  --show-secrets            print the secret values themselves (otherwise they go to 0600 files)
  -h, --help                this help
`;

/** The flags, as node:util's parseArgs takes them (the help above describes each). */
const FLAGS = {
  login: { type: 'boolean' },
  'device-auth': { type: 'boolean' },
  codex: { type: 'string' },
  'oauth-issuer': { type: 'string' },
  'auth-file': { type: 'string' },
  'credential-name': { type: 'string' },
  repo: { type: 'string' },
  'secret-name': { type: 'string' },
  'key-secret-name': { type: 'string' },
  scope: { type: 'string' },
  environment: { type: 'string' },
  org: { type: 'string' },
  'api-url': { type: 'string' },
  print: { type: 'boolean' },
  'show-secrets': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const;

const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** A mistake in the command line: exit code 2, the message names the flag. */
export class UsageError extends Error {
  constructor(
    readonly flag: string,
    message: string
  ) {
    super(`${flag}: ${message}`);
    this.name = 'UsageError';
  }
}

export interface InitOptions {
  /** Run `codex login` in a private temporary Codex home instead of reading authFile. */
  login: boolean;
  deviceAuth: boolean;
  codex: string | undefined;
  /** A non-default OAuth issuer the user trusts (tokens.oauth_provenance.issuer). */
  oauthIssuer: string | undefined;
  authFile: string;
  credentialName: string;
  repo: { owner: string; name: string } | undefined;
  secretName: string;
  keySecretName: string;
  scope: SecretScope;
  environment: string | undefined;
  org: string | undefined;
  apiUrl: string;
  print: boolean;
  showSecrets: boolean;
  help: boolean;
}

type Flags = Record<string, string | boolean | undefined>;
/** A string flag, trimmed; undefined when not given; an empty value is refused. */
type StringFlag = (name: string) => string | undefined;

/** The checks run in the order of the help text, so the first mistake named is the first one listed. */
export function parseInitArgs(args: string[], io: Pick<InitIO, 'env' | 'home'>): InitOptions {
  const values = readFlags(args);
  const str: StringFlag = (name) => {
    const value = values[name];
    if (value === undefined) return undefined;
    const trimmed = String(value).trim();
    if (!trimmed) throw new UsageError(`--${name}`, 'is empty.');
    return trimmed;
  };
  return {
    ...loginOptions(values, str, io),
    credentialName: credentialNameOption(str),
    repo: repoOption(str),
    ...secretNameOptions(str),
    ...scopeOptions(str),
    apiUrl: apiUrlOption(str, io.env),
    print: values.print === true,
    showSecrets: values['show-secrets'] === true,
    help: values.help === true
  };
}

function readFlags(args: string[]): Flags {
  try {
    return parseArgs({ args, strict: true, allowPositionals: false, options: FLAGS }).values;
  } catch (error) {
    const message = errorMessage(error);
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? 'arguments';
    throw new UsageError(
      flag,
      `${message.replace(/\. To specify a positional argument.*$/, '')}. Run \`codex-auth init --help\` for the options.`
    );
  }
}

/** --login, --device-auth, --codex, --oauth-issuer and --auth-file: where the login comes from. */
function loginOptions(
  values: Flags,
  str: StringFlag,
  io: Pick<InitIO, 'env' | 'home'>
): Pick<InitOptions, 'login' | 'deviceAuth' | 'codex' | 'oauthIssuer' | 'authFile'> {
  const codexHome = io.env.CODEX_HOME?.trim() || path.join(io.home, '.codex');
  const rawAuth = str('auth-file');
  const authFile = rawAuth
    ? path.resolve(rawAuth === '~' || rawAuth.startsWith('~/') ? path.join(io.home, rawAuth.slice(1)) : rawAuth)
    : path.join(codexHome, 'auth.json');
  const login = values.login === true;
  const deviceAuth = values['device-auth'] === true;
  const codex = str('codex');
  if (login && rawAuth)
    throw new UsageError('--auth-file', 'does not go with --login, which signs in anew: give one or the other.');
  if (!login && deviceAuth) throw new UsageError('--device-auth', 'only goes with --login.');
  if (!login && codex) throw new UsageError('--codex', 'only goes with --login.');
  const rawIssuer = str('oauth-issuer');
  const oauthIssuer = rawIssuer === undefined ? undefined : issuerUrl(rawIssuer);
  if (rawIssuer !== undefined && !oauthIssuer) throw new UsageError('--oauth-issuer', `is not ${ISSUER_URL_RULE}.`);
  if (oauthIssuer && login && !deviceAuth)
    throw new UsageError(
      '--oauth-issuer',
      "with --login needs --device-auth: Codex's browser login always signs in at " + `${CODEX_ISSUER}.`
    );
  return { login, deviceAuth, codex, oauthIssuer, authFile };
}

function credentialNameOption(str: StringFlag): string {
  const credentialName = str('credential-name') ?? DEFAULT_CREDENTIAL_NAME;
  if (!isCredentialName(credentialName))
    throw new UsageError(
      '--credential-name',
      `'${credentialName}' is not a valid name: use ${CREDENTIAL_NAME_RULE} (the same as the action's credential-name input).`
    );
  return credentialName;
}

function repoOption(str: StringFlag): InitOptions['repo'] {
  const rawRepo = str('repo');
  if (rawRepo && !REPO.test(rawRepo))
    throw new UsageError('--repo', `'${rawRepo}' is not OWNER/NAME (e.g. --repo acme/app).`);
  return rawRepo ? { owner: rawRepo.split('/')[0], name: rawRepo.split('/')[1] } : undefined;
}

/** --secret-name and --key-secret-name: two valid names (upper-cased, as GitHub stores them), not the same. */
function secretNameOptions(str: StringFlag): Pick<InitOptions, 'secretName' | 'keySecretName'> {
  const secretName = (str('secret-name') ?? SECRET_NAMES.login).toUpperCase();
  const keySecretName = (str('key-secret-name') ?? SECRET_NAMES.key).toUpperCase();
  for (const [flag, name] of [
    ['--secret-name', secretName],
    ['--key-secret-name', keySecretName]
  ] as const) {
    const problem = secretNameProblem(name);
    if (problem) throw new UsageError(flag, `${problem}.`);
  }
  if (secretName === keySecretName)
    throw new UsageError(
      '--key-secret-name',
      `is the same as --secret-name (${secretName}); the login and its key need two secrets.`
    );
  return { secretName, keySecretName };
}

/** --scope, --environment and --org: --environment or --org alone implies its scope. */
function scopeOptions(str: StringFlag): Pick<InitOptions, 'scope' | 'environment' | 'org'> {
  const environment = str('environment');
  const org = str('org');
  const rawScope = str('scope') ?? (environment ? 'environment' : org ? 'organization' : 'repository');
  if (!(SECRET_SCOPES as readonly string[]).includes(rawScope))
    throw new UsageError('--scope', `'${rawScope}' is not one of ${SECRET_SCOPES.join(', ')}.`);
  const scope = rawScope as SecretScope;
  if (scope === 'environment' && !environment)
    throw new UsageError(
      '--environment',
      'is required with --scope environment (the name of an existing environment of the repository).'
    );
  if (scope !== 'environment' && environment)
    throw new UsageError('--environment', `only goes with --scope environment (the scope is ${scope}).`);
  if (scope !== 'organization' && org)
    throw new UsageError('--org', `only goes with --scope organization (the scope is ${scope}).`);
  return { scope, environment, org };
}

function apiUrlOption(str: StringFlag, env: NodeJS.ProcessEnv): string {
  const apiUrl = str('api-url')?.replace(/\/+$/, '') || apiUrlFromEnv(env);
  if (!isHttpUrl(apiUrl))
    throw new UsageError(
      '--api-url',
      `'${apiUrl}' is not an http(s) URL (GitHub Enterprise Server: https://HOST/api/v3).`
    );
  return apiUrl;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
