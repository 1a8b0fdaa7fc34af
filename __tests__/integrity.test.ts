// Chain integrity, in process: every copy judged from its decrypted contents, the one rule that picks
// a copy, the guards and the path checks. Milliseconds each.
import { mkdtempSync, mkdirSync, promises as fs, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exposureWarnings, checkWhereWeRun } from '../src/chatgpt/report/guard.js';
import { readRunEvent } from '../src/action/event.js';
import { CODEX_CLIENT_ID, compareFreshness, stampAfter } from '../src/chatgpt/login/credential.js';
import { choose, judge, type Reading } from '../src/chatgpt/restore/readings.js';
import { parseInputs } from '../src/action/inputs.js';
import { createFileNoFollow, isInside } from '../src/action/paths.js';
import { makeChatGptAuth, rfc3339Nanos } from './support/jwt.js';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64');
const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';
const LOOPBACK_ISSUER = 'http://127.0.0.1:18766';
const options = { workspaceId: undefined, oauthIssuer: undefined };

function login(
  overrides: Parameters<typeof makeChatGptAuth>[0] = {},
  provenance?: { issuer: string; client_id: string }
): string {
  const auth = makeChatGptAuth({ accountId: 'acct-1', userId: 'user-1', ...overrides });
  return JSON.stringify(provenance ? { ...auth, tokens: { ...auth.tokens, oauth_provenance: provenance } } : auth);
}

const minutesFromNow = (m: number): Date => new Date(Date.now() + m * 60_000);
const noneUsable = (tried: string[]): string =>
  `No usable ChatGPT credential for 'default'. Tried:\n  - ${tried.join('\n  - ')}`;

describe('a copy is judged by its authenticated contents', () => {
  test('a last_refresh in the future (beyond 5 minutes of clock skew) with tokens from the future too is refused, naming the problem', () => {
    const future = { lastRefresh: rfc3339Nanos(minutesFromNow(60)), issuedAt: minutesFromNow(60) };
    const ahead = judge('seed', 'seed', login(future), options).reading;
    expect(ahead.status).toBe('unusable');
    expect(ahead.reason).toMatch(/last_refresh \(.*\) is in the future/);
    expect(judge('seed', 'seed', login({ lastRefresh: rfc3339Nanos(minutesFromNow(2)) }), options).reading.status).toBe(
      'usable'
    );
  });

  test('a copy stamped by a runner whose clock ran an hour fast is judged by its tokens: usable, and a later re-seed or renewal outranks it', () => {
    // Stored a minute ago by a runner an hour fast: its access token was issued then (the server's clock).
    const stamped = { lastRefresh: rfc3339Nanos(minutesFromNow(59)), issuedAt: minutesFromNow(-1) };
    const fast = judge('cache', 'Actions cache entry k1', login(stamped), options, 'k1').reading;
    expect(fast.status).toBe('usable');
    // A fresh `codex login` now, on a correct clock: the re-seed wins over the stored copy it shares no tokens with.
    const reseed = judge('seed', 'seed', login({ lastRefresh: rfc3339Nanos(new Date()) }), options).reading;
    expect(choose([fast, reseed], 'default', noneUsable).chosen.source).toBe('seed');
    // An older seed (issued before the fast copy) does not.
    const old = { lastRefresh: rfc3339Nanos(minutesFromNow(-60)), issuedAt: minutesFromNow(-60) };
    expect(
      choose([fast, judge('seed', 'seed', login(old), options).reading], 'default', noneUsable).chosen.source
    ).toBe('cache');
    // A renewal of the fast copy on a correct clock (stamped after it, as stampAfter does) outranks it.
    const renewal = { lastRefresh: stampAfter(rfc3339Nanos(new Date()), fast.credential!.lastRefreshText) };
    const renewed = judge('cache', 'Actions cache entry k2', login(renewal), options, 'k2').reading;
    expect(renewed.status).toBe('usable');
    expect(compareFreshness(renewed.credential!, fast.credential!)).toBeGreaterThan(0);
  });

  test("an oauth_provenance naming another issuer or client is refused unless 'oauth-issuer' names that issuer", () => {
    const elsewhere = login({}, { issuer: 'https://evil.example', client_id: CODEX_CLIENT_ID });
    const refused = judge('seed', 'seed', elsewhere, options).reading;
    expect(refused.status).toBe('unusable');
    expect(refused.reason).toContain('names the issuer "https://evil.example"');
    expect(refused.reason).toContain("'oauth-issuer'");
    const loopback = login({}, { issuer: LOOPBACK_ISSUER, client_id: CODEX_CLIENT_ID });
    expect(judge('seed', 'seed', loopback, options).reading.status).toBe('unusable');
    expect(judge('seed', 'seed', loopback, { ...options, oauthIssuer: LOOPBACK_ISSUER }).reading.status).toBe('usable');
    const otherClient = login({}, { issuer: 'https://auth.openai.com', client_id: 'app_other' });
    expect(judge('seed', 'seed', otherClient, options).reading.reason).toContain('OAuth client "app_other"');
    expect(
      judge('seed', 'seed', login({}, { issuer: 'https://auth.openai.com', client_id: CODEX_CLIENT_ID }), options)
        .reading.status
    ).toBe('usable');
  });
});

