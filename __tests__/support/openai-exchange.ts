// A loopback stand-in for OpenAI's workload identity token exchange (`POST
// https://auth.openai.com/oauth/token`), reached by the real Codex binary through a loopback HTTPS
// proxy with a throwaway CA. Sources: the request is what the pinned Codex 0.171.0 sends (observed:
// a form with grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, assertion,
// federation_rule_id, workload_identity_context); the checks are OpenAI's documented ones (the
// rule's issuer, audience and claim conditions; an expired assertion refused; `jti` single use;
// the OpenAI token never outliving the assertion); errors use the OAuth 2.0 error body (RFC 6749
// §5.2). The success answer is the one the pinned binary accepts (see below).
// Codex has no setting that redirects the exchange URL, but its HTTP client honours HTTPS_PROXY
// and CODEX_CA_CERTIFICATE (observed): the proxy answers CONNECT auth.openai.com:443 itself, with a
// certificate for auth.openai.com signed by a CA minted here with openssl, and refuses any other host.
import http from 'node:http';
import tls from 'node:tls';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { createVerify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listenOnLoopback } from './loopback.js';
import { GITHUB_OIDC_ISSUER } from './oidc-issuer.js';
import { makeAccessToken } from './jwt.js';

const EXCHANGE_HOST = 'auth.openai.com';
/**
 * ChatGPT's back end: with a workspace login Codex loads the workspace's managed policies,
 * `GET https://chatgpt.com/backend-api/wham/config/bundle`, before a run and stops without them
 * (observed from the pinned Codex binary; the same call as ./chatgpt-backend.ts). Workload identity
 * accepts only the production chatgpt_base_url, so this host is answered through the proxy too.
 */
const BACKEND_HOST = 'chatgpt.com';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface ExchangeOptions {
  publicKey: KeyObject;
  audience: string;
  ruleId: string;
  /** Claim conditions of the rule: every one must equal the assertion's claim. */
  conditions?: Record<string, string>;
  /** Refuse a `jti` seen before (a provider that checks one-time assertions). Default true. */
  checkJti?: boolean;
  /** The OpenAI token's own lifetime, capped at the assertion's exp. Default 3600 s. */
  accessTtlSeconds?: number;
  accountId?: string;
  userId?: string;
}

interface ExchangeRequest {
  at: number;
  grantType?: string;
  ruleId?: string;
  context?: string;
  /** The assertion's jti and exp, or undefined when unreadable. */
  jti?: string;
  exp?: number;
  status: number;
  error?: string;
}

export interface TokenExchange {
  /** `https://auth.openai.com`-facing environment for a Codex child: HTTPS_PROXY, CODEX_CA_CERTIFICATE. */
  codexEnv: Record<string, string>;
  requests: ExchangeRequest[];
  /** OpenAI tokens issued, with their expiry (ms): the model server accepts only these. */
  issued: Map<string, number>;
  /** Requests to chatgpt.com's back end: path, status. */
  backendRequests: { path: string; status: number }[];
  /** CONNECT targets refused (any host other than auth.openai.com and chatgpt.com). */
  refusedConnects: string[];
  /** A model-server auth check over the issued tokens (same contract as the OAuth stand-in's). */
  accessTokenStatus(token: string): 'valid' | 'expired' | 'unknown' | 'revoked';
  stop(): Promise<void>;
}

interface Pki {
  caFile: string;
  key: string;
  cert: string;
  dir: string;
}

/** A throwaway CA and a leaf for auth.openai.com (openssl is on every runner image and here). */
function mintPki(): Pki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codex-auth-pki-'));
  const at = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=codex-auth test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign'
  );
  ssl('req', ...ec, '-keyout', at('leaf.key'), '-out', at('leaf.csr'), '-subj', `/CN=${EXCHANGE_HOST}`);
  writeFileSync(
    at('ext.cnf'),
    `subjectAltName=DNS:${EXCHANGE_HOST},DNS:${BACKEND_HOST}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`
  );
  ssl(
    'x509',
    '-req',
    '-in',
    at('leaf.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-out',
    at('leaf.pem'),
    '-days',
    '2',
    '-extfile',
    at('ext.cnf')
  );
  return {
    caFile: at('ca.pem'),
    key: readFileSync(at('leaf.key'), 'utf8'),
    cert: readFileSync(at('leaf.pem'), 'utf8'),
    dir
  };
}

