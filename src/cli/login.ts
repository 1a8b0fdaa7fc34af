// `codex-auth init --login`: a ChatGPT login of CI's own. Runs the real `codex login` with CODEX_HOME
// set to a private temporary directory (0700, config.toml with cli_auth_credentials_store = "file"),
// so the session never lands in ~/.codex and never shares a refresh token with the user's own Codex.
// Codex runs in the foreground on the user's terminal and prints its prompts (the browser URL, or the
// device code) as usual. The directory is removed as soon as auth.json has been read, and on failure,
// Ctrl-C (SIGINT) or SIGTERM (passed on to Codex, which is waited for first).
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CodexLoginOptions {
  /** The Codex CLI to run: a path, already resolved (findCodex). */
  codex: string;
  deviceAuth: boolean;
  /** Codex's `--experimental_issuer` (device-code login only). */
  issuer: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** How long a cancelled Codex gets to exit before it is killed. */
const KILL_AFTER_MS = 5000;

/** `--codex PATH`, else the first executable `codex` on PATH; undefined when there is none. */
export async function findCodex(flag: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const candidates = flag
    ? [path.resolve(flag)]
    : (env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, 'codex'));
  for (const candidate of candidates) {
    try {
      await fs.access(candidate, constants.X_OK);
      if ((await fs.stat(candidate)).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** Thrown when the user cancelled the login (SIGINT / SIGTERM); the exit code follows the shell's convention. */
export class LoginCancelled extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`Cancelled (${signal}): nothing was stored, and the temporary Codex home was removed.`);
    this.name = 'LoginCancelled';
  }

  get exitCode(): number {
    return 128 + os.constants.signals[this.signal];
  }
}

/**
 * Runs `codex login` in a private temporary CODEX_HOME and returns the auth.json it wrote (the text).
 * Nothing is left on disk when this returns or throws.
 */
export async function loginWithCodex(options: CodexLoginOptions): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-login-'));
  let child: ChildProcess | undefined;
  let cancelled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cancelled) return;
    cancelled = signal;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      removeNow(dir);
      return;
    }
    // Ctrl-C in a terminal reaches Codex too (same process group); a signal sent to this process alone
    // does not, so pass it on (Codex's launcher forwards it to its native binary), and insist if need be.
    child.kill('SIGTERM');
    setTimeout(() => child?.kill('SIGKILL'), KILL_AFTER_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await fs.chmod(dir, 0o700);
    await fs.writeFile(path.join(dir, 'config.toml'), 'cli_auth_credentials_store = "file"\n', {
      mode: 0o600,
      flag: 'wx'
    });
    if (cancelled) throw new LoginCancelled(cancelled);

    const args = [
      'login',
      ...(options.deviceAuth ? ['--device-auth'] : []),
      ...(options.issuer ? ['--experimental_issuer', options.issuer] : [])
    ];
    // In the foreground, on the user's terminal: Codex prints its prompts (URL, code) as it always does.
    // Codex's prompts (the URL, the device code) go to stderr with init's own messages: stdout carries
    // only the printed workflow, so `codex-auth init … > FILE` still shows them.
    child = spawn(options.codex, args, { env: { ...options.env, CODEX_HOME: dir }, stdio: ['inherit', 2, 'inherit'] });
    const exit = await exitOf(child);
    // A terminal's Ctrl-C reaches Codex too, which may exit before this process sees the signal.
    cancelled ??=
      exit.signal === 'SIGINT' || exit.signal === 'SIGTERM' ? exit.signal : exit.code === 130 ? 'SIGINT' : undefined;
    if (cancelled) throw new LoginCancelled(cancelled);
    if (exit.error)
      throw new Error(
        `Could not run ${options.codex} (${exit.error}). Give the Codex CLI with --codex PATH, or install it (\`npm install -g @openai/codex\`), and run the command again.`
      );
    if (exit.code !== 0) {
      throw new Error(
        `\`codex login\` ${exit.code === null ? `was ended by ${exit.signal}` : `failed (exit ${exit.code})`}: see its messages above. Nothing was stored; run the command again.`
      );
    }
    try {
      const text = await fs.readFile(path.join(dir, 'auth.json'), 'utf8');
      if (cancelled) throw new LoginCancelled(cancelled);
      return text;
    } catch (error) {
      if (cancelled) throw new LoginCancelled(cancelled);
      throw new Error(
        '`codex login` succeeded but wrote no auth.json to the temporary Codex home (is CODEX_HOME or cli_auth_credentials_store overridden in your environment?). Nothing was stored; run the command again.',
        { cause: error }
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: string }> {
  return new Promise((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ code: null, signal: null, error: error.code ?? error.message })
    );
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function removeNow(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
