// Windows ACLs of what holds a login: the icacls and PowerShell command lines, the parser of the
// ACL report, the judgement, and the protect/check flows against a scripted Windows machine that
// applies icacls's documented semantics to an in-memory ACL (no Windows here).
import {
  ADMINISTRATORS_SID,
  AclError,
  checkPrivate,
  judgeAcl,
  parseAclReport,
  parseCurrentUser,
  protect,
  readAcl,
  readAclCommand,
  removeGrantsCommand,
  restrictCommand,
  SYSTEM_SID,
  type AclEntry,
  type Run
} from '../src/platform/acl.js';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalStore } from '../src/stores/local.js';

const ME = 'S-1-5-21-1111111111-2222222222-3333333333-1001';
const OTHER = 'S-1-5-21-1111111111-2222222222-3333333333-1002';
const USERS = 'S-1-5-32-545';
const EVERYONE = 'S-1-1-0';
const FULL = 2032127;
const DIR = 'C:\\actions-runner\\.codex-auth\\store';

describe('command lines', () => {
  test('restrict: inheritance removed, full control for the runner user only, inherited inside a directory', () => {
    expect(restrictCommand(DIR, ME, 'directory')).toEqual({
      file: 'icacls.exe',
      args: [DIR, '/inheritance:r', '/grant:r', `*${ME}:(OI)(CI)F`]
    });
    expect(restrictCommand(`${DIR}\\auth.json`, ME, 'file')).toEqual({
      file: 'icacls.exe',
      args: [`${DIR}\\auth.json`, '/inheritance:r', '/grant:r', `*${ME}:F`]
    });
    expect(removeGrantsCommand(DIR, [USERS, OTHER])).toEqual({
      file: 'icacls.exe',
      args: [DIR, '/remove:g', `*${USERS}`, `*${OTHER}`]
    });
  });

  test('a path with spaces, quotes or PowerShell syntax stays one argument and never enters the script', () => {
    const odd = 'C:\\Users\\o\'brien\\my store $(Remove-Item C:\\x);"';
    expect(restrictCommand(odd, ME, 'directory').args[0]).toBe(odd);
    const read = readAclCommand(odd);
    expect(read.file).toBe('powershell.exe');
    expect(read.args.join(' ')).not.toContain("o'brien");
    expect(read.args.at(-1)).toContain('Get-Acl -LiteralPath $env:CODEX_AUTH_ACL_PATH');
    expect(read.env.CODEX_AUTH_ACL_PATH).toBe(odd);
  });

  test('only security identifiers are put on an icacls command line', () => {
    expect(() => restrictCommand(DIR, 'Everyone', 'directory')).toThrow(AclError);
    expect(() => removeGrantsCommand(DIR, ['S-1-5-18 /grant Everyone:F'])).toThrow(AclError);
  });
});

describe('the ACL report', () => {
  test('parsed from the PowerShell output (CRLF, SIDs, rights as numbers)', () => {
    const text = `user ${ME}\r\nowner ${ADMINISTRATORS_SID}\r\nace ${ME} Allow False ${FULL}\r\nace ${USERS} Allow True 1179817\r\nace ${EVERYONE} Deny False 278\r\nace S-1-3-0 Allow True -1610612736\r\n`;
    expect(parseAclReport(text)).toEqual({
      user: ME,
      owner: ADMINISTRATORS_SID,
      entries: [
        { sid: ME, type: 'Allow', inherited: false, rights: FULL },
        { sid: USERS, type: 'Allow', inherited: true, rights: 1179817 },
        { sid: EVERYONE, type: 'Deny', inherited: false, rights: 278 },
        { sid: 'S-1-3-0', type: 'Allow', inherited: true, rights: -1610612736 }
      ]
    });
  });

  test('anything unexpected (an error text, a localized name, no owner) is refused, not guessed', () => {
    expect(() => parseAclReport(`user ${ME}\r\nowner ${ME}\r\nace VORDEFINIERT\\Benutzer Allow True 1179817`)).toThrow(
      /Unexpected line/
    );
    expect(() => parseAclReport(`Get-Acl : Cannot find path`)).toThrow(AclError);
    expect(() => parseAclReport(`user ${ME}\r\n`)).toThrow(/no user or no owner/);
  });

  test('judged: the user, SYSTEM and Administrators are fine; anyone else allowed in is named; deny entries are no leak', () => {
    const entry = (sid: string, type: AclEntry['type'] = 'Allow'): AclEntry => ({
      sid,
      type,
      inherited: false,
      rights: FULL
    });
    expect(
      judgeAcl({
        user: ME,
        owner: ME,
        entries: [entry(ME), entry(SYSTEM_SID), entry(ADMINISTRATORS_SID), entry(EVERYONE, 'Deny')]
      })
    ).toEqual({ ownerOk: true, others: [] });
    expect(
      judgeAcl({ user: ME, owner: ADMINISTRATORS_SID, entries: [entry(ME), entry(USERS), entry(USERS), entry(OTHER)] })
    ).toEqual({ ownerOk: true, others: [USERS, OTHER] });
    expect(judgeAcl({ user: ME, owner: OTHER, entries: [entry(ME)] })).toEqual({ ownerOk: false, others: [] });
  });
});