describe('the one rule that picks a copy (store readings → what is used)', () => {
  const usable = (source: Reading['source'], minutesAgo: number, extra: Partial<Reading> = {}): Reading => {
    const text = login({ lastRefresh: rfc3339Nanos(minutesFromNow(-minutesAgo)) });
    return {
      ...judge(
        source,
        source === 'cache' ? 'Actions cache entry k1' : source,
        text,
        options,
        source === 'cache' ? 'k1' : undefined
      ).reading,
      ...extra
    };
  };
  const garbage: Reading = {
    source: 'cache',
    where: 'Actions cache entry codex-auth-v1.default.9999999999999.1-1.x',
    entry: 'codex-auth-v1.default.9999999999999.1-1.x',
    status: 'unreadable',
    reason: 'it failed authentication: it was tampered with or corrupted'
  };

  const table: [string, Reading[], { used?: string; error?: RegExp; warning?: RegExp }][] = [
    [
      'the newest copy wins: a fresh seed over an older cache entry',
      [usable('cache', 60), usable('seed', 1)],
      { used: 'seed' }
    ],
    ['an older seed never overrides a newer stored copy', [usable('cache', 1), usable('seed', 60)], { used: 'cache' }],
    [
      'a garbage newest cache entry fails closed, naming the entry and gh cache delete; the seed is not used',
      [garbage, usable('seed', 1)],
      {
        error:
          /Actions cache entry codex-auth-v1\.default\.9999999999999\.1-1\.x, cannot be read.*gh cache delete codex-auth-v1\.default\.9999999999999\.1-1\.x/s
      }
    ],
    [
      'a cache lookup that failed fails closed',
      [
        { source: 'cache', where: 'Actions cache', status: 'unreadable', reason: 'the lookup failed (timed out)' },
        usable('seed', 1)
      ],
      { error: /cannot be read: the lookup failed \(timed out\).*Re-run the job/s }
    ],
    [
      'a future-dated newest cache entry fails closed',
      [
        judge(
          'cache',
          'Actions cache entry k9',
          login({ lastRefresh: rfc3339Nanos(minutesFromNow(600)), issuedAt: minutesFromNow(600) }),
          options,
          'k9'
        ).reading,
        usable('seed', 1)
      ],
      { error: /is refused: its last_refresh .* is in the future.*gh cache delete k9/s }
    ],
    [
      'an undecryptable local store copy fails closed',
      [
        usable('cache', 5),
        {
          source: 'local',
          where: 'runner-local store (/s/default.envelope)',
          entry: '/s/default.envelope',
          status: 'unreadable',
          reason: 'it was encrypted with a different encryption-key'
        }
      ],
      { error: /runner-local store .* cannot be read.*remove \/s\/default\.envelope/s }
    ],
    [
      'an unusable seed is skipped when a stored copy is good',
      [usable('cache', 5), { source: 'seed', where: 'seed', status: 'unusable', reason: 'it is not JSON' }],
      { used: 'cache' }
    ],
    [
      'nothing usable: every place is listed',
      [
        { source: 'cache', where: 'Actions cache', status: 'empty', reason: 'no entry yet' },
        { source: 'seed', where: "seed (input 'chatgpt-auth-json')", status: 'empty', reason: 'not given' }
      ],
      {
        error:
          /No usable ChatGPT credential.*Actions cache: no entry yet.*seed \(input 'chatgpt-auth-json'\): not given/s
      }
    ],
    [
      'a cache entry older than the local store copy (an old envelope re-uploaded) is detected; the newer copy is used',
      [usable('cache', 60), usable('local', 5)],
      { used: 'local', warning: /older than the copy in the local.*re-uploaded an old copy/s }
    ]
  ];
  test.each(table)('%s', (_name, readings, expected) => {
    if (expected.error) {
      expect(() => choose(readings, 'default', noneUsable)).toThrow(expected.error);
      return;
    }
    const { chosen, warnings } = choose(readings, 'default', noneUsable);
    expect(chosen.source).toBe(expected.used);
    expect(chosen.used).toBe(true);
    if (expected.warning) expect(warnings.join('\n')).toMatch(expected.warning);
    else expect(warnings).toEqual([]);
  });
});

