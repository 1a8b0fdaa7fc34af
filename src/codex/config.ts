// config.toml settings the action needs Codex to honour, merged into a user's file without
// rewriting it: new keys go on top (TOML's root table), comments and other settings stay.
import path from 'node:path';
import { CONFIG_FILE, readFileIfExists, writePrivateFile } from './home.js';
import { InputError } from '../action/errors.js';

export interface ConfigChange {
  key: string;
  value: string;
  /** When the user's file already has another value: replace it (with a warning), or refuse. */
  onConflict: 'replace' | { input: string; fix: string };
}

/** Keyring storage would make Codex ignore the auth.json we write (macOS runners have a keychain). */
export const FILE_STORE: ConfigChange = { key: 'cli_auth_credentials_store', value: 'file', onConflict: 'replace' };

export async function mergeCodexConfig(
  dir: string,
  changes: ConfigChange[],
  warn: (message: string) => void
): Promise<void> {
  const file = path.join(dir, CONFIG_FILE);
  const existing = await readFileIfExists(file);
  // A new file holds only our lines (plain strings: JSON's quoting is TOML's), so the TOML parser is
  // loaded only to merge into a file that was there: an API-key step in a private home never loads it.
  if (existing === undefined) return writePrivateFile(file, header(changes.map(line)));
  const { parse } = await import('smol-toml');
  let text = existing;
  const current = parseConfig(parse, text, file);
  const added: string[] = [];
  for (const change of changes) {
    const set = current[change.key];
    if (set === change.value) continue;
    if (set === undefined) {
      added.push(line(change));
    } else if (change.onConflict === 'replace') {
      warn(
        `${file} sets ${change.key} = ${JSON.stringify(set)}; this job needs ${JSON.stringify(change.value)} and sets it.`
      );
      text = text.replace(new RegExp(`^[ \\t]*${change.key}[ \\t]*=.*$`, 'm'), line(change));
    } else {
      throw new InputError(
        change.onConflict.input,
        `does not match ${change.key} = ${JSON.stringify(set)} in ${file}.`,
        change.onConflict.fix
      );
    }
  }
  if (added.length) text = header(added) + text;
  const merged = parseConfig(parse, text, file);
  for (const change of changes) {
    if (merged[change.key] !== change.value)
      throw new Error(`Could not set ${change.key} in ${file}; set it by hand to ${JSON.stringify(change.value)}.`);
  }
  await writePrivateFile(file, text);
}

const line = (change: ConfigChange): string => `${change.key} = ${JSON.stringify(change.value)}`;
const header = (lines: string[]): string => `# Set by codex-auth\n${lines.join('\n')}\n`;

function parseConfig(
  parse: (text: string) => Record<string, unknown>,
  text: string,
  file: string
): Record<string, unknown> {
  try {
    return parse(text);
  } catch (error) {
    const where = (error as { line?: number }).line;
    throw new InputError(
      'codex-home',
      `${file} is not valid TOML${where ? ` (line ${where})` : ''}.`,
      'Fix the file, or leave codex-home empty for a private directory.'
    );
  }
}
