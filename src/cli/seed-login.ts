// The login `codex-auth init` seals: a new one from `codex login` in a private temporary Codex home
// (./login.ts), or an existing auth.json. Either is checked as the action checks a seed, so a login
// the action would refuse is never stored.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parseCredential, provenanceProblem, type ChatGptCredential } from '../chatgpt/login/credential.js';
import { errorMessage } from '../action/errors.js';
import { findCodex, loginWithCodex } from './login.js';

/** `codex login` in a private temporary Codex home, checked like a seed. */
export async function newLogin(
  options: { codex: string | undefined; deviceAuth: boolean; oauthIssuer: string | undefined },
  env: NodeJS.ProcessEnv,
  say: (text: string) => void
): Promise<ChatGptCredential> {
  const codex = await findCodex(options.codex, env);
  if (!codex) {
    throw new Error(
      options.codex
        ? `--codex: ${options.codex} is not an executable file. Give the path of the Codex CLI and run the command again.`
        : 'The Codex CLI (codex) is not on PATH: install it (`npm install -g @openai/codex`) or give its path with --codex PATH, and run the command again.'
    );
  }
  say(
    `Running \`codex login${options.deviceAuth ? ' --device-auth' : ''}\` in a private temporary Codex home (removed afterwards)…`
  );
  const text = await loginWithCodex({ codex, deviceAuth: options.deviceAuth, issuer: options.oauthIssuer, env });
  return checkLogin(text, 'The login `codex login` wrote', options.oauthIssuer);
}

/** auth.json, checked like the action checks the seed; the messages say how to get a usable one. */
export async function readLogin(
  authFile: string,
  trustedIssuer: string | undefined,
  say: (text: string) => void
): Promise<ChatGptCredential> {
  const configFile = path.join(path.dirname(authFile), 'config.toml');
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
      `Warning: ${configFile} sets cli_auth_credentials_store = "${store}": Codex may keep its current login in the keyring and no longer update ${authFile}, which may then be an old, spent copy. If the first job fails to authenticate, set the store to "file", run \`codex login\` and run this command again.`
    );
  }
  return checkLogin(text, authFile, trustedIssuer);
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
