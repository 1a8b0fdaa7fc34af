// config.toml settings the action needs Codex to honour, merged into a user's file without
// rewriting it: new keys go on top (TOML's root table), comments and other settings stay.
import path from 'node:path';
import { parse } from 'smol-toml';
import { CONFIG_FILE, readFileIfExists, writePrivateFile } from './codex-home.js';
import { InputError } from './errors.js';

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
  let text = (await readFileIfExists(file)) ?? '';
  const current = parseConfig(text, file);
  const added: string[] = [];
  for (const change of changes) {
    const existing = current[change.key];
    if (existing === change.value) continue;
    const line = `${change.key} = ${JSON.stringify(change.value)}`;
    if (existing === undefined) {
      added.push(line);
    } else if (change.onConflict === 'replace') {
      warn(
        `${file} sets ${change.key} = ${JSON.stringify(existing)}; this job needs ${JSON.stringify(change.value)} and sets it.`
      );
      text = text.replace(new RegExp(`^[ \\t]*${change.key}[ \\t]*=.*$`, 'm'), line);
    } else {
      throw new InputError(
        change.onConflict.input,
        `does not match ${change.key} = ${JSON.stringify(existing)} in ${file}.`,
        change.onConflict.fix
      );
    }
  }
  if (added.length) text = `# Set by codex-auth\n${added.join('\n')}\n${text}`;
  const merged = parseConfig(text, file);
  for (const change of changes) {
    if (merged[change.key] !== change.value)
      throw new Error(`Could not set ${change.key} in ${file}; set it by hand to ${JSON.stringify(change.value)}.`);
  }
  await writePrivateFile(file, text);
}

function parseConfig(text: string, file: string): Record<string, unknown> {
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
