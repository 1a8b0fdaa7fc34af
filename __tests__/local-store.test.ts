// The runner-local store: envelopes on a self-hosted runner's disk, outside the workspace, 0600 in
// 0700, replaced atomically, and refusing every location or permission that would expose them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { LocalStore } from '../src/stores/local.js';
import {
  DEFAULT_LOCAL_STORE_DIR,
  LocalStoreError,
  placeLocalStore,
  resolveLocalStoreDir
} from '../src/stores/local-placement.js';
import { isInsideResolved } from '../src/action/paths.js';
import { destroyRunner, makeRunner, type Runner } from './support/runner.js';

const ENVELOPE = 'codex-auth:v1:default:kid:bm9uY2U:Y2lwaGVydGV4dA';

let runner: Runner;
/** The layout of a self-hosted runner: HOME, and the work folder with a workspace and RUNNER_TEMP. */
let home: string;
let workspace: string;
let runnerTemp: string;

beforeEach(async () => {
  runner = await makeRunner('self-hosted');
  home = runner.home;
  workspace = path.join(runner.workRoot, 'app', 'app');
  runnerTemp = path.join(runner.workRoot, '_temp');
  await fs.mkdir(workspace, { recursive: true });
  await fs.mkdir(runnerTemp, { recursive: true });
});

afterEach(async () => {
  await destroyRunner(runner);
});

const mode = async (p: string): Promise<number> => (await fs.stat(p)).mode & 0o777;
const ctx = (): { home: string; workspace: string; runnerTemp: string } => ({ home, workspace, runnerTemp });
const store = (dir: string, extra: Partial<ConstructorParameters<typeof LocalStore>[0]> = {}): LocalStore =>
  new LocalStore({ dir, credentialName: 'default', workspace, runnerTemp, ...extra });
/** Sealed envelopes of a real login are some KB; a big one makes a torn read likely if the write were not atomic. */
const bigEnvelope = (fill: string): string => `codex-auth:v1:default:kid:bm9uY2U:${fill.repeat(400_000)}`;

// Mode bits and symbolic links as on Linux and macOS; Windows has ACLs instead (acl.test.ts).
const posix = process.platform === 'win32' ? test.skip : test;

describe('where the store lives', () => {
  test(`default: ${DEFAULT_LOCAL_STORE_DIR} under the runner user's home, which is not inside the workspace`, () => {
    const dir = resolveLocalStoreDir('', ctx());
    expect(dir).toBe(path.join(home, '.codex-auth', 'store'));
    expect(path.relative(workspace, dir).startsWith('..')).toBe(true);
    expect(resolveLocalStoreDir('~/creds', ctx())).toBe(path.join(home, 'creds'));
    expect(resolveLocalStoreDir('/srv/codex//store/', ctx())).toBe('/srv/codex/store');
  });

  test('a runner installed in its home (workspace under HOME) still gets a store outside the workspace', () => {
    const nested = path.join(home, 'actions-runner', '_work', 'app', 'app');
    expect(resolveLocalStoreDir(undefined, { home, workspace: nested })).toBe(path.join(home, '.codex-auth', 'store'));
  });

  test.each([
    ['a relative path', 'store', /'store' is a relative path/],
    [
      'the workspace',
      '<ws>/.codex-auth',
      /is inside the workspace \(.*\), where a checkout, an artifact upload or a Docker build could pick up the credential/
    ],
    ['the workspace itself', '<ws>', /is inside the workspace/],
    ['RUNNER_TEMP', '<tmp>/store', /is inside RUNNER_TEMP .* empties after every job/],
    [
      "a container job's HOME",
      '/github/home/.codex-auth/store',
      /under \/github\/home, a directory the runner mounts into container jobs/
    ]
  ])('refuses %s', (_what, raw, message) => {
    const given = raw.replace('<ws>', workspace).replace('<tmp>', runnerTemp);
    expect(() => resolveLocalStoreDir(given, ctx())).toThrow(LocalStoreError);
    expect(() => resolveLocalStoreDir(given, ctx())).toThrow(message);
  });

  test('the default is refused too when HOME is inside the workspace', () => {
    expect(() => resolveLocalStoreDir('', { home: path.join(workspace, 'home'), workspace })).toThrow(
      /inside the workspace/
    );
  });

  test('a path that reaches into the workspace through a symbolic link is refused, and nothing is created there', async () => {
    await fs.symlink(workspace, path.join(home, 'link'));
    const dir = path.join(home, 'link', 'store');
    expect(resolveLocalStoreDir(dir, ctx())).toBe(dir); // the path alone looks fine
    await expect(store(dir).prepare()).rejects.toThrow(/is inside the workspace/);
    expect(await fs.readdir(workspace)).toEqual([]);
  });

  test('the placement rule judges a path as text by default, and through links with the comparison the inputs use', async () => {
    expect(placeLocalStore('store', ctx()).misplaced).toEqual({ kind: 'relative' });
    expect(placeLocalStore(path.join(workspace, 'x'), ctx()).misplaced).toEqual({ kind: 'workspace', root: workspace });
    expect(placeLocalStore(path.join(runnerTemp, 'x'), ctx()).misplaced).toEqual({
      kind: 'runner-temp',
      root: runnerTemp
    });
    expect(placeLocalStore('', ctx())).toEqual({
      given: DEFAULT_LOCAL_STORE_DIR,
      dir: path.join(home, '.codex-auth', 'store')
    });
    await fs.symlink(workspace, path.join(home, 'link'));
    const linked = path.join(home, 'link', 'store');
    expect(placeLocalStore(linked, ctx()).misplaced).toBeUndefined();
    expect(placeLocalStore(linked, ctx(), isInsideResolved).misplaced).toEqual({ kind: 'workspace', root: workspace });
  });
});

