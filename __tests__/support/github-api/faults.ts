// Faults injected into the loopback GitHub API, shaped as GitHub answers them (GitHub's REST docs,
// "Rate limits for the REST API" and "Troubleshooting"): any status with GitHub's error body for it,
// secondary rate limits (`retry-after`), primary ones (`x-ratelimit-remaining: 0` +
// `x-ratelimit-reset`), the HTML page GitHub's load balancer sends with some 5xx, delays and dropped
// connections.
import { DOCS, type Reply } from './reply.js';

/**
 * An injected fault, consumed by the next `times` (default 1) requests that match `method` and `path`
 * (a substring or RegExp of the path without prefix). Without `status` (only `delayMs`), the request
 * is then served normally. `retryAfter` (seconds) adds `retry-after`; `rateLimitReset` (epoch
 * seconds) adds `x-ratelimit-remaining: 0` and `x-ratelimit-reset`; both default the status to 403
 * with GitHub's rate-limit message. `drop` destroys the connection without an answer. `after` lets
 * that many matching requests through first (the fault then hits the next ones).
 */
export interface ApiFault {
  status?: number;
  method?: string;
  path?: string | RegExp;
  times?: number;
  body?: unknown;
  headers?: Record<string, string>;
  retryAfter?: number;
  rateLimitReset?: number;
  delayMs?: number;
  drop?: boolean;
  after?: number;
}

/** The faults waiting for requests, first injected first. */
export class Faults {
  private waiting: (ApiFault & { left: number; pass: number })[] = [];

  inject(fault: ApiFault): void {
    this.waiting.push({ ...fault, left: fault.times ?? 1, pass: fault.after ?? 0 });
  }

  clear(): void {
    this.waiting = [];
  }

  /** The first fault matching the request, counted as used once. */
  take(method: string, path: string): ApiFault | undefined {
    const i = this.waiting.findIndex(
      (f) =>
        (!f.method || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? path.includes(f.path) : f.path.test(path)))
    );
    if (i < 0) return undefined;
    const fault = this.waiting[i];
    if (fault.pass > 0) {
      fault.pass -= 1;
      return undefined;
    }
    fault.left -= 1;
    if (fault.left <= 0) this.waiting.splice(i, 1);
    return fault;
  }
}

/** What a fault answers, or undefined when it only delays (or drops) the request. */
export function faultReply(fault: ApiFault): Reply | undefined {
  const rateLimited = fault.retryAfter !== undefined || fault.rateLimitReset !== undefined;
  const status = fault.status ?? (rateLimited ? 403 : undefined);
  if (status === undefined) return undefined;
  const headers: Record<string, string> = { ...fault.headers };
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  if (fault.rateLimitReset !== undefined) {
    headers['x-ratelimit-remaining'] = '0';
    headers['x-ratelimit-reset'] = String(fault.rateLimitReset);
  }
  const own =
    fault.body === undefined ? undefined : typeof fault.body === 'string' ? { text: fault.body } : { body: fault.body };
  return { status, headers, ...(own ?? defaultFaultBody(status, fault)) };
}

function defaultFaultBody(status: number, fault: ApiFault): { body?: unknown; text?: string } {
  if (fault.retryAfter !== undefined) {
    return {
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
        status: String(status)
      }
    };
  }
  if (fault.rateLimitReset !== undefined) {
    return {
      body: {
        message:
          'API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID.',
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
        status: String(status)
      }
    };
  }
  switch (status) {
    case 401:
      return { body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
    case 403:
      return { body: { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' } };
    case 404:
      return { body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
    case 422:
      return {
        body: {
          message: 'Validation Failed',
          errors: [{ resource: 'Secret', code: 'custom', message: 'injected validation failure' }],
          documentation_url: DOCS,
          status: '422'
        }
      };
    case 429:
      return { body: { message: 'API rate limit exceeded', documentation_url: DOCS, status: '429' } };
    // GitHub's load balancer answers some 5xx with an HTML page, not JSON: clients must cope.
    case 502:
      return { text: '<html><body><h1>502 Bad Gateway</h1>Server Error</body></html>' };
    case 503:
      return { body: { message: 'Service Unavailable', documentation_url: DOCS, status: '503' } };
    default:
      return {
        body: { message: status >= 500 ? 'Server Error' : 'Error', documentation_url: DOCS, status: String(status) }
      };
  }
}
