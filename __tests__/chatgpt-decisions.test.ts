// The ChatGPT main and post steps in process, through Runtime with stores of our own: a table of
// what each store holds or does → what is used, saved, warned, failed. Milliseconds per row; the
// real stores are covered end to end in chatgpt.test.ts and serialize.test.ts.
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setUpChatGpt } from '../src/chatgpt/main.js';
import { keepRefreshedCredential } from '../src/chatgpt/post.js';
import { compareLastRefresh } from '../src/chatgpt/login/credential.js';
import { open, seal } from '../src/chatgpt/login/envelope.js';
import { parseInputs } from '../src/action/inputs.js';
import type { ChatGptInputs } from '../src/action/chatgpt-inputs.js';
import type { MainState } from '../src/action/runtime.js';
import type { EnvelopeStore, NewestRead, StoreKind, StoreWrite } from '../src/stores/store.js';
import { makeChatGptAuth, rfc3339Nanos } from './support/jwt.js';
import { recordingRuntime } from './support/in-process.js';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64');
const OTHER_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 11 + 5)).toString('base64');
let temp: string;

beforeEach(() => {
  temp = mkdtempSync(path.join(os.tmpdir(), 'decisions-'));
});
afterEach(() => rmSync(temp, { recursive: true, force: true }));

const ago = (minutes: number): string => rfc3339Nanos(new Date(Date.now() - minutes * 60_000));
const login = (minutesAgo: number, account = 'acct-1'): string =>
  JSON.stringify(makeChatGptAuth({ accountId: account, userId: `user-${account}`, lastRefresh: ago(minutesAgo) }));
const sealed = (text: string, key = KEY): Promise<string> =>
  seal(text, new Uint8Array(Buffer.from(key, 'base64')), 'default');

interface FakeStore extends EnvelopeStore {
  written: string[];
}

function store(
  kind: StoreKind,
  read: NewestRead | undefined,
  write: StoreWrite = { ok: true, entry: `${kind}-new` }
): FakeStore {
  const written: string[] = [];
  return {
    kind,
    where:
      kind === 'cache'
        ? 'Actions cache'
        : kind === 'local'
          ? 'runner-local store (/s/default.envelope)'
          : 'repository secret CODEX_AUTH_JSON of acme/app',
    written,
    ...(read
      ? {
          readNewest: async () => read,
          newestEntry: kind === 'cache' ? async () => (read.status === 'found' ? read.entry : undefined) : undefined
        }
      : {}),
    async write(envelope: string) {
      written.push(envelope);
      return write;
    }
  };
}

function runtime(stores: EnvelopeStore[]) {
  const recorded = recordingRuntime(temp, { repository: 'acme/app', stores });
  return { ...recorded, state: () => recorded.state()! };
}

function inputs(extra: Record<string, string> = {}): ChatGptInputs {
  // The store policy of Codex refreshing in the job (renewal: ahead saves nothing in post).
  const values: Record<string, string> = { 'auth-mode': 'chatgpt', 'encryption-key': KEY, renewal: 'in-job', ...extra };
  return parseInputs((name) => values[name] ?? '', { workspace: '/nowhere', home: temp }).inputs as ChatGptInputs;
}

const found = async (text: string, entry = 'codex-auth-v1.default.1.1-1.a', key = KEY): Promise<NewestRead> => ({
  status: 'found',
  entry,
  envelope: await sealed(text, key)
});

