// The README is part of the contract: its inputs and outputs tables must say what action.yml says.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readManifest } from './support/runner.js';
import { ROOT } from './support/paths.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

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

test('the quick start is two commands: the demo, and the linters and tests, both from a fresh clone', () => {
  const quickStart = readme.split(/^## /m).find((s) => s.startsWith('Quick start'))!;
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