describe('inputs', () => {
  test.each([
    ['raw auth.json', () => login()],
    ['base64 of an auth.json', () => Buffer.from(login()).toString('base64')],
    ['a codex-auth envelope', () => 'codex-auth:v1:default:abc:def:ghi']
  ])("an 'openai-api-key' that is a ChatGPT login (%s) is refused, pointing to auth-mode: chatgpt", (_name, value) => {
    const text = value();
    let message = '';
    try {
      parseInputs(reader({ 'openai-api-key': text }), { workspace: '/work/app', home: '/home/runner' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Input 'openai-api-key': holds a ChatGPT login/);
    expect(message).toContain('auth-mode: chatgpt');
    expect(message).not.toContain(text.slice(0, 40));
  });

  test("'oauth-issuer' must be a URL", () => {
    const base = { 'auth-mode': 'chatgpt', 'encryption-key': KEY };
    expect(() =>
      parseInputs(reader({ ...base, 'oauth-issuer': 'not a url' }), { workspace: '/w', home: '/h' })
    ).toThrow(/^Input 'oauth-issuer': is not an http\(s\) URL without a user name, password, query or fragment\./);
    // A query, a fragment or a password is refused too, and the value is never quoted.
    for (const bad of [
      'https://auth.example.com/?next=1',
      'https://auth.example.com/#x',
      'https://u:hunter2@auth.example.com'
    ]) {
      const parse = () => parseInputs(reader({ ...base, 'oauth-issuer': bad }), { workspace: '/w', home: '/h' });
      expect(parse).toThrow(/is not an http\(s\) URL without/);
      expect(parse).not.toThrow(/hunter2/);
    }
    const parsed = parseInputs(reader({ ...base, 'oauth-issuer': `${LOOPBACK_ISSUER}/` }), {
      workspace: '/w',
      home: '/h'
    }).inputs;
    expect(parsed).toMatchObject({ oauthIssuer: LOOPBACK_ISSUER });
  });
});

describe('paths', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'integrity-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('<workspace>/..codex is inside the workspace; <workspace>/../x is not', () => {
    expect(isInside('/work/app/..codex', '/work/app')).toBe(true);
    expect(isInside('/work/app', '/work/app')).toBe(true);
    expect(isInside('/work/x', '/work/app')).toBe(false);
    expect(isInside('/work/app/../x', '/work/app')).toBe(false);
    expect(() =>
      parseInputs(reader({ 'openai-api-key': 'k', 'codex-home': '/work/app/..codex' }), {
        workspace: '/work/app',
        home: '/h'
      })
    ).toThrow(/^Input 'codex-home': .* inside the workspace/);
  });

  test('a codex-home whose parent is a symbolic link into the workspace is refused', () => {
    const workspace = path.join(root, 'ws');
    mkdirSync(path.join(workspace, 'inner'), { recursive: true });
    symlinkSync(path.join(workspace, 'inner'), path.join(root, 'looks-outside'));
    expect(() =>
      parseInputs(reader({ 'openai-api-key': 'k', 'codex-home': path.join(root, 'looks-outside', 'codex') }), {
        workspace,
        home: '/h'
      })
    ).toThrow(/^Input 'codex-home': .* inside the workspace .* once symbolic links are resolved/);
  });

  test('files are created without following a planted symbolic link', async () => {
    const target = path.join(root, 'victim');
    writeFileSync(target, 'untouched');
    const planted = path.join(root, 'envelope');
    symlinkSync(target, planted);
    await expect(createFileNoFollow(planted, 'x')).rejects.toThrow(/EEXIST/);
    expect(await fs.readFile(target, 'utf8')).toBe('untouched');
    await createFileNoFollow(path.join(root, 'fresh'), 'y');
    expect((await fs.stat(path.join(root, 'fresh'))).mode & 0o777).toBe(0o600);
  });
});

describe('guards', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'event-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const event = (name: string, payload: unknown): NodeJS.ProcessEnv => {
    const file = path.join(dir, 'event.json');
    writeFileSync(file, JSON.stringify(payload));
    return { GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: file, GITHUB_REPOSITORY: 'acme/app' };
  };
  const repository = { full_name: 'acme/app', private: true, visibility: 'private', default_branch: 'main' };

  const noLookup = { token: '', apiUrl: 'http://127.0.0.1:9', log: () => undefined };
  test('ChatGPT mode refuses a workflow_run triggered from a fork; one from this repository runs', async () => {
    const fromFork = event('workflow_run', {
      repository,
      workflow_run: { event: 'pull_request', head_repository: { full_name: 'mallory/app', fork: true } }
    });
    await expect(checkWhereWeRun(readRunEvent(fromFork), noLookup, false)).rejects.toThrow(
      /refused on a workflow_run triggered by a pull request from a fork/
    );
    const own = event('workflow_run', {
      repository,
      workflow_run: { event: 'push', head_repository: { full_name: 'acme/app', fork: false } }
    });
    expect((await checkWhereWeRun(readRunEvent(own), noLookup, false)).warnings).toEqual([]);
  });

  test('API-key mode warns on pull_request_target, fork pull requests and fork workflow_runs, not on push', () => {
    expect(exposureWarnings(event('pull_request_target', { repository }), 'the API key')[0]).toMatch(
      /pull_request_target.*API key/
    );
    expect(
      exposureWarnings(
        event('pull_request', {
          repository,
          pull_request: { head: { repo: { full_name: 'mallory/app', fork: true } } }
        }),
        'the API key'
      )[0]
    ).toMatch(/pull request from a fork.*API key/);
    expect(
      exposureWarnings(
        event('workflow_run', {
          repository,
          workflow_run: { head_repository: { full_name: 'mallory/app', fork: true } }
        }),
        'the API key'
      )[0]
    ).toMatch(/workflow_run triggered/);
    expect(exposureWarnings(event('push', { repository }), 'the API key')).toEqual([]);
  });
});
