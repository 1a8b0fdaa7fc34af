// Windows: what holds a login (CODEX_HOME, auth.json, the runner-local store) is private to the
// runner's user, as 0700/0600 and the owner checks make it on Linux and macOS. Mode bits mean
// nothing on Windows; a new directory inherits whatever its parent grants (often every local user,
// under a runner's work folder or C:\). So:
// - protect: an explicit ACL, inheritance cut, full control for the runner's user only, inherited
//   by everything created inside (`icacls <path> /inheritance:r /grant:r *<sid>:(OI)(CI)F`), and
//   other users' grants removed;
// - check: an existing directory must be owned by the runner's user (or SYSTEM / Administrators,
//   who are root's equivalent) and grant access to nobody else.
// The ACL is read with PowerShell's Get-Acl as SIDs, not with icacls's text, whose account names are
// translated into the machine's language. Every command runs through execFile (no shell); the path
// reaches PowerShell in an environment variable, never inside the script.

export const SYSTEM_SID = 'S-1-5-18';
export const ADMINISTRATORS_SID = 'S-1-5-32-544';
/** Accounts that can read everything on the machine anyway (root's equivalent): their entries are no leak. */
const TRUSTED_SIDS = new Set([SYSTEM_SID, ADMINISTRATORS_SID]);
const SID = /^S-1-\d+(-\d+)+$/;
const PATH_VARIABLE = 'CODEX_AUTH_ACL_PATH';

export type AclTarget = 'directory' | 'file';

export interface AclEntry {
  sid: string;
  type: 'Allow' | 'Deny';
  inherited: boolean;
  /** FileSystemRights as a number. */
  rights: number;
}

export interface AclReport {
  /** The SID of the user this process runs as. */
  user: string;
  owner: string;
  entries: AclEntry[];
}

export interface AclJudgement {
  ownerOk: boolean;
  /** SIDs other than the user, SYSTEM and Administrators that are allowed some access. */
  others: string[];
}

/** A directory or file whose ACL lets others in, or that another user owns. */
export class AclError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AclError';
  }
}

/** Runs a program without a shell and returns its stdout. */
export type Run = (file: string, args: string[], env?: NodeJS.ProcessEnv) => Promise<string>;

// child_process is loaded only when a command runs (on Windows): it costs every other step's start-up.
const execRun: Run = async (file, args, env) => {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: 'utf8', windowsHide: true, timeout: 60_000, env: env ?? process.env },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${file} failed: ${(stderr || error.message).trim()}`));
        else resolve(stdout);
      }
    );
  });
};

/** `icacls <path> /inheritance:r /grant:r *<sid>:(OI)(CI)F` (directories) or `…:F` (files). */
export function restrictCommand(target: string, userSid: string, kind: AclTarget): { file: string; args: string[] } {
  checkSid(userSid);
  const grant = kind === 'directory' ? `*${userSid}:(OI)(CI)F` : `*${userSid}:F`;
  return { file: 'icacls.exe', args: [target, '/inheritance:r', '/grant:r', grant] };
}

/** `icacls <path> /remove:g *<sid> …`: takes away what those accounts were granted. */
export function removeGrantsCommand(target: string, sids: string[]): { file: string; args: string[] } {
  sids.forEach(checkSid);
  return { file: 'icacls.exe', args: [target, '/remove:g', ...sids.map((sid) => `*${sid}`)] };
}

/** PowerShell that prints `user <sid>`, `owner <sid>` and one `ace <sid> <Allow|Deny> <inherited> <rights>` line per entry. */
export function readAclCommand(target: string): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const script = [
    "$ErrorActionPreference = 'Stop'",
    `$acl = Get-Acl -LiteralPath $env:${PATH_VARIABLE}`,
    '$sid = [System.Security.Principal.SecurityIdentifier]',
    "'user ' + [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value",
    "'owner ' + $acl.GetOwner($sid).Value",
    "foreach ($r in $acl.GetAccessRules($true, $true, $sid)) { 'ace ' + $r.IdentityReference.Value + ' ' + $r.AccessControlType + ' ' + $r.IsInherited + ' ' + [int64]$r.FileSystemRights }"
  ].join('; ');
  return {
    file: 'powershell.exe',
    args: ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', script],
    env: { ...process.env, [PATH_VARIABLE]: target }
  };
}

export function parseAclReport(text: string): AclReport {
  let user: string | undefined;
  let owner: string | undefined;
  const entries: AclEntry[] = [];
  for (const line of text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [tag, ...rest] = line.split(/\s+/);
    if (tag === 'user' && rest.length === 1 && SID.test(rest[0])) user = rest[0];
    else if (tag === 'owner' && rest.length === 1 && SID.test(rest[0])) owner = rest[0];
    else if (
      tag === 'ace' &&
      rest.length === 4 &&
      SID.test(rest[0]) &&
      /^(Allow|Deny)$/.test(rest[1]) &&
      /^(True|False)$/i.test(rest[2]) &&
      /^-?\d+$/.test(rest[3])
    ) {
      entries.push({
        sid: rest[0],
        type: rest[1] as AclEntry['type'],
        inherited: rest[2].toLowerCase() === 'true',
        rights: Number(rest[3])
      });
    } else throw new AclError(`Unexpected line in the ACL report: '${line.slice(0, 80)}'.`);
  }
  if (!user || !owner) throw new AclError('The ACL report names no user or no owner.');
  return { user, owner, entries };
}

export function judgeAcl(report: AclReport): AclJudgement {
  const trusted = (sid: string): boolean => sid === report.user || TRUSTED_SIDS.has(sid);
  const others = [
    ...new Set(report.entries.filter((e) => e.type === 'Allow' && e.rights !== 0 && !trusted(e.sid)).map((e) => e.sid))
  ];
  return { ownerOk: trusted(report.owner), others };
}

export async function readAcl(target: string, run: Run = execRun): Promise<AclReport> {
  const { file, args, env } = readAclCommand(target);
  return parseAclReport(await run(file, args, env));
}

/** `whoami /user /fo csv /nh`: the SID of the user this process runs as (a native program, fast). */
function currentUserCommand(): { file: string; args: string[] } {
  return { file: 'whoami.exe', args: ['/user', '/fo', 'csv', '/nh'] };
}

/** `"host\user","S-1-5-21-…"` → the SID. */
export function parseCurrentUser(text: string): string {
  const sid = /"(S-1-\d+(?:-\d+)+)"\s*$/.exec(text.trim())?.[1];
  if (!sid)
    throw new AclError(
      `Could not read the runner user's security identifier from whoami: '${text.trim().slice(0, 80)}'.`
    );
  return sid;
}