describe('main step: store readings → the copy used, or why nothing is', () => {
  const rows: [
    string,
    () => Promise<{ stores: FakeStore[]; seed?: string }>,
    { source?: string; error?: RegExp; warning?: RegExp }
  ][] = [
    [
      'empty cache, seed given: the seed',
      async () => ({ stores: [store('cache', { status: 'empty', reason: 'no entry yet' })], seed: login(5) }),
      { source: 'seed' }
    ],
    [
      'cache newer than the seed: the cache',
      async () => ({ stores: [store('cache', await found(login(1)))], seed: login(60) }),
      { source: 'cache' }
    ],
    [
      'seed newer than the cache (a re-seed): the seed',
      async () => ({ stores: [store('cache', await found(login(60)))], seed: login(1) }),
      { source: 'seed' }
    ],
    [
      'newest cache entry under another key: nothing restored, the entry named',
      async () => ({ stores: [store('cache', await found(login(1), 'k-other', OTHER_KEY))], seed: login(5) }),
      {
        error:
          /Actions cache entry k-other, cannot be read: it was encrypted with a different encryption-key.*gh cache delete k-other/s
      }
    ],
    [
      'cache lookup failed: nothing restored',
      async () => ({
        stores: [store('cache', { status: 'failed', reason: 'the Actions cache lookup did not answer within 2 min' })],
        seed: login(5)
      }),
      { error: /cannot be read: the lookup failed \(the Actions cache lookup did not answer within 2 min\)/ }
    ],
    [
      'cache off in this run (read-only mode): a warning, the seed',
      async () => ({
        stores: [
          store('cache', { status: 'off', reason: "the cache is not readable in this run (cache-mode 'none')" })
        ],
        seed: login(5)
      }),
      { source: 'seed', warning: /The Actions cache could not be read: the cache is not readable/ }
    ],
    [
      'local store newer than the cache (an old envelope re-uploaded to the cache): the local copy, with a warning',
      async () => ({
        stores: [store('cache', await found(login(60))), store('local', await found(login(5), '/s/default.envelope'))]
      }),
      { source: 'local', warning: /older than the copy in the runner-local store/ }
    ],
    [
      'local store unreadable: nothing restored',
      async () => ({
        stores: [
          store('cache', await found(login(5))),
          store('local', { status: 'failed', reason: 'Refusing to read /s/default.envelope: it is a symbolic link.' })
        ]
      }),
      { error: /runner-local store \(\/s\/default\.envelope\), cannot be read: Refusing to read/ }
    ],
    [
      'the secret store is never read back (its copy is the seed)',
      async () => ({
        stores: [store('cache', { status: 'empty', reason: 'no entry yet' }), store('secret', undefined)],
        seed: login(5)
      }),
      { source: 'seed' }
    ]
  ];

  test.each(rows)('%s', async (_name, setup, expected) => {
    const { stores, seed } = await setup();
    const rec = runtime(stores);
    const run = setUpChatGpt(inputs(seed ? { 'chatgpt-auth-json': seed } : {}), rec.rt);
    if (expected.error) {
      await expect(run).rejects.toThrow(expected.error);
      expect(rec.state().authFile).toBeUndefined();
      return;
    }
    await run;
    expect(rec.outputs.source).toBe(expected.source);
    if (expected.warning) expect(rec.warnings.join('\n')).toMatch(expected.warning);
    else expect(rec.warnings).toEqual([]);
  });
});

