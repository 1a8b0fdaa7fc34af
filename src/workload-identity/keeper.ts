// The keeper: keeps OPENAI_IDENTITY_TOKEN_FILE holding a valid GitHub OIDC token for as long as
// the job may run Codex. Codex re-reads the file for every exchange and a GitHub token lives only
// minutes, so the file is replaced (temp file + rename) well before the current token expires.
// It runs detached from the main step (src/workload-identity/keeper-main.ts) and stops when
//   - the post step stops it (SIGTERM), or removes its directory;
//   - GitHub refuses the request token (4xx, three times in a row: the job has ended);
//   - the longest a job can run has passed (`stopAt`).
// Invariants: every wait is bounded (each request has a deadline, every sleep is finite); a failed
// request is retried with back-off and never replaces the file; no token value is ever logged.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writePrivateFile } from '../codex/home.js';
import { backoff, refreshDue, requestIdToken, type IdToken, type OidcRequest } from './oidc.js';
import { appendEvent, type KeeperEvent } from './keeper-log.js';

export interface KeeperConfig {
  request: OidcRequest;
  audience: string;
  tokenFile: string;
  logFile: string;
  /** The token the main step wrote (ms). */
  issuedAt: number;
  expiresAt: number;
  /** When to stop by itself (ms): the start of the job plus the longest a job runs. */
  stopAt: number;
}

export interface KeeperDeps {
  now(): number;
  sleep(ms: number): Promise<void>;
  request(request: OidcRequest, audience: string, timeoutMs: number): Promise<IdToken>;
  write(file: string, content: string): Promise<void>;
  log(event: KeeperEvent): void;
  /** Whether the keeper's directory still exists (the post step removes it). */
  alive(): boolean;
  random(): number;
}

/** At most per request: GitHub answers in well under a second; a hung connection must not stall the keeper. */
export const REQUEST_TIMEOUT_MS = 15_000;
/** Refusals in a row (4xx) after which the job is taken as ended. */
const REFUSALS_TO_STOP = 3;

export function realDeps(config: KeeperConfig): KeeperDeps {
  const dir = path.dirname(config.tokenFile);
  return {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    request: requestIdToken,
    write: writePrivateFile,
    log: (event) => appendEvent(config.logFile, event),
    alive: () => existsSync(dir),
    random: Math.random
  };
}

/** Runs until a stop condition; resolves with the exit code (0 stopped as planned, 1 gave up). */
export async function runKeeper(config: KeeperConfig, deps: KeeperDeps): Promise<number> {
  let current = { issuedAt: config.issuedAt, expiresAt: config.expiresAt };
  let failures = 0;
  let refusals = 0;
  let expiredLogged = false;
  const at = (ms: number) => new Date(ms).toISOString();
  deps.log({ at: at(deps.now()), event: 'started', expiresAt: at(current.expiresAt) });
  for (;;) {
    const life = Math.max(current.expiresAt - current.issuedAt, 10_000);
    // A request or a pause after a failure takes at most a tenth of the token's life, so several
    // attempts fit before it expires (real tokens live minutes; tests use seconds).
    const cap = Math.min(REQUEST_TIMEOUT_MS, Math.max(1_000, life / 10));
    const due = failures ? deps.now() + backoff(failures, cap, deps.random()) : refreshDue(current, deps.random());
    // Sleep in slices so a removed directory (post step) is noticed within seconds.
    while (deps.now() < Math.min(due, config.stopAt)) {
      if (!deps.alive()) return stop(deps, 'its directory was removed');
      await deps.sleep(Math.min(Math.min(due, config.stopAt) - deps.now(), 5_000));
    }
    if (!deps.alive()) return stop(deps, 'its directory was removed');
    if (deps.now() >= config.stopAt) return stop(deps, 'the longest a job can run has passed');
    try {
      const token = await deps.request(config.request, config.audience, Math.max(cap, 2_000));
      if (!deps.alive()) return stop(deps, 'its directory was removed');
      await deps.write(config.tokenFile, token.value);
      current = token;
      failures = 0;
      refusals = 0;
      expiredLogged = false;
      deps.log({ at: at(deps.now()), event: 'wrote', expiresAt: at(token.expiresAt) });
    } catch (error) {
      failures++;
      const retryable = (error as { retryable?: boolean }).retryable !== false;
      refusals = retryable ? 0 : refusals + 1;
      deps.log({ at: at(deps.now()), event: 'failed', detail: (error as Error).message });
      if (deps.now() >= current.expiresAt && !expiredLogged) {
        expiredLogged = true;
        deps.log({ at: at(deps.now()), event: 'expired', expiresAt: at(current.expiresAt) });
      }
      if (refusals >= REFUSALS_TO_STOP) {
        deps.log({
          at: at(deps.now()),
          event: 'gave-up',
          detail: 'GitHub refused the request token: the job has ended'
        });
        return 1;
      }
    }
  }
}

function stop(deps: KeeperDeps, why: string): number {
  deps.log({ at: new Date(deps.now()).toISOString(), event: 'stopped', detail: why });
  return 0;
}
