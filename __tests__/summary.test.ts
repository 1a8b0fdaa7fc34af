// The job summary, the early-warning rules, the failed-refresh reader and the re-seed mark, in process.
import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCredential, type ChatGptCredential } from '../src/chatgpt/login/credential.js';
import { earlyWarnings, type WarningFacts } from '../src/chatgpt/report/early-warnings.js';
import { classifyRefreshError, findRefreshFailure } from '../src/chatgpt/login/refresh-failure.js';
import { makeMark, markBlocks, needsReseedMessage, parseMark } from '../src/chatgpt/login/reseed-mark.js';
import {
  renderApiKeySummary,
  renderChatGptSummary,
  type ChatGptReport,
  type StoreName
} from '../src/chatgpt/report/summary.js';
import { makeChatGptAuth, rfc3339Nanos, type ChatGptAuthJson } from './support/jwt.js';
import { handleFailedRefresh } from '../src/chatgpt/keep/after-codex.js';
import type { ChatGptInputs } from '../src/action/chatgpt-inputs.js';
import type { MainState, Runtime } from '../src/action/runtime.js';

const NOW = new Date('2026-12-02T12:00:00Z');
const DAY = 86_400_000;

function login(options: Parameters<typeof makeChatGptAuth>[0] = {}): {
  auth: ChatGptAuthJson;
  credential: ChatGptCredential;
} {
  const auth = makeChatGptAuth({ email: 'dev@example.com', ...options });
  const parsed = parseCredential(JSON.stringify(auth, null, 2));
  if (!parsed.ok) throw new Error(parsed.reason);
  return { auth, credential: parsed.credential };
}

