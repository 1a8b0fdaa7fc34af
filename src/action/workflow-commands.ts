// The runner's side of a step, as the entry points need it: inputs, masks, log annotations, and
// the file commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE, GITHUB_STEP_SUMMARY). These are the few calls of
// @actions/core the action makes; done here because @actions/core loads its HTTP client (undici)
// at start-up, which more than doubles the start-up time of an API-key job. The ChatGPT chunk still
// uses @actions/core through @actions/cache. The formats are the runner's (FileCommandManager.cs),
// written exactly as @actions/core 3 writes them.
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';

export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

export function getState(name: string): string {
  return process.env[`STATE_${name}`] ?? '';
}

export function info(message: string): void {
  process.stdout.write(logSafe(message) + EOL);
}

/**
 * A line the runner would take for a workflow command (actions/runner ActionCommand.cs): `::`
 * after leading white space, or the legacy `##[`. The runner reads its lines split at \r, \n or \r\n.
 */
const COMMAND_LINE = /^\s*::|##\[/;

/**
 * Text for the log that nothing in it can turn into a workflow command (a path or an input that
 * holds a line `::stop-commands::…` or `::add-mask::…`): such text is written between
 * `::stop-commands::<random token>` and `::<token>::`, GitHub's way to print untrusted text; the
 * runner shows it as it is, masked, and runs none of it. The one place where log text is made safe.
 */
export function logSafe(message: string): string {
  if (!message.split(/\r\n|\r|\n/).some((line) => COMMAND_LINE.test(line))) return message;
  // Web Crypto, loaded only when such text is printed (no node:crypto at every start-up).
  const token = `codex-auth-${globalThis.crypto.randomUUID()}`;
  return `::stop-commands::${token}${EOL}${message}${EOL}::${token}::`;
}

/**
 * The runner masks each log line with the values registered so far, so a multi-line value as one
 * mask would match no line: each of its lines is registered on its own, as the runner does for a
 * job's secrets (actions/runner Worker.cs).
 */
export function setSecret(value: string): void {
  const lines = value.split(/\r\n|\r|\n/).map((line) => line.trim());
  for (const line of lines.length > 1 ? lines.filter(Boolean) : [value]) issue('add-mask', line);
}

/** The title of an annotation that names none: GitHub shows it above the message, in the run's summary too. */
const ANNOTATION_TITLE = 'Codex auth';

export function warning(message: string, title = ANNOTATION_TITLE): void {
  issue('warning', message, title);
}

export function notice(message: string, title = ANNOTATION_TITLE): void {
  issue('notice', message, title);
}

/** Appends to the job summary; a step without GITHUB_STEP_SUMMARY (not a runner) just has none. */
export function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file || !existsSync(file)) return;
  appendFileSync(file, markdown.endsWith(EOL) ? markdown : markdown + EOL, { encoding: 'utf8' });
}

export function setFailed(message: string, title = `${ANNOTATION_TITLE} failed`): void {
  process.exitCode = 1;
  issue('error', message, title);
}

export function setOutput(name: string, value: string): void {
  appendKeyValue('GITHUB_OUTPUT', name, value);
}

export function saveState(name: string, value: string): void {
  appendKeyValue('GITHUB_STATE', name, value);
}

export function exportVariable(name: string, value: string): void {
  process.env[name] = value;
  appendKeyValue('GITHUB_ENV', name, value);
}

function issue(command: string, message: string, title?: string): void {
  const escaped = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const properties = title === undefined ? '' : ` title=${escapeProperty(title)}`;
  process.stdout.write(`::${command}${properties}::${escaped}${EOL}`);
}

/** A property value as the runner reads it back (ActionCommand.cs, as @actions/core's toCommandProperties escapes it). */
function escapeProperty(value: string): string {
  return value
    .replace(/%/g, '%25')
    .replace(/\r/g, '%0D')
    .replace(/\n/g, '%0A')
    .replace(/:/g, '%3A')
    .replace(/,/g, '%2C');
}

function appendKeyValue(fileVariable: string, name: string, value: string): void {
  const file = process.env[fileVariable];
  if (!file || !existsSync(file))
    throw new Error(`${fileVariable} is not set to an existing file: this action must run as a GitHub Actions step.`);
  // Need not be secret (a name or value holding it is refused below), so not node:crypto, which
  // alone would add about a fifth to the start-up of a step (measured: npm run bench).
  const delimiter = `ghadelimiter_${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  if (name.includes(delimiter) || value.includes(delimiter))
    throw new Error(`Unexpected input: name or value contains the delimiter ${delimiter}`);
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: 'utf8' });
}
