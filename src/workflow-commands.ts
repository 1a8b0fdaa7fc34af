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
  process.stdout.write(message + EOL);
}

export function setSecret(value: string): void {
  issue('add-mask', value);
}

export function warning(message: string): void {
  issue('warning', message);
}

export function notice(message: string): void {
  issue('notice', message);
}

/** Appends to the job summary; a step without GITHUB_STEP_SUMMARY (not a runner) just has none. */
export function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file || !existsSync(file)) return;
  appendFileSync(file, markdown.endsWith(EOL) ? markdown : markdown + EOL, { encoding: 'utf8' });
}

export function setFailed(message: string): void {
  process.exitCode = 1;
  issue('error', message);
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

function issue(command: string, message: string): void {
  const escaped = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  process.stdout.write(`::${command}::${escaped}${EOL}`);
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
