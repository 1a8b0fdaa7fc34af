// GET /repos/{owner}/{repo} of the loopback GitHub API (./github-api.ts): GitHub's own example answer
// (`full-repository-default-response` in GitHub's OpenAPI description, the npm package
// @octokit/openapi) with this repository's id, names, URLs, visibility and default branch put in.
// Every key the description lists as required is there, with the type it gives.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface RepositoryFacts {
  visibility: 'private' | 'public' | 'internal';
  defaultBranch: string;
}

interface OpenApi {
  components: {
    examples: Record<string, { value: Record<string, unknown> }>;
    schemas: Record<string, { required: string[]; properties: Record<string, { type?: string | string[] }> }>;
  };
}

let described: OpenApi | undefined;

/** GitHub's OpenAPI description for api.github.com (13 MB: read once, on the first GET /repos). */
function openApi(): OpenApi {
  described ??= JSON.parse(
    readFileSync(path.join(ROOT, 'node_modules', '@octokit', 'openapi', 'generated', 'api.github.com.json'), 'utf8')
  ) as OpenApi;
  return described;
}

export function repositoryAnswer(
  repo: { id: number; owner: string; name: string; facts: RepositoryFacts },
  origin: string
): Record<string, unknown> {
  const example = openApi().components.examples['full-repository-default-response'].value;
  const full = `${repo.owner}/${repo.name}`;
  // The example is octocat/Hello-World on api.github.com: every URL and name in it follows ours.
  const text = JSON.stringify(example)
    .replaceAll('https://api.github.com', origin)
    .replaceAll('octocat/Hello-World', full);
  const answer = JSON.parse(text) as Record<string, unknown>;
  // The example is a fork (it carries `parent` and `source`, whose own examples lack required keys);
  // GitHub sends those two only for a fork, which the stand-in's repositories never are.
  delete answer.parent;
  delete answer.source;
  answer.fork = false;
  Object.assign(answer, {
    // The example omits `language`, which the schema requires (nullable): a repository without code says null.
    language: answer.language ?? null,
    // Likewise `has_discussions` (required, missing from the example).
    has_discussions: answer.has_discussions ?? false,
    id: repo.id,
    name: repo.name,
    full_name: full,
    owner: { ...(answer.owner as object), login: repo.owner },
    private: repo.facts.visibility !== 'public',
    visibility: repo.facts.visibility,
    default_branch: repo.facts.defaultBranch
  });
  return answer;
}

/** The keys GitHub's description requires in a `full-repository` that `answer` lacks or types wrongly. */
export function fullRepositoryProblems(answer: Record<string, unknown>): string[] {
  const schema = openApi().components.schemas['full-repository'];
  const problems: string[] = [];
  for (const key of schema.required) {
    if (!(key in answer)) problems.push(`missing ${key}`);
    const declared = schema.properties[key]?.type;
    const types = Array.isArray(declared) ? declared : declared ? [declared] : [];
    const value = answer[key];
    const actual = value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value;
    const ok =
      !types.length || types.includes(actual) || (actual === 'integer' && types.includes('number')) || value === null;
    if (key in answer && !ok) problems.push(`${key} is ${actual}, not ${types.join('|')}`);
  }
  return problems;
}
