// The git data API of the loopback GitHub API, for the lease (GitHub's REST docs, "REST API endpoints
// for Git references" and "… for Git commits"): commits get real git SHA-1s, `force: false` updates
// must be fast-forwards (422 "Update is not a fast forward"), creating an existing ref is a 422
// "Reference already exists", updating or deleting a missing one a 422 "Reference does not exist".
// Note the singular `GET …/git/ref/{ref}` and the plural `PATCH|DELETE …/git/refs/{ref}`.
import { need } from './auth.js';
import { EMPTY_TREE, commitObject, isAncestor, makeCommit, refObject } from './git-objects.js';
import type { Repository } from './model.js';
import { error, isObject, notFound, validation, type Call, type Reply } from './reply.js';

/** `…/git/…`: `rest` is the path after `git`; `base` the repository's API URL. */
export function gitRoute(call: Call, rest: string[], repo: Repository, base: string): Reply {
  const { method, grant } = call;
  const [kind, ...tail] = rest;
  const refPath = tail.join('/');
  if (kind === 'commits' && tail.length === 0 && method === 'POST') {
    need(grant, 'contents', 'write');
    return createCommit(repo, call.body, base);
  }
  if (kind === 'commits' && tail.length === 1 && method === 'GET') {
    need(grant, 'contents', 'read');
    const commit = repo.commits.get(tail[0]);
    if (!commit) throw notFound();
    return { status: 200, body: commitObject(base, commit) };
  }
  if (kind === 'ref' && method === 'GET' && refPath) {
    need(grant, 'contents', 'read');
    const full = `refs/${refPath}`;
    const sha = repo.refs.get(full);
    if (!sha) throw notFound();
    return { status: 200, body: refObject(base, full, sha) };
  }
  if (kind === 'matching-refs' && method === 'GET') {
    need(grant, 'contents', 'read');
    const start = `refs/${refPath}`;
    const matches = [...repo.refs.entries()]
      .filter(([ref]) => ref.startsWith(start))
      .sort(([a], [b]) => a.localeCompare(b));
    return { status: 200, body: matches.map(([ref, sha]) => refObject(base, ref, sha)) };
  }
  if (kind === 'refs' && tail.length === 0 && method === 'POST') {
    need(grant, 'contents', 'write');
    return createRef(repo, call.body, base);
  }
  if (kind === 'refs' && refPath && method === 'PATCH') {
    need(grant, 'contents', 'write');
    return updateRef(repo, `refs/${refPath}`, call.body, base);
  }
  if (kind === 'refs' && refPath && method === 'DELETE') {
    need(grant, 'contents', 'write');
    if (!repo.refs.delete(`refs/${refPath}`)) throw error(422, 'Reference does not exist');
    return { status: 204 };
  }
  throw notFound();
}

/** `POST …/git/commits`. */
function createCommit(repo: Repository, body: unknown, base: string): Reply {
  if (!isObject(body)) throw validation("Invalid request.\n\nFor 'links/0/schema', nil is not an object.");
  if (typeof body.message !== 'string')
    throw validation('Invalid request.\n\n"message" wasn\'t supplied.', 'message', 'missing_field');
  if (typeof body.tree !== 'string')
    throw validation('Invalid request.\n\n"tree" wasn\'t supplied.', 'tree', 'missing_field');
  if (body.tree !== EMPTY_TREE && ![...repo.commits.values()].some((c) => c.tree === body.tree))
    throw error(422, 'Tree SHA does not exist');
  const parents: unknown = body.parents ?? [];
  if (!Array.isArray(parents) || !parents.every((p) => typeof p === 'string'))
    throw validation('Invalid request.\n\n"parents" must be an array of strings.', 'parents');
  if (!parents.every((p: string) => repo.commits.has(p)))
    throw error(422, 'Parent SHA does not exist or is not a commit object');
  const commit = makeCommit({
    message: body.message,
    tree: body.tree,
    parents: parents as string[],
    author: isObject(body.author) ? body.author : undefined,
    committer: isObject(body.committer) ? body.committer : undefined
  });
  repo.commits.set(commit.sha, commit);
  return { status: 201, body: commitObject(base, commit) };
}

/** `POST …/git/refs`. */
function createRef(repo: Repository, body: unknown, base: string): Reply {
  if (!isObject(body) || typeof body.ref !== 'string' || typeof body.sha !== 'string')
    throw validation('Invalid request.\n\n"ref" and "sha" are required.', 'ref', 'missing_field');
  if (
    !/^refs\/[^/]+\/.+/.test(body.ref) ||
    body.ref.split('/').some((part: string) => part === '' || part === '.' || part === '..' || part.endsWith('.lock'))
  ) {
    throw error(422, "Reference name must start with 'refs/' and have at least two slashes.");
  }
  if (repo.refs.has(body.ref)) throw error(422, 'Reference already exists');
  if (!repo.commits.has(body.sha)) throw error(422, 'Object does not exist');
  repo.refs.set(body.ref, body.sha);
  return {
    status: 201,
    body: refObject(base, body.ref, body.sha),
    headers: { location: `${base}/git/${body.ref}` }
  };
}

/** `PATCH …/git/refs/{ref}`: a fast-forward unless `force`. */
function updateRef(repo: Repository, full: string, body: unknown, base: string): Reply {
  if (!isObject(body) || typeof body.sha !== 'string')
    throw validation('Invalid request.\n\n"sha" wasn\'t supplied.', 'sha', 'missing_field');
  const current = repo.refs.get(full);
  if (!current) throw error(422, 'Reference does not exist');
  if (!repo.commits.has(body.sha)) throw error(422, 'Object does not exist');
  if (body.force !== true && !isAncestor(repo.commits, current, body.sha))
    throw error(422, 'Update is not a fast forward');
  repo.refs.set(full, body.sha);
  return { status: 200, body: refObject(base, full, body.sha) };
}