const userSids = new WeakMap<Run, Promise<string>>();

function currentUserSid(run: Run = execRun): Promise<string> {
  let sid = userSids.get(run);
  if (!sid) {
    const { file, args } = currentUserCommand();
    sid = run(file, args).then(parseCurrentUser);
    sid.catch(() => userSids.delete(run));
    userSids.set(run, sid);
  }
  return sid;
}

/**
 * Makes `target` private to the runner's user (see the top of this file). For what this process
 * has just created, one icacls call is enough: a new file or directory has inherited entries only,
 * and those are cut. `verify` reads the ACL back, removes other accounts' explicit grants and
 * checks the result (for an existing directory).
 */
export async function protect(
  target: string,
  kind: AclTarget,
  run: Run = execRun,
  options: { verify?: boolean } = {}
): Promise<void> {
  const restrict = restrictCommand(target, await currentUserSid(run), kind);
  await run(restrict.file, restrict.args);
  if (!options.verify) return;
  let after = await readAcl(target, run);
  const { others } = judgeAcl(after);
  if (others.length) {
    const remove = removeGrantsCommand(target, others);
    await run(remove.file, remove.args);
    after = await readAcl(target, run);
  }
  const judged = judgeAcl(after);
  if (!judged.ownerOk || judged.others.length)
    throw new AclError(notPrivateMessage(target, kind, after, judged, 'could not be made private'));
}

/**
 * Checks an existing directory or file that holds (or will hold) a login: another owner is always
 * refused; access for others is removed when `fix` is true (logged), else refused.
 */
export async function checkPrivate(
  target: string,
  kind: AclTarget,
  options: { fix: boolean; log?: (message: string) => void; run?: Run }
): Promise<void> {
  const run = options.run ?? execRun;
  const report = await readAcl(target, run);
  const judged = judgeAcl(report);
  if (!judged.ownerOk) throw new AclError(notPrivateMessage(target, kind, report, judged, 'belongs to another user'));
  if (!judged.others.length) return;
  if (!options.fix)
    throw new AclError(notPrivateMessage(target, kind, report, judged, 'is accessible to other accounts'));
  await protect(target, kind, run, { verify: true });
  options.log?.(
    `The ${kind} ${target} was accessible to ${judged.others.join(', ')}; restricted it to the runner user.`
  );
}

function notPrivateMessage(
  target: string,
  kind: AclTarget,
  report: AclReport,
  judged: AclJudgement,
  what: string
): string {
  const grant = kind === 'directory' ? '(OI)(CI)F' : 'F';
  const who = judged.ownerOk
    ? `${judged.others.join(', ')} can access it`
    : `its owner is ${report.owner}, not the runner user ${report.user}`;
  return (
    `The ${kind} ${target} ${what} (${who}); it holds credentials. ` +
    (judged.ownerOk
      ? `Run \`icacls "${target}" /inheritance:r /grant:r "*${report.user}:${grant}"\` as the runner user (and check who could have read it), or choose another path.`
      : "Another user's directory is never trusted with credentials: remove it, or choose a path of the runner user's own.")
  );
}

function checkSid(sid: string): void {
  if (!SID.test(sid)) throw new AclError(`Not a security identifier: '${sid}'.`);
}
