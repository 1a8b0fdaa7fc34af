// `codex-auth init`: the one-time seeding, on a trusted machine. With --login (the recommended way) it
// runs `codex login` in a private temporary CODEX_HOME, so CI gets a login session of its own
// (./login.ts); otherwise it reads an existing auth.json. It runs the same checks as the action,
// generates an encryption key, seals the login into an envelope, and either sets both secrets through
// the GitHub API (--repo, token from GITHUB_TOKEN or GH_TOKEN) or prints what to set. It never prints
// a secret value unless --show-secrets is given; printing works offline. Standard output carries only
// the workflow that uses the secrets (examples/nightly-chatgpt.yml, ./workflow.ts); every message goes
// to standard error, wrapped at 100 columns (./text.ts).
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import {
  CODEX_ISSUER,
  parseCredential,
  provenanceProblem,
  type ChatGptCredential
} from '../chatgpt/login/credential.js';
import { seal } from '../chatgpt/login/envelope.js';
import { errorMessage } from '../action/errors.js';
import { isCredentialName } from '../action/credential-name.js';
import { setupCommand, shellQuote } from '../action/setup-command.js';
import { wrap } from './text.js';
import { nightlyWorkflow, WORKFLOW_FILE } from './workflow.js';
import { findCodex, LoginCancelled, loginWithCodex } from './login.js';
import {
  apiUrlFromEnv,
  DEFAULT_API_URL,
  SECRET_SCOPES,
  describeTarget,
  secretNameProblem,
  writeSecret,
  type SecretScope,
  type SecretTarget,
  type SettingNames
} from '../stores/secret.js';

const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

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
  --credential-name NAME    the action's credential-name (default: default)
  --repo OWNER/NAME         set the secrets in this repository through the GitHub API; the token
                            is read from GITHUB_TOKEN or GH_TOKEN (e.g. GH_TOKEN=$(gh auth token))
  --secret-name NAME        secret for the sealed login (default: CODEX_AUTH_JSON)
  --key-secret-name NAME    secret for the encryption key (default: CODEX_AUTH_KEY)
  --scope SCOPE             repository (default), environment or organization
  --environment NAME        environment scope: the environment (implies --scope environment)
  --org NAME                organization scope: the organization (default: the owner of --repo)
  --api-url URL             GitHub API (default: GITHUB_API_URL, else ${DEFAULT_API_URL};
                            GitHub Enterprise Server: https://HOST/api/v3)
  --print                   do not call GitHub: print what to set where (the default without --repo)
  --show-secrets            print the secret values themselves (otherwise they go to 0600 files)
  -h, --help                this help
`;

export interface InitIO {
  env: NodeJS.ProcessEnv;
  /** Home directory for `~` (HOME). */
  home: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Injectable for tests of the API path (retries). */
  sleep?: (ms: number) => Promise<void>;
}

/** A mistake in the command line: exit code 2, the message names the flag. */
class UsageError extends Error {
  constructor(
    readonly flag: string,
    message: string
  ) {
    super(`${flag}: ${message}`);
    this.name = 'UsageError';
  }
}

interface InitOptions {
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

function parseInitArgs(args: string[], io: Pick<InitIO, 'env' | 'home'>): InitOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
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
      }
    }));
  } catch (error) {
    const message = errorMessage(error);
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? 'arguments';
    throw new UsageError(
      flag,
      `${message.replace(/\. To specify a positional argument.*$/, '')}. Run \`codex-auth init --help\` for the options.`
    );
  }
  const str = (name: string): string | undefined => {
    const value = values[name];
    if (value === undefined) return undefined;
    const trimmed = String(value).trim();
    if (!trimmed) throw new UsageError(`--${name}`, 'is empty.');
    return trimmed;
  };

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
  const oauthIssuer = str('oauth-issuer')?.replace(/\/+$/, '');
  if (oauthIssuer !== undefined) {
    if (!isHttpUrl(oauthIssuer)) throw new UsageError('--oauth-issuer', `'${oauthIssuer}' is not an http(s) URL.`);
    if (login && !deviceAuth)
      throw new UsageError(
        '--oauth-issuer',
        "with --login needs --device-auth: Codex's browser login always signs in at " + `${CODEX_ISSUER}.`
      );
  }

  const credentialName = str('credential-name') ?? 'default';
  if (!isCredentialName(credentialName))
    throw new UsageError(
      '--credential-name',
      `'${credentialName}' is not a valid name: use 1 to 64 letters, digits, hyphens or underscores (the same as the action's credential-name input).`
    );

  const rawRepo = str('repo');
  if (rawRepo && !REPO.test(rawRepo))
    throw new UsageError('--repo', `'${rawRepo}' is not OWNER/NAME (e.g. --repo acme/app).`);
  const repo = rawRepo ? { owner: rawRepo.split('/')[0], name: rawRepo.split('/')[1] } : undefined;

  const secretName = (str('secret-name') ?? 'CODEX_AUTH_JSON').toUpperCase();
  const keySecretName = (str('key-secret-name') ?? 'CODEX_AUTH_KEY').toUpperCase();
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

  const apiUrl = str('api-url')?.replace(/\/+$/, '') || apiUrlFromEnv(io.env);
  if (!isHttpUrl(apiUrl))
    throw new UsageError(
      '--api-url',
      `'${apiUrl}' is not an http(s) URL (GitHub Enterprise Server: https://HOST/api/v3).`
    );

  return {
    login,
    deviceAuth,
    codex,
    oauthIssuer,
    authFile,
    credentialName,
    repo,
    secretName,
    keySecretName,
    scope,
    environment,
    org,
    apiUrl,
    print: values.print === true,
    showSecrets: values['show-secrets'] === true,
    help: values.help === true
  };
}

