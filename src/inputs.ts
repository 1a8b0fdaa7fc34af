// Every input is read and checked here, once, into a typed object, before any side effect.
import os from 'node:os';
import path from 'node:path';
import { InputError } from './errors.js';

export const AUTH_MODES = ['api-key', 'chatgpt'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
export const SAVE_FAILURE_MODES = ['fail', 'warn'] as const;
export type SaveFailureMode = (typeof SAVE_FAILURE_MODES)[number];

/** Inputs that only mean something in ChatGPT mode (warned about and ignored in API-key mode). */
export const CHATGPT_ONLY_INPUTS = [
  'chatgpt-auth-json',
  'encryption-key',
  'workspace-id',
  'dangerously-allow-public-repository',
  'on-save-failure'
] as const;

interface CommonInputs {
  /** An existing or to-be-created directory chosen by the user, or undefined for a private one. */
  codexHome: string | undefined;
}

export interface ApiKeyInputs extends CommonInputs {
  mode: 'api-key';
  apiKey: string;
}

export interface ChatGptInputs extends CommonInputs {
  mode: 'chatgpt';
  /** The seed as given (raw JSON, base64 of it, or an envelope); decoded later. Never logged. */
  seed: string | undefined;
  encryptionKey: Uint8Array;
  credentialName: string;
  workspaceId: string | undefined;
  allowPublicRepository: boolean;
  onSaveFailure: SaveFailureMode;
}

export type Inputs = ApiKeyInputs | ChatGptInputs;

export interface ParsedInputs {
  inputs: Inputs;
  warnings: string[];
}

export type InputReader = (name: string) => string;

export interface ParseContext {
  workspace: string | undefined;
  home: string;
}

const CREDENTIAL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_COMMAND = 'openssl rand -base64 32';

/** The secret input values, to mask before anything else can be logged (even before parsing). */
export function secretInputs(read: InputReader): string[] {
  const values = ['openai-api-key', 'encryption-key', 'chatgpt-auth-json'].map((name) => read(name).trim());
  // A multi-line value would be masked line by line ('{' lines and all): the seed's tokens are masked one by one once parsed.
  return values.filter((value) => value !== '' && !value.includes('\n'));
}

export function parseInputs(read: InputReader, ctx: ParseContext): ParsedInputs {
  const get = (name: string): string => read(name).trim();
  const mode = get('auth-mode') || 'api-key';
  if (!(AUTH_MODES as readonly string[]).includes(mode)) {
    throw new InputError('auth-mode', `'${mode}' is not a valid value.`, `Use one of: ${AUTH_MODES.join(', ')}.`);
  }
  const codexHome = parseCodexHome(get('codex-home'), ctx);
  if (mode === 'chatgpt') return { inputs: parseChatGpt(get, read('chatgpt-auth-json'), codexHome), warnings: [] };

  const apiKey = get('openai-api-key');
  if (!apiKey) {
    throw new InputError(
      'openai-api-key',
      'is empty, and auth-mode is api-key (the default).',
      'Pass a key, e.g. `openai-api-key: ${{ secrets.OPENAI_API_KEY }}`, and check that the secret exists and is available to this workflow (secrets are not passed to workflows triggered from forks); or set `auth-mode: chatgpt`.'
    );
  }
  if (/\s/.test(apiKey)) {
    throw new InputError('openai-api-key', 'contains white space inside the key.', 'Store the key alone, on one line, in the secret.');
  }
  const ignored = CHATGPT_ONLY_INPUTS.filter((name) => get(name) !== '' && !isDefault(name, get(name)));
  const warnings = ignored.length
    ? [`Ignoring ${ignored.map((n) => `'${n}'`).join(', ')}: a ChatGPT login is used only with \`auth-mode: chatgpt\`; this step uses the API key.`]
    : [];
  return { inputs: { mode: 'api-key', apiKey, codexHome }, warnings };
}

function isDefault(name: string, value: string): boolean {
  return (name === 'dangerously-allow-public-repository' && value === 'false') || (name === 'on-save-failure' && value === 'fail');
}

function parseChatGpt(get: (name: string) => string, seed: string, codexHome: string | undefined): ChatGptInputs {
  const rawKey = get('encryption-key');
  if (!rawKey) {
    throw new InputError(
      'encryption-key',
      'is empty; ChatGPT mode stores the credential encrypted and needs a key.',
      `Create one with \`${KEY_COMMAND}\`, store it as a secret and pass it, e.g. \`encryption-key: \${{ secrets.CODEX_AUTH_KEY }}\`.`
    );
  }
  const encryptionKey = decodeKey(rawKey);
  const credentialName = get('credential-name') || 'default';
  if (!CREDENTIAL_NAME.test(credentialName)) {
    throw new InputError(
      'credential-name',
      `'${credentialName}' is not a valid name.`,
      'Use 1 to 64 letters, digits, hyphens or underscores.'
    );
  }
  const workspaceId = get('workspace-id') || undefined;
  if (workspaceId && !/^[A-Za-z0-9_-]+$/.test(workspaceId)) {
    throw new InputError('workspace-id', `'${workspaceId}' is not a workspace id.`, 'Give the ChatGPT workspace (account) id, e.g. the `chatgpt_account_id` of your login, or leave it empty.');
  }
  return {
    mode: 'chatgpt',
    codexHome,
    seed: seed.trim() ? seed : undefined,
    encryptionKey,
    credentialName,
    workspaceId,
    allowPublicRepository: parseBoolean(get, 'dangerously-allow-public-repository'),
    onSaveFailure: parseChoice(get, 'on-save-failure', SAVE_FAILURE_MODES, 'fail')
  };
}

/** The encryption key must be exactly 32 random bytes, base64: nothing weaker is accepted. */
function decodeKey(raw: string): Uint8Array {
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) {
    throw new InputError(
      'encryption-key',
      'must be 32 random bytes in base64 (44 characters); the value given is not.',
      `Create one with \`${KEY_COMMAND}\` and store it as a secret.`
    );
  }
  if (new Set(bytes).size < 8) {
    throw new InputError('encryption-key', 'is not random (too few distinct bytes).', `Create one with \`${KEY_COMMAND}\`.`);
  }
  return new Uint8Array(bytes);
}

