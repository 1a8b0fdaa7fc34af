// Whether the login in auth.json may replace the stored copy: the account Codex was given, the
// restore judges' checks, and an order after the restored copy (re-stamped past a clock ahead).
import type { ChatGptInputs } from '../../action/chatgpt-inputs.js';
import type { MainState } from '../../action/runtime.js';
import { clause } from '../../action/errors.js';
import {
  accountMismatch,
  compareLastRefresh,
  parseCredential,
  stampAfter,
  type ChatGptCredential
} from '../login/credential.js';
import { loginProblem } from '../restore/readings.js';

/** Why auth.json as the post step finds it must not replace the stored copy, or undefined. */
export function refusalToSave(
  credential: ChatGptCredential,
  state: Pick<MainState, 'account'>,
  inputs: Pick<ChatGptInputs, 'workspaceId' | 'oauthIssuer'>
): string | undefined {
  if (state.account) {
    const mismatch = accountMismatch(
      { userId: state.account.userId, workspaceId: state.account.workspaceId },
      credential
    );
    if (mismatch)
      return `auth.json now holds ${mismatch.replace(/^it is /, '')} (a step replaced the login Codex was given)`;
  }
  const problem = loginProblem(credential, { workspaceId: inputs.workspaceId, oauthIssuer: inputs.oauthIssuer });
  if (problem?.check === 'workspace')
    return `auth.json now holds a login of another workspace than the input 'workspace-id' names`;
  return problem && `auth.json: ${problem.reason}`;
}

export function notSavedMessage(reason: string): string {
  return (
    `Not saving the login in auth.json: ${clause(reason)}. The stored copy is left as it was. ` +
    'Check the steps between this action and its post step: none should write auth.json in CODEX_HOME (only Codex refreshing the login should change it).'
  );
}

/**
 * The refreshed login, ordered after the restored copy. A refresh Codex made in this job is stamped
 * by this runner's clock: when the restored copy's stamp is not earlier (the clock that stamped it
 * ran ahead, within the accepted skew), the refreshed login is re-stamped just after it. A copy
 * stamped before this job started is an older copy a step put there.
 */
export function afterRestored(
  credential: ChatGptCredential,
  state: Pick<MainState, 'lastRefresh' | 'startedAt'>
): { credential: ChatGptCredential } | { refused: string } {
  if (!state.lastRefresh || compareLastRefresh(credential.lastRefreshText, state.lastRefresh) > 0)
    return { credential };
  const startedAt = state.startedAt ? Date.parse(state.startedAt) : Number.NaN;
  if (!(credential.lastRefresh.getTime() >= startedAt))
    return {
      refused: `auth.json now holds a copy stamped ${credential.lastRefreshText}, before this job started and not newer than the restored copy (${state.lastRefresh}): a step put an older copy there`
    };
  const doc = JSON.parse(credential.text) as Record<string, unknown>;
  const last_refresh = stampAfter(credential.lastRefreshText, state.lastRefresh);
  const restamped = parseCredential(JSON.stringify({ ...doc, last_refresh }, null, 2));
  return restamped.ok ? { credential: restamped.credential } : { refused: `auth.json: ${restamped.reason}` };
}