describe('the job summary', () => {
  const stores: StoreName[] = ['cache', 'local', 'secret', 'seed', 'codex-home'];
  test.each(stores)(
    'a login used from the %s: a row per store, which copy and why, what happens next, and no secret',
    (store) => {
      const used = login({
        lastRefresh: rfc3339Nanos(new Date(NOW.getTime() - 2 * DAY)),
        accessExpiresAt: new Date(NOW.getTime() + 8 * DAY)
      });
      const older = login({ lastRefresh: rfc3339Nanos(new Date(NOW.getTime() - 9 * DAY)) });
      const others = stores.filter(
        (s) => s !== store && !(store === 'secret' && s === 'seed') && !(store === 'seed' && s === 'secret')
      );
      const report: ChatGptReport = {
        credentialName: 'default',
        now: NOW,
        renewal: 'in-job',
        durableStores: store === 'local' ? ['local'] : store === 'secret' ? ['secret'] : [],
        readings: [
          {
            store,
            status: 'usable',
            lastRefresh: used.credential.lastRefreshText,
            accessTokenExpiresAt: used.credential.accessTokenExpiresAt
          },
          {
            store: others[0],
            status: 'usable',
            lastRefresh: older.credential.lastRefreshText,
            accessTokenExpiresAt: older.credential.accessTokenExpiresAt
          },
          { store: others[1], status: 'unreadable', reason: 'it was encrypted with a different encryption-key' },
          { store: others[2], status: 'empty', reason: 'not given' }
        ],
        chosen: { store, why: 'the freshest of the usable copies (latest last_refresh)' },
        warnings: ['seed-older-than-stored']
      };
      const markdown = renderChatGptSummary(report);
      expect(markdown).toContain('### Codex auth: ChatGPT login `default`');
      expect(markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Store'))).toHaveLength(
        4
      );
      expect(markdown).toMatch(
        /\*\*\(used\)\*\* \| a readable login \| 2026-11-30 12:00 UTC \(2 days ago\) \| expires 2026-12-10 12:00 UTC \(in 8 days\)/
      );
      expect(markdown).toContain('unusable: it was encrypted with a different encryption-key');
      expect(markdown).toContain('**Used:**');
      expect(markdown).toMatch(/Renewal due 2026-12-10 11:55 UTC/);
      if (store === 'local' || store === 'secret') expect(markdown).toMatch(/also written to the/);
      else expect(markdown).toMatch(/only stored copy is in the Actions cache.*before 2026-12-09 12:00 UTC/);
      for (const { auth } of [used, older]) {
        for (const value of [
          auth.tokens.access_token,
          auth.tokens.refresh_token,
          auth.tokens.id_token,
          auth.tokens.account_id,
          'dev@example.com'
        ]) {
          expect(markdown).not.toContain(value);
        }
      }
    }
  );

  test('a failed main step says why, and a marked store says it needs a re-seed', () => {
    const markdown = renderChatGptSummary({
      credentialName: 'team',
      now: NOW,
      renewal: 'in-job',
      durableStores: [],
      readings: [
        {
          store: 'cache',
          status: 'needs-reseed',
          lastRefresh: '2026-11-30T12:00:00.123456789Z',
          reason: 'renewing it failed (reused)'
        }
      ],
      failure: "The ChatGPT login 'team' needs a re-seed: | it broke"
    });
    expect(markdown).toContain('**Not set up:** The ChatGPT login');
    // A paragraph keeps a `|` as written (an escape would show); a table cell escapes it.
    expect(markdown).toContain("**Not set up:** The ChatGPT login 'team' needs a re-seed: | it broke");
    expect(markdown).toContain('**needs a re-seed**: renewing it failed (reused)');
    expect(markdown).not.toContain('**Next:**');
  });

  test('a table cell escapes `|`, also inside a code span; a paragraph does not', () => {
    const markdown = renderChatGptSummary({
      credentialName: 'default',
      now: NOW,
      renewal: 'ahead',
      durableStores: [],
      readings: [
        { store: 'cache', status: 'unreadable', reason: 'delete it: `gh cache list | xargs gh cache delete`' }
      ],
      failure: 'Fix: `gh cache list | xargs gh cache delete`'
    });
    expect(markdown).toContain('| unusable: delete it: `gh cache list \\| xargs gh cache delete` |');
    expect(markdown).toContain('**Not set up:** Fix: `gh cache list | xargs gh cache delete`');
  });

  test('renewal ahead: a login this job renewed is not due; a first job that renewed nothing has nothing stored', () => {
    const seed = login({ accessExpiresAt: new Date(NOW.getTime() - 60_000) });
    const renewedNow = login({ lastRefresh: rfc3339Nanos(NOW), accessExpiresAt: new Date(NOW.getTime() + 10 * DAY) });
    const base: ChatGptReport = {
      credentialName: 'default',
      now: NOW,
      renewal: 'ahead',
      renewWindowMs: DAY,
      durableStores: [],
      readings: [
        { store: 'cache', status: 'empty', reason: 'no entry yet' },
        {
          store: 'seed',
          status: 'usable',
          lastRefresh: seed.credential.lastRefreshText,
          accessTokenExpiresAt: seed.credential.accessTokenExpiresAt
        }
      ],
      chosen: { store: 'seed', why: 'the only usable copy' }
    };
    const renewed = renderChatGptSummary({
      ...base,
      renewed: {
        lastRefresh: renewedNow.credential.lastRefreshText,
        accessTokenExpiresAt: renewedNow.credential.accessTokenExpiresAt
      }
    });
    expect(renewed).toContain('| Store (before this job renewed the login) |');
    expect(renewed).toContain(
      '**Renewed:** this job renewed the login (last_refresh 2026-12-02 12:00 UTC, expires 2026-12-12 12:00 UTC (in 10 days)) and stored it in the Actions cache; Codex uses it.'
    );
    expect(renewed).toContain('- Renewal due 2026-12-11 12:00 UTC (in 9 days): the first job after that renews it');
    expect(renewed).not.toMatch(/due now/);
    expect(renewed).toContain('The only stored copy is in the Actions cache');

    const fresh = login({ accessExpiresAt: new Date(NOW.getTime() + 8 * DAY) });
    const first = renderChatGptSummary({
      ...base,
      readings: [
        base.readings[0],
        {
          ...base.readings[1],
          lastRefresh: fresh.credential.lastRefreshText,
          accessTokenExpiresAt: fresh.credential.accessTokenExpiresAt
        }
      ]
    });
    expect(first).toContain('| Actions cache | no entry yet |');
    expect(first).toContain(
      '- Nothing is stored yet: jobs use this copy until the first renewal stores the renewed login in the Actions cache.'
    );
    expect(first).not.toContain('only stored copy');
    expect(first).toContain('- Renewal due 2026-12-09 12:00 UTC (in 7 days)');
  });

  test('API-key mode: one line, nothing of the key', () => {
    const text = renderApiKeySummary(true);
    expect(text.trim().split('\n').filter(Boolean)).toHaveLength(2);
    expect(text).not.toMatch(/sk-/);
  });
});

