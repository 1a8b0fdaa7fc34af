// The Runtime backed by @actions/core, for the main and post entry points.
import * as core from '@actions/core';
import type { MainState, Runtime } from './runtime.js';

const STATE = 'codex-auth';

export function coreRuntime(): Runtime {
  return {
    env: process.env,
    info: core.info,
    warning: core.warning,
    setSecret: core.setSecret,
    setOutput: core.setOutput,
    exportVariable: core.exportVariable,
    saveState: (state) => core.saveState(STATE, JSON.stringify(state))
  };
}

export function loadState(): MainState | undefined {
  const raw = core.getState(STATE);
  return raw ? (JSON.parse(raw) as MainState) : undefined;
}
