// What a failed answer of GitHub's REST API means, and what to fix, in the words of each caller
// (the secret store, the lease): the token, the permission and the fix. No dependencies: loaded
// with the lease and the secret store; the client that sends the requests is ./request.ts.

export interface GitHubAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON reply (null when none). GitHub's shapes vary by endpoint, so each field is checked where read (typeof, Array.isArray). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one untyped value of the action: see above
  body: any;
  text: string;
}

/** A rate limit GitHub imposed: how long it asks to wait, and why (for the log). */
export interface RateLimit {
  waitMs: number;
  reason: string;
}

/** Why a call failed, in the caller's words; the caller wraps it in its own error class. */
export interface GitHubFailure {
  kind: 'unauthorized' | 'forbidden' | 'not-found' | 'rejected' | 'unavailable' | 'rate-limited' | 'network';
  message: string;
  status?: number;
  requestId?: string;
}

/** What a caller says about its calls, for the failure messages. */
export interface FailureWords {
  /** Where the token comes from (an input, an environment variable). */
  tokenName: string;
  apiUrl: string;
  /** Values that must never appear, even in GitHub's quoted words. */
  secrets: (string | undefined)[];
  /** After every message (the lease's "Nothing was restored."). */
  tail?: string;
  /** After "The token in … is invalid, expired or revoked.": how to get a valid one. */
  unauthorized: string;
  /** A 403 that is no rate limit and no SSO: what the token may not do (`accepted`: the permission GitHub names). */
  forbidden(accepted: string): string;
  notFound: string;
  /** Statuses with a meaning of their own for this caller (the lease's 409, the secret's 422): 'rejected'. */
  rejected?: Record<number, string>;
  /** After a rate limit message: what else to do. */
  rateLimited: string;
}

/** What a failure message needs to know about the call. */
export interface FailureContext {
  /** "Cannot <do what> …": the start of this call's failure messages. */
  head: string;
  words: FailureWords;
  /** Attempts a 5xx gets before it is given up (for the outage message). */
  attempts: number;
  /** The longest wait a rate limit may impose before the request is given up. */
  maxRateLimitWaitMs: number;
}

/** What a failed answer means, and what to fix, in the words of `call`. */
export function githubFailure(answer: GitHubAnswer, call: FailureContext): GitHubFailure {
  const { words } = call;
  const said = githubMessage(answer, words.secrets);
  const requestId = answer.headers.get('x-github-request-id') ?? undefined;
  const head = `${call.head}: GitHub answered ${answer.status}${said ? ` ${said}` : ''}${requestId ? ` (GitHub request id ${requestId})` : ''}.`;
  const fail = (kind: GitHubFailure['kind'], fix: string): GitHubFailure => ({
    kind,
    message: `${head} ${fix}${words.tail ?? ''}`,
    status: answer.status,
    requestId
  });
  const own = words.rejected?.[answer.status];
  if (own) return fail('rejected', own);
  if (answer.status === 401)
    return fail(
      'unauthorized',
      `The token in ${words.tokenName} is invalid, expired or revoked. ${words.unauthorized}`
    );
  if (answer.status === 403) {
    const sso = answer.headers.get('x-github-sso');
    if (sso) {
      const url = /url=(\S+)/.exec(sso)?.[1];
      return fail(
        'forbidden',
        `The organization enforces SAML single sign-on: authorize the token in ${words.tokenName} for it${url ? ` at ${url}` : ''}.`
      );
    }
    const accepted = answer.headers.get('x-accepted-github-permissions');
    return fail('forbidden', words.forbidden(accepted ? ` (GitHub says the call needs ${accepted})` : ''));
  }
  if (answer.status === 404) return fail('not-found', words.notFound);
  if (answer.status >= 500)
    return fail(
      'unavailable',
      `GitHub kept failing after ${call.attempts} attempts; it may be having an outage (https://www.githubstatus.com). Re-run the job later.`
    );
  return fail('rejected', `Check GITHUB_API_URL (${words.apiUrl}) and the token in ${words.tokenName}.`);
}

export function unreachable(call: FailureContext, problem: string, attempts: number): GitHubFailure {
  return {
    kind: 'network',
    message: `${call.head}: the GitHub API at ${call.words.apiUrl} could not be reached after ${attempts} attempt${attempts > 1 ? 's' : ''} (${problem}). Check the network and GITHUB_API_URL, then re-run the job.${call.words.tail ?? ''}`
  };
}

export function rateLimited(
  call: FailureContext,
  answer: GitHubAnswer,
  rate: RateLimit,
  attempts: number
): GitHubFailure {
  const requestId = answer.headers.get('x-github-request-id') ?? undefined;
  const max = call.maxRateLimitWaitMs;
  return {
    kind: 'rate-limited',
    message:
      `${call.head}: GitHub's API rate limit was hit (${rate.reason}) after ${attempts} attempt${attempts > 1 ? 's' : ''}${requestId ? ` (GitHub request id ${requestId})` : ''}. ` +
      `${rate.waitMs > max ? `That is longer than this step waits (${seconds(max)}). ` : ''}` +
      `Re-run the job once the limit has reset; ${call.words.rateLimited}${call.words.tail ?? ''}`,
    status: answer.status,
    requestId
  };
}

/** GitHub's own words (message and error details), with every one of `secrets` replaced by ***. */
export function githubMessage(answer: GitHubAnswer, secrets: (string | undefined)[]): string {
  const message = typeof answer.body?.message === 'string' ? answer.body.message : '';
  const details = Array.isArray(answer.body?.errors)
    ? answer.body.errors
        .map((e: unknown) =>
          typeof e === 'string'
            ? e
            : typeof (e as { message?: unknown })?.message === 'string'
              ? (e as { message: string }).message
              : ''
        )
        .filter(Boolean)
    : [];
  let text = [message.replace(/\s+/g, ' ').trim(), ...details].filter(Boolean).join('; ');
  for (const secret of secrets) {
    if (secret) text = text.split(secret).join('***');
  }
  return clip(text);
}

/** A 403/429 that is a rate limit (primary: x-ratelimit-remaining 0; secondary: retry-after or the message). */
export function rateLimit(answer: GitHubAnswer): RateLimit | undefined {
  if (answer.status !== 403 && answer.status !== 429) return undefined;
  const retryAfter = answer.headers.get('retry-after');
  if (retryAfter !== null) {
    const secondsToWait = /^\d+$/.test(retryAfter.trim())
      ? Number(retryAfter)
      : Math.max(0, (Date.parse(retryAfter) - Date.now()) / 1000);
    if (Number.isFinite(secondsToWait))
      return { waitMs: Math.ceil(secondsToWait * 1000), reason: `retry-after ${retryAfter.trim()} s` };
  }
  if (answer.headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(answer.headers.get('x-ratelimit-reset'));
    const waitMs = Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) + 1000 : 60_000;
    return {
      waitMs,
      reason: `no requests left until ${Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000).toISOString() : 'the limit resets'}`
    };
  }
  if (answer.status === 429 || /rate limit/i.test(String(answer.body?.message ?? ''))) {
    // GitHub: without retry-after, wait at least a minute before retrying a secondary rate limit.
    return { waitMs: 60_000, reason: 'secondary rate limit' };
  }
  return undefined;
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