/** Runs `codex-auth init`; returns the exit code (0 done, 1 failed, 2 bad command line). */
export async function runInit(args: string[], io: InitIO): Promise<number> {
  let options: InitOptions;
  try {
    options = parseInitArgs(args, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(io, `codex-auth init: ${error.message}`);
    return 2;
  }
  if (options.help) {
    io.out(INIT_USAGE.trimEnd());
    return 0;
  }
  try {
    await init(options, io, args);
    return 0;
  } catch (error) {
    if (error instanceof LoginCancelled) {
      say(io, `codex-auth init: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof UsageError) {
      say(io, `codex-auth init: ${error.message}`);
      return 2;
    }
    say(io, `codex-auth init: ${errorMessage(error)}`);
    return 1;
  }
}

async function init(options: InitOptions, io: InitIO, args: string[]): Promise<void> {
  const write = options.repo !== undefined && !options.print;
  // Resolve everything a write needs before signing in or generating anything.
  const token = write ? tokenFrom(io.env, setupCommand(...args.map(shellQuote))) : undefined;

  const credential = options.login
    ? await newLogin(options, io)
    : await readLogin(options.authFile, io, options.oauthIssuer);
  const expires = credential.accessTokenExpiresAt;
  say(
    io,
    `${options.login ? 'Signed in for CI' : `Read the ChatGPT login in ${options.authFile}`}: plan ${credential.planType ?? 'unknown'}, last_refresh ${credential.lastRefreshText}` +
      `${expires ? `, access token ${expires.getTime() <= Date.now() ? 'expired' : 'expires'} ${expires.toISOString()}${expires.getTime() <= Date.now() ? ' (the first job refreshes it)' : ''}` : ''}.`
  );

  const key = randomKey();
  const keyText = Buffer.from(key).toString('base64');
  const envelope = await seal(credential.text, key, options.credentialName);

  if (write) {
    const repo = options.repo!;
    const names: Partial<SettingNames> = {
      token: token!.variable,
      scope: '--scope',
      environment: '--environment',
      repository: '--repo',
      org: '--org (default: the owner of --repo)',
      name: '--secret-name / --key-secret-name'
    };
    const target = (name: string): SecretTarget => ({
      scope: options.scope,
      name,
      owner: repo.owner,
      repo: repo.name,
      environment: options.environment,
      org: options.org,
      apiUrl: options.apiUrl,
      token: token!.value
    });
    const opts = { names, log: (line: string) => say(io, line), sleep: io.sleep };
    // The sealed login first: if the key write then fails, re-running writes both again.
    const seedResult = await writeSecret(target(options.secretName), envelope, opts);
    say(io, `Set the ${describeTarget(target(options.secretName))} (${seedResult.status}): the sealed login.`);
    try {
      const keyResult = await writeSecret(target(options.keySecretName), keyText, opts);
      say(io, `Set the ${describeTarget(target(options.keySecretName))} (${keyResult.status}): the encryption key.`);
    } catch (error) {
      throw new Error(
        `${errorMessage(error)}\n${options.secretName} was already replaced with a login sealed under the new key, which ${options.keySecretName} does not hold yet: fix the problem and run this command again (it writes both).`,
        { cause: error }
      );
    }
    if (options.showSecrets) {
      say(io, `\n${options.secretName}=${envelope}\n${options.keySecretName}=${keyText}`);
    }
  } else {
    await printInstructions(options, io, envelope, keyText);
  }

  printWorkflow(options, io);
  say(io, `\n${writeBackNote(options)}`);
  say(
    io,
    options.login
      ? '\nThis login belongs to CI alone: nothing of it was kept on this machine, and your own Codex login is untouched. To replace it (e.g. after a failed refresh), run the command again.'
      : '\nImportant: this login now belongs to CI. Its refresh token is single-use: if Codex on this machine refreshes the same login, the copy in CI stops working (and the other way round). ' +
          `Remove the local copy with \`rm ${shellQuote(options.authFile)}\` (not \`codex logout\`, which revokes the login CI now holds), and run \`codex login\` again if you need Codex here: a new login is a separate session. ` +
          `Next time, \`${setupCommand('--login')}\` gives CI a login of its own.`
  );
}

/**
 * The workflow alone on stdout, its start and end marked on stderr: on a terminal the markers show
 * where to copy, and `codex-auth init … > FILE` saves exactly the workflow, with no instruction or
 * marker in it (a marker on stdout would be one more line to cut by hand).
 */
function printWorkflow(options: InitOptions, io: InitIO): void {
  say(
    io,
    `\nA workflow that uses these secrets (ChatGPT mode: private repositories only). Save it as ${WORKFLOW_FILE}; ` +
      'it alone is on standard output, so `> FILE` after this command saves exactly it.'
  );
  io.err(`----- begin ${WORKFLOW_FILE} -----`);
  io.out(
    nightlyWorkflow({
      secretName: options.secretName,
      keySecretName: options.keySecretName,
      credentialName: options.credentialName,
      repo: options.repo && `${options.repo.owner}/${options.repo.name}`,
      environment: options.scope === 'environment' ? options.environment : undefined
    }).trimEnd()
  );
  io.err(`----- end ${WORKFLOW_FILE} -----`);
}

/** An instruction or message: stderr, wrapped at 100 columns. */
function say(io: InitIO, text: string): void {
  io.err(wrap(text));
}

/** `codex login` in a private temporary Codex home (./login.ts), checked like a seed. */
async function newLogin(options: InitOptions, io: InitIO): Promise<ChatGptCredential> {
  const codex = await findCodex(options.codex, io.env);
  if (!codex) {
    throw new Error(
      options.codex
        ? `--codex: ${options.codex} is not an executable file. Give the path of the Codex CLI and run the command again.`
        : 'The Codex CLI (codex) is not on PATH: install it (`npm install -g @openai/codex`) or give its path with --codex PATH, and run the command again.'
    );
  }
  say(
    io,
    `Running \`codex login${options.deviceAuth ? ' --device-auth' : ''}\` in a private temporary Codex home (removed afterwards)…`
  );
  const text = await loginWithCodex({
    codex,
    deviceAuth: options.deviceAuth,
    issuer: options.oauthIssuer,
    env: io.env
  });
  return checkLogin(text, 'The login `codex login` wrote', options.oauthIssuer);
}

/** The action's checks on a seed, plus the OAuth issuer: Codex sends the refresh token wherever oauth_provenance says. */
function checkLogin(text: string, what: string, trustedIssuer: string | undefined): ChatGptCredential {
  const parsed = parseCredential(text);
  if (!parsed.ok) {
    const apiKey = /"apikey"/.test(parsed.reason)
      ? " It is an API-key login: for an API key use the action's default mode (`openai-api-key: ${{ secrets.OPENAI_API_KEY }}`), no seeding needed."
      : ' Run `codex login` (ChatGPT) with cli_auth_credentials_store = "file" and run this command again.';
    throw new Error(`${what} is not a usable ChatGPT login: ${parsed.reason}.${apiKey}`);
  }
  // Codex 0.171+ writes tokens.oauth_provenance: it refreshes at that issuer.
  const problem = provenanceProblem(parsed.credential, trustedIssuer, {
    relogin: 'Log in again with `codex login` and run this command again',
    trust: (issuer) => `run the command again with --oauth-issuer ${issuer}`
  });
  if (problem) throw new Error(`${what} is refused: ${problem}.`);
  return parsed.credential;
}

/** auth.json, checked like the action checks the seed; the messages say how to get a usable one. */
async function readLogin(authFile: string, io: InitIO, trustedIssuer: string | undefined): Promise<ChatGptCredential> {
  const dir = path.dirname(authFile);
  const configFile = path.join(dir, 'config.toml');
  const store = await credentialsStore(configFile);
  let text: string;
  try {
    text = await fs.readFile(authFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      throw new Error(`Cannot read ${authFile} (${code ?? errorMessage(error)}).`, { cause: error });
    if (store === 'keyring' || store === 'auto') {
      throw new Error(
        `No auth.json at ${authFile}: ${configFile} sets cli_auth_credentials_store = "${store}", so \`codex login\` keeps the login in the system keyring, which this command (and CI) cannot use. ` +
          `Set cli_auth_credentials_store = "file" in ${configFile}, run \`codex login\` again, then run this command again.`,
        { cause: error }
      );
    }
    throw new Error(
      `No auth.json at ${authFile}. Add --login to sign in now with a login of CI's own (recommended). Or, on this trusted machine, put cli_auth_credentials_store = "file" in ${configFile} and run \`codex login\` (ChatGPT), then run this command again; or point --auth-file at the auth.json to use.`,
      { cause: error }
    );
  }
  if (store === 'keyring' || store === 'auto') {
    say(
      io,
      `Warning: ${configFile} sets cli_auth_credentials_store = "${store}": Codex may keep its current login in the keyring and no longer update ${authFile}, which may then be an old, spent copy. If the first job fails to authenticate, set the store to "file", run \`codex login\` and run this command again.`
    );
  }
  return checkLogin(text, authFile, trustedIssuer);
}

/** cli_auth_credentials_store from config.toml (undefined when the file or the key is absent). */
async function credentialsStore(configFile: string): Promise<string | undefined> {
  const text = await fs.readFile(configFile, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value = parseToml(text).cli_auth_credentials_store;
    return typeof value === 'string' ? value : undefined;
  } catch {
    // A config Codex cannot read either; fall back to a plain match rather than fail.
    return /^\s*cli_auth_credentials_store\s*=\s*["']([a-z]+)["']/m.exec(text)?.[1];
  }
}

function tokenFrom(env: NodeJS.ProcessEnv, again: string): { variable: string; value: string } {
  for (const variable of ['GITHUB_TOKEN', 'GH_TOKEN']) {
    const value = env[variable]?.trim();
    if (value) return { variable, value };
  }
  throw new UsageError(
    '--repo',
    'needs a token to write the secrets, in GITHUB_TOKEN or GH_TOKEN: a fine-grained token with "Secrets: Read and write" on the repository ("Environments: Read and write" for --scope environment, organization "Secrets" for --scope organization), ' +
      `or the GitHub CLI's (\`GH_TOKEN=$(gh auth token) ${again}\`). Or use --print to set them by hand.`
  );
}

function randomKey(): Uint8Array {
  // Same bar as the action's encryption-key input: 32 random bytes, not a degenerate pattern.
  for (;;) {
    const key = randomBytes(32);
    if (new Set(key).size >= 8) return new Uint8Array(key);
  }
}

async function printInstructions(options: InitOptions, io: InitIO, envelope: string, keyText: string): Promise<void> {
  const where = whereToSet(options);
  const ghTarget = ghFlags(options);
  if (!options.repo && !options.print)
    say(
      io,
      'No --repo given, so nothing was sent to GitHub: set the two secrets below yourself (or re-run with --repo OWNER/NAME and a token in GITHUB_TOKEN).'
    );
  if (options.showSecrets) {
    say(io, `\nSet these ${where.kind} secrets (${where.ui}):\n`);
    io.err(`  ${options.secretName}:\n${envelope}\n`);
    io.err(`  ${options.keySecretName}:\n${keyText}\n`);
    say(
      io,
      `With the GitHub CLI, paste each value when asked:\n  gh secret set ${options.secretName}${ghTarget}\n  gh secret set ${options.keySecretName}${ghTarget}`
    );
    return;
  }
  // mkdtemp creates the directory 0700; the files are written 0600 and never printed.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-init-'));
  await fs.chmod(dir, 0o700);
  const seedFile = path.join(dir, options.secretName);
  const keyFile = path.join(dir, options.keySecretName);
  await fs.writeFile(seedFile, envelope, { mode: 0o600, flag: 'wx' });
  await fs.writeFile(keyFile, keyText, { mode: 0o600, flag: 'wx' });
  say(io, `\nThe secret values are in ${dir} (readable only by you; add --show-secrets to print them instead):`);
  io.err(`  ${seedFile}`);
  io.err(`  ${keyFile}`);
  say(io, `\nSet them as ${where.kind} secrets (${where.ui}), or with the GitHub CLI:`);
  io.err(`  gh secret set ${options.secretName}${ghTarget} < ${shellQuote(seedFile)}`);
  io.err(`  gh secret set ${options.keySecretName}${ghTarget} < ${shellQuote(keyFile)}`);
  say(io, `Then delete the files: rm -r ${shellQuote(dir)}`);
}

function whereToSet(options: InitOptions): { kind: string; ui: string } {
  const repo = options.repo ? `${options.repo.owner}/${options.repo.name}` : 'your repository';
  if (options.scope === 'organization') {
    const org = options.org ?? options.repo?.owner ?? 'your organization';
    return {
      kind: 'organization',
      ui: `${org}: Settings → Secrets and variables → Actions → New organization secret; give it access only to the repositories that run Codex`
    };
  }
  if (options.scope === 'environment') {
    return {
      kind: 'environment',
      ui: `${repo}: Settings → Environments → ${options.environment} → Add environment secret`
    };
  }
  return { kind: 'repository', ui: `${repo}: Settings → Secrets and variables → Actions → New repository secret` };
}

function ghFlags(options: InitOptions): string {
  const repo = options.repo ? ` --repo ${options.repo.owner}/${options.repo.name}` : '';
  if (options.scope === 'organization') {
    const org = options.org ?? options.repo?.owner;
    return ` --org ${org ?? 'ORG'} --visibility private`;
  }
  if (options.scope === 'environment') return `${repo} --env ${shellQuote(options.environment!)}`;
  return repo;
}

/** The secret a write-back setup reads its token from; init cannot create it (the token is the user's). */
const WRITE_BACK_TOKEN_SECRET = 'CODEX_AUTH_SECRET_TOKEN';

/** The printed workflow keeps the login in the cache only: how to add write-back, and the one secret it needs. */
function writeBackNote(options: InitOptions): string {
  const repo = options.repo ? `${options.repo.owner}/${options.repo.name}` : 'OWNER/NAME';
  const permission =
    options.scope === 'organization'
      ? 'the organization permission "Secrets: Read and write"'
      : options.scope === 'environment'
        ? `"Environments: Read and write" on ${repo}`
        : `"Secrets: Read and write" on ${repo}`;
  const scopeInputs =
    options.scope === 'organization'
      ? ', `secret-scope: organization`'
      : options.scope === 'environment'
        ? `, \`secret-scope: environment\`, \`environment: ${options.environment}\``
        : '';
  const otherOrg =
    options.scope === 'organization' &&
    options.org &&
    options.repo &&
    options.org.toLowerCase() !== options.repo.owner.toLowerCase()
      ? ` Note: the action writes organization secrets of the owner of the repository running the workflow; it cannot write back to ${options.org} from a repository of ${options.repo.owner}.`
      : '';
  return (
    'The workflow needs only the two secrets above: it keeps the renewed login in the Actions cache, which evicts ' +
    'an entry unused for 7 days (then run this command again). To also write the renewed login back to ' +
    `${options.secretName}, add \`secret-name: ${options.secretName}\`${scopeInputs} and ` +
    `\`secret-token: \${{ secrets.${WRITE_BACK_TOKEN_SECRET} }}\` to the action's \`with:\`, and create that third ` +
    `secret yourself (this command cannot: it holds your token): a fine-grained personal access token ` +
    `(https://github.com/settings/personal-access-tokens/new) with ${permission}, or a GitHub App installation token, ` +
    `stored with \`gh secret set ${WRITE_BACK_TOKEN_SECRET} --repo ${repo}\` (paste the token when asked). ` +
    `The workflow's GITHUB_TOKEN cannot write secrets.${otherOrg}`
  );
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