describe('creating and checking the directory', () => {
  posix('creates the directory and missing parents 0700, and writes the envelope 0600', async () => {
    const logs: string[] = [];
    const dir = resolveLocalStoreDir('', ctx());
    const s = store(dir, { log: (l) => logs.push(l) });
    expect(await s.read()).toBeUndefined();
    expect(await mode(path.join(home, '.codex-auth'))).toBe(0o700);
    expect(await mode(dir)).toBe(0o700);
    expect(logs).toEqual([`Created the local store directory ${dir} (mode 0700).`]);
    await s.write(ENVELOPE);
    expect(s.file).toBe(path.join(dir, 'default.envelope'));
    expect(await mode(s.file)).toBe(0o600);
    expect(await s.read()).toBe(ENVELOPE);
    expect(await fs.readFile(s.file, 'utf8')).toBe(`${ENVELOPE}\n`);
  });

  posix('0700 and 0600 hold under a permissive umask', async () => {
    const previous = process.umask(0o000);
    try {
      const s = store(path.join(home, 'a', 'b'));
      await s.write(ENVELOPE);
      expect(await mode(path.join(home, 'a'))).toBe(0o700);
      expect(await mode(path.join(home, 'a', 'b'))).toBe(0o700);
      expect(await mode(s.file)).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  posix('an existing directory that group or others can access is tightened to 0700, with a log line', async () => {
    const dir = path.join(home, 'store');
    await fs.mkdir(dir);
    await fs.chmod(dir, 0o755);
    const logs: string[] = [];
    await store(dir, { log: (l) => logs.push(l) }).write(ENVELOPE);
    expect(await mode(dir)).toBe(0o700);
    expect(logs).toContain(`The local store directory ${dir} had mode 0755; tightened it to 0700.`);
  });

  posix('with fixPermissions: false, such a directory is refused with the command that fixes it', async () => {
    const dir = path.join(home, 'store');
    await fs.mkdir(dir);
    await fs.chmod(dir, 0o750);
    await expect(store(dir, { fixPermissions: false }).read()).rejects.toThrow(
      `The local store directory ${dir} has mode 0750: group or others can access it, and it holds credentials. Run \`chmod 700 ${dir}\``
    );
    expect(await mode(dir)).toBe(0o750);
  });

  posix('a store directory that is a symbolic link is refused', async () => {
    const real = path.join(home, 'real');
    await fs.mkdir(real, { mode: 0o700 });
    await fs.symlink(real, path.join(home, 'store'));
    const s = store(path.join(home, 'store'));
    await expect(s.write(ENVELOPE)).rejects.toThrow(
      `The local store directory ${path.join(home, 'store')} is a symbolic link`
    );
    expect(await fs.readdir(real)).toEqual([]);
  });

  test('a file where the directory should be is refused', async () => {
    await fs.writeFile(path.join(home, 'store'), '');
    await expect(store(path.join(home, 'store')).read()).rejects.toThrow(/exists and is not a directory/);
  });

  const asRoot = process.getuid?.() === 0 ? test : test.skip;

  asRoot(
    'a directory owned by another user is refused, even with a private mode (the tests run as root, so they can chown)',
    async () => {
      const dir = path.join(home, 'store');
      await fs.mkdir(dir, { mode: 0o700 });
      await fs.chown(dir, 4321, 4321);
      await expect(store(dir).read()).rejects.toThrow(
        `The local store directory ${dir} belongs to user id 4321, not to the runner user (id 0)`
      );
      expect(await mode(dir)).toBe(0o700);
    }
  );

  asRoot('an envelope file owned by another user is refused', async () => {
    const s = store(path.join(home, 'store'));
    await s.write(ENVELOPE);
    await fs.chown(s.file, 4321, 4321);
    await expect(s.read()).rejects.toThrow(`The local store file ${s.file} belongs to user id 4321`);
    await expect(s.write(ENVELOPE)).rejects.toThrow(/belongs to user id 4321/);
  });

  posix(
    'a parent directory that others can write (without the sticky bit) is refused; a sticky one (like /tmp) is fine',
    async () => {
      const parent = path.join(home, 'shared');
      await fs.mkdir(parent);
      await fs.chmod(parent, 0o777);
      await expect(store(path.join(parent, 'store')).read()).rejects.toThrow(
        `its parent ${parent} is writable by group or others (mode 0777), so someone else could replace the store`
      );
      await fs.chmod(parent, 0o1777);
      await store(path.join(parent, 'store2')).write(ENVELOPE);
    }
  );
});

describe('reading and writing', () => {
  test('one file per credential name; names that could escape the directory are refused', async () => {
    const dir = path.join(home, 'store');
    const a = store(dir);
    const b = new LocalStore({ dir, credentialName: 'nightly_2' });
    await a.write(ENVELOPE);
    await b.write(ENVELOPE.replace(':default:', ':nightly_2:'));
    expect((await fs.readdir(dir)).sort()).toEqual(['default.envelope', 'nightly_2.envelope']);
    expect(await b.read()).toContain(':nightly_2:');
    expect(() => new LocalStore({ dir, credentialName: '../x' })).toThrow(/not a valid credential name/);
    expect(() => new LocalStore({ dir: 'relative', credentialName: 'default' })).toThrow(/must be an absolute path/);
  });

  test.each([
    ['an empty string', '', /empty or not on one line/],
    ['several lines', `${ENVELOPE}\n${ENVELOPE}`, /empty or not on one line/],
    [
      'a plaintext auth.json on one line',
      '{"auth_mode":"chatgpt","tokens":{"refresh_token":"rt"}}',
      /not a sealed codex-auth envelope: the local store never keeps a plaintext credential/
    ]
  ])('refuses to store %s, and keeps the previous copy', async (_what, value, message) => {
    const s = store(path.join(home, 'store'));
    await s.write(ENVELOPE);
    await expect(s.write(value)).rejects.toThrow(message);
    expect(await s.read()).toBe(ENVELOPE);
  });

  test('a write replaces the file by rename (a new inode), leaving no temp file', async () => {
    const s = store(path.join(home, 'store'));
    await s.write(ENVELOPE);
    const before = (await fs.stat(s.file)).ino;
    await s.write(`${ENVELOPE}2`);
    expect((await fs.stat(s.file)).ino).not.toBe(before);
    expect(await fs.readdir(s.dir)).toEqual(['default.envelope']);
    expect(await s.read()).toBe(`${ENVELOPE}2`);
  });

  test('readers running during writes only ever see a whole envelope, old or new', async () => {
    const s = store(path.join(home, 'store'));
    const versions = ['A', 'B', 'C', 'D'].map(bigEnvelope);
    await s.write(versions[0]);
    let writing = true;
    const seen = new Set<string>();
    const readers = Array.from({ length: 4 }, async () => {
      while (writing) {
        const text = await s.read();
        seen.add(text === undefined ? 'missing' : versions.includes(text) ? text.slice(-1) : `torn(${text.length})`);
      }
    });
    for (let i = 0; i < 40; i++) await s.write(versions[i % versions.length]);
    writing = false;
    await Promise.all(readers);
    expect([...seen].filter((v) => !['A', 'B', 'C', 'D'].includes(v))).toEqual([]);
    expect(seen.size).toBeGreaterThan(1);
  });

  test("a writer's temp file left by a crash is ignored by readers and cleaned up once old", async () => {
    const s = store(path.join(home, 'store'));
    await s.write(ENVELOPE);
    const old = path.join(s.dir, '.default.envelope.deadbeef0000.tmp');
    const recent = path.join(s.dir, '.default.envelope.deadbeef0001.tmp');
    await fs.writeFile(old, 'partial');
    await fs.writeFile(recent, 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await fs.utimes(old, twoHoursAgo, twoHoursAgo);
    expect(await s.read()).toBe(ENVELOPE);
    await s.write(`${ENVELOPE}2`);
    // The recent one may belong to a writer still running: left alone.
    expect((await fs.readdir(s.dir)).sort()).toEqual(['.default.envelope.deadbeef0001.tmp', 'default.envelope']);
  });

  posix(
    'a symbolic link planted in place of the envelope is neither followed on read nor written through',
    async () => {
      const s = store(path.join(home, 'store'));
      await s.prepare();
      const target = path.join(home, 'elsewhere');
      await fs.writeFile(target, 'codex-auth:v1:default:planted');
      await fs.symlink(target, s.file);
      await expect(s.read()).rejects.toThrow(`Refusing to read ${s.file}: it is a symbolic link`);
      await expect(s.write(ENVELOPE)).rejects.toThrow(`Refusing to write ${s.file}: it is a symbolic link`);
      expect(await fs.readFile(target, 'utf8')).toBe('codex-auth:v1:default:planted');
    }
  );

  test('a directory in place of the envelope is refused', async () => {
    const s = store(path.join(home, 'store'));
    await s.prepare();
    await fs.mkdir(s.file);
    await expect(s.read()).rejects.toThrow(/is not a regular file/);
    await expect(s.write(ENVELOPE)).rejects.toThrow(/is not a regular file/);
  });

  posix(
    'an envelope file readable by others is tightened to 0600 on read, or refused with fixPermissions: false',
    async () => {
      const s = store(path.join(home, 'store'));
      await s.write(ENVELOPE);
      await fs.chmod(s.file, 0o644);
      await expect(store(s.dir, { fixPermissions: false }).read()).rejects.toThrow(
        `its mode is 0644, readable by others than the runner user. Run \`chmod 600 ${s.file}\``
      );
      const logs: string[] = [];
      expect(await store(s.dir, { log: (l) => logs.push(l) }).read()).toBe(ENVELOPE);
      expect(await mode(s.file)).toBe(0o600);
      expect(logs).toEqual([`Tightened ${s.file} from mode 0644 to 0600.`]);
    }
  );

  test('the store survives like a self-hosted runner between jobs: a new process (new object) reads what the last wrote', async () => {
    const dir = resolveLocalStoreDir('', ctx());
    await store(dir).write(ENVELOPE);
    expect(await store(dir).read()).toBe(ENVELOPE);
  });
});
