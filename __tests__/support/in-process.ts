// A Runtime for in-process tests of the main and post steps (src/action/runtime.ts is the seam), with every
// call recorded. The run is a push to the default branch of a private repository: the payload keeps
// only the `repository` keys the action reads, as GitHub's push payload carries them.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MainState, Runtime } from '../../src/action/runtime.js';
import type { EnvelopeStore } from '../../src/stores/store.js';

export interface RecordedRuntime {
  rt: Runtime;
  infos: string[];
  warnings: string[];
  /** Every value passed to setSecret (masked), in order. */
  masked: string[];
  outputs: Record<string, string>;
  /** The last state saved. */
  state(): MainState | undefined;
}

export function recordingRuntime(
  dir: string,
  options: {
    repository?: string;
    /** RUNNER_TEMP (default: `dir`). */
    runnerTemp?: string;
    env?: NodeJS.ProcessEnv;
    stores?: EnvelopeStore[];
    /** Called with each state as it is saved, before it is kept. */
    onSaveState?: (state: MainState) => void;
  } = {}
): RecordedRuntime {
  const repository = options.repository ?? 'a/b';
  const eventPath = path.join(dir, 'event.json');
  writeFileSync(
    eventPath,
    JSON.stringify({
      repository: { full_name: repository, private: true, visibility: 'private', default_branch: 'main' }
    })
  );
  const recorded: Omit<RecordedRuntime, 'rt' | 'state'> = { infos: [], warnings: [], masked: [], outputs: {} };
  let state: MainState | undefined;
  const rt: Runtime = {
    env: {
      RUNNER_TEMP: options.runnerTemp ?? dir,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REPOSITORY: repository,
      ...options.env
    },
    info: (m) => recorded.infos.push(m),
    warning: (m) => recorded.warnings.push(m),
    notice: (m) => recorded.infos.push(m),
    summary: () => undefined,
    setSecret: (value) => recorded.masked.push(value),
    setOutput: (name, value) => (recorded.outputs[name] = value),
    exportVariable: () => undefined,
    saveState: (s) => {
      options.onSaveState?.(s);
      state = s;
    },
    openStores: async () => options.stores ?? []
  };
  return { rt, ...recorded, state: () => state };
}
