// GitHub's REST API through Node's fetch, shared by the secret store (./secret.ts) and the lease
// (src/mutex/lease.ts): one retry policy (5xx, network errors and timeouts after the configured
// delays, rate limits after the wait GitHub asks for) and one mapping of a failed answer to a
// message that says what to fix; each caller adds its own words (which token, which permission)
// and wraps the result in its own error class. No dependencies: the lease (loaded by every post step
// that holds one) must not pull in libsodium with the secret store.

const API_VERSION = '2022-11-28';

/** One answer of GitHub's REST API: the parsed JSON body (null when there is none or it is not JSON) and the raw text. */
export const DEFAULT_API_URL = 'https://api.github.com';

/** The REST API base of the job: GITHUB_API_URL (set by the runner; differs on GHES). */
export function apiUrlFromEnv(env: NodeJS.ProcessEnv): string {
  return (env.GITHUB_API_URL?.trim() || DEFAULT_API_URL).replace(/\/+$/, '');
}

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

/** How to send one REST call and when to give up. */
export interface GitHubCall {
  token: string;
  log: (message: string) => void;
  sleep: (ms: number) => Promise<void>;
  fetch: typeof fetch;
  /** Waits before the 2nd, 3rd, … attempt after a 5xx or network error. */
  retryDelaysMs: number[];
  /** The longest wait a rate limit may impose before the request is given up. */
  maxRateLimitWaitMs: number;
  /** Per request. */
  timeoutMs: number;
  /** Called for every request sent (retries included). */
  onSend?: () => void;
  /** "Cannot <do what> …": the start of this call's failure messages. */
  head: string;
  words: FailureWords;
  /** The caller's error for a failure of this call. */
  error(failure: GitHubFailure): Error;
}

/**
 * One API call with retries: 5xx, network errors and timeouts after the configured delays; rate
 * limits after the wait GitHub asks for (retry-after, or x-ratelimit-reset), if not too long.
 * Returns the final answer (success or not) for the caller to judge (`githubFailure`); throws the
 * caller's error only when nothing usable came back (unreachable, rate limited).
 */
export async function githubRequest(
  method: string,
  url: string,
  body: unknown,
  call: GitHubCall
): Promise<{ answer: GitHubAnswer; attempts: number }> {
  const delays = call.retryDelaysMs;
  const maxWait = call.maxRateLimitWaitMs;
  const total = delays.length + 1;
  const what = `${method} ${new URL(url).pathname}`;
  for (let attempt = 1; ; attempt++) {
    let answer: GitHubAnswer | undefined;
    let problem: string;
    let wait: number | undefined;
    try {
      answer = await sendGitHubRequest(method, url, body, call);
    } catch (caught) {
      problem = networkReason(caught);
      if (attempt >= total) throw call.error(unreachable(call, problem, attempt));
      wait = delays[attempt - 1];
      call.log(`GitHub API: ${what} failed (${problem}); attempt ${attempt + 1} of ${total} in ${seconds(wait)}.`);
      await call.sleep(wait);
      continue;
    }
    const rate = rateLimit(answer);
    if (rate) {
      if (attempt >= total || rate.waitMs > maxWait) throw call.error(rateLimited(call, answer, rate, attempt));
      wait = rate.waitMs;
      problem = `rate limited: ${rate.reason}`;
    } else if (answer.status >= 500) {
      if (attempt >= total) return { answer, attempts: attempt };
      wait = delays[attempt - 1];
      problem = `answered ${answer.status}${answer.body?.message ? ` ${clip(String(answer.body.message))}` : ''}`;
    } else {
      return { answer, attempts: attempt };
    }
    call.log(`GitHub API: ${what} ${problem}; attempt ${attempt + 1} of ${total} in ${seconds(wait)}.`);
    await call.sleep(wait);
  }
}

async function sendGitHubRequest(method: string, url: string, body: unknown, call: GitHubCall): Promise<GitHubAnswer> {
  call.onSend?.();
  const response = await call.fetch(url, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${call.token.trim()}`,
      'x-github-api-version': API_VERSION,
      'user-agent': 'codex-auth',
      ...(body === undefined ? {} : { 'content-type': 'application/json' })
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'follow',
    signal: AbortSignal.timeout(call.timeoutMs)
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** What a failed answer means, and what to fix, in the words of `call`. */
export function githubFailure(
  answer: GitHubAnswer,
  call: Pick<GitHubCall, 'head' | 'words' | 'retryDelaysMs'>
): GitHubFailure {
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
      `GitHub kept failing after ${call.retryDelaysMs.length + 1} attempts; it may be having an outage (https://www.githubstatus.com). Re-run the job later.`
    );
  return fail('rejected', `Check GITHUB_API_URL (${words.apiUrl}) and the token in ${words.tokenName}.`);
}

function unreachable(call: GitHubCall, problem: string, attempts: number): GitHubFailure {
  return {
    kind: 'network',
    message: `${call.head}: the GitHub API at ${call.words.apiUrl} could not be reached after ${attempts} attempt${attempts > 1 ? 's' : ''} (${problem}). Check the network and GITHUB_API_URL, then re-run the job.${call.words.tail ?? ''}`
  };
}

function rateLimited(call: GitHubCall, answer: GitHubAnswer, rate: RateLimit, attempts: number): GitHubFailure {
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
function rateLimit(answer: GitHubAnswer): RateLimit | undefined {
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

function networkReason(caught: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (instanceof Error is not reliable).
  const error = (typeof caught === 'object' && caught !== null ? caught : {}) as {
    name?: string;
    message?: string;
    cause?: { code?: string; message?: string };
  };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
  return clip(error.cause?.code ?? error.cause?.message ?? error.message ?? String(caught));
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