describe('early warnings', () => {
  const base = (over: Partial<WarningFacts> = {}): WarningFacts => ({
    now: NOW,
    renewal: 'in-job',
    credentialName: 'default',
    chosen: {
      store: 'cache',
      lastRefresh: new Date(NOW.getTime() - DAY).toISOString(),
      accessTokenExpiresAt: new Date(NOW.getTime() + 8 * DAY)
    },
    writeBack: false,
    localStore: false,
    ...over
  });
  const names = (facts: WarningFacts): string[] => earlyWarnings(facts).map((w) => w.name);

  test('none for a fresh login on the default branch', () => {
    expect(names(base())).toEqual([]);
  });
  test('renewal due within a day on a branch whose saves other jobs do not see', () => {
    const soon = {
      store: 'cache' as const,
      lastRefresh: base().chosen.lastRefresh,
      accessTokenExpiresAt: new Date(NOW.getTime() + 3_600_000)
    };
    expect(names(base({ chosen: soon, cacheLimit: 'this job runs on refs/heads/x' }))).toEqual([
      'renewal-due-cannot-renew'
    ]);
    expect(names(base({ chosen: soon }))).toEqual([]);
    expect(names(base({ chosen: soon, cacheLimit: 'x', writeBack: true }))).toEqual([]);
  });
  test('the only stored copy is in the cache and was last renewed 5 days ago', () => {
    const aged = {
      store: 'cache' as const,
      lastRefresh: new Date(NOW.getTime() - 5 * DAY).toISOString(),
      accessTokenExpiresAt: new Date(NOW.getTime() + 5 * DAY)
    };
    expect(names(base({ chosen: aged }))).toEqual(['cache-only-aging']);
    expect(names(base({ chosen: aged, localStore: true }))).toEqual([]);
  });
  test('a seed older than the stored chain is a notice', () => {
    const warnings = earlyWarnings(base({ seedLastRefresh: new Date(NOW.getTime() - 3 * DAY).toISOString() }));
    expect(warnings.map((w) => [w.name, w.level])).toEqual([['seed-older-than-stored', 'notice']]);
    expect(names(base({ seedLastRefresh: new Date(NOW.getTime() - 3 * DAY).toISOString(), writeBack: true }))).toEqual(
      []
    );
  });
});

