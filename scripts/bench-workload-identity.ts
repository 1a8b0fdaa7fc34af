// Bench of `auth-mode: workload-identity` (run by `npm run bench`, or alone with
// `npx tsx scripts/bench-workload-identity.ts [--reps N]`). Prints, does not assert:
//   1. the main step's wall time against the API-key main step (same harness, same machine);
//   2. the keeper's cost: CPU seconds and OIDC requests per hour, measured on the built keeper
//      (dist/keeper/index.js) against the loopback issuer. Idle cost is measured with long-lived
//      tokens, the cost of one renewal with 5-second tokens; the figure for GitHub's 5-minute
//      tokens is computed from the two.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NODE24, ROOT } from '../__tests__/support/paths.js';
import { runJob, type Step } from '../__tests__/support/runner.js';
import { startOidcIssuer, type OidcIssuer } from '../__tests__/support/oidc-issuer.js';
import { refreshDue } from '../src/workload-identity/oidc.js';

const argIndex = process.argv.indexOf('--reps');
const REPS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : Number(process.env.BENCH_REPS ?? 5);
const KEEPER = path.join(ROOT, 'dist', 'keeper', 'index.js');
const TICKS = 100; // USER_HZ on Linux

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function mainStepTimes(issuer: OidcIssuer): Promise<{ apiKey: number; wi: number }> {
  const apiKey: number[] = [];
  const wi: number[] = [];
  const steps = (inputs: Record<string, string>): Step[] => [{ uses: 'action', id: 'auth', with: inputs }];
  for (let i = 0; i < REPS; i++) {
    const a = await runJob({
      name: 'api-key',
      steps: steps({ 'openai-api-key': 'sk-bench-0123456789abcdefghijklmnop' })
    });
    apiKey.push(a.step('auth').durationMs);
    const w = await runJob({
      name: 'workload-identity',
      env: issuer.env,
      steps: steps({ 'auth-mode': 'workload-identity', 'federation-rule-id': 'idpm_bench', audience: 'https://bench' })
    });
    if (w.step('auth').status !== 'success') throw new Error(`workload-identity main step failed:\n${w.log}`);
    wi.push(w.step('auth').durationMs);
  }
  return { apiKey: median(apiKey), wi: median(wi) };
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS; // utime + stime
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the keeper with tokens of `lifetime` s: its CPU seconds and requests over `seconds`,
 * counted from 3 s after its start (start-up excluded: it happens once per job).
 */
async function keeperRun(
  issuer: OidcIssuer,
  lifetime: number,
  seconds: number
): Promise<{ cpu: number; requests: number }> {
  issuer.setLifetime(lifetime);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codex-auth-bench-keeper-'));
  const now = Date.now();
  const config = {
    request: { url: issuer.env.ACTIONS_ID_TOKEN_REQUEST_URL, token: issuer.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN },
    audience: 'https://bench',
    tokenFile: path.join(dir, 'token.jwt'),
    logFile: path.join(dir, 'keeper.log'),
    issuedAt: now,
    expiresAt: now + lifetime * 1000,
    stopAt: now + 3600_000
  };
  const child = spawn(NODE24, [KEEPER, dir], { stdio: ['pipe', 'ignore', 'inherit'] });
  child.stdin.end(JSON.stringify(config));
  await pause(3000);
  const before = issuer.requests.length;
  const cpuBefore = cpuSeconds(child.pid!);
  await pause(seconds * 1000);
  const cpu = cpuSeconds(child.pid!) - cpuBefore;
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('close', resolve));
  rmSync(dir, { recursive: true, force: true });
  return { cpu, requests: issuer.requests.length - before };
}

async function main(): Promise<void> {
  if (!existsSync(KEEPER)) throw new Error('dist/keeper/index.js is missing: run `npm run bundle` first.');
  const issuer = await startOidcIssuer();
  try {
    const say = (line: string) => process.stdout.write(`${line}\n`);
    say('\nWorkload identity (auth-mode: workload-identity)');
    const times = await mainStepTimes(issuer);
    say(
      `  main step, median of ${REPS}: API key ${times.apiKey} ms, workload identity ${times.wi} ms (${(times.wi / times.apiKey).toFixed(2)}×; includes the OIDC request and starting the keeper)`
    );
    const window = 30;
    const idle = await keeperRun(issuer, 3600, window);
    const busy = await keeperRun(issuer, 5, window);
    const perRenewal = busy.requests ? Math.max(busy.cpu - idle.cpu, 0) / busy.requests : 0;
    const renewalsPerHour = 3600_000 / refreshDue({ issuedAt: 0, expiresAt: 300_000 }, 0.5);
    const idlePerHour = (idle.cpu / window) * 3600;
    say(
      `  keeper, measured over ${window} s after start-up: ${idle.cpu.toFixed(2)} CPU s idle (1-hour tokens, ${idle.requests} requests); ${busy.cpu.toFixed(2)} CPU s with 5-s tokens (${busy.requests} requests, ${(perRenewal * 1000).toFixed(1)} ms CPU per renewal)`
    );
    say(
      `  keeper with GitHub's 5-minute tokens: ${renewalsPerHour.toFixed(0)} requests/hour, about ${(idlePerHour + renewalsPerHour * perRenewal).toFixed(2)} CPU s/hour`
    );
  } finally {
    await issuer.stop();
  }
}

await main();
