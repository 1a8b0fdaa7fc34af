// Who may do what on the loopback GitHub API, as GitHub answers it (GitHub's REST docs,
// "Authenticating to the REST API" and "Permissions required for fine-grained personal access tokens"):
// `Authorization: Bearer|token <t>`; no header → 401 "Requires authentication", unknown or revoked
// token → 401 "Bad credentials". A token that cannot see the repository or organization gets a 404
// (GitHub hides what a token may not see); one that sees it but lacks the permission gets a 403
// "Resource not accessible by integration" (GITHUB_TOKEN, GitHub Apps) or "… by personal access
// token" (fine-grained PATs), with `x-accepted-github-permissions` naming what was needed.
// Permissions (GitHub App names): `secrets` (repository secrets), `environments` (environment
// secrets), `organization_secrets`, `contents` (git data), `pull_requests`, `actions`. `write`
// implies `read`.
import type { ApiState, Repository, SecretStore } from './model.js';
import { error, notFound } from './reply.js';

export type Permission = 'secrets' | 'environments' | 'organization_secrets' | 'contents' | 'pull_requests' | 'actions';
type Access = 'read' | 'write';

export interface TokenGrant {
  /** Wording of a 403: GITHUB_TOKEN and GitHub App tokens are "integrations". */
  kind: 'integration' | 'personal-access-token';
  permissions: Partial<Record<Permission, Access>>;
  /** Repositories (`owner/name`) the token can see; default: all. Others answer 404. */
  repositories?: string[];
  /** Organizations the token can see; default: all. Others answer 404. */
  organizations?: string[];
  /** Expired or revoked: every request answers 401 "Bad credentials". */
  revoked?: boolean;
}

/** Test tokens of the default setup (not secrets: they only mean something to this server). */
export const TOKENS = {
  /** Fine-grained PAT with Secrets, Environments, organization Secrets and Contents: read and write. */
  writer: 'github_pat_11LOOPBACK0writer0000000000000000000000000000000000000000',
  /** GitHub App installation token with the same permissions. */
  app: 'ghs_LOOPBACKapp0installation0token000000',
  /** Fine-grained PAT with read-only Secrets / Environments / organization Secrets. */
  reader: 'github_pat_11LOOPBACK0reader0000000000000000000000000000000000000000',
  /** Like a workflow's GITHUB_TOKEN: contents write, no secrets permission (none exists for it). */
  workflow: 'ghs_LOOPBACKworkflow0GITHUB0TOKEN000000',
  /** Fine-grained PAT with every permission, but granted only acme/other. */
  otherRepo: 'github_pat_11LOOPBACK0otherrepo000000000000000000000000000000000000000',
  /** Expired or revoked. */
  revoked: 'github_pat_11LOOPBACK0revoked00000000000000000000000000000000000000000'
} as const;

const ALL_WRITE: TokenGrant['permissions'] = {
  secrets: 'write',
  environments: 'write',
  organization_secrets: 'write',
  contents: 'write',
  actions: 'read'
};

export const DEFAULT_TOKENS: Record<string, TokenGrant> = {
  [TOKENS.writer]: { kind: 'personal-access-token', permissions: ALL_WRITE },
  [TOKENS.app]: { kind: 'integration', permissions: ALL_WRITE },
  [TOKENS.reader]: {
    kind: 'personal-access-token',
    permissions: { secrets: 'read', environments: 'read', organization_secrets: 'read', contents: 'read' }
  },
  [TOKENS.workflow]: { kind: 'integration', permissions: { contents: 'write' } },
  [TOKENS.otherRepo]: {
    kind: 'personal-access-token',
    permissions: ALL_WRITE,
    repositories: ['acme/other'],
    organizations: []
  },
  [TOKENS.revoked]: { kind: 'personal-access-token', permissions: ALL_WRITE, revoked: true }
};

const TOKEN_HEADER = /^(?:bearer|token)\s+(\S+)$/i;

/** The token an `Authorization` header sends, or undefined (for the request log). */
export function tokenOf(header: string | undefined): string | undefined {
  return TOKEN_HEADER.exec(header?.trim() ?? '')?.[1];
}

export function authenticate(tokens: Map<string, TokenGrant>, header: string | undefined): TokenGrant {
  if (!header) throw error(401, 'Requires authentication');
  const match = TOKEN_HEADER.exec(header.trim());
  const grant = match ? tokens.get(match[1]) : undefined;
  if (!match || !grant || grant.revoked) throw error(401, 'Bad credentials');
  return grant;
}

export function need(grant: TokenGrant, permission: Permission, access: Access): void {
  const has = grant.permissions[permission];
  if (has === 'write' || has === access) return;
  const message =
    grant.kind === 'integration'
      ? 'Resource not accessible by integration'
      : 'Resource not accessible by personal access token';
  throw error(403, message, {}, { 'x-accepted-github-permissions': `${permission}=${access}` });
}

export function visibleRepo(state: ApiState, grant: TokenGrant, owner: string, name: string): Repository {
  const repo = state.repositories.get(`${owner}/${name}`.toLowerCase());
  if (!repo) throw notFound();
  if (grant.repositories && !grant.repositories.some((r) => r.toLowerCase() === `${owner}/${name}`.toLowerCase()))
    throw notFound();
  return repo;
}

export function visibleOrg(state: ApiState, grant: TokenGrant, org: string): SecretStore {
  const store = state.organizations.get(org.toLowerCase());
  if (!store) throw notFound();
  if (grant.organizations && !grant.organizations.some((o) => o.toLowerCase() === org.toLowerCase())) throw notFound();
  return store;
}
