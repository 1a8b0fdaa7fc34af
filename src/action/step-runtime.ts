// A real step (main or post) as the runner runs it: its inputs, its state, and the Runtime the mode
// modules get, all over the runner's workflow commands. Tests build these from their own values.
import * as step from './workflow-commands.js';
import type { MainState, Runtime } from './runtime.js';
import { STATE_NAME } from './constants.js';
import { parseInputs, secretInputs, type ParsedInputs } from './inputs.js';

export function stepRuntime(): Runtime {
  return {
    env: process.env,
    info: step.info,
    // One argument only: callers pass these to forEach, whose index must not become a title.
    warning: (message) => step.warning(message),
    notice: (message) => step.notice(message),
    summary: step.appendSummary,
    setSecret: step.setSecret,
    setOutput: step.setOutput,
    exportVariable: step.exportVariable,
    saveState: (state) => step.saveState(STATE_NAME, JSON.stringify(state))
  };
}

/** Masks every secret input: the first thing each step does, before anything can be logged. */
export function maskSecretInputs(): void {
  for (const value of secretInputs(step.getInput)) step.setSecret(value);
}

/** The step's inputs, parsed; main and post read the same `with:` values, through the one parser. */
export function readInputs(): ParsedInputs {
  return parseInputs(step.getInput, {
    workspace: process.env.GITHUB_WORKSPACE,
    home: process.env.HOME ?? '',
    env: process.env
  });
}

export function loadState(): MainState | undefined {
  const raw = step.getState(STATE_NAME);
  return raw ? (JSON.parse(raw) as MainState) : undefined;
}
