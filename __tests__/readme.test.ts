// The README is part of the contract: its inputs and outputs tables must say what action.yml says,
// the workflows it shows are exact copies of examples/*.yml (which the harness runs), and a newcomer
// can read it in ten minutes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readManifest } from './support/runner.js';
import { ROOT } from './support/paths.js';
import { documentationFiles, documentationWorkflows, exampleFiles } from './support/workflow-examples.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const contributing = readFileSync(path.join(ROOT, 'CONTRIBUTING.md'), 'utf8');

function table(heading: string): string[][] {
  const section = readme.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  if (!section) throw new Error(`README has no "## ${heading}" section`);
  return section
    .split('\n')
    .filter((line) => /^\| `/.test(line))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim())
    );
}

const unquote = (cell: string): string => cell.replace(/^`|`$/g, '');

test('every input of action.yml is in the README table, with its default, and nothing else', () => {
  const { inputs } = readManifest();
  const rows = table('Inputs');
  expect(rows.map((r) => unquote(r[0])).sort()).toEqual(Object.keys(inputs).sort());
  for (const [name, def, description] of rows) {
    expect([unquote(name), unquote(def)]).toEqual([unquote(name), inputs[unquote(name)].default ?? '']);
    expect(description.length).toBeGreaterThan(10);
  }
});

test('every output of action.yml is in the README table, and nothing else', () => {
  const { outputs } = readManifest();
  expect(
    table('Outputs')
      .map((r) => unquote(r[0]))
      .sort()
  ).toEqual(Object.keys(outputs).sort());
});

test('every row of the README tables is an input or output of action.yml (no stale rows)', () => {
  const { inputs, outputs } = readManifest();
  for (const [name] of table('Inputs')) expect(Object.keys(inputs)).toContain(unquote(name));
  for (const [name] of table('Outputs')) expect(Object.keys(outputs)).toContain(unquote(name));
});

test('the quick start (CONTRIBUTING.md) is two commands: the demo, and the linters and tests, both from a fresh clone', () => {
  const quickStart = contributing.split(/^## /m).find((s) => s.startsWith('Quick start'))!;
  const commands = /```sh\n([\s\S]*?)```/
    .exec(quickStart)![1]
    .trim()
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, ''));
  expect(commands).toEqual(['npm ci && npm run demo', 'npm ci && npm run lint && npm test']);
});

test('every input is described in action.yml', () => {
  for (const [name, input] of Object.entries(readManifest().inputs) as [string, { description?: string }][]) {
    expect(`${name}: ${input.description ?? ''}`.length).toBeGreaterThan(name.length + 20);
  }
});

test('the README names both quick-start commands and points to CONTRIBUTING.md at its end', () => {
  const lastParagraph = readme.trim().split(/\n\n/).pop()!;
  expect(lastParagraph).toContain('`npm ci && npm run demo`');
  expect(lastParagraph).toContain('`npm ci && npm run lint && npm test`');
  expect(lastParagraph).toContain('[CONTRIBUTING.md](CONTRIBUTING.md)');
  // What CI runs (.ci/run) is that command.
  expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm run lint\nnpm test$/m);
});

test('the README is at most 3,000 words (code included), with a table of contents first', () => {
  const words = readme.split(/\s+/).filter(Boolean).length;
  expect(words).toBeLessThanOrEqual(3000);
  const firstSection = readme.indexOf('\n## ');
  expect(readme.slice(0, firstSection)).toMatch(/\*\*Contents:\*\*/);
  // Every `## ` section is reachable from the contents line.
  const contents = /\*\*Contents:\*\*[\s\S]*?\n\n/.exec(readme)![0];
  for (const [, heading] of readme.matchAll(/^## (.+)$/gm)) {
    const anchor = heading
      .toLowerCase()
      .replace(/[^a-z0-9 -]/g, '')
      .replace(/ /g, '-');
    expect(`${heading}: ${contents.includes(`(#${anchor})`)}`).toBe(`${heading}: true`);
  }
});

test('the README is organised by what the user wants to do, then the reference', () => {
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
  expect(headings).toEqual([
    'Which mode do I need',
    'Review pull requests with an API key',
    'Nightly jobs on a ChatGPT login',
    'A parallel matrix',
    'Self-hosted runners',
    'Release pipelines',
    'Inputs',
    'Outputs',
    'Security notes',
    'Limitations'
  ]);
});

describe('the README shows examples/*.yml, one source of truth', () => {
  const shown = documentationWorkflows('README.md');
  const lines = readme.split('\n');

  test.each(shown.map((block) => [block.line, block] as const))(
    'the workflow at README.md:%i is an exact copy of the examples/ file linked just above it',
    (_line, block) => {
      // The paragraph before the fence links the file: `[examples/x.yml](examples/x.yml)`.
      const before = lines.slice(Math.max(0, block.line - 6), block.line - 2).join(' ');
      const link = /\]\((examples\/[\w.-]+\.ya?ml)\)[^\]]*$/.exec(before);
      expect(link?.[1]).toBeDefined();
      expect(block.text).toBe(readFileSync(path.join(ROOT, link![1]), 'utf8'));
    }
  );

  test('every file in examples/ is shown or linked in the README', () => {
    expect(exampleFiles().length).toBeGreaterThanOrEqual(4);
    for (const file of exampleFiles()) expect(`${file}: ${readme.includes(`](${file})`)}`).toBe(`${file}: true`);
  });
});

describe('links between the documents', () => {
  const documents = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', 'SECURITY.md', ...documentationFiles().slice(1)];

  test.each(documents)(
    'every relative link of %s points at a file that exists, and every #anchor at a heading',
    (doc) => {
      const text = readFileSync(path.join(ROOT, doc), 'utf8').replace(/```[\s\S]*?```/g, '');
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [file, anchor] = target.split('#');
        const resolved = file ? path.posix.normalize(path.posix.join(path.posix.dirname(doc), file)) : doc;
        if (!existsSync(path.join(ROOT, resolved))) {
          broken.push(`${target}: no file ${resolved}`);
          continue;
        }
        if (anchor && resolved.endsWith('.md') && !anchors(readFileSync(path.join(ROOT, resolved), 'utf8')).has(anchor))
          broken.push(`${target}: no heading #${anchor} in ${resolved}`);
      }
      expect(broken).toEqual([]);
    }
  );
});

/** GitHub's heading anchors of a Markdown text: lower case, punctuation dropped, spaces as `-`. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-')
    )
  );
}
