// The re-seed mark: stored in place of a login once its chain is dead, so that later jobs stop in
// their main step with the cause and the re-seed steps instead of each meeting the same 401. Only a
// newer login (a new seed) gets past it. Where marks go and why: docs/design.md.
import { CLOCK_SKEW_MS, compareLastRefresh } from './credential.js';
import { CAUSE_TEXT, type RefreshFailure, type RefreshFailureCause } from './refresh-failure.js';
import { reseedSteps } from './instructions.js';
import type { SecretTarget } from '../../stores/secret.js';
import type { EnvelopeStore } from '../../stores/store.js';
import { seal as sealEnvelope } from './envelope.js';

const MARK = 'needs-reseed';

export interface ReseedMark {
  codex_auth_mark: typeof MARK;
  cause: RefreshFailureCause;
  /** Codex's message. */
  codex_message: string;
  /** last_refresh of the login whose renewal failed: only a newer login clears the mark. */
  login_last_refresh: string;
  /** Its access token's `iat` (OpenAI's clock), when known: decides when a stamp ran ahead (compareFreshness). */
  login_issued_at?: string;
  marked_at: string;
  /** The run that saw the failure (`<run id>-<attempt>`), to find its log. */
  run?: string;
}

export function makeMark(
  failure: RefreshFailure,
  loginLastRefresh: string,
  env: NodeJS.ProcessEnv,
  now = new Date(),
  loginIssuedAt?: Date
): ReseedMark {
  return {
    codex_auth_mark: MARK,
    cause: failure.cause,
    codex_message: failure.codexMessage,
    login_last_refresh: loginLastRefresh,
    ...(loginIssuedAt ? { login_issued_at: loginIssuedAt.toISOString() } : {}),
    marked_at: now.toISOString(),
    run: env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}` : undefined
  };
}

/** A mark for the login `login`, sealed like a login copy: no one without the encryption key can forge one. */
export async function sealMark(
  failure: RefreshFailure,
  login: { lastRefreshText: string; accessTokenIssuedAt?: Date },
  env: NodeJS.ProcessEnv,
  seal: { key: Uint8Array; credentialName: string }
): Promise<string> {
  const mark = makeMark(failure, login.lastRefreshText, env, new Date(), login.accessTokenIssuedAt);
  return sealEnvelope(JSON.stringify(mark), seal.key, seal.credentialName);
}

/** Where a mark is stored: every store but the secret, which is the seed a re-seed replaces. */
export function keepsMarks(store: Pick<EnvelopeStore, 'kind'>): boolean {
  return store.kind !== 'secret';
}

/** The mark in an opened (authenticated) envelope, or undefined when it holds something else (a login). */
export function parseMark(plaintext: string): ReseedMark | undefined {
  if (!plaintext.includes('codex_auth_mark')) return undefined;
  try {
    const doc = JSON.parse(plaintext) as Partial<ReseedMark>;
    if (
      doc.codex_auth_mark !== MARK ||
      typeof doc.login_last_refresh !== 'string' ||
      Number.isNaN(Date.parse(doc.login_last_refresh))
    )
      return undefined;
    const cause = doc.cause && doc.cause in CAUSE_TEXT ? doc.cause : 'refused';
    return {
      codex_auth_mark: MARK,
      cause,
      codex_message: typeof doc.codex_message === 'string' ? doc.codex_message : '',
      login_last_refresh: doc.login_last_refresh,
      ...(typeof doc.login_issued_at === 'string' && !Number.isNaN(Date.parse(doc.login_issued_at))
        ? { login_issued_at: doc.login_issued_at }
        : {}),
      marked_at: typeof doc.marked_at === 'string' ? doc.marked_at : '',
      run: typeof doc.run === 'string' ? doc.run : undefined
    };
  } catch {
    return undefined;
  }
}

/**
 * A login not newer than the marked one is the dead chain (or older): the mark blocks it. Newer as
 * compareFreshness says: when either stamp ran ahead of its token's `iat`, the token issued later
 * wins, so a fresh seed clears a mark set on a copy stamped by a fast clock.
 */
export function markBlocks(mark: ReseedMark, lastRefresh: string, issuedAt?: Date): boolean {
  const markIssued = mark.login_issued_at ? Date.parse(mark.login_issued_at) : undefined;
  if (issuedAt && markIssued !== undefined) {
    const ahead =
      Date.parse(mark.login_last_refresh) > markIssued + CLOCK_SKEW_MS ||
      Date.parse(lastRefresh) > issuedAt.getTime() + CLOCK_SKEW_MS;
    const bySecond = Math.floor(issuedAt.getTime() / 1000) - Math.floor(markIssued / 1000);
    if (ahead && bySecond) return bySecond < 0;
  }
  return compareLastRefresh(lastRefresh, mark.login_last_refresh) <= 0;
}

/** The main step's message: the same cause and re-seed steps as the post step that set the mark. */
export function needsReseedMessage(credentialName: string, mark: ReseedMark, secret: SecretTarget | undefined): string {
  const when = mark.marked_at ? ` on ${mark.marked_at}${mark.run ? ` (run ${mark.run})` : ''}` : '';
  return (
    `The ChatGPT login '${credentialName}' needs a re-seed: renewing it failed in an earlier job${when}: ${CAUSE_TEXT[mark.cause]}.` +
    (mark.codex_message ? ` (Codex: "${mark.codex_message}")` : '') +
    ' This job stopped before Codex ran; no stored copy is newer than that login. ' +
    reseedSteps(secret)
  );
}
