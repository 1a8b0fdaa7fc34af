// The runner's side of a step, as the entry points need it: inputs, masks, log annotations, and
// the file commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE, GITHUB_STEP_SUMMARY). These are the few calls of
// @actions/core the action makes; done here because @actions/core loads its HTTP client (undici)
// at start-up, which more than doubles the start-up time of an API-key job. The ChatGPT chunk still
// uses @actions/core through @actions/cache. The formats are the runner's (FileCommandManager.cs),
// written exactly as @actions/core 3 writes them.
import { appendFileSync, existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { EOL } from 'node:os';

export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

export function getState(name: string): string {
  return process.env[`STATE_${name}`] ?? '';
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

export function setSecret(value: string): void {
  issue('add-mask', value);
}

/** The title of an annotation that names none: GitHub shows it above the message, in the run's summary too. */
export const ANNOTATION_TITLE = 'Codex auth';

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
  const delimiter = `ghadelimiter_${randomUUID()}`;
  if (name.includes(delimiter) || value.includes(delimiter))
    throw new Error(`Unexpected input: name or value contains the delimiter ${delimiter}`);
  appendFileSync(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`, { encoding: 'utf8' });
}