describe('post step: what auth.json holds and what the stores do → saved, warned, failed', () => {
  /** Runs the main step on `restored` (from the seed), then lets "Codex" write `after` into auth.json. */
  async function afterMain(
    restored: string,
    after: string | undefined,
    extra: Record<string, string> = {}
  ): Promise<{ state: MainState; input: ChatGptInputs }> {
    const input = inputs({ 'chatgpt-auth-json': restored, ...extra });
    const rec = runtime([store('cache', { status: 'empty', reason: 'no entry yet' })]);
    await setUpChatGpt(input, rec.rt);
    const state = rec.state();
    if (after !== undefined) await fs.writeFile(state.authFile!, after);
    return { state, input };
  }

  test('refreshed: written to every store, each said in the log', async () => {
    const { state, input } = await afterMain(login(60), login(0));
    const stores = [
      store('cache', { status: 'empty', reason: 'no entry yet' }),
      store('secret', undefined, { ok: true, detail: 'updated' })
    ];
    const rec = runtime(stores);
    await keepRefreshedCredential(input, state, rec.rt);
    expect(stores.map((s) => s.written.length)).toEqual([1, 1]);
    expect(rec.infos).toContainEqual(expect.stringMatching(/to the Actions cache as cache-new\.$/));
    expect(rec.infos).toContainEqual(
      expect.stringMatching(/to the repository secret CODEX_AUTH_JSON of acme\/app \(updated\)\.$/)
    );
    expect(rec.warnings).toEqual([]);
  });

  test('an unexpected exception while saving a login Codex refreshed: it goes to a recovery copy in every store, and the step fails saying so', async () => {
    const { state, input } = await afterMain(login(60), login(0));
    const cache = store('cache', { status: 'empty', reason: 'no entry yet' });
    // The cache's lookup throws (a bug, a library's TypeError): the save stops half-way.
    let calls = 0;
    cache.newestEntry = async () => {
      if (calls++ === 0) throw new TypeError('injected: cannot read properties of undefined');
      return undefined;
    };
    const stores = [cache, store('secret', undefined, { ok: true, detail: 'updated' })];
    const error = await keepRefreshedCredential(input, state, runtime(stores).rt).catch((e: unknown) => e);
    expect(String(error)).toMatch(
      /injected: cannot read .*The login Codex refreshed was kept, encrypted, as a recovery copy in the Actions cache, the repository secret .*: the next job uses it/
    );
    expect(stores.map((s) => s.written.length)).toEqual([1, 1]);
  });

  test('unchanged: nothing is written', async () => {
    const { state, input } = await afterMain(login(60), undefined);
    const stores = [store('cache', { status: 'empty', reason: 'no entry yet' })];
    await keepRefreshedCredential(input, state, runtime(stores).rt);
    expect(stores[0].written).toEqual([]);
  });

  test('auth.json rewritten with the same tokens (reformatted by a step): the same login, nothing to save or refuse', async () => {
    const { state, input } = await afterMain(login(60), undefined);
    const same = JSON.parse(await fs.readFile(state.authFile!, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(state.authFile!, `${JSON.stringify(same)}\n`);
    const stores = [store('cache', { status: 'empty', reason: 'no entry yet' })];
    const rec = runtime(stores);
    await keepRefreshedCredential(input, state, rec.rt);
    expect(stores[0].written).toEqual([]);
    expect(rec.infos.join('\n')).toMatch(/unchanged since the main step/);
    expect(rec.warnings).toEqual([]);
  });

  const refusals: [string, () => string, RegExp][] = [
    ['another account', () => login(0, 'acct-2'), /another ChatGPT user than the one restored/],
    [
      'a last_refresh in the future',
      () =>
        JSON.stringify(
          makeChatGptAuth({
            accountId: 'acct-1',
            userId: 'user-acct-1',
            lastRefresh: rfc3339Nanos(new Date(Date.now() + 86_400_000)),
            issuedAt: new Date(Date.now() + 86_400_000)
          })
        ),
      /is in the future/
    ]
  ];
  test.each(refusals)(
    'auth.json replaced by %s: nothing saved, the step fails saying what it found (a warning with on-save-failure: warn)',
    async (_name, after, reason) => {
      const { state, input } = await afterMain(login(60), after());
      const stores = [store('cache', { status: 'empty', reason: 'no entry yet' })];
      await expect(keepRefreshedCredential(input, state, runtime(stores).rt)).rejects.toThrow(reason);
      const warned = runtime(stores);
      await keepRefreshedCredential({ ...input, onSaveFailure: 'warn' }, state, warned.rt);
      expect(warned.warnings.join('\n')).toMatch(reason);
      expect(stores[0].written).toEqual([]);
    }
  );

  test('refreshed in this job after a restored copy stamped by a clock ahead: stored, stamped just after that copy', async () => {
    // Restored: stamped 2 minutes ahead, within the skew; then Codex refreshes (stamped after the main step).
    const { state, input } = await afterMain(login(-2), undefined);
    await fs.writeFile(state.authFile!, login(0));
    const stores = [store('cache', { status: 'empty', reason: 'no entry yet' })];
    const rec = runtime(stores);
    await keepRefreshedCredential(input, state, rec.rt);
    expect(stores[0].written).toHaveLength(1);
    const opened = await open(stores[0].written[0], new Uint8Array(Buffer.from(KEY, 'base64')), 'default');
    if (!opened.ok) throw new Error(opened.reason);
    const saved = JSON.parse(opened.plaintext) as { last_refresh: string; tokens: unknown };
    expect(compareLastRefresh(saved.last_refresh, state.lastRefresh!)).toBeGreaterThan(0);
    expect(saved.tokens).toEqual(JSON.parse(await fs.readFile(state.authFile!, 'utf8')).tokens);
    expect(rec.infos.join('\n')).toMatch(/stamped by a clock ahead of this runner's/);
  });

  test('an older copy put in auth.json (stamped before the job started): nothing saved, the step fails saying so', async () => {
    const { state, input } = await afterMain(login(60), login(120));
    const stores = [store('cache', { status: 'empty', reason: 'no entry yet' })];
    await expect(keepRefreshedCredential(input, state, runtime(stores).rt)).rejects.toThrow(
      /before this job started and not newer than the restored copy/
    );
    expect(stores[0].written).toEqual([]);
  });

  test('a newer usable copy stored by another job since: not saved, with the concurrency warning', async () => {
    const { state, input } = await afterMain(login(60), login(10));
    const stores = [store('cache', await found(login(1), 'k-other'))];
    const rec = runtime(stores);
    await keepRefreshedCredential(input, state, rec.rt);
    expect(stores[0].written).toEqual([]);
    expect(rec.warnings[0]).toMatch(/^Not saving an older copy: another job stored a copy of 'default' \(k-other\)/);
  });

  test('a garbage entry stored since (a huge number in its key): opened, judged, saved over', async () => {
    const { state, input } = await afterMain(login(60), login(0));
    const stores = [
      store('cache', {
        status: 'found',
        entry: 'codex-auth-v1.default.99999999999999.1-1.x',
        envelope: 'codex-auth:v1:default:garbage'
      })
    ];
    const rec = runtime(stores);
    await keepRefreshedCredential(input, state, rec.rt);
    expect(stores[0].written).toHaveLength(1);
    expect(rec.warnings[0]).toMatch(
      /^Saving this job's copy over the newest copy in the Actions cache \(codex-auth-v1\.default\.99999999999999\.1-1\.x\), which is not a usable newer login: it is truncated or corrupted/
    );
  });

  test('stored nowhere: the step fails, and the refreshed login is printed only as an envelope sealed with the key', async () => {
    const { state, input } = await afterMain(login(60), login(0));
    const stores = [
      store(
        'cache',
        { status: 'empty', reason: 'no entry yet' },
        { ok: false, reason: 'the cache service refused the write (403 Forbidden: denied)' }
      )
    ];
    const rec = runtime(stores);
    await expect(keepRefreshedCredential(input, state, rec.rt)).rejects.toThrow(
      /could not be stored anywhere\. The Actions cache: the cache service refused the write \(403 Forbidden.*printed above as an envelope/s
    );
    const printed = rec.infos.find((m) => m.startsWith('Recovery copy of the refreshed login'))!;
    expect(printed).toContain(stores[0].written[0]);
    expect(printed).not.toContain('refresh_token');
  });

  // One policy over the stores' results: a durable store that has the login makes any other failure a warning.
  const SECRET_TARGET = {
    scope: 'repository' as const,
    name: 'CODEX_AUTH_JSON',
    owner: 'acme',
    repo: 'app',
    apiUrl: 'http://127.0.0.1:1',
    token: 't'
  };
  const policy: [
    string,
    { cache: boolean; secret?: boolean; local?: boolean },
    'ok' | 'warning' | 'failure',
    RegExp
  ][] = [
    ['cache saved', { cache: true }, 'ok', /^$/],
    ['cache saved, secret written, local written', { cache: true, secret: true, local: true }, 'ok', /^$/],
    [
      'only the cache failed, the secret has it',
      { cache: false, secret: true },
      'warning',
      /not lost: the next workflow run reads the new copy from the secret\..*queued/
    ],
    [
      'only the cache failed, the local store has it',
      { cache: false, local: true },
      'warning',
      /not lost: the next job on this machine restores it/
    ],
    [
      'the local store failed, the secret has it',
      { cache: true, secret: true, local: false },
      'warning',
      /from the secret \(the newest copy wins over the spent one in the local store\)\. Fix the local store/
    ],
    [
      'the secret failed, the local store has it',
      { cache: false, secret: false, local: true },
      'warning',
      /not lost: the next job on this machine/
    ],
    [
      'only the cache has it (the secret failed)',
      { cache: true, secret: false },
      'failure',
      /The secret still holds an older copy whose refresh token is now spent.*writes it to the secret again/
    ],
    [
      'only the cache has it (the local store failed)',
      { cache: true, local: false },
      'failure',
      /The local store still holds an older copy.*Fix the local store before then/
    ],
    [
      'only the cache has it (both failed)',
      { cache: true, secret: false, local: false },
      'failure',
      /The secret and the local store still hold an older copy/
    ],
    [
      'nowhere',
      { cache: false, secret: false, local: false },
      'failure',
      /could not be stored anywhere\. The Actions cache: injected\. The repository secret .*: injected\. The runner-local store .*: injected\..*To re-seed/s
    ]
  ];
  test.each(policy)('store results: %s: %j -> %s', async (_name, results, outcome, message) => {
    const { state, input } = await afterMain(login(60), login(0));
    const write = (ok: boolean): StoreWrite => (ok ? { ok: true, entry: 'e' } : { ok: false, reason: 'injected' });
    const stores = [
      store('cache', { status: 'empty', reason: 'no entry yet' }, write(results.cache)),
      ...(results.secret === undefined ? [] : [store('secret', undefined, write(results.secret))]),
      ...(results.local === undefined
        ? []
        : [store('local', { status: 'empty', reason: 'none' }, write(results.local))])
    ];
    const rec = runtime(stores);
    const withSecret = results.secret === undefined ? input : { ...input, secret: SECRET_TARGET };
    const error = await keepRefreshedCredential(withSecret, state, rec.rt).then(
      () => undefined,
      (e: unknown) => String(e)
    );
    const said = error ?? rec.warnings.join('\n');
    expect([error ? 'failure' : rec.warnings.length ? 'warning' : 'ok', said]).toEqual([
      outcome,
      expect.stringMatching(message)
    ]);
  });

  test('the cache fails but the secret has it: a warning, not a failure', async () => {
    const { state, input } = await afterMain(login(60), login(0), {});
    const stores = [
      store('cache', { status: 'empty', reason: 'no entry yet' }, { ok: false, reason: 'rate limited' }),
      store('secret', undefined, { ok: true, detail: 'updated' })
    ];
    const rec = runtime(stores);
    await keepRefreshedCredential(
      {
        ...input,
        secret: {
          scope: 'repository',
          name: 'CODEX_AUTH_JSON',
          owner: 'acme',
          repo: 'app',
          apiUrl: 'http://127.0.0.1:1',
          token: 't'
        }
      },
      state,
      rec.rt
    );
    expect(rec.warnings[0]).toMatch(
      /was written to the repository secret CODEX_AUTH_JSON of acme\/app, but could not be stored in the Actions cache\. The Actions cache: rate limited\./
    );
  });
});
