// The renewal claim over the real @actions/cache against the loopback cache service, in both
// protocols the client speaks: v2 (github.com) and v1 (GitHub Enterprise Server, ACTIONS_CACHE_URL).
// Whether a claim is held is judged from the library's results and lookups only, so a reservation
// whose upload or finalization failed is seen for what it is in either protocol: held by nobody
// who can read it, aged from the first sighting on the service's clock, then passed over.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLAIM_TTL_MS, claimSlot, releaseSlot, type ClaimBoard } from '../src/chatgpt/renewal/claims.js';
import { cacheClaimBoard, claimKey, freeKey } from '../src/chatgpt/renewal/stores.js';
import { CacheStore } from '../src/stores/cache.js';
import { CALLS, startCacheService, type CacheService } from './support/cache-service.js';

const KEY = new Uint8Array(32).fill(9);
let svc: CacheService;
let workspace: string;
const cwd = process.cwd();
const saved = { ...process.env };

beforeAll(async () => {
  svc = await startCacheService();
}, 120_000);

afterAll(async () => {
  process.env = saved;
  await svc?.stop();
});

afterEach(() => {
  svc.clearFaults();
  process.chdir(cwd);
  rmSync(workspace, { recursive: true, force: true });
});

/** The environment a runner gives a step for each protocol (v1: ACTIONS_CACHE_URL and no v2 flag, as on GHES). */
function envOf(protocol: 'v1' | 'v2'): Record<string, string> {
  if (protocol === 'v2') return svc.env;
  const { ACTIONS_RESULTS_URL: url, ACTIONS_CACHE_SERVICE_V2: _v2, ...rest } = svc.env;
  return { ...rest, ACTIONS_CACHE_URL: url };
}

const keys = (generation: string) => ({
  claim: (slot: number) => claimKey('default', generation, slot),
  free: (slot: number) => freeKey('default', generation, slot)
});

describe.each(['v2', 'v1'] as const)('claims over cache protocol %s', (protocol) => {
  let board: ClaimBoard;
  beforeEach(() => {
    svc.reset();
    for (const name of ['ACTIONS_RESULTS_URL', 'ACTIONS_CACHE_URL', 'ACTIONS_CACHE_SERVICE_V2'])
      delete process.env[name];
    Object.assign(process.env, envOf(protocol));
    workspace = mkdtempSync(path.join(os.tmpdir(), 'claims-ws-'));
    process.chdir(workspace);
    const cache = new CacheStore({
      credentialName: 'default',
      env: { ...process.env },
      log: () => undefined,
      retryDelaysMs: [50]
    });
    board = cacheClaimBoard(cache, KEY, 'default', async () => undefined);
  });

  test('the protocol in use is the one under test, and the service tells its time', async () => {
    expect(await board.serverNow()).toEqual(expect.any(Number));
    await claimSlot(board, keys('g0'), { nonce: 'a', holder: 'job a' }, new Map());
    const methods = svc.requests.map((r) => r.method);
    expect(methods).toContain(CALLS[protocol].reserve);
  });

  test('of two jobs, one holds the claim; the other is told who', async () => {
    const first = await claimSlot(board, keys('g1'), { nonce: 'a', holder: 'job a' }, new Map());
    const second = await claimSlot(board, keys('g1'), { nonce: 'b', holder: 'job b' }, new Map());
    expect(first).toMatchObject({ held: true, slot: 0 });
    expect(second).toMatchObject({ held: false, holder: 'job a' });
    expect(second.held || second.ageMs).toBeLessThan(60_000);
  });

  test('a claim given back unspent: the next job takes the next slot at once', async () => {
    const first = await claimSlot(board, keys('g2'), { nonce: 'a', holder: 'job a' }, new Map());
    if (!first.held) throw new Error('not held');
    expect(await releaseSlot(board, keys('g2'), first)).toBe(true);
    expect(await claimSlot(board, keys('g2'), { nonce: 'b', holder: 'job b' }, new Map())).toMatchObject({
      held: true,
      slot: 1
    });
  });

  test.each(['upload', 'finalize'] as const)(
    'a reservation whose %s failed: nobody holds it, every job ages it from the first sighting, and it is passed over once stale',
    async (call) => {
      // Exactly the failures of one save (the client's own retries included): the v1 client tries a
      // chunk and a commit twice on a 5xx; the v2 blob client retries a 5xx for minutes and the v2
      // Twirp client for a minute, so there a refusal (403, 400) fails the call for good.
      const fault = {
        v1: { upload: { status: 500, times: 2 }, finalize: { status: 500, times: 2 } },
        v2: { upload: { status: 403, times: 1 }, finalize: { status: 400, times: 1 } }
      }[protocol][call];
      svc.inject({ method: CALLS[protocol][call], ...fault });
      const first = await claimSlot(board, keys('g3'), { nonce: 'a', holder: 'job a' }, new Map());
      svc.clearFaults();
      expect(first).toMatchObject({ held: false, holder: expect.stringMatching(/cannot be read \(slot 0\)/) });
      const later = await claimSlot(board, keys('g3'), { nonce: 'b', holder: 'job b' }, new Map());
      expect(later).toMatchObject({ held: false, holder: expect.stringMatching(/cannot be read/) });
      // Past the claim's lifetime on the service's clock (an observer whose service time is later), the next slot is taken.
      const server = board.serverNow.bind(board);
      const afterTtl: ClaimBoard = { ...board, serverNow: async () => (await server())! + CLAIM_TTL_MS + 60_000 };
      const taken = await claimSlot(afterTtl, keys('g3'), { nonce: 'c', holder: 'job c' }, new Map());
      expect(taken).toMatchObject({
        held: true,
        slot: 1
      });
    },
    60_000
  );

  test('a 5xx at the reservation, retried: the claim is held, once', async () => {
    svc.inject({ method: CALLS[protocol].reserve, status: 503 });
    const first = await claimSlot(board, keys('g4'), { nonce: 'a', holder: 'job a' }, new Map());
    expect(first).toMatchObject({ held: true });
    expect(await claimSlot(board, keys('g4'), { nonce: 'b', holder: 'job b' }, new Map())).toMatchObject({
      held: false,
      holder: 'job a'
    });
  }, 60_000);
});
