// Git objects of the loopback GitHub API as git itself makes them: a commit's SHA-1 is git's hash of
// its text (`commit <size>\0tree …\nparent …\nauthor …\ncommitter …\n\n<message>`), so a test can
// check one with git. Their JSON follows GitHub's `git-ref` and `git-commit` schemas (OpenAPI).
import { createHash } from 'node:crypto';
import { githubTime } from './reply.js';

/** git's empty tree: exists in every repository. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

interface Person {
  name: string;
  email: string;
  date: string;
}

export interface GitCommit {
  sha: string;
  message: string;
  tree: string;
  parents: string[];
  author: Person;
  committer: Person;
}

function gitSha(type: string, content: string): string {
  return createHash('sha1')
    .update(`${type} ${Buffer.byteLength(content)}\0`)
    .update(content)
    .digest('hex');
}

function gitSignature(person: Person): string {
  return `${person.name} <${person.email}> ${Math.floor(Date.parse(person.date) / 1000)} +0000`;
}

export function makeCommit(input: {
  message: string;
  tree: string;
  parents: string[];
  author?: Partial<Person>;
  committer?: Partial<Person>;
}): GitCommit {
  const now = githubTime();
  const person = (p?: Partial<Person>) => ({
    name: p?.name ?? 'codex-auth-test',
    email: p?.email ?? 'codex-auth-test@users.noreply.github.com',
    date: p?.date ?? now
  });
  const author = person(input.author);
  const committer = input.committer ? person(input.committer) : author;
  const content =
    `tree ${input.tree}\n` +
    input.parents.map((p) => `parent ${p}\n`).join('') +
    `author ${gitSignature(author)}\ncommitter ${gitSignature(committer)}\n\n${input.message}`;
  return {
    sha: gitSha('commit', content),
    message: input.message,
    tree: input.tree,
    parents: input.parents,
    author,
    committer
  };
}

/** Whether `ancestor` is `of` or reachable from it through parents (a fast-forward). */
export function isAncestor(commits: Map<string, GitCommit>, ancestor: string, of: string): boolean {
  const seen = new Set<string>();
  const queue = [of];
  while (queue.length) {
    const sha = queue.shift()!;
    if (sha === ancestor) return true;
    if (seen.has(sha)) continue;
    seen.add(sha);
    queue.push(...(commits.get(sha)?.parents ?? []));
  }
  return false;
}

/** `base`: the repository's API URL, `…/repos/{owner}/{repo}`. */
export function refObject(base: string, ref: string, sha: string): Record<string, unknown> {
  return {
    ref,
    node_id: Buffer.from(`ref:${ref}`).toString('base64'),
    url: `${base}/git/${ref}`,
    object: { sha, type: 'commit', url: `${base}/git/commits/${sha}` }
  };
}

export function commitObject(base: string, commit: GitCommit): Record<string, unknown> {
  return {
    sha: commit.sha,
    node_id: Buffer.from(`commit:${commit.sha}`).toString('base64'),
    url: `${base}/git/commits/${commit.sha}`,
    html_url: `${base.replace('/repos/', '/')}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${base}/git/commits/${sha}`,
      html_url: `${base.replace('/repos/', '/')}/commit/${sha}`
    })),
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null }
  };
}
