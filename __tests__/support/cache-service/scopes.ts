// Cache scopes, as the runner's ACTIONS_RUNTIME_TOKEN carries them: a JWT whose `ac` claim is a JSON
// list of `{Scope, Permission}` (permission 1 = read, 2 = write, 3 = both). Entries are written to the
// first writable scope and read from every readable scope, in order (own ref first, then the default
// branch), as GitHub's cache service scopes them per ref.

/** A cache scope of the runtime token: permission 1 = read, 2 = write, 3 = both. */
export interface CacheScope {
  scope: string;
  permission: number;
}

export const DEFAULT_SCOPES: CacheScope[] = [{ scope: 'refs/heads/main', permission: 3 }];
const READ = 1;
const WRITE = 2;

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

/** An unsigned JWT shaped like the runner's ACTIONS_RUNTIME_TOKEN (`ac` = JSON list of scopes). */
export function makeToken(scopes: CacheScope[]): string {
  const header = b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({
      scp: 'Actions.Results:loopback:loopback',
      ac: JSON.stringify(scopes.map((s) => ({ Scope: s.scope, Permission: s.permission }))),
      iat: Math.floor(Date.now() / 1000)
    })
  );
  return `${header}.${payload}.loopback`;
}

/** Scopes of a bearer token; any token that is not one of ours gets the default scopes. */
export function scopesOf(token: string, fallback: CacheScope[]): CacheScope[] {
  const parts = token.split('.');
  if (parts.length !== 3) return fallback;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (typeof payload.ac !== 'string') return fallback;
    const ac = JSON.parse(payload.ac);
    if (!Array.isArray(ac)) return fallback;
    return ac.map((s: any) => ({ scope: String(s.Scope), permission: Number(s.Permission) }));
  } catch {
    return fallback;
  }
}

export const readable = (scopes: CacheScope[]) => scopes.filter((s) => (s.permission & READ) !== 0);
export const writable = (scopes: CacheScope[]) => scopes.filter((s) => (s.permission & WRITE) !== 0);
