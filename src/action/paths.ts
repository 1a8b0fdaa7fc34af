// Path helpers, in one place and without dependencies (inputs.ts and the stores load it; nothing
// here may pull in libsodium or the cache library).
import { constants, promises as fs, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `~` and `~/…` as the runner user's home (`home`, else the OS's); anything else unchanged. */
export function expandHome(raw: string, home?: string, platform: NodeJS.Platform = process.platform): string {
  // On Windows `~\x` is accepted too (its separator).
  const p = platform === 'win32' ? path.win32 : path.posix;
  const dir = home || os.homedir();
  if (raw === '~') return dir;
  if (raw.startsWith('~/') || (platform === 'win32' && raw.startsWith('~\\'))) return p.join(dir, raw.slice(2));
  return raw;
}

/** Whether `child` is `parent` or below it, as text (resolve links first: see realpathOfPrefixSync). `<parent>/..x` is inside. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The path with symbolic links resolved in the part that exists (the rest appended as given). */
export function realpathOfPrefixSync(p: string): string {
  let existing = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(p);
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/** Whether `child` is inside `parent` once the symbolic links of both are resolved (or as written). */
export function isInsideResolved(child: string, parent: string): boolean {
  return (
    isInside(path.resolve(child), path.resolve(parent)) ||
    isInside(realpathOfPrefixSync(child), realpathOfPrefixSync(parent))
  );
}

/**
 * Creates `file` 0600 with `content`, never through a symbolic link: an existing file or link at
 * that path is an error (O_CREAT|O_EXCL does not follow links; O_NOFOLLOW where the OS has it).
 */
export async function createFileNoFollow(file: string, content: string): Promise<void> {
  const handle = await fs.open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
    0o600
  );
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

/** "450 ms", "12.5 s", "30 s", "4 min 10 s", "2 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const minutes = Math.floor(ms / 60_000);
  const secs = Math.round((ms % 60_000) / 1000);
  if (minutes < 60) return secs ? `${minutes} min ${secs} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