function parseBoolean(get: (name: string) => string, name: string): boolean {
  const value = get(name).toLowerCase() || 'false';
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InputError(name, `'${value}' is not a boolean.`, 'Use true or false.');
}

function parseChoice<T extends string>(get: (name: string) => string, name: string, choices: readonly T[], fallback: T): T {
  const value = get(name) || fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new InputError(name, `'${value}' is not a valid value.`, `Use one of: ${choices.join(', ')}.`);
}

/** A user-chosen CODEX_HOME: absolute (or ~/...), and never inside the workspace, where a checkout, an artifact or a Docker context could pick the credential up. */
function parseCodexHome(raw: string, ctx: ParseContext): string | undefined {
  if (!raw) return undefined;
  const expanded = raw === '~' || raw.startsWith('~/') ? path.join(ctx.home || os.homedir(), raw.slice(1)) : raw;
  if (!path.isAbsolute(expanded)) {
    throw new InputError('codex-home', `'${raw}' is a relative path, which would put credentials in the workspace.`, 'Give an absolute path outside the workspace (e.g. ~/.codex), or leave it empty for a private directory under RUNNER_TEMP.');
  }
  const resolved = path.resolve(expanded);
  if (ctx.workspace && isInside(resolved, path.resolve(ctx.workspace))) {
    throw new InputError('codex-home', `'${raw}' is inside the workspace (${ctx.workspace}), where a checkout, an artifact upload or a Docker build could pick up the credential.`, 'Choose a directory outside the workspace, or leave it empty for a private directory under RUNNER_TEMP.');
  }
  return resolved;
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
