// `codex-auth init`: the one-time seeding, on a trusted machine. With --login (the recommended way) it
// runs `codex login` in a private temporary CODEX_HOME, so CI gets a login session of its own;
// otherwise it reads an existing auth.json (./seed-login.ts). It generates an encryption key, seals
// the login into an envelope, and either sets both secrets through the GitHub API (--repo, token from
// GITHUB_TOKEN or GH_TOKEN) or prints what to set (./instructions.ts). It never prints a secret value
// unless --show-secrets is given; printing works offline. Standard output carries only the workflow
// that uses the secrets; every message goes to standard error, wrapped at 100 columns (./text.ts).
import { randomBytes } from 'node:crypto';
import { seal } from '../chatgpt/login/envelope.js';
import type { ChatGptCredential } from '../chatgpt/login/credential.js';
import { errorMessage } from '../action/errors.js';
import { KEY_BYTES, looksRandom } from '../action/encryption-key.js';
import { setupCommand, shellQuote } from '../action/setup-command.js';
import { describeTarget, writeSecret, type SecretTarget, type SettingNames } from '../stores/secret.js';
import { say, type InitIO } from './text.js';
import { LoginCancelled } from './login.js';
import { parseInitArgs, UsageError, INIT_USAGE, type InitOptions } from './init-options.js';
import { newLogin, readLogin } from './seed-login.js';
import { printInstructions, printWorkflow, writeBackNote } from './instructions.js';

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
    ? await newLogin(options, io.env, (text) => say(io, text))
    : await readLogin(options.authFile, options.oauthIssuer, (text) => say(io, text));
  say(io, loginRead(options, credential));

  const key = randomKey();
  const keyText = Buffer.from(key).toString('base64');
  const envelope = await seal(credential.text, key, options.credentialName);

  if (token) {
    await writeSecrets(options, io, token, { envelope, keyText });
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

/** "Signed in for CI: plan …, last_refresh …, access token expires …." */
function loginRead(options: InitOptions, credential: ChatGptCredential): string {
  const expires = credential.accessTokenExpiresAt;
  return (
    `${options.login ? 'Signed in for CI' : `Read the ChatGPT login in ${options.authFile}`}: plan ${credential.planType ?? 'unknown'}, last_refresh ${credential.lastRefreshText}` +
    `${expires ? `, access token ${expires.getTime() <= Date.now() ? 'expired' : 'expires'} ${expires.toISOString()}${expires.getTime() <= Date.now() ? ' (the first job refreshes it)' : ''}` : ''}.`
  );
}

/** Both secrets through the GitHub API: the sealed login first, so that if the key's write fails, running again writes both. */
async function writeSecrets(
  options: InitOptions,
  io: InitIO,
  token: { variable: string; value: string },
  values: { envelope: string; keyText: string }
): Promise<void> {
  const repo = options.repo!;
  const names: Partial<SettingNames> = {
    token: token.variable,
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
    token: token.value
  });
  const opts = { names, log: (line: string) => say(io, line), sleep: io.sleep };
  const seedResult = await writeSecret(target(options.secretName), values.envelope, opts);
  say(io, `Set the ${describeTarget(target(options.secretName))} (${seedResult.status}): the sealed login.`);
  try {
    const keyResult = await writeSecret(target(options.keySecretName), values.keyText, opts);
    say(io, `Set the ${describeTarget(target(options.keySecretName))} (${keyResult.status}): the encryption key.`);
  } catch (error) {
    throw new Error(
      `${errorMessage(error)}\n${options.secretName} was already replaced with a login sealed under the new key, which ${options.keySecretName} does not hold yet: fix the problem and run this command again (it writes both).`,
      { cause: error }
    );
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

/** A new key, held to the bar the action's encryption-key input sets (../action/encryption-key.ts). */
function randomKey(): Uint8Array {
  for (;;) {
    const key = new Uint8Array(randomBytes(KEY_BYTES));
    if (looksRandom(key)) return key;
  }
}