/** A Windows machine's ACLs as icacls and Get-Acl see them, for the commands above. */
function scriptedWindows(
  acls: Record<string, { owner: string; entries: AclEntry[] }>,
  user = ME
): { run: Run; calls: string[][] } {
  const calls: string[][] = [];
  const run: Run = async (file, args, env) => {
    calls.push([file, ...args]);
    if (file === 'whoami.exe') return `"winbuild01\\runner","${user}"\r\n`;
    if (file === 'powershell.exe') {
      const acl = acls[env?.CODEX_AUTH_ACL_PATH ?? ''];
      if (!acl) throw new Error('powershell.exe failed: Get-Acl : Cannot find path');
      return (
        [
          `user ${user}`,
          `owner ${acl.owner}`,
          ...acl.entries.map((e) => `ace ${e.sid} ${e.type} ${e.inherited ? 'True' : 'False'} ${e.rights}`)
        ].join('\r\n') + '\r\n'
      );
    }
    const [target, ...ops] = args;
    const acl = acls[target];
    if (file !== 'icacls.exe' || !acl) throw new Error(`unexpected command ${file} ${args.join(' ')}`);
    for (let i = 0; i < ops.length; i++) {
      if (ops[i] === '/inheritance:r') acl.entries = acl.entries.filter((e) => !e.inherited);
      else if (ops[i] === '/grant:r') {
        const [who] = ops[++i].split(':');
        const sid = who.slice(1);
        acl.entries = [
          ...acl.entries.filter((e) => e.sid !== sid || e.type !== 'Allow'),
          { sid, type: 'Allow', inherited: false, rights: FULL }
        ];
      } else if (ops[i] === '/remove:g') {
        const sids = ops.slice(i + 1).map((s) => s.slice(1));
        acl.entries = acl.entries.filter((e) => !(e.type === 'Allow' && sids.includes(e.sid)));
        break;
      } else throw new Error(`unexpected icacls option ${ops[i]}`);
    }
    return 'processed file\r\nSuccessfully processed 1 files; Failed processing 0 files\r\n';
  };
  return { run, calls };
}

const inherited = (sid: string): AclEntry => ({ sid, type: 'Allow', inherited: true, rights: 1179817 });
const explicit = (sid: string): AclEntry => ({ sid, type: 'Allow', inherited: false, rights: FULL });

describe('protect (what this process has just created)', () => {
  test("a new directory under a shared parent: one icacls call cuts the inherited grants; the runner user's full control is inherited inside", async () => {
    const acls = { [DIR]: { owner: ME, entries: [inherited(USERS), inherited(ME), inherited(SYSTEM_SID)] } };
    const { run, calls } = scriptedWindows(acls);
    await protect(DIR, 'directory', run);
    await protect(DIR, 'directory', run);
    expect(acls[DIR].entries).toEqual([explicit(ME)]);
    // whoami once per process, then one icacls per object.
    expect(calls).toEqual([
      ['whoami.exe', '/user', '/fo', 'csv', '/nh'],
      ...Array(2).fill(['icacls.exe', ...restrictCommand(DIR, ME, 'directory').args])
    ]);
  });

  test('verified: explicit grants of others are removed too', async () => {
    const acls = { [DIR]: { owner: ME, entries: [explicit(EVERYONE), inherited(USERS)] } };
    const { run, calls } = scriptedWindows(acls);
    await protect(DIR, 'directory', run, { verify: true });
    expect(acls[DIR].entries).toEqual([explicit(ME)]);
    expect(calls.filter((c) => c[0] === 'icacls.exe').at(-1)).toEqual(['icacls.exe', DIR, '/remove:g', `*${EVERYONE}`]);
  });

  test('a failing icacls or whoami is an error, never a silent pass', async () => {
    const { run } = scriptedWindows({});
    await expect(protect(DIR, 'directory', run)).rejects.toThrow(/unexpected command icacls.exe/);
    await expect(protect(DIR, 'directory', async () => 'ERROR: Access is denied.')).rejects.toThrow(
      /Could not read the runner user's security identifier/
    );
  });

  test("whoami's CSV line gives the SID", () => {
    expect(parseCurrentUser(`"desktop-7\\runneradmin","${ME}"\r\n`)).toBe(ME);
    expect(() => parseCurrentUser('')).toThrow(AclError);
  });
});

