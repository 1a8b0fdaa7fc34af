// What the token authority's handlers answer: a status and a body in OpenAI's error envelope when it
// fails, which is what Codex parses (it reads `error.code`, or `error` when it is a string, or a
// top-level `code`), and what the request log records of it.

export type TokenOutcome =
  | 'refreshed'
  | 'reused'
  | 'invalidated'
  | 'expired'
  | 'unknown'
  | 'bad_request'
  | 'invalid_client'
  | 'injected'
  | 'dropped'
  | 'revoked'
  | 'device_code'
  | 'device_pending'
  | 'device_approved'
  | 'code_exchanged'
  | 'not_found';

/** A handler's answer, and what the request log records of it. */
export interface Handled {
  status: number;
  json: unknown;
  outcome: TokenOutcome;
  familyId?: string;
  /** For successful refreshes: the tokens handed out. */
  issued?: { access_token: string; refresh_token: string; id_token: string };
}

export function openAiError(message: string, code: string | null, type: string | null = 'invalid_request_error') {
  return { error: { message, type, param: null, code } };
}

export const INVALID_CLIENT: Handled = {
  status: 401,
  json: openAiError('Invalid client.', 'invalid_client'),
  outcome: 'invalid_client'
};
