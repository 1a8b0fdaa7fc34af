// A loopback stand-in for the two ChatGPT back-end calls Codex 0.171.0 makes before every run with a
// Codex access token (observed from the pinned binary's own requests): the token check,
// `GET {CODEX_AUTHAPI_BASE_URL}/v1/user-auth-credential/whoami`, and the workspace's managed
// policies, `GET {chatgpt_base_url}/wham/config/bundle` (mandatory: Codex stops without it). Other
// back-end paths (accounts/check, settings) get a 404, which Codex tolerates with a custom provider.
import http from 'node:http';
import { listenOnLoopback } from './loopback.js';

export interface ChatGptBackend {
  /** For CODEX_AUTHAPI_BASE_URL. */
  authApiBaseUrl: string;
  /** For `-c chatgpt_base_url="…"`. */
  chatgptBaseUrl: string;
  requests: { method: string; path: string; bearer?: string; status: number }[];
  stop(): Promise<void>;
}

export async function startChatGptBackend(options: { tokens: string[]; accountId?: string }): Promise<ChatGptBackend> {
  const requests: ChatGptBackend['requests'] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const bearer = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    const send = (status: number, body: unknown): void => {
      requests.push({ method: req.method ?? '', path, bearer, status });
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    req.resume();
    req.on('end', () => {
      const known = bearer !== undefined && options.tokens.includes(bearer);
      if (path === '/api/accounts/v1/user-auth-credential/whoami') {
        if (!known) return send(401, { error: { message: 'Unauthorized', code: 'invalid_token' } });
        return send(200, {
          email: null,
          chatgpt_user_id: 'user-automation',
          chatgpt_account_id: options.accountId ?? 'acct-automation',
          chatgpt_plan_type: 'enterprise',
          chatgpt_account_is_fedramp: false
        });
      }
      if (path === '/backend-api/wham/config/bundle')
        return known ? send(200, {}) : send(401, { error: { message: 'Unauthorized' } });
      send(404, { error: { message: `Unknown path ${path}` } });
    });
  });
  const { port, stop } = await listenOnLoopback(server);
  const base = `http://127.0.0.1:${port}`;
  return { authApiBaseUrl: `${base}/api/accounts`, chatgptBaseUrl: `${base}/backend-api`, requests, stop };
}
