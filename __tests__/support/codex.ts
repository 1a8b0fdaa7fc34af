// Helpers to run the pinned real Codex CLI (node_modules/.bin/codex) offline against the loopback mocks.
//
// What a run looks like with 0.171.0 (measured on the 2-core CI machine):
// - `codex exec` with codexProviderArgs (offline flags on): ~0.3-0.6 s, first run included; a 401/reuse
//   failure ~0.4-0.8 s; `codex login status` ~0.1 s. Without the offline flags a ChatGPT-login run takes
//   ~1.7 s (apps MCP retries against chatgpt.com).
// - stderr always starts with `WARNING: proceeding, even though we could not create PATH aliases: Refusing
//   to create helper binaries under temporary dir "/tmp" (codex_home: …)` when CODEX_HOME is under /tmp
//   (harmless; a CODEX_HOME elsewhere, e.g. makeCodexHome({ parent: '/var/tmp' }), avoids it, and Codex then
//   creates `CODEX_HOME/tmp` for those helper aliases instead), then `Reading additional input from stdin...`
//   whenever stdin is not a TTY (a pipe or /dev/null alike), the session banner, and
//   `warning: Codex could not find bubblewrap on PATH…` (it uses its bundled bwrap). stdout carries only
//   the final assistant message (e.g. `hi\n`).
// - A failed turn exits 1 with empty stdout and the reason printed twice as `ERROR: <message>` at the end of
//   stderr, preceded by `ERROR codex_login::auth::manager: Failed to refresh token…` log lines.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CODEX_COMMAND, SYSTEM_PATH, searchPath } from './paths.js';

/** The id of the custom model provider codexProviderArgs() configures. */
const MOCK_PROVIDER_ID = 'mock';

/**
 * Flags that make `codex exec` fast and deterministic offline (measured with 0.171.0: ~1.7 s → ~0.3 s a
 * run). Without them a ChatGPT-login run starts background components that call ChatGPT's back end
 * (https://chatgpt.com/backend-api/...) even though the model provider is the loopback mock:
 * - `apps` (stable, on): the ChatGPT apps MCP client, `POST /backend-api/ps/mcp`, retried 3 times with
 *   back-off (the bulk of the delay) → `--disable apps`;
 * - `plugins` (stable, on): remote plugin catalogue sync, `GET /backend-api/ps/plugins/installed` →
 *   `--disable plugins`;
 * - analytics events, `POST /backend-api/codex/analytics-events/events` → `analytics.enabled=false`;
 * - update check and feedback upload → `check_for_update_on_startup=false`, `feedback.enabled=false`
 *   (no request seen offline, set for determinism).
 * All keys pass `--strict-config`, so a CLI bump that renames one fails loudly instead of silently
 * slowing the suite. None of these touch auth: the proactive refresh, the 401 recovery and the
 * "stale ChatGPT file is still rotated while CODEX_API_KEY is used" behaviour are the same with and
 * without them (checked). On a machine with no network the failed calls are fast DNS errors, but the
 * apps client still prints `ERROR rmcp::transport::worker: … https://chatgpt.com/backend-api/ps/mcp`
 * lines to stderr; with these flags plain stderr carries no ERROR lines on a successful run.
 */
const CODEX_OFFLINE_ARGS: readonly string[] = [
  '--strict-config',
  '--disable',
  'apps',
  '--disable',
  'plugins',
  '-c',
  'analytics.enabled=false',
  '-c',
  'feedback.enabled=false',
  '-c',
  'check_for_update_on_startup=false'
];

/**
 * `-c` overrides that route the model call to a loopback Responses API mock with ChatGPT-style auth
 * (`requires_openai_auth=true`: Codex sends the auth.json access token or API key as the bearer and,
 * for ChatGPT logins, the `chatgpt-account-id` header), with no retries so failures are fast, plus
 * `--skip-git-repo-check`. Meant for `codex exec`; put them after the subcommand. By default the
 * CODEX_OFFLINE_ARGS are appended too; `{ offline: false }` gives only the provider overrides.
 * With this provider Codex calls `GET {base}/models` (twice) and `POST {base}/responses`.
 */
export function codexProviderArgs(modelBaseUrl: string, opts: { offline?: boolean } = {}): string[] {
  const p = `model_providers.${MOCK_PROVIDER_ID}`;
  return [
    '-c',
    `model_provider="${MOCK_PROVIDER_ID}"`,
    '-c',
    `${p}.name="${MOCK_PROVIDER_ID}"`,
    '-c',
    `${p}.base_url="${modelBaseUrl}"`,
    '-c',
    `${p}.requires_openai_auth=true`,
    '-c',
    `${p}.wire_api="responses"`,
    '-c',
    `${p}.request_max_retries=0`,
    '-c',
    `${p}.stream_max_retries=0`,
    '--skip-git-repo-check',
    ...(opts.offline === false ? [] : CODEX_OFFLINE_ARGS)
  ];
}

