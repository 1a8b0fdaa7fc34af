// A loopback stand-in for the OpenAI Responses API, enough for the real `codex exec` to complete a turn.
// Use it as a custom model provider (see codexProviderArgs in codex.ts): base_url = `baseUrl`
// (`http://127.0.0.1:PORT/v1`), wire_api = "responses". Codex then POSTs `/v1/responses` with
// `Accept: text/event-stream`, `Authorization: Bearer <access token or API key>` and, for ChatGPT logins,
// `chatgpt-account-id`.
//
// The stream follows the real API: `event: <type>\ndata: <json>\n\n` frames for
//   response.created → response.in_progress → response.output_item.added (message) →
//   response.content_part.added → response.output_text.delta… → response.output_text.done →
//   response.content_part.done → response.output_item.done (the full assistant message) →
//   response.completed (`response.id` and `usage` with input/output/total tokens).
// Codex itself needs only `response.output_item.done` (the message it prints) and a parsable
// `response.completed` (an `id` is required; `usage` is optional); the other events are there so the
// stream looks like the real one.
//
// Authentication like the real API: with an OAuth mock, a bearer token is accepted only when that server
// issued it and it is neither expired nor revoked; API keys only from `allowApiKeys`. Anything else is a
// 401 with OpenAI's error envelope, which Codex treats as "unauthorized" (reload auth.json, then refresh,
// then give up). With neither an OAuth mock nor an allow-list every non-empty bearer is accepted.
import http from 'node:http';
import zlib from 'node:zlib';
import { listenOnLoopback } from './loopback.js';
import { randomUUID } from 'node:crypto';
import type { OAuthServer } from './oauth-server.js';

export interface ModelServerOptions {
  /** API keys accepted as bearer tokens (API-key mode). */
  allowApiKeys?: string[];
  /** Assistant reply text (default "hi"), or a function of the parsed request body. */
  reply?: string | ((body: Record<string, unknown> | null) => string);
  /** Model name echoed in the response objects (default: the request's `model`). */
  model?: string;
}

interface ModelRequest {
  at: Date;
  method: string;
  path: string;
  /** The raw Authorization header (e.g. `Bearer eyJ…` or `Bearer sk-test-…`). */
  authorization?: string;
  /** The bearer value alone. */
  bearer?: string;
  chatgptAccountId?: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body when it could be decoded (null for e.g. zstd on a Node without zstd). */
  body: Record<string, unknown> | null;
  status: number;
  /** Why a request was refused (`expired`, `revoked`, `unknown`, `missing`) or `ok`. */
  auth: 'ok' | 'expired' | 'revoked' | 'unknown' | 'missing';
}

export interface ModelServer {
  /** `http://127.0.0.1:PORT/v1`, for `model_providers.<id>.base_url`. */
  baseUrl: string;
  requests: ModelRequest[];
  /** Requests to `POST /v1/responses` only. */
  responsesRequests(): ModelRequest[];
  /** While on, every ChatGPT bearer is answered 401 as revoked (the server refusing a token the OAuth mock still deems valid). */
  refuseTokens(on: boolean): void;
  /**
   * A barrier: the next authenticated `POST /v1/responses` requests are held until `count` of them
   * wait at once (or `timeoutMs` passed), then all are answered: proves that many Codex runs were
   * in flight at the same moment.
   */
  holdUntil(count: number, timeoutMs: number): void;
  /** The most authenticated `POST /v1/responses` requests in flight at once so far. */
  maxInFlight(): number;
  /**
   * Also accept the access tokens another OpenAI token issuer handed out (the workload identity
   * exchange, ./openai-exchange.ts): OpenAI's API accepts a token from either.
   */
  trust(issuer: Pick<OAuthServer, 'accessTokenStatus'>): void;
  stop(): Promise<void>;
}

function openAiError(message: string, code: string | null, type: string | null = 'invalid_request_error') {
  return { error: { message, type, param: null, code } };
}

function decodeBody(raw: Buffer, encoding: string | undefined): Record<string, unknown> | null {
  let buf = raw;
  try {
    switch ((encoding ?? '').toLowerCase()) {
      case '':
      case 'identity':
        break;
      case 'gzip':
        buf = zlib.gunzipSync(raw);
        break;
      case 'deflate':
        buf = zlib.inflateSync(raw);
        break;
      case 'br':
        buf = zlib.brotliDecompressSync(raw);
        break;
      case 'zstd': {
        // Node >= 22.15 / 23.8 has zstd; older Nodes cannot read such a body (recorded as null).
        const z = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
        if (!z) return null;
        buf = z(raw);
        break;
      }
      default:
        return null;
    }
    const v = JSON.parse(buf.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function sseFrame(event: { type: string; [k: string]: unknown }): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The SSE events of one complete, successful assistant turn that answers `text`. */
function responseEvents(text: string, model = 'mock-model'): Array<{ type: string; [k: string]: unknown }> {
  const responseId = `resp_${randomUUID().replace(/-/g, '')}`;
  const itemId = `msg_${randomUUID().replace(/-/g, '')}`;
  const createdAt = Math.floor(Date.now() / 1000);
  const base = {
    id: responseId,
    object: 'response',
    created_at: createdAt,
    model,
    output: [] as unknown[],
    error: null,
    incomplete_details: null,
    usage: null as unknown
  };
  const message = {
    id: itemId,
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [] }]
  };
  const outputTokens = Math.max(1, Math.ceil(text.length / 4));
  const deltas = text.match(/.{1,8}/gs) ?? [];
  let seq = 0;
  const events: Array<{ type: string; [k: string]: unknown }> = [
    { type: 'response.created', sequence_number: seq++, response: { ...base, status: 'in_progress' } },
    { type: 'response.in_progress', sequence_number: seq++, response: { ...base, status: 'in_progress' } },
    {
      type: 'response.output_item.added',
      sequence_number: seq++,
      output_index: 0,
      item: { ...message, status: 'in_progress', content: [] }
    },
    {
      type: 'response.content_part.added',
      sequence_number: seq++,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] }
    }
  ];
  for (const delta of deltas) {
    events.push({
      type: 'response.output_text.delta',
      sequence_number: seq++,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta
    });
  }
  events.push(
    {
      type: 'response.output_text.done',
      sequence_number: seq++,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      text
    },
    {
      type: 'response.content_part.done',
      sequence_number: seq++,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text, annotations: [] }
    },
    { type: 'response.output_item.done', sequence_number: seq++, output_index: 0, item: message },
    {
      type: 'response.completed',
      sequence_number: seq,
      response: {
        ...base,
        status: 'completed',
        output: [message],
        usage: {
          input_tokens: 100,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 100 + outputTokens
        }
      }
    }
  );
  return events;
}

