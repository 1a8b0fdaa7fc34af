// The Runtime of a real step (main or post), over the runner's workflow commands.
import * as step from './workflow-commands.js';
import type { MainState, Runtime } from './runtime.js';
import { STATE_NAME } from './constants.js';

const STATE = STATE_NAME;

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
    saveState: (state) => step.saveState(STATE, JSON.stringify(state))
  };
}

export function loadState(): MainState | undefined {
  const raw = step.getState(STATE);
  return raw ? (JSON.parse(raw) as MainState) : undefined;
}
