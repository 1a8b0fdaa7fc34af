// GitHub's REST API through Octokit (@octokit/core), the ecosystem's client, with its two plugins:
// - @octokit/plugin-retry: 5xx answers and network errors (Octokit reports both as status 500) are
//   tried again, `retries` times, (n)² × `retryBaseMs` apart (1 s, 4 s, 9 s by default);
// - @octokit/plugin-throttling: a 403/429 for a rate limit waits as GitHub asks (primary:
//   until x-ratelimit-reset; secondary: retry-after, else a minute) if that fits the budget
//   (`maxRateLimitWaitMs`), and spaces one client's content-creating requests a second apart, as
//   GitHub's guidance on secondary limits asks. Every wait is said in the log.
// The base URL is GITHUB_API_URL (GHES: https://HOST/api/v3). What a failed answer means, in each
// caller's words, is ./failure.ts. Loaded on demand (dynamic import) by the secret store and
// the lease, so the API-key and cache-only paths never load Octokit.
import { randomBytes } from 'node:crypto';
import { Octokit } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck/light.js';
import {
  clip,
  rateLimit,
  rateLimited,
  seconds,
  unreachable,
  type FailureContext,
  type GitHubAnswer,
  type GitHubFailure
} from './failure.js';

const API_VERSION = '2022-11-28';
const Client = Octokit.plugin(retry, throttling);

/** One client: a token against one API, and how patient it is. */
export interface GitHubClientOptions {
  apiUrl: string;
  token: string;
  log: (message: string) => void;
  fetch?: typeof fetch;
  /** Tries after the first, on a 5xx or a network error (default 3). */
  retries?: number;
  /** The plugins' unit of time: ms per "second" of a backoff, of a wait GitHub asks for, or of the spacing of writes (default 1000; tests shrink it). */
  retryBaseMs?: number;
  /** The longest wait a rate limit may impose before the request is given up (default 60 s). */
  maxRateLimitWaitMs?: number;
  /** Per attempt (default 30 s). */
  timeoutMs?: number;
}

/** One call: how its failures are told, and the caller's error class. */
export interface GitHubCall extends Omit<FailureContext, 'attempts' | 'maxRateLimitWaitMs'> {
  /** Called for every request sent (retries included). */
  onSend?: () => void;
  error(failure: GitHubFailure): Error;
}

export interface GitHubClient {
  /**
   * One call, with the plugins' retries and waits. Returns the final answer (success or not) for the
   * caller to judge (`githubFailure`); throws the caller's error only when nothing usable came back
   * (unreachable, or rate limited beyond the budget).
   */
  request(
    method: string,
    url: string,
    body: unknown,
    call: GitHubCall
  ): Promise<{ answer: GitHubAnswer; attempts: number }>;
  /** What a failure message needs besides the call's words. */
  context(call: Pick<GitHubCall, 'head' | 'words'>): FailureContext;
}

export function githubClient(options: GitHubClientOptions): GitHubClient {
  const retries = options.retries ?? 3;
  const base = options.retryBaseMs ?? 1000;
  const maxWait = options.maxRateLimitWaitMs ?? 60_000;
  const total = retries + 1;
  const octokit = octokitFor(options, retries, base, maxWait);
  const context = (call: Pick<GitHubCall, 'head' | 'words'>): FailureContext => ({
    ...call,
    attempts: total,
    maxRateLimitWaitMs: maxWait
  });

  return {
    context,
    async request(method, url, body, call) {
      const attempts = attemptCounter(options, `${method} ${new URL(url).pathname}`, total, base, call);
      let answer: GitHubAnswer;
      try {
        const response = await octokit.request(`${method} ${url}`, {
          headers: { accept: 'application/vnd.github+json', 'x-github-api-version': API_VERSION },
          ...(body === undefined ? {} : { data: body }),
          request: { fetch: attempts.send, redirect: 'follow' }
        });
        answer = toAnswer(response.status, response.headers, response.data);
      } catch (caught) {
        const failed = caught as { status?: number; response?: { status: number; headers: object; data: unknown } };
        if (!failed.response)
          throw call.error(unreachable(context(call), attempts.lastProblem || networkReason(caught), attempts.count));
        answer = toAnswer(failed.response.status, failed.response.headers, failed.response.data);
      }
      const rate = rateLimit(answer);
      if (rate) throw call.error(rateLimited(context(call), answer, rate, attempts.count));
      return { answer, attempts: attempts.count };
    }
  };
}