describe('checkPrivate (an existing store directory)', () => {
  test('private already: nothing changed', async () => {
    const acls = { [DIR]: { owner: ME, entries: [explicit(ME), explicit(SYSTEM_SID)] } };
    const { run, calls } = scriptedWindows(acls);
    await checkPrivate(DIR, 'directory', { fix: true, run });
    expect(calls.every((c) => c[0] === 'powershell.exe')).toBe(true);
  });

  test('shared with Users: restricted and logged when fixing; refused with the icacls command to run otherwise', async () => {
    const shared = () => ({ [DIR]: { owner: ME, entries: [explicit(ME), inherited(USERS)] } });
    const refused = scriptedWindows(shared());
    const error = await checkPrivate(DIR, 'directory', { fix: false, run: refused.run }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(AclError);
    expect((error as Error).message).toBe(
      `The directory ${DIR} is accessible to other accounts (${USERS} can access it); it holds credentials. ` +
        `Run \`icacls "${DIR}" /inheritance:r /grant:r "*${ME}:(OI)(CI)F"\` as the runner user (and check who could have read it), or choose another path.`
    );
    const acls = shared();
    const { run } = scriptedWindows(acls);
    const lines: string[] = [];
    await checkPrivate(DIR, 'directory', { fix: true, run, log: (l) => lines.push(l) });
    expect(acls[DIR].entries).toEqual([explicit(ME)]);
    expect(lines).toEqual([`The directory ${DIR} was accessible to ${USERS}; restricted it to the runner user.`]);
  });

  test("another user's directory is always refused, even when fixing", async () => {
    const acls = { [DIR]: { owner: OTHER, entries: [explicit(OTHER), explicit(ME)] } };
    const { run, calls } = scriptedWindows(acls);
    await expect(checkPrivate(DIR, 'directory', { fix: true, run })).rejects.toThrow(
      `The directory ${DIR} belongs to another user (its owner is ${OTHER}, not the runner user ${ME}); it holds credentials. Another user's directory is never trusted with credentials`
    );
    expect(calls.some((c) => c[0] === 'icacls.exe')).toBe(false);
  });

  test("owned by Administrators (a runner running elevated) is the runner user's own: accepted as it is", async () => {
    const acls = { [DIR]: { owner: ADMINISTRATORS_SID, entries: [explicit(ME), explicit(ADMINISTRATORS_SID)] } };
    const { run, calls } = scriptedWindows(acls);
    const lines: string[] = [];
    // With fixing allowed, so that a wrongly judged owner shows as a change or a refusal, not only as a throw.
    await expect(
      checkPrivate(DIR, 'directory', { fix: true, run, log: (l) => lines.push(l) })
    ).resolves.toBeUndefined();
    expect(acls[DIR]).toEqual({ owner: ADMINISTRATORS_SID, entries: [explicit(ME), explicit(ADMINISTRATORS_SID)] });
    expect(calls.map((c) => c[0])).toEqual(['powershell.exe']);
    expect(lines).toEqual([]);
  });
});

// On a real Windows machine (the CI's windows-latest job): the same flows with icacls, whoami and
// PowerShell themselves.
const windowsOnly = process.platform === 'win32' ? describe : describe.skip;

windowsOnly('on Windows itself', () => {
  let base: string;
  beforeEach(async () => {
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-acl-'));
  });
  afterEach(async () => {
    await fs.rm(base, { recursive: true, force: true });
  });

  test('a new store directory gets an ACL for the runner user only, inherited by the envelope file', async () => {
    const dir = path.join(base, 'store');
    const store = new LocalStore({ dir, credentialName: 'default' });
    await store.prepare();
    const report = await readAcl(dir);
    expect(report.entries.filter((e) => e.type === 'Allow').map((e) => e.sid)).toEqual([report.user]);
    expect(report.entries.every((e) => !e.inherited)).toBe(true);
    await store.write('codex-auth:v1:default:k:bm9uY2U:Y2lwaGVy');
    const file = await readAcl(store.file);
    expect(judgeAcl(file)).toEqual({ ownerOk: true, others: [] });
  });

  test('a store directory shared with Users is tightened with a log line, or refused with fixPermissions: false', async () => {
    const dir = path.join(base, 'shared');
    await fs.mkdir(dir);
    execFileSync('icacls.exe', [dir, '/grant', `*${'S-1-5-32-545'}:(OI)(CI)R`]);
    expect(judgeAcl(await readAcl(dir)).others).toContain('S-1-5-32-545');
    await expect(new LocalStore({ dir, credentialName: 'default', fixPermissions: false }).prepare()).rejects.toThrow(
      /is accessible to other accounts \(.*S-1-5-32-545/
    );
    const lines: string[] = [];
    await new LocalStore({ dir, credentialName: 'default', log: (l) => lines.push(l) }).prepare();
    expect(judgeAcl(await readAcl(dir)).others).toEqual([]);
    expect(lines.join('\n')).toContain('restricted it to the runner user');
  });
});
