// The keeper's rules on a simulated clock (no real waiting): when it renews, how it retries, when it
// says the file expired, and every way it stops. The process itself is tested end to end in
// workload-identity.test.ts.
import { runKeeper, type KeeperConfig, type KeeperDeps } from '../src/workload-identity/keeper.js';
import { OidcError, backoff, refreshDue, type IdToken } from '../src/workload-identity/oidc.js';
import type { KeeperEvent } from '../src/workload-identity/keeper-log.js';
import { summarize } from '../src/workload-identity/keeper-log.js';

const LIFE = 300_000;
const T0 = Date.UTC(2026, 0, 1);

type Answer = 'ok' | '503' | 'timeout' | '401';

function simulate(answers: Answer[], options: { stopAfter?: number; removeDirAt?: number } = {}) {
  let now = T0;
  const events: KeeperEvent[] = [];
  const writes: { at: number; exp: number }[] = [];
  const requests: { at: number; timeoutMs: number }[] = [];
  const deps: KeeperDeps = {
    now: () => now,
    sleep: async (ms) => {
      if (!(ms >= 0 && ms < 24 * 3600_000)) throw new Error(`unbounded sleep ${ms}`);
      now += ms;
    },
    request: async (_request, _audience, timeoutMs) => {
      requests.push({ at: now, timeoutMs });
      const answer = answers.shift() ?? 'ok';
      if (answer === 'timeout') {
        now += timeoutMs;
        throw new OidcError('no answer', true);
      }
      if (answer === '503') throw new OidcError('answered 503', true);
      if (answer === '401') throw new OidcError('answered 401', false);
      const token: IdToken = { value: `jwt-${now}`, claims: {}, issuedAt: now, expiresAt: now + LIFE };
      return token;
    },
    write: async (_file, content) => {
      writes.push({ at: now, exp: Number(content.slice(4)) + LIFE });
    },
    log: (event) => events.push(event),
    alive: () => options.removeDirAt === undefined || now < options.removeDirAt,
    random: () => 0.5
  };
  const config: KeeperConfig = {
    request: { url: 'http://127.0.0.1/token?api-version=2.0', token: 'request-token' },
    audience: 'aud',
    tokenFile: '/tmp/x/token.jwt',
    logFile: '/tmp/x/keeper.log',
    issuedAt: T0,
    expiresAt: T0 + LIFE,
    stopAt: T0 + (options.stopAfter ?? 3600_000)
  };
  return { run: () => runKeeper(config, deps), events, writes, requests, now: () => now };
}

describe('keeper', () => {
  test('renews at about half the token life, so the file never holds an expired token for an hour', async () => {
    const sim = simulate([]);
    expect(await sim.run()).toBe(0);
    // A 5-minute token is renewed after 3 min minus jitter: about 24 tokens an hour.
    expect(sim.writes.length).toBeGreaterThanOrEqual(20);
    expect(sim.writes.length).toBeLessThanOrEqual(26);
    let validUntil = T0 + LIFE;
    for (const write of sim.writes) {
      expect(write.at).toBeLessThan(validUntil - 60_000);
      validUntil = write.exp;
    }
    expect(summarize(sim.events)).toMatchObject({ expired: 0, failures: 0, ended: { event: 'stopped' } });
    expect(sim.events.at(-1)?.detail).toBe('the longest a job can run has passed');
  });

  test('5xx and hung requests are retried with bounded back-off and never replace the file', async () => {
    const sim = simulate(['503', 'timeout', '503'], { stopAfter: 600_000 });
    await sim.run();
    const log = summarize(sim.events);
    expect(log.failures).toBe(3);
    expect(log.expired).toBe(0);
    for (const request of sim.requests) expect(request.timeoutMs).toBeLessThanOrEqual(30_000);
    // The retries came within a minute of the first failure, well before the token expired.
    expect(sim.writes[0].at - sim.requests[0].at).toBeLessThan(60_000);
  });

  test('says when the file expired while it could not renew it', async () => {
    const sim = simulate(Array(40).fill('503'), { stopAfter: 600_000 });
    await sim.run();
    const log = summarize(sim.events);
    expect(log.expired).toBe(1);
    expect(log.lastFailure).toBe('answered 503');
  });

  test('stops after GitHub refuses the request token three times (the job has ended)', async () => {
    const sim = simulate(['401', '401', '401']);
    expect(await sim.run()).toBe(1);
    expect(summarize(sim.events).ended).toMatchObject({ event: 'gave-up' });
  });

  test('stops within seconds once the post step removed its directory', async () => {
    const sim = simulate([], { removeDirAt: T0 + 1_000 });
    expect(await sim.run()).toBe(0);
    expect(sim.now() - T0).toBeLessThanOrEqual(6_000);
    expect(sim.events.at(-1)).toMatchObject({ event: 'stopped', detail: 'its directory was removed' });
  });

  test('refresh times and back-off stay within their bounds for any jitter', () => {
    for (const random of [0, 0.5, 0.999]) {
      const due = refreshDue({ issuedAt: 0, expiresAt: LIFE }, random);
      expect(due).toBeGreaterThanOrEqual(LIFE * 0.5);
      expect(due).toBeLessThanOrEqual(LIFE - 60_000);
      expect(backoff(10, 3_000, random)).toBeLessThanOrEqual(3_750);
    }
  });
});
