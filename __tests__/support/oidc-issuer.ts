// A loopback stand-in for GitHub's OIDC token service, the endpoint a job with
// `permissions: id-token: write` reaches through ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN.
// Source of its behaviour: GitHub's documentation "OpenID Connect" (the request
// `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>` with `Authorization: bearer
// $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, the answer `{"count": …, "value": "<jwt>"}`, the issuer
// https://token.actions.githubusercontent.com and the example token's claim set), and
// @actions/core's getIDToken, which builds exactly that request. The real request URL already
// carries `?api-version=2.0`, so the audience is appended with `&`. Tokens are RS256, signed with a
// key made per issuer; their lifetime is configurable so tests can outlive several of them.
import http from 'node:http';
import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { listenOnLoopback } from './loopback.js';

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';

export interface JobClaims {
  repository: string;
  ref: string;
  eventName: string;
  environment?: string;
  runnerEnvironment: 'github-hosted' | 'self-hosted';
  workflowFile: string;
}

interface IssuedToken {
  at: number;
  audience: string;
  jti: string;
  exp: number;
  /** The JWT itself: for leak checks only. */
  value: string;
}

interface OidcRequest {
  at: number;
  audience: string | undefined;
  authorized: boolean;
  /** What the stand-in did: 200, an error status, or 'hang' (never answered). */
  outcome: number | 'hang';
}

export type IssuerFault = 500 | 503 | 'hang';

export interface OidcIssuer {
  /** ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, as the runner gives them to node actions. */
  env: Record<string, string>;
  publicKey: KeyObject;
  requests: OidcRequest[];
  issued: IssuedToken[];
  /** The next `count` requests fail this way (a 5xx, or no answer at all). */
  fail(count: number, fault: IssuerFault): void;
  setLifetime(seconds: number): void;
  /** The job whose tokens are issued from now on (as GitHub issues each job its own claims). */
  setClaims(claims: Partial<JobClaims>): void;
  stop(): Promise<void>;
}

export interface OidcIssuerOptions {
  lifetimeSeconds?: number;
  claims?: Partial<JobClaims>;
}

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function signRs256(payload: Record<string, unknown>, privateKey: KeyObject, kid: string): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid, x5t: kid }));
  const body = b64url(JSON.stringify(payload));
  const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(privateKey);
  return `${head}.${body}.${b64url(signature)}`;
}

/** GitHub's claim set (the documentation's example token), for this job. */
function githubClaims(job: JobClaims, audience: string, lifetimeSeconds: number): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const [owner] = job.repository.split('/');
  const workflowRef = `${job.repository}/.github/workflows/${job.workflowFile}@${job.ref}`;
  const sub = job.environment
    ? `repo:${job.repository}:environment:${job.environment}`
    : job.eventName === 'pull_request'
      ? `repo:${job.repository}:pull_request`
      : `repo:${job.repository}:ref:${job.ref}`;
  return {
    jti: randomUUID(),
    sub,
    aud: audience,
    ref: job.ref,
    sha: 'd1c6e6f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9',
    repository: job.repository,
    repository_owner: owner,
    repository_owner_id: '1234567',
    repository_id: '7654321',
    repository_visibility: 'private',
    run_id: '1000',
    run_number: '1',
    run_attempt: '1',
    actor: 'octocat',
    actor_id: '583231',
    workflow: 'Codex',
    head_ref: '',
    base_ref: '',
    event_name: job.eventName,
    ref_type: job.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    ref_protected: 'true',
    workflow_ref: workflowRef,
    workflow_sha: 'd1c6e6f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9',
    job_workflow_ref: workflowRef,
    job_workflow_sha: 'd1c6e6f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9',
    runner_environment: job.runnerEnvironment,
    ...(job.environment ? { environment: job.environment } : {}),
    iss: GITHUB_OIDC_ISSUER,
    nbf: now - 5,
    iat: now,
    exp: now + lifetimeSeconds
  };
}

export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const requestToken = `oidc-request-${randomUUID()}`;
  const defaults: JobClaims = {
    repository: 'acme/app',
    ref: 'refs/heads/main',
    eventName: 'push',
    runnerEnvironment: 'github-hosted',
    workflowFile: 'codex.yml',
    ...options.claims
  };
  let job = defaults;
  let lifetime = options.lifetimeSeconds ?? 300;
  const faults: IssuerFault[] = [];
  const requests: OidcRequest[] = [];
  const issued: IssuedToken[] = [];
  const hanging = new Set<http.ServerResponse>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const audience = url.searchParams.get('audience') ?? undefined;
    const authorized = req.headers.authorization?.toLowerCase() === `bearer ${requestToken}`.toLowerCase();
    const entry: OidcRequest = { at: Date.now(), audience, authorized, outcome: 200 };
    requests.push(entry);
    const send = (status: number, body: unknown): void => {
      entry.outcome = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const fault = faults.shift();
    if (fault === 'hang') {
      entry.outcome = 'hang';
      hanging.add(res);
      return;
    }
    if (fault) return send(fault, { message: 'Service Unavailable' });
    if (!authorized) return send(401, { message: 'Bad credentials' });
    if (url.pathname !== '/token' || url.searchParams.get('api-version') !== '2.0')
      return send(404, { message: 'Not Found' });
    const claims = githubClaims(job, audience ?? `https://github.com/${job.repository.split('/')[0]}`, lifetime);
    const value = signRs256(claims, privateKey, kid);
    issued.push({
      at: Date.now(),
      audience: String(claims.aud),
      jti: String(claims.jti),
      exp: Number(claims.exp),
      value
    });
    send(200, { count: 1, value });
  });
  const listening = await listenOnLoopback(server);
  return {
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${listening.port}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken
    },
    publicKey,
    requests,
    issued,
    fail: (count, fault) => {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    setLifetime: (seconds) => void (lifetime = seconds),
    setClaims: (claims) => void (job = { ...defaults, ...claims }),
    stop: () => {
      for (const res of hanging) res.destroy();
      return listening.stop();
    }
  };
}
