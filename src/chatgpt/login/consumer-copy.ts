// The auth.json a job's Codex gets with `renewal: ahead`: the live access and id tokens and
// last_refresh, with the refresh token replaced by a fixed marker, so that nothing the job runs
// can spend the login's single-use refresh token. Codex 0.171.0 runs normally with it while the
// access token is valid; after two 401s it tries to refresh with the marker, fails, exits 1 and
// leaves the file as it was (observed: renewal-ahead.test.ts). The marker is no secret.

/** What stands in the refresh token's place. Recognizable in a log and at the token endpoint. */
export const REFRESH_TOKEN_MARKER = 'codex-auth-withheld-renewed-ahead';

/** `text` (a parsed, valid ChatGPT auth.json) with the refresh token withheld; everything else as it was. */
export function consumerCopy(text: string): string {
  const doc = JSON.parse(text) as { tokens?: Record<string, unknown> } & Record<string, unknown>;
  return JSON.stringify({ ...doc, tokens: { ...doc.tokens, refresh_token: REFRESH_TOKEN_MARKER } }, null, 2);
}

/** Whether an auth.json carries the marker instead of a refresh token. */
export function isConsumerCopy(text: string): boolean {
  try {
    const doc = JSON.parse(text) as { tokens?: { refresh_token?: unknown } };
    return doc.tokens?.refresh_token === REFRESH_TOKEN_MARKER;
  } catch {
    return false;
  }
}
