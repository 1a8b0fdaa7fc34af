// The workflow examples in the documentation: every fenced ```yaml block of README.md and docs/*.md
// that has a `jobs:` key, so a test can lint them like the workflows in .github/workflows.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface WorkflowExample {
  /** The file, relative to the repository root (e.g. `README.md`). */
  source: string;
  /** The 1-based line of the file on which the block's first line of YAML is. */
  line: number;
  text: string;
}

export function documentationFiles(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

export function workflowExamples(): WorkflowExample[] {
  const examples: WorkflowExample[] = [];
  for (const source of documentationFiles()) {
    const lines = readFileSync(path.join(ROOT, source), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^```ya?ml\s*$/.test(lines[i] ?? '')) continue;
      const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
      if (end === -1) break;
      const text = lines.slice(i + 1, end).join('\n') + '\n';
      if (/^jobs:/m.test(text)) examples.push({ source, line: i + 2, text });
      i = end;
    }
  }
  return examples;
}
