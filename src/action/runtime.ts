// What the mode modules need from the runner, as an interface: main.ts/post.ts pass the step's workflow commands (step-runtime.ts),
// unit tests pass a recorder.
import type { AuthMode } from './constants.js';
import type { OpenStores } from '../chatgpt/restore/stores.js';
import type { ProcessIdentity } from '../platform/liveness.js';

export interface Runtime {
  env: NodeJS.ProcessEnv;
  info(message: string): void;
  warning(message: string): void;
  /** A notice annotation: worth knowing, nothing to fix now. */
  notice(message: string): void;
  /** Appends Markdown to the job summary (GITHUB_STEP_SUMMARY). */
  summary(markdown: string): void;
  setSecret(value: string): void;
  setOutput(name: string, value: string): void;
  exportVariable(name: string, value: string): void;
  saveState(state: MainState): void;
  /** The credential's stores (src/chatgpt/restore/stores.ts by default; tests pass their own). */
  openStores?: OpenStores;
}

/** What the main step hands to the post step (no secrets: a hash of the file at most). */
export interface MainState {
  mode: AuthMode;
  codexHome: string;
  createdHome: boolean;
  /** ChatGPT mode: `ahead` when Codex got a copy without the refresh token (the post step saves nothing). */
  renewal?: 'ahead' | 'in-job';
  /** Set once auth.json has been written. */
  authFile?: string;
  /** ChatGPT mode: sha256 of the tokens written, to tell whether Codex refreshed them (a reformatted file is the same login). */
  tokensSha256?: string;
  /** ChatGPT mode: last_refresh of the auth.json written. */
  lastRefresh?: string;
  source?: string;
  /**
   * ChatGPT mode: the newest Actions-cache key the main step found (whichever copy it then used),
   * or undefined; the post step compares it with the newest key then, to notice concurrent use.
   */
  restoredKey?: string;
  /** ChatGPT mode: whose login was restored; the post step saves only a login of the same user and workspace. */
  account?: { userId?: string; workspaceId?: string };
  /** ChatGPT mode, `lease: true`: the lease this job holds, saved as soon as it is acquired; the post step releases it. */
  lease?: { ref: string; sha: string; expiresAt: string };
  /**
   * ChatGPT mode, `local-store: true`: the store directory (checked) and the token of the lock this
   * job holds on the credential there, saved as soon as it is acquired; the post step releases it.
   */
  localStore?: { dir: string; lockToken: string };
  /**
   * ChatGPT mode, `renewal: ahead` with on-save-failure: fail: the main step renewed the login but only
   * the cache holds it (src/chatgpt/keep/save-outcome.ts says why that is a save failure); the post step fails with this text.
   */
  unsaved?: string;
  /** When the main step started (ISO): the post step reads only what Codex wrote since (src/chatgpt/login/refresh-failure.ts). */
  startedAt?: string;
  /** Workload-identity mode: the private directory holding the token file, and the keeper renewing it. */
  workloadIdentity?: { dir: string; tokenFile: string; keeper?: ProcessIdentity };
}

export function runnerTemp(env: NodeJS.ProcessEnv): string {
  const dir = env.RUNNER_TEMP;
  if (!dir) throw new Error('RUNNER_TEMP is not set: this action must run inside a GitHub Actions job.');
  return dir;
}
