// `verify: true`: one exchange in the main step, the request Codex itself makes (observed with the
// pinned Codex 0.171.0: a form POST to https://auth.openai.com/oauth/token with the jwt-bearer
// grant, the assertion, federation_rule_id and workload_identity_context). A rule that does not
// match, a wrong audience or a workspace without the beta then fails here, before Codex runs, with
// OpenAI's own error. Off by default: it spends the assertion when the provider checks `jti`.
// Through a proxy, Node's fetch needs NODE_USE_ENV_PROXY=1 with HTTPS_PROXY (and NODE_EXTRA_CA_CERTS
// for a proxy's own CA), as any Node program on the runner.
const EXCHANGE_URL = 'https://auth.openai.com/oauth/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface ExchangeResult {
  ok: boolean;
  /** OpenAI's error (`invalid_grant: …`) or why no answer came. */
  error?: string;
  /** The OpenAI token, to mask at once (never printed). */
  accessToken?: string;
}

export async function exchangeOnce(
  assertion: string,
  ruleId: string,
  context: string | undefined,
  timeoutMs: number
): Promise<ExchangeResult> {
  const body = new URLSearchParams({ grant_type: JWT_BEARER, assertion, federation_rule_id: ruleId });
  if (context) body.set('workload_identity_context', context);
  let response: Response;
  try {
    response = await fetch(EXCHANGE_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs)
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      ok: false,
      error:
        (error as Error).name === 'TimeoutError'
          ? `no answer from ${EXCHANGE_URL} within ${timeoutMs / 1000} s`
          : `${EXCHANGE_URL} could not be reached (${cause ?? (error as Error).message})`
    };
  }
  const text = await response.text().catch(() => '');
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    doc = {};
  }
  if (response.ok && typeof doc.access_token === 'string') return { ok: true, accessToken: doc.access_token };
  // OAuth errors (RFC 6749 §5.2) or OpenAI's envelope; never the raw body, which could echo the assertion.
  const nested = doc.error && typeof doc.error === 'object' ? (doc.error as Record<string, unknown>) : undefined;
  const code = typeof doc.error === 'string' ? doc.error : (nested?.code as string | undefined);
  const description = (doc.error_description ?? nested?.message) as string | undefined;
  const said = [code, description].filter((part) => typeof part === 'string' && part).join(': ');
  return { ok: false, error: `HTTP ${response.status}${said ? ` (${oneLine(said)})` : ''}` };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 300);
}
