// Every input is read and checked here, once per step, into one typed object, before any side effect.
// This module reads the inputs every mode shares and hands the rest to the mode's own parser.
import path from 'node:path';
import { InputError } from './errors.js';
import { expandHome, isInsideResolved } from './paths.js';
import { AUTH_MODES } from './constants.js';
import { parseChoice, type InputGetter, type ParseContext, type Parsed } from './input-values.js';
import { parseChatGpt, type ChatGptInputs } from './chatgpt-inputs.js';
import { parseAccessToken, parseApiKey, type AccessTokenInputs, type ApiKeyInputs } from '../job-credential/inputs.js';
import { parseWorkloadIdentity, type WorkloadIdentityInputs } from '../workload-identity/inputs.js';

type Inputs = ApiKeyInputs | ChatGptInputs | AccessTokenInputs | WorkloadIdentityInputs;
export type ParsedInputs = Parsed<Inputs>;

/** The step's input as the runner gives it (`INPUT_<NAME>`), untrimmed. */
type InputReader = (name: string) => string;

/** The secret input values, to mask before anything else can be logged (even before parsing). */
export function secretInputs(read: InputReader): string[] {
  const values = [
    'openai-api-key',
    'codex-access-token',
    'encryption-key',
    'chatgpt-auth-json',
    'secret-token',
    'lease-token',
    'github-token'
  ].map((name) => read(name).trim());
  // A multi-line value would be masked line by line ('{' lines and all): the seed's tokens are masked one by one once parsed.
  return values.filter((value) => value !== '' && !value.includes('\n'));
}

/** The one input that may span lines (auth.json as `codex login` writes it); read on its own. */
const MULTI_LINE_INPUT = 'chatgpt-auth-json';

/**
 * Every other input is one line: a line break in a path or a name could put a line of its own in
 * the log, and a line there can be a workflow command (`::stop-commands::`, which also ends masking
 * for what follows). Refused without quoting the value (it may be a secret).
 */
function singleLine(name: string, value: string): string {
  if (name !== MULTI_LINE_INPUT && /[\r\n]/.test(value))
    throw new InputError(
      name,
      'holds a line break.',
      'Give it on one line (check for a stray newline in the workflow or in the secret it comes from).'
    );
  return value;
}

export function parseInputs(read: InputReader, ctx: ParseContext): ParsedInputs {
  const get: InputGetter = (name) => singleLine(name, read(name).trim());
  const mode = parseChoice(get, 'auth-mode', AUTH_MODES, 'api-key');
  const codexHome = parseCodexHome(get('codex-home'), ctx);
  if (mode === 'chatgpt') return parseChatGpt(get, read(MULTI_LINE_INPUT), codexHome, ctx);
  if (mode === 'access-token') return parseAccessToken(get, codexHome);
  if (mode === 'workload-identity') return parseWorkloadIdentity(get, codexHome, ctx.env ?? {});
  return parseApiKey(get, codexHome);
}

/** A user-chosen CODEX_HOME: absolute (or ~/...), and never inside the workspace, where a checkout, an artifact or a Docker context could pick the credential up. */
function parseCodexHome(raw: string, ctx: ParseContext): string | undefined {
  if (!raw) return undefined;
  const expanded = expandHome(raw, ctx.home);
  if (!path.isAbsolute(expanded)) {
    throw new InputError(
      'codex-home',
      `'${raw}' is a relative path, which would put credentials in the workspace.`,
      'Give an absolute path outside the workspace (e.g. ~/.codex), or leave it empty for a private directory under RUNNER_TEMP.'
    );
  }
  const resolved = path.resolve(expanded);
  // With links resolved: a link in a parent can put a path that reads as outside inside the workspace.
  if (ctx.workspace && isInsideResolved(resolved, ctx.workspace)) {
    throw new InputError(
      'codex-home',
      `'${raw}' is inside the workspace (${ctx.workspace}) once symbolic links are resolved, where a checkout, an artifact upload or a Docker build could pick up the credential.`,
      'Choose a directory outside the workspace, or leave it empty for a private directory under RUNNER_TEMP.'
    );
  }
  return resolved;
}