describe('what Codex left after a failed refresh', () => {
  const event = (message: string): string =>
    JSON.stringify({
      timestamp: 'x',
      type: 'event_msg',
      payload: { type: 'task_complete', error: { message, codex_error_info: 'unauthorized' } }
    });

  test.each([
    [
      'Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.',
      'reused'
    ],
    [
      'Your access token could not be refreshed because your refresh token was revoked. Please log out and sign in again.',
      'invalidated'
    ],
    [
      'Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.',
      'expired'
    ],
    ['Your access token could not be refreshed. Please log out and sign in again.', 'refused']
  ])('%s → %s', (message, cause) => {
    expect(classifyRefreshError(message)).toBe(cause);
  });

  test('only rollout files written since the main step started count', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'codex-home-'));
    const started = new Date(Date.now() - 60_000);
    try {
      const day = path.join(home, 'sessions', '2026', '12', '02');
      mkdirSync(day, { recursive: true });
      const old = path.join(day, 'rollout-old.jsonl');
      writeFileSync(
        old,
        event(
          'Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.'
        ) + '\n'
      );
      utimesSync(old, new Date(started.getTime() - DAY), new Date(started.getTime() - DAY));
      expect(await findRefreshFailure(home, started)).toBeUndefined();
      writeFileSync(
        path.join(day, 'rollout-new.jsonl'),
        [
          '{"type":"session_meta"}',
          'not json unauthorized',
          event('Your access token could not be refreshed because your refresh token was already used.')
        ].join('\n')
      );
      expect(await findRefreshFailure(home, started)).toMatchObject({ cause: 'reused' });
      // An "unauthorized" error that is not about a refresh (e.g. a plain model 401) is not a failed refresh.
      writeFileSync(path.join(day, 'rollout-new.jsonl'), event('unexpected status 401 Unauthorized'));
      expect(await findRefreshFailure(home, started)).toBeUndefined();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('the re-seed mark', () => {
  const marked = '2026-11-30T12:00:00.123456789Z';
  const mark = makeMark(
    {
      cause: 'reused',
      codexMessage: 'Your access token could not be refreshed because your refresh token was already used.'
    },
    marked,
    { GITHUB_RUN_ID: '7' },
    NOW
  );

  test('round-trips, and a login is never mistaken for a mark', () => {
    expect(parseMark(JSON.stringify(mark))).toEqual(mark);
    expect(parseMark(JSON.stringify(login().auth))).toBeUndefined();
    expect(
      parseMark('{"codex_auth_mark":"something-else","login_last_refresh":"2026-11-30T12:00:00Z"}')
    ).toBeUndefined();
  });
  test('blocks the marked login and older ones, not a newer one', () => {
    expect(markBlocks(mark, marked)).toBe(true);
    expect(markBlocks(mark, '2026-11-30T12:00:00.123456788Z')).toBe(true);
    expect(markBlocks(mark, '2026-11-30T12:00:00.12345679Z')).toBe(false);
  });
  test('a mark on a login stamped by a clock an hour fast does not block a fresh seed issued after it', () => {
    const issued = new Date('2026-11-30T12:00:00Z');
    const fast = makeMark({ cause: 'reused', codexMessage: '' }, '2026-11-30T13:00:00.000000000Z', {}, NOW, issued);
    expect(parseMark(JSON.stringify(fast))).toEqual(fast);
    // A re-seed from a `codex login` ten minutes later (stamped before the fast clock's stamp): newer by its token.
    expect(markBlocks(fast, '2026-11-30T12:10:00.000000000Z', new Date('2026-11-30T12:10:00Z'))).toBe(false);
    // The marked login itself, or one issued before it, stays blocked.
    expect(markBlocks(fast, '2026-11-30T13:00:00.000000000Z', issued)).toBe(true);
    expect(markBlocks(fast, '2026-11-30T11:50:00.000000000Z', new Date('2026-11-30T11:50:00Z'))).toBe(true);
  });
  test('the main-step message names the cause and the re-seed steps', () => {
    const text = needsReseedMessage('default', mark, undefined);
    expect(text).toMatch(/needs a re-seed: .*run 7-1.*already been used/);
    expect(text).toMatch(/To re-seed: .*codex login/);
  });
});

describe('the post step after a failed renewal (in process)', () => {
  const failure = JSON.stringify({
    type: 'event_msg',
    payload: {
      type: 'task_complete',
      error: {
        message:
          'Your access token could not be refreshed because your refresh token was revoked. Please log out and sign in again.',
        codex_error_info: 'unauthorized'
      }
    }
  });

  async function setUp(
    authLastRefresh: string
  ): Promise<{ home: string; state: MainState; inputs: ChatGptInputs; rt: Runtime & { warnings: string[] } }> {
    const home = mkdtempSync(path.join(os.tmpdir(), 'codex-home-'));
    const day = path.join(home, 'sessions', '2026', '12', '02');
    mkdirSync(day, { recursive: true });
    writeFileSync(path.join(day, 'rollout-x.jsonl'), failure + '\n');
    writeFileSync(
      path.join(home, 'auth.json'),
      JSON.stringify(makeChatGptAuth({ lastRefresh: authLastRefresh }), null, 2)
    );
    const state: MainState = {
      mode: 'chatgpt',
      codexHome: home,
      createdHome: true,
      authFile: path.join(home, 'auth.json'),
      lastRefresh: '2026-12-01T00:00:00.5Z',
      startedAt: new Date(Date.now() - 60_000).toISOString()
    };
    const inputs = {
      credentialName: 'default',
      onRefreshFailure: 'fail',
      secret: undefined
    } as unknown as ChatGptInputs;
    const warnings: string[] = [];
    const rt = {
      env: {},
      warnings,
      warning: (m: string) => warnings.push(m),
      info: () => undefined
    } as unknown as Runtime & { warnings: string[] };
    return { home, state, inputs, rt };
  }

  test('renewal: ahead: the access token was refused; the stores are not touched and the chain is not marked', async () => {
    const { home, state, inputs, rt } = await setUp('2026-12-01T00:00:00.5Z');
    try {
      const ahead = { ...state, renewal: 'ahead' } as MainState;
      await expect(handleFailedRefresh(inputs, ahead, rt)).rejects.toThrow(
        /refused the access token.*renewal: ahead.*left as it was and may still be fine/
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('a login renewed in the job after all (another Codex process) is kept: only a warning', async () => {
    const { home, state, inputs, rt } = await setUp('2026-12-02T00:00:00.5Z');
    try {
      await expect(handleFailedRefresh(inputs, state, rt)).resolves.toBe(false);
      expect(rt.warnings[0]).toMatch(/holds a login renewed in this job: it is stored as usual/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
