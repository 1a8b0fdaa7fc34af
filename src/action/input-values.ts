// How one input's value is read and refused: booleans, choices, durations, tokens, and the warning
// for inputs the chosen mode ignores. Each mode's parser builds on these, so every input of a kind
// takes the same values and gets the same messages.
import { InputError } from './errors.js';
import { INPUT_DEFAULTS, JOB_LIMIT_MINUTES } from './constants.js';

/** An input's value, trimmed and checked to be one line (src/action/inputs.ts). */
export type InputGetter = (name: string) => string;

/** Where the step runs: paths given as inputs are checked against these. */
export interface ParseContext {
  workspace: string | undefined;
  home: string;
  /** The job's environment: GITHUB_REPOSITORY and GITHUB_API_URL locate the secret of `secret-name`. */
  env?: NodeJS.ProcessEnv;
}

/** What a mode's parser returns: its inputs, and the warnings to print before anything runs. */
export interface Parsed<T> {
  inputs: T;
  warnings: string[];
}

const MAX_MINUTES = JOB_LIMIT_MINUTES;

export function parseBoolean(get: InputGetter, name: string): boolean {
  const value = get(name).toLowerCase() || 'false';
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InputError(name, `'${value}' is not a boolean.`, 'Use true or false.');
}

export function parseChoice<T extends string>(get: InputGetter, name: string, choices: readonly T[], fallback: T): T {
  const value = get(name) || fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new InputError(name, `'${value}' is not a valid value.`, `Use one of: ${choices.join(', ')}.`);
}

/** Why a duration is not the plain decimal number the duration inputs take. */
export function notDecimal(value: string, unit: 'hours' | 'minutes'): string {
  return /^-\s*[\d.]/.test(value)
    ? `'${value}' is negative.`
    : `'${value}' is not a number of ${unit} (digits, with an optional decimal point, e.g. 1.5).`;
}

/** A duration input in minutes (decimals allowed), more than 0 (or 0 when `zero` says what it means) and at most 6 hours. */
export function parseMinutes(get: InputGetter, name: string, options: { zero?: string; fix: string }): number {
  const value = get(name) || INPUT_DEFAULTS[name];
  const minutes = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  const range = `${options.zero ? '0' : 'more than 0'} to ${MAX_MINUTES}`;
  if (Number.isNaN(minutes))
    throw new InputError(name, notDecimal(value, 'minutes'), `Give ${range} minutes, ${options.fix}.`);
  if (minutes === 0 && !options.zero) throw new InputError(name, 'is 0.', `Give ${range} minutes, ${options.fix}.`);
  if (minutes > MAX_MINUTES) {
    throw new InputError(
      name,
      `${value} minutes is more than ${MAX_MINUTES} (6 hours, the longest a job runs on a GitHub-hosted runner).`,
      `Give ${range} minutes, ${options.fix}.`
    );
  }
  return Math.round(minutes * 60_000);
}

/** A key or token with white space inside would be sent as is and refused: say so here. */
export function oneLine(input: string, value: string, what: 'key' | 'token'): void {
  if (/\s/.test(value))
    throw new InputError(
      input,
      `contains white space inside the ${what}.`,
      'Store it alone, on one line, in the secret.'
    );
}

/** "Ignoring 'a', 'b': <why>" for the inputs among `names` given a value other than their default, or nothing. */
export function ignoring(get: InputGetter, names: readonly string[], why: string): string[] {
  const stray = names.filter((name) => get(name) !== '' && !isDefault(name, get(name)));
  return stray.length ? [`Ignoring ${stray.map((n) => `'${n}'`).join(', ')}: ${why}`] : [];
}

function isDefault(name: string, value: string): boolean {
  // lease-token and github-token default to the workflow's token, which the runner expands: a value is always there.
  if (name === 'lease-token' || name === 'github-token') return true;
  return INPUT_DEFAULTS[name] !== undefined && value.toLowerCase() === INPUT_DEFAULTS[name].toLowerCase();
}