/** Octokit with the retry and throttling plugins, in the client's unit of time. */
function octokitFor(options: GitHubClientOptions, retries: number, base: number, maxWait: number) {
  // Asked by the throttling plugin before it waits out a rate limit: within the budget, and said.
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const waitMs = retryAfter * 1000;
      if (retryCount >= retries || waitMs > maxWait) return false;
      options.log(
        `GitHub API: ${request.method} ${new URL(request.url).pathname} hit the ${kind} rate limit; waiting ${seconds(waitMs)} as GitHub asks, then trying again (rate-limit retry ${retryCount + 1} of ${retries}).`
      );
      return true;
    };
  return new Client({
    baseUrl: options.apiUrl.replace(/\/+$/, ''),
    auth: options.token.trim(),
    userAgent: 'codex-auth',
    // A 429 is a rate limit: the throttling plugin waits it out as GitHub asks, never a blind backoff.
    retry: { retries, retryAfterBaseValue: base, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      // Per client: one job's writes are spaced, other clients (other jobs in a test process) are not.
      id: randomBytes(8).toString('hex'),
      // The plugin's own spacing of content-creating requests (a second apart), in the same unit.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: base, timeout: 120_000 }),
      retryAfterBaseValue: base,
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary')
    },
    log: { debug: () => undefined, info: () => undefined, warn: options.log, error: options.log }
  });
}

/** The fetch every attempt of one call goes through: a timeout per attempt, the count, and a line per retry. */
function attemptCounter(options: GitHubClientOptions, what: string, total: number, base: number, call: GitHubCall) {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let count = 0;
  let lastProblem = '';
  const send: typeof fetch = async (input, init) => {
    const attempt = ++count;
    call.onSend?.();
    try {
      const response = await (options.fetch ?? fetch)(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      if (response.status >= 500 && attempt < total) {
        const text = await response.clone().text();
        lastProblem = `answered ${response.status}${jsonMessage(text)}`;
        options.log(
          `GitHub API: ${what} ${lastProblem}; attempt ${attempt + 1} of ${total} in ${seconds(attempt ** 2 * base)}.`
        );
      }
      return response;
    } catch (caught) {
      lastProblem = networkReason(caught);
      if (attempt < total)
        options.log(
          `GitHub API: ${what} failed (${lastProblem}); attempt ${attempt + 1} of ${total} in ${seconds(attempt ** 2 * base)}.`
        );
      throw caught;
    }
  };
  return {
    send,
    get count() {
      return count;
    },
    get lastProblem() {
      return lastProblem;
    }
  };
}

function toAnswer(status: number, headers: object, data: unknown): GitHubAnswer {
  const text = typeof data === 'string' ? data : data === undefined || data === null ? '' : JSON.stringify(data);
  let body: unknown = data ?? null;
  if (typeof data === 'string') {
    try {
      body = data ? JSON.parse(data) : null;
    } catch {
      body = null;
    }
  }
  const list: [string, string][] = Object.entries(headers)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, String(v)]);
  return { status, headers: new Headers(list), body, text };
}

function jsonMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { message?: unknown })?.message;
    return typeof message === 'string' ? ` ${clip(message)}` : '';
  } catch {
    return '';
  }
}

function networkReason(caught: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (instanceof Error is not reliable).
  const error = (typeof caught === 'object' && caught !== null ? caught : {}) as {
    name?: string;
    message?: string;
    cause?: { name?: string; code?: string; message?: string; cause?: { code?: string } };
  };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
  if (error.cause?.name === 'TimeoutError' || error.cause?.name === 'AbortError') return 'timed out';
  return clip(error.cause?.code ?? error.cause?.cause?.code ?? error.cause?.message ?? error.message ?? String(caught));
}
