// `~` in a path input: the runner user's home. On Windows `~\` is accepted too (its separator).
import path from 'node:path';

/** `~`, `~/x` (and on Windows `~\x`) with the home directory in front; anything else as given. */
export function expandHome(raw: string, home: string, platform: NodeJS.Platform = process.platform): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (raw === '~') return home;
  if (raw.startsWith('~/') || (platform === 'win32' && raw.startsWith('~\\'))) return p.join(home, raw.slice(2));
  return raw;
}
