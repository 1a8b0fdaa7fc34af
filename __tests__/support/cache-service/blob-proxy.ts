// The pass-through proxy that signed URLs point at: it forwards each Azure Blob request (Put Blob,
// Put Block, Put Block List, Get Blob) to Azurite unchanged, logs it, counts the archive bytes moved,
// and lets a test fail uploads (`BlobUpload` faults).
import http from 'node:http';
import type { BlobRequest, CacheState } from './state.js';
import { send } from './send.js';

export function onBlob(state: CacheState, agent: http.Agent, req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const comp = url.searchParams.get('comp') ?? '';
  const blobName = decodeURIComponent(url.pathname.split('/').slice(3).join('/'));
  const log: BlobRequest = { method: req.method ?? '', blobName, comp, status: 0, bytes: 0, at: Date.now() };
  state.blobRequests.push(log);
  const countsUpload = req.method === 'PUT' && (comp === '' || comp === 'block');
  const countsDownload = req.method === 'GET' && comp === '';
  const fault = req.method === 'PUT' ? state.takeFault('BlobUpload', true) : undefined;
  if (fault && (fault.status !== undefined || fault.reset)) {
    log.status = fault.status ?? 0;
    req.resume();
    if (fault.reset) return req.socket.destroy();
    return send(res, fault.status!, fault.body ?? '<Error><Code>InternalError</Code></Error>', fault.headers);
  }
  let uploadAccepted = false;
  const azuritePort = state.azurite.port;
  const headers = { ...req.headers, host: `127.0.0.1:${azuritePort}` };
  const upstream = http.request(
    { host: '127.0.0.1', port: azuritePort, method: req.method, path: req.url, headers, agent },
    (up) => {
      log.status = up.statusCode ?? 0;
      // Uploads count once Azurite accepted them (a refused PUT stores nothing).
      uploadAccepted = countsUpload && log.status < 300;
      if (uploadAccepted) state.uploaded += log.bytes;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, up.headers);
      up.on('data', (c: Buffer) => {
        if (countsDownload && log.status < 300) {
          log.bytes += c.length;
          state.downloaded += c.length;
        }
      });
      up.pipe(res);
    }
  );
  upstream.on('error', () => {
    if (!res.headersSent) send(res, 502, JSON.stringify({ error: 'azurite unreachable' }));
    else res.destroy();
  });
  req.on('data', (c: Buffer) => {
    if (countsUpload) {
      log.bytes += c.length;
      if (uploadAccepted) state.uploaded += c.length;
    }
  });
  req.pipe(upstream);
}
