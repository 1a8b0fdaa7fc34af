// A login another user rewrote. openai/codex-action with `safety-strategy: unprivileged-user` runs
// Codex as another user (sudo -u); when that Codex refreshes the login it writes a new auth.json,
// 0600 and owned by that user, which the runner user's post step then cannot read: the refreshed
// login would be lost without a word. The post step checks the file's owner and readability first
// and says what happened and the fix.
import { constants, promises as fs } from 'node:fs';
import { CredentialError } from '../../action/errors.js';
import type { SaveFailureMode } from '../../action/constants.js';
import type { Runtime } from '../../action/runtime.js';
import { reseedSteps } from '../login/instructions.js';

export interface LoginAccess {
  /** uid owning auth.json. */
  owner: number;
  /** uid of this process (the runner user). */
  self: number;
  /** Whether this process can read it. */
  readable: boolean;
  /** Permission bits, e.g. 0o600. */
  mode: number;
}

/** Who owns auth.json and whether we can read it; undefined when it is missing or the platform has no uids. */
export async function inspectLogin(file: string): Promise<LoginAccess | undefined> {
  const self = process.getuid?.();
  const stat = await fs.lstat(file).catch(() => undefined);
  if (self === undefined || !stat) return undefined;
  const readable = await fs.access(file, constants.R_OK).then(
    () => true,
    () => false
  );
  return { owner: stat.uid, self, readable, mode: stat.mode & 0o777 };
}

const FIX =
  'Run Codex as the runner user: with openai/codex-action, use `safety-strategy: drop-sudo` (its default), `read-only` or `unsafe`, ' +
  '`codex-home: ${{ steps.<id>.outputs.codex-home }}` and no `openai-api-key`; never `unprivileged-user` with a ChatGPT login (docs/codex-action.md in the codex-auth repository).';

/**
 * What to report, or undefined when auth.json is ours and readable. `stop`: nothing can be saved
 * (the post step must not go on); otherwise a warning and the save goes ahead.
 */
export function foreignRewriteProblem(
  file: string,
  access: LoginAccess
): { stop: boolean; message: string } | undefined {
  const foreign = access.owner !== access.self;
  if (!foreign && access.readable) return undefined;
  const who = foreign
    ? `${file} is now owned by uid ${access.owner}, not by the runner user (uid ${access.self}): another user rewrote it, as Codex does when it refreshes the login while running as that user (openai/codex-action with \`safety-strategy: unprivileged-user\`).`
    : `${file} is no longer readable by the runner user (mode 0${access.mode.toString(8)}): a step changed its permissions.`;
  if (access.readable) {
    return {
      stop: false,
      message: `${who} The runner user can still read it, so it is saved as usual, but a runner where it cannot would lose the refreshed login. ${FIX}`
    };
  }
  return {
    stop: true,
    message:
      `Not saving: ${who} The runner user cannot read it, so a login Codex refreshed cannot be stored: the stored copies then hold a spent refresh token and the next job fails to authenticate. ` +
      `${FIX} ${reseedSteps(undefined, 'if-it-fails')}`
  };
}

/**
 * The post step's check, before it reads auth.json: warns, or reports a login it cannot save (a
 * failure, or a warning with `on-save-failure: warn`). Returns true when the post step must not go on.
 */
export async function reportForeignRewrite(
  file: string,
  onSaveFailure: SaveFailureMode,
  rt: Pick<Runtime, 'warning'>
): Promise<boolean> {
  const access = await inspectLogin(file);
  const problem = access && foreignRewriteProblem(file, access);
  if (!problem) return false;
  if (problem.stop && onSaveFailure === 'fail') throw new CredentialError(problem.message);
  rt.warning(problem.message);
  return problem.stop;
}