function verifyRs256(jwt: string, key: KeyObject): Record<string, unknown> | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'RS256') return undefined;
    const ok = createVerify('RSA-SHA256')
      .update(`${parts[0]}.${parts[1]}`)
      .verify(key, Buffer.from(parts[2], 'base64url'));
    return ok
      ? (JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** OpenAI's documented limits for OPENAI_WORKLOAD_IDENTITY_CONTEXT. */
function contextProblem(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (Buffer.byteLength(raw) > 1024) return 'workload_identity_context is larger than 1024 bytes';
  try {
    const doc = JSON.parse(raw) as Record<string, unknown>;
    if (typeof doc.instance_id !== 'string' || !doc.instance_id) return 'workload_identity_context needs instance_id';
    const labels = doc.labels as Record<string, unknown> | undefined;
    if (labels && Object.keys(labels).length > 8) return 'workload_identity_context has more than 8 labels';
  } catch {
    return 'workload_identity_context is not JSON';
  }
  return undefined;
}

export async function startTokenExchange(options: ExchangeOptions): Promise<TokenExchange> {
  const pki = mintPki();
  const checkJti = options.checkJti ?? true;
  const seenJti = new Set<string>();
  const requests: ExchangeRequest[] = [];
  const issued = new Map<string, number>();
  const refusedConnects: string[] = [];
  // The workspace and the user the rule maps the workload to.
  const accountId = options.accountId ?? 'acct-wif-0123456789';
  const userId = options.userId ?? 'user-wif-workload';

  const backendRequests: { path: string; status: number }[] = [];
  const backend = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const route = (req.url ?? '/').split('?')[0];
    const bearer = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    const known = bearer !== undefined && (issued.get(bearer) ?? 0) > Date.now();
    const status = route === '/backend-api/wham/config/bundle' ? (known ? 200 : 401) : 404;
    backendRequests.push({ path: route, status });
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      status === 200
        ? '{}'
        : JSON.stringify({ error: { message: status === 401 ? 'Unauthorized' : `Unknown path ${route}` } })
    );
  };

  const exchange = http.createServer((req, res) => {
    if ((req.headers.host ?? '').split(':')[0] === BACKEND_HOST) return backend(req, res);
    let raw = '';
    req.setEncoding('utf8').on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const form = new URLSearchParams(raw);
      const entry: ExchangeRequest = {
        at: Date.now(),
        grantType: form.get('grant_type') ?? undefined,
        ruleId: form.get('federation_rule_id') ?? undefined,
        context: form.get('workload_identity_context') ?? undefined,
        status: 200
      };
      requests.push(entry);
      const refuse = (status: number, error: string, description: string): void => {
        entry.status = status;
        entry.error = `${error}: ${description}`;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error, error_description: description }));
      };
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/oauth/token')
        return refuse(404, 'not_found', `${req.method} ${req.url}`);
      if (entry.grantType !== JWT_BEARER) return refuse(400, 'unsupported_grant_type', String(entry.grantType));
      if (entry.ruleId !== options.ruleId) return refuse(400, 'invalid_grant', 'Unknown federation rule.');
      const contextError = contextProblem(entry.context || undefined);
      if (contextError) return refuse(400, 'invalid_grant', contextError);
      const claims = verifyRs256(form.get('assertion') ?? '', options.publicKey);
      if (!claims) return refuse(400, 'invalid_grant', 'The assertion signature could not be verified.');
      entry.jti = typeof claims.jti === 'string' ? claims.jti : undefined;
      entry.exp = typeof claims.exp === 'number' ? claims.exp : undefined;
      const now = Math.floor(Date.now() / 1000);
      if (claims.iss !== GITHUB_OIDC_ISSUER)
        return refuse(400, 'invalid_grant', 'The assertion issuer does not match the provider.');
      if (claims.aud !== options.audience)
        return refuse(400, 'invalid_grant', 'The assertion audience does not match the provider.');
      if (!entry.exp || entry.exp <= now) return refuse(400, 'invalid_grant', 'The assertion has expired.');
      for (const [claim, value] of Object.entries(options.conditions ?? {})) {
        if (claims[claim] !== value)
          return refuse(400, 'invalid_grant', `The assertion does not match the federation rule (${claim}).`);
      }
      if (checkJti) {
        if (!entry.jti || seenJti.has(entry.jti))
          return refuse(400, 'invalid_grant', 'The assertion was already used.');
        seenJti.add(entry.jti);
      }
      const expiresIn = Math.min(options.accessTtlSeconds ?? 3600, entry.exp - now);
      // The answer Codex 0.171.0 accepts (openai/codex, codex-rs/workload-identity/src/client.rs
      // TokenExchangeResponse, and codex-rs/login/src/auth/workload_identity.rs: the access token is
      // a ChatGPT access token whose user must be `user_id`; checked against the pinned binary).
      const token = makeAccessToken({ accountId, userId, expiresAt: new Date((now + expiresIn) * 1000) });
      issued.set(token, (now + expiresIn) * 1000);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: token,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: expiresIn,
          scope: 'openid profile email',
          user_id: userId,
          chatgpt_account_id: accountId,
          chatgpt_account_user_id: `${userId}__${accountId}`,
          chatgpt_plan_type: 'enterprise'
        })
      );
    });
  });

  // The proxy: CONNECT auth.openai.com:443 and chatgpt.com:443 are answered by `exchange` over TLS; nothing else is tunnelled.
  const proxy = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
    const target = req.url ?? '';
    if (target !== `${EXCHANGE_HOST}:443` && target !== `${BACKEND_HOST}:443`) {
      refusedConnects.push(target);
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    const secure = new tls.TLSSocket(socket, {
      isServer: true,
      key: pki.key,
      cert: pki.cert,
      ALPNProtocols: ['http/1.1']
    });
    secure.on('error', () => secure.destroy());
    exchange.emit('connection', secure);
  });
  const listening = await listenOnLoopback(proxy);
  return {
    codexEnv: {
      HTTPS_PROXY: `http://127.0.0.1:${listening.port}`,
      https_proxy: `http://127.0.0.1:${listening.port}`,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
      CODEX_CA_CERTIFICATE: pki.caFile
    },
    requests,
    issued,
    backendRequests,
    refusedConnects,
    accessTokenStatus: (token) => {
      const expires = issued.get(token);
      return expires === undefined ? 'unknown' : expires > Date.now() ? 'valid' : 'expired';
    },
    stop: async () => {
      exchange.close();
      await listening.stop();
      rmSync(pki.dir, { recursive: true, force: true });
    }
  };
}