export interface CodexHomeOptions {
  /** auth.json content (object is written as Codex writes it: two-space JSON, no trailing newline). */
  auth?: object | string;
  /** config.toml content (default: `cli_auth_credentials_store = "file"`). */
  config?: string;
  /** Parent directory (default: os.tmpdir()). */
  parent?: string;
}

const DEFAULT_CONFIG_TOML = 'cli_auth_credentials_store = "file"\n';

/** A fresh CODEX_HOME: directory 0700, config.toml, and auth.json 0600 when given. */
export function makeCodexHome(opts: CodexHomeOptions = {}): string {
  const dir = mkdtempSync(path.join(opts.parent ?? os.tmpdir(), 'codex-home-'));
  chmodSync(dir, 0o700);
  writeFileSync(path.join(dir, 'config.toml'), opts.config ?? DEFAULT_CONFIG_TOML, { mode: 0o600 });
  if (opts.auth !== undefined) writeAuth(dir, opts.auth);
  return dir;
}

function writeAuth(codexHome: string, auth: object | string): void {
  const file = path.join(codexHome, 'auth.json');
  writeFileSync(file, typeof auth === 'string' ? auth : JSON.stringify(auth, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function readAuth<T = any>(codexHome: string): T {
  return JSON.parse(readFileSync(path.join(codexHome, 'auth.json'), 'utf8'));
}

export interface RunCodexOptions {
  /** CODEX_HOME (must exist). */
  codexHome: string;
  /** HOME for the child (default: a fresh temp dir, removed afterwards, so nothing from the real ~ is read). */
  home?: string;
  /** Loopback OAuth mock: sets CODEX_REFRESH_TOKEN_URL_OVERRIDE and CODEX_REVOKE_TOKEN_URL_OVERRIDE. */
  oauth?: { url: string; revokeUrl: string };
  /** Extra environment variables (undefined values are left out). */
  env?: Record<string, string | undefined>;
  /** Working directory (default: the child's HOME). */
  cwd?: string;
  /** Written to stdin (stdin is closed either way, so `codex exec` never waits for a prompt). */
  input?: string;
  /** Kill the process group after this long (default 60 s). */
  timeoutMs?: number;
}

export interface CodexResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * The environment for a Codex child: never the test process's own environment, only
 * PATH (node's directory first, since node_modules/.bin/codex is a node script), HOME, CODEX_HOME,
 * the override URLs and the given variables. Without `opts.home` it creates a fresh temp HOME (runCodex
 * removes it afterwards; a direct caller owns it).
 */
function codexEnv(opts: RunCodexOptions): Record<string, string> {
  const env: Record<string, string> = {
    PATH: searchPath(path.dirname(process.execPath), ...SYSTEM_PATH),
    HOME: opts.home ?? mkdtempSync(path.join(os.tmpdir(), 'codex-user-home-')),
    CODEX_HOME: opts.codexHome,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1'
  };
  if (opts.oauth) {
    env.CODEX_REFRESH_TOKEN_URL_OVERRIDE = opts.oauth.url;
    env.CODEX_REVOKE_TOKEN_URL_OVERRIDE = opts.oauth.revokeUrl;
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  return env;
}

/** Runs the real CLI (`node_modules/.bin/codex ARGS`) and collects its output. */
export function runCodex(args: string[], opts: RunCodexOptions): Promise<CodexResult> {
  const started = Date.now();
  const env = codexEnv(opts); // creates a throw-away HOME unless one is given
  const ownHome = opts.home ? undefined : env.HOME;
  return new Promise((resolve, reject) => {
    const child = spawn(CODEX_COMMAND[0], [...CODEX_COMMAND.slice(1), ...args], {
      cwd: opts.cwd ?? env.HOME,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true // own process group, so a timeout kills the native binary too
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(process.platform === 'win32' ? child.pid! : -child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      if (ownHome) rmSync(ownHome, { recursive: true, force: true });
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (ownHome) rmSync(ownHome, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started, timedOut });
    });
    child.stdin.on('error', () => {
      /* the CLI may exit before reading stdin */
    });
    child.stdin.end(opts.input ?? '');
  });
}
