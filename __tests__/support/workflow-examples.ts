// The workflow examples of the documentation: every examples/*.yml file, and every fenced ```yaml
// block of README.md and docs/*.md that is a whole workflow (it has a top-level `jobs:` key).
// Fragments (a single step, a `concurrency:` block) are not workflows and are left out, and so is a
// README block that is a copy of an examples/ file (readme.test.ts checks that it is an exact copy).
// Used by readme-workflows.test.ts, which runs each one, and by the workflow lint, which checks each
// one with actionlint.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface WorkflowExample {
  /** The file, relative to the repository root, with `/` separators: `README.md`, `examples/release.yml`. */
  source: string;
  /** 1-based line number in `source` of the first line of `text` (the line after the opening fence). */
  line: number;
  /** The YAML as printed, ending with a newline. Line N of it is line `line + N - 1` of `source`. */
  text: string;
}

export function documentationFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** Every fenced yaml block of `markdown` with its first line number. */
function yamlBlocks(markdown: string): Array<{ line: number; text: string }> {
  const blocks: Array<{ line: number; text: string }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (end >= lines.length) throw new Error(`unterminated yaml block at line ${i + 1}`);
    blocks.push({ line: start + 1, text: `${lines.slice(start, end).join('\n')}\n` });
    i = end;
  }
  return blocks;
}

/** examples/*.yml, relative to the repository root: one complete workflow per job to be done. */
export function exampleFiles(): string[] {
  return readdirSync(path.join(ROOT, 'examples'))
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => `examples/${name}`);
}

/** The whole-workflow yaml blocks of a documentation file. */
export function documentationWorkflows(source: string): WorkflowExample[] {
  return yamlBlocks(readFileSync(path.join(ROOT, source), 'utf8'))
    .filter((block) => /^jobs:/m.test(block.text))
    .map((block) => ({ source, ...block }));
}

export function workflowExamples(): WorkflowExample[] {
  const files = exampleFiles().map((source) => ({
    source,
    line: 1,
    text: readFileSync(path.join(ROOT, source), 'utf8')
  }));
  const copies = new Set(files.map((file) => file.text));
  const printed = documentationFiles()
    .flatMap(documentationWorkflows)
    .filter((block) => !copies.has(block.text));
  return [...files, ...printed];
}
