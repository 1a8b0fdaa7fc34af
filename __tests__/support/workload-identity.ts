// What a workload-identity job reaches outside the runner, wired together: GitHub's OIDC token
// service (./oidc-issuer.ts) and OpenAI's token exchange behind its loopback HTTPS proxy with a
// throwaway CA (./openai-exchange.ts), the exchange trusting the issuer's key under one federation
// rule. Used by workload-identity.test.ts (jobs built by hand) and workflow-run.ts (the documented
// workflows as printed).
import { startOidcIssuer, type JobClaims, type OidcIssuer } from './oidc-issuer.js';
import { startTokenExchange, type TokenExchange } from './openai-exchange.js';

export interface WorkloadIdentityOptions {
  ruleId: string;
  audience: string;
  /** The OIDC tokens' lifetime (default 300 s). */
  lifetimeSeconds?: number;
  /** Claim conditions of the federation rule (each must equal the job token's claim). */
  conditions?: Record<string, string>;
  /** The job the issuer issues tokens for until setClaims (default: a push to main of acme/app). */
  claims?: Partial<JobClaims>;
}

export interface WorkloadIdentity {
  ruleId: string;
  audience: string;
  issuer: OidcIssuer;
  exchange: TokenExchange;
  /**
   * What the runner gives every step of a job with `permissions: id-token: write`:
   * ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (GitHub's "OpenID Connect" docs).
   */
  idTokenEnv: Record<string, string>;
  /**
   * The route to auth.openai.com and chatgpt.com for Codex: HTTPS_PROXY to the loopback proxy and
   * CODEX_CA_CERTIFICATE, its CA (loopback hosts stay direct through NO_PROXY).
   */
  networkEnv: Record<string, string>;
  /** Every secret value so far: the OIDC tokens, the OpenAI tokens and the job's request token, for leak checks. */
  secrets(): string[];
  stop(): Promise<void>;
}

export async function startWorkloadIdentity(options: WorkloadIdentityOptions): Promise<WorkloadIdentity> {
  const issuer = await startOidcIssuer({ lifetimeSeconds: options.lifetimeSeconds ?? 300, claims: options.claims });
  const exchange = await startTokenExchange({
    publicKey: issuer.publicKey,
    audience: options.audience,
    ruleId: options.ruleId,
    conditions: options.conditions
  }).catch(async (error: unknown) => {
    await issuer.stop();
    throw error;
  });
  return {
    ruleId: options.ruleId,
    audience: options.audience,
    issuer,
    exchange,
    idTokenEnv: issuer.env,
    networkEnv: exchange.codexEnv,
    secrets: () => [
      ...issuer.issued.map((t) => t.value),
      ...exchange.issued.keys(),
      issuer.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    ],
    stop: async () => {
      await exchange.stop();
      await issuer.stop();
    }
  };
}

/** Whether a process with this pid still runs (the keeper after the post step must not). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
