// A JSON answer of the loopback cache service (Twirp and v1 alike).
import type http from 'node:http';

export function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers
  });
  res.end(body);
}
