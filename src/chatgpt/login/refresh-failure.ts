// A failed refresh, recognized from the session rollout Codex left in CODEX_HOME (auth.json is left
// as it was); the event's form is in docs/design.md.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SecretTarget } from '../../stores/secret.js';
import { reseedSteps } from './instructions.js';

export type RefreshFailureCause = 'reused' | 'invalidated' | 'expired' | 'refused';

export interface RefreshFailure {
  cause: RefreshFailureCause;
  /** Codex's own message (no secret in it). */
  codexMessage: string;
}

/** Codex's messages (codex-rs/login), by the token endpoint's error code. */
const CAUSES: Array<[RefreshFailureCause, RegExp]> = [
  ['reused', /refresh token was already used/i],
  ['invalidated', /refresh token was revoked/i],
  ['expired', /refresh token has expired/i],
  ['refused', /access token could not be refreshed/i]
];

/** The cause in plain words. */
export const CAUSE_TEXT: Record<RefreshFailureCause, string> = {
  reused:
    'its refresh token had already been used. Another job or machine renewed this login first, or an older copy was restored; OpenAI may have revoked the whole login for that',
  invalidated:
    'the login was revoked by OpenAI (signed out everywhere, password changed, or revoked after a refresh token was reused)',
  expired: 'its refresh token has expired: the login was not renewed for too long',
  refused: 'the token endpoint refused its refresh token (401 Unauthorized)'
};

export function classifyRefreshError(message: string): RefreshFailureCause | undefined {
  return CAUSES.find(([, pattern]) => pattern.test(message))?.[0];
}

/**
 * The failed refresh Codex recorded in CODEX_HOME since `since` (rollout files changed before it,
 * e.g. a user's codex-home with older sessions, are not read), or undefined.
 */
export async function findRefreshFailure(
  codexHome: string,
  since: Date | undefined
): Promise<RefreshFailure | undefined> {
  const files = await rolloutFiles(path.join(codexHome, 'sessions'));
  let found: RefreshFailure | undefined;
  for (const file of files) {
    const stat = await fs.lstat(file).catch(() => undefined);
    if (!stat?.isFile() || (since && stat.mtimeMs < since.getTime() - 1000)) continue;
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const failure = failureInEvent(line);
      // A known cause wins over the generic one, whichever came last.
      if (failure && (!found || found.cause === 'refused')) found = failure;
    }
  }
  return found;
}

/** One rollout line: an event whose error is Codex's "unauthorized" with a refresh message. */
function failureInEvent(line: string): RefreshFailure | undefined {
  if (!line.includes('unauthorized')) return undefined;
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return undefined;
  }
  const error = (event as { payload?: { error?: { message?: unknown; codex_error_info?: unknown } } })?.payload?.error;
  if (!error || error.codex_error_info !== 'unauthorized' || typeof error.message !== 'string') return undefined;
  const cause = classifyRefreshError(error.message);
  return cause ? { cause, codexMessage: error.message } : undefined;
}

async function rolloutFiles(dir: string, depth = 0): Promise<string[]> {
  if (depth > 4) return [];
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await rolloutFiles(full, depth + 1)));
    else if (entry.isFile() && /^rollout-.*\.jsonl$/.test(entry.name)) files.push(full);
  }
  return files;
}

/** In-job renewal: the chain is dead. */
export function refreshFailedMessage(
  credentialName: string,
  failure: RefreshFailure,
  secret: SecretTarget | undefined
): string {
  return (
    `Codex could not renew the ChatGPT login '${credentialName}': ${CAUSE_TEXT[failure.cause]}. (Codex: "${failure.codexMessage}") ` +
    'The login was not stored, and the chain is marked as needing a re-seed: later jobs stop in their main step with this message until a newer login is given. ' +
    reseedSteps(secret)
  );
}

/** `renewal: ahead`: the job had no refresh token, so a refresh attempt means the access token was refused. */
export function accessTokenRefusedMessage(
  credentialName: string,
  failure: RefreshFailure,
  secret: SecretTarget | undefined
): string {
  return (
    `OpenAI refused the access token of the ChatGPT login '${credentialName}' during this job, and Codex tried to renew it, which a job cannot do with \`renewal: ahead\` (it gets no refresh token). (Codex: "${failure.codexMessage}") ` +
    'The stored login was left as it was and may still be fine: re-run the job. If it fails again, the login was revoked on the server. ' +
    reseedSteps(secret)
  );
}
