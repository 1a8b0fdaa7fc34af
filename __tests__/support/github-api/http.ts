// The HTTP side of the loopback GitHub API, the same for every route: the request log (faults
// included), GitHub's contract (every request and every computed answer is checked against GitHub's
// OpenAPI description, ../github-openapi.ts; a violation is answered 500 and kept in `violations`),
// injected faults, and the headers GitHub sends with every answer (`x-github-request-id`, the
// `x-ratelimit-*` family; GitHub's REST docs, "Rate limits for the REST API").
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { requestViolation, responseViolation } from '../github-openapi.js';
import { tokenOf } from './auth.js';
import { faultReply, type Faults } from './faults.js';
import { HttpError, error, notFound, type Reply } from './reply.js';

export interface ApiRequest {
  method: string;
  /** Path without the prefix and query, e.g. `/repos/acme/app/actions/secrets/public-key`. */
  path: string;
  query: string;
  status: number;
  /** Token sent (test tokens only), or undefined. */
  token: string | undefined;
  rawBody: string;
  /** Parsed JSON body, or null. */
  body: any;
  /** Answered by an injected fault (status 0: connection dropped). */
  fault: boolean;
  at: number;
}

/** Answers a request GitHub has an operation for: `segments` are the decoded path segments. */
export type Router = (
  method: string,
  segments: string[],
  authorization: string | undefined,
  body: unknown,
  origin: string
) => Reply;

interface ServerParts {
  /** E.g. `/api/v3`, or '' for api.github.com. */
  prefix: string;
  requests: ApiRequest[];
  violations: string[];
  faults: Faults;
  route: Router;
}

interface Incoming {
  entry: ApiRequest;
  /** The path starts with the prefix (requests without it answer 404). */
  hasPrefix: boolean;
  /** The body is not JSON. */
  malformed: boolean;
  authorization: string | undefined;
  origin: string;
}

export function gitHubServer(parts: ServerParts): http.Server {
  let rateRemaining = 5000;
  const send = (res: http.ServerResponse, reply: Reply): void => {
    const resetAt = Math.floor(Date.now() / 1000) + 3600;
    const headers: Record<string, string> = {
      'x-github-request-id': `${randomBytes(4).toString('hex').toUpperCase()}:${randomBytes(3).toString('hex').toUpperCase()}`,
      'x-github-api-version-selected': '2022-11-28',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(0, --rateRemaining)),
      'x-ratelimit-used': String(5000 - rateRemaining),
      'x-ratelimit-reset': String(resetAt),
      'x-ratelimit-resource': 'core',
      ...reply.headers
    };
    writeReply(res, reply, headers);
  };
  return http.createServer(async (req, res) => {
    const incoming = await readRequest(req, parts.prefix);
    parts.requests.push(incoming.entry);
    const reply = await answer(parts, incoming);
    if (!reply) {
      req.socket.destroy();
      return;
    }
    incoming.entry.status = reply.status;
    send(res, reply);
  });
}

function writeReply(res: http.ServerResponse, reply: Reply, headers: Record<string, string>): void {
  if (reply.status === 204 || reply.status === 304) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = reply.text ?? JSON.stringify(reply.body ?? {});
  headers['content-type'] = reply.text !== undefined ? 'text/html' : 'application/json; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(text);
}

async function readRequest(req: http.IncomingMessage, prefix: string): Promise<Incoming> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString('utf8');
  let body: any = null;
  let malformed = false;
  if (rawBody) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      malformed = true;
    }
  }
  const hasPrefix = !prefix || url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
  const entry: ApiRequest = {
    method: (req.method ?? 'GET').toUpperCase(),
    path: hasPrefix ? url.pathname.slice(prefix.length) || '/' : url.pathname,
    query: url.search,
    status: 0,
    token: tokenOf(req.headers.authorization),
    rawBody,
    body,
    fault: false,
    at: Date.now()
  };
  const origin = `http://${req.headers.host}${prefix}`;
  return { entry, hasPrefix, malformed, authorization: req.headers.authorization, origin };
}

/** The reply to a request, or undefined to drop its connection. */
async function answer(parts: ServerParts, incoming: Incoming): Promise<Reply | undefined> {
  const { entry } = incoming;
  // GitHub's contract: a request GitHub would refuse is the client's bug, whatever the test injects.
  const refused =
    incoming.hasPrefix && !incoming.malformed
      ? requestViolation(entry.method, entry.path, entry.body ?? undefined)
      : undefined;
  if (refused) parts.violations.push(refused);
  if (refused?.startsWith("GitHub's REST API has no operation")) return notFound().reply;

  const fault = parts.faults.take(entry.method, entry.path);
  if (fault) {
    if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault.drop) {
      entry.fault = true;
      return undefined;
    }
    const reply = faultReply(fault);
    if (reply) {
      entry.fault = true;
      return reply;
    }
  }
  return checkedAnswer(parts, incoming, refused);
}

/** The router's answer, refused when GitHub's description refuses the request or the answer. */
function checkedAnswer(parts: ServerParts, incoming: Incoming, refused: string | undefined): Reply {
  const { entry } = incoming;
  let reply: Reply;
  try {
    if (!incoming.hasPrefix) throw notFound();
    if (incoming.malformed) throw error(400, 'Problems parsing JSON');
    const segments = entry.path
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
    reply = parts.route(entry.method, segments, incoming.authorization, entry.body, incoming.origin);
  } catch (caught) {
    if (caught instanceof HttpError) reply = caught.reply;
    else
      reply = {
        status: 500,
        body: { message: `loopback server bug: ${caught instanceof Error ? caught.message : String(caught)}` }
      };
  }
  // A body GitHub's schema refuses is refused, with the stand-in's own words when it has them.
  if (refused && reply.status < 400) reply = error(422, `Invalid request.\n\n${refused}`).reply;
  const wrong =
    reply.text === undefined ? responseViolation(entry.method, entry.path, reply.status, reply.body) : undefined;
  if (wrong) {
    parts.violations.push(`answer of the stand-in: ${wrong}`);
    reply = { status: 500, body: { message: `loopback: not in GitHub's OpenAPI description: ${wrong}` } };
  }
  return reply;
}
