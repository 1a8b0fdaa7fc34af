// What a handler of the loopback GitHub API is given and what it answers, with GitHub's error bodies:
// `{message, documentation_url, status}` (GitHub's `basic-error` and `validation-error` schemas in its
// OpenAPI description). A handler throws an `HttpError` to answer an error, as GitHub's checks stop a
// request.
import type { TokenGrant } from './auth.js';

export const DOCS = 'https://docs.github.com/rest';

/** An authenticated request, as the router hands it to a handler. */
export interface Call {
  method: string;
  grant: TokenGrant;
  /** Parsed JSON body, or null. */
  body: any;
  /** `http://host` + the path prefix: where the API's own URLs in answers start. */
  origin: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text body (non-JSON), e.g. an HTML 502 page. */
  text?: string;
}

export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

export const error = (
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {}
): HttpError =>
  new HttpError({ status, body: { message, documentation_url: DOCS, status: String(status), ...extra }, headers });

export const notFound = (): HttpError => error(404, 'Not Found');

export const validation = (message: string, field?: string, code = 'invalid'): HttpError =>
  error(422, message, field ? { errors: [{ resource: 'Secret', field, code }] } : {});

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A timestamp as GitHub writes it: ISO 8601 in UTC, whole seconds. */
export function githubTime(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