export async function startModelServer(
  oauth?: OAuthServer | null,
  opts: ModelServerOptions = {}
): Promise<ModelServer> {
  const allowApiKeys = new Set(opts.allowApiKeys ?? []);
  const openAccess = !oauth && allowApiKeys.size === 0;
  const requests: ModelRequest[] = [];

  let refusing = false;
  let inFlight = 0;
  let peak = 0;
  let barrier: { count: number; waiting: (() => void)[]; timer: NodeJS.Timeout } | undefined;
  const openBarrier = (): void => {
    if (!barrier) return;
    clearTimeout(barrier.timer);
    const waiting = barrier.waiting;
    barrier = undefined;
    waiting.forEach((release) => release());
  };
  const trusted: Array<Pick<OAuthServer, 'accessTokenStatus'>> = [];
  function checkAuth(bearer: string | undefined): ModelRequest['auth'] {
    if (!bearer) return 'missing';
    if (allowApiKeys.has(bearer)) return 'ok';
    for (const issuer of trusted) {
      const s = issuer.accessTokenStatus(bearer);
      if (s !== 'unknown') return s === 'valid' ? 'ok' : s;
    }
    if (oauth && refusing) return 'revoked';
    if (oauth) {
      const s = oauth.accessTokenStatus(bearer);
      return s === 'valid' ? 'ok' : s;
    }
    return openAccess ? 'ok' : 'unknown';
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const authorization = req.headers.authorization;
      const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
      const body = decodeBody(Buffer.concat(chunks), req.headers['content-encoding'] as string | undefined);
      const entry: ModelRequest = {
        at: new Date(),
        method: req.method ?? '',
        path,
        authorization,
        bearer,
        chatgptAccountId: req.headers['chatgpt-account-id'] as string | undefined,
        headers: req.headers,
        body,
        status: 0,
        auth: checkAuth(bearer)
      };
      requests.push(entry);
      const sendJson = (status: number, json: unknown) => {
        entry.status = status;
        const text = JSON.stringify(json);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };

      // Like the real API, every /v1 route authenticates before anything else (404s included).
      if (path.startsWith('/v1/') || path === '/v1') {
        switch (entry.auth) {
          case 'ok':
            break;
          case 'missing':
            return sendJson(
              401,
              openAiError(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                null
              )
            );
          case 'expired':
            return sendJson(
              401,
              openAiError('Provided authentication token is expired. Please try signing in again.', 'token_expired')
            );
          case 'revoked':
            return sendJson(
              401,
              openAiError(
                'Your authentication token has been invalidated. Please try signing in again.',
                'token_invalidated'
              )
            );
          default: {
            const masked = bearer!.length > 8 ? `${bearer!.slice(0, 6)}***${bearer!.slice(-4)}` : '***';
            return sendJson(401, openAiError(`Incorrect API key provided: ${masked}.`, 'invalid_api_key'));
          }
        }
      }

      if (req.method === 'POST' && path === '/v1/responses') {
        inFlight++;
        peak = Math.max(peak, inFlight);
        res.on('close', () => void inFlight--);
        if (barrier) {
          const gate = barrier;
          gate.waiting.push(() => answer());
          if (gate.waiting.length >= gate.count) openBarrier();
          return;
        }
        return answer();
      }
      function answer(): void {
        const text = typeof opts.reply === 'function' ? opts.reply(body) : (opts.reply ?? 'hi');
        const model = opts.model ?? (typeof body?.model === 'string' ? body.model : 'mock-model');
        entry.status = 200;
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          'x-request-id': `req_${randomUUID().replace(/-/g, '')}`
        });
        for (const ev of responseEvents(text, model)) res.write(sseFrame(ev));
        res.end();
      }
      if (req.method === 'GET' && path === '/v1/models') {
        // Codex's model catalogue shape (`{"models":[…]}`); empty means "use the built-in defaults".
        return sendJson(200, { models: [] });
      }
      sendJson(404, openAiError(`Invalid URL (${req.method} ${path})`, null));
    });
  });
  const { port, stop } = await listenOnLoopback(server);
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    responsesRequests: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/responses'),
    refuseTokens: (on) => void (refusing = on),
    holdUntil: (count, timeoutMs) => {
      openBarrier();
      barrier = { count, waiting: [], timer: setTimeout(openBarrier, timeoutMs).unref() };
    },
    maxInFlight: () => peak,
    trust: (issuer) => void trusted.push(issuer),
    stop
  };
}
