// A stand-in for openai/codex-action@v1 (a composite action), run by the harness as one step under
// Node 24 (type stripping, so no relative imports here). It does to the runner what the action's
// steps do (read from its action.yml and src/, commit 9cdb6f3), in order:
//  1. "Ensure Node.js available": actions/setup-node with Node 20, i.e. Node 20 and npm first on PATH
//     for later steps (GITHUB_PATH) and for its own;
//  2. "Check repository write access": not reproduced (a GitHub API check of the actor, no effect on
//     the runner; the harness's actor is an administrator);
//  3. "Install Codex CLI" and "Install Codex Responses API proxy": `npm install -g` of both, at
//     `codex-version` (through the harness's npm, which only has the pinned Codex);
//  4. "Resolve Codex home": the `codex-home` input (`~` expanded), else $CODEX_HOME, else ~/.codex
//     (created); output `codex-home`;
//  5. with `openai-api-key` only: the proxy, the `config.toml` edit (model_provider prepended, a
//     [model_providers.codex-action-responses-proxy] table appended) and, with drop-sudo, removing
//     sudo. Not reproduced: the harness has no proxy; an example that passes a key fails here, loudly;
//  6. "Run codex exec" when `prompt` or `prompt-file` is set: `codex exec --skip-git-repo-check --cd
//     <working-directory or workspace> --output-last-message <file> [--model M] [--config
//     model_reasoning_effort="E"] <codex-args> --sandbox <sandbox, or read-only with that strategy>`,
//     the prompt on stdin, CODEX_HOME set to the resolved home; output `final-message`.
//     `unprivileged-user` (sudo -u another user) is not reproduced: it needs sudo and a second user.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const input = (name: string): string => process.env[`INPUT_${name.toUpperCase()}`] ?? '';
const fail = (message: string): never => {
  console.log(`::error::${message}`);
  process.exit(1);
};
const output = (name: string, value: string): void => {
  const delimiter = `ghadelimiter_${Math.random().toString(36).slice(2)}`;
  appendFileSync(process.env.GITHUB_OUTPUT!, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
};

const safety = input('safety-strategy');
if (!['drop-sudo', 'read-only', 'unprivileged-user', 'unsafe'].includes(safety))
  fail(`Unknown safety strategy: ${safety}`);

// 1. setup-node, Node 20 (the harness gives the machine's Node 20 and its npm stand-in).
const node20 = path.join(process.env.RUNNER_TOOL_CACHE!, 'node', '20', 'bin');
mkdirSync(node20, { recursive: true });
for (const [name, target] of [
  ['node', process.env.HARNESS_NODE20!],
  ['npm', process.env.HARNESS_NPM!]
]) {
  rmSync(path.join(node20, name), { force: true });
  symlinkSync(target, path.join(node20, name));
}
appendFileSync(process.env.GITHUB_PATH!, `${node20}\n`);
process.env.PATH = `${node20}:${process.env.PATH}`;

// 3. npm install -g.
for (const pkg of ['@openai/codex', '@openai/codex-responses-api-proxy']) {
  const installed = spawnSync('npm', ['install', '-g', `${pkg}@${input('codex-version')}`], { stdio: 'inherit' });
  if (installed.status !== 0) fail(`npm install -g ${pkg} failed`);
}

// 4. Resolve Codex home.
const expand = (p: string): string =>
  p === '~' ? os.homedir() : p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p;
let codexHome = input('codex-home') ? expand(input('codex-home')) : process.env.CODEX_HOME || '';
if (!codexHome) {
  if (safety === 'unprivileged-user')
    fail('The harness cannot reproduce safety-strategy unprivileged-user (sudo -u another user).');
  codexHome = path.join(os.homedir(), '.codex');
  mkdirSync(codexHome, { recursive: true });
}
output('codex-home', codexHome);
console.log(`Resolved Codex home: ${codexHome}`);

// 5. API-key mode.
if (input('openai-api-key'))
  fail('The harness has no stand-in for codex-responses-api-proxy (openai-api-key given to openai/codex-action).');

// 6. Run codex exec.
if (input('prompt') || input('prompt-file')) {
  if (safety === 'unprivileged-user')
    fail('The harness cannot reproduce safety-strategy unprivileged-user (sudo -u another user).');
  const prompt = input('prompt') || readFileSync(input('prompt-file'), 'utf8');
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'codex-exec-'));
  const outFile = input('output-file') || path.join(outDir, 'output.md');
  const extra = input('codex-args');
  const extraArgs: string[] = extra.startsWith('[') ? JSON.parse(extra) : extra.split(/\s+/).filter(Boolean);
  const args = [
    'exec',
    '--skip-git-repo-check',
    '--cd',
    input('working-directory') || process.env.GITHUB_WORKSPACE!,
    '--output-last-message',
    outFile
  ];
  if (input('model')) args.push('--model', input('model'));
  if (input('effort')) args.push('--config', `model_reasoning_effort="${input('effort')}"`);
  args.push(...extraArgs, '--sandbox', safety === 'read-only' ? 'read-only' : input('sandbox'));
  const env = {
    ...process.env,
    CODEX_HOME: codexHome,
    CODEX_INTERNAL_ORIGINATOR_OVERRIDE: process.env.CODEX_INTERNAL_ORIGINATOR_OVERRIDE || 'codex_github_action'
  };
  console.log(`Running: CODEX_HOME=${codexHome} codex ${args.map((a) => JSON.stringify(a)).join(' ')}`);
  const run = spawnSync('codex', args, { env, input: prompt, stdio: ['pipe', 'inherit', 'inherit'] });
  if (run.status !== 0) fail(`codex exited with code ${run.status}`);
  output('final-message', readFileSync(outFile, 'utf8'));
  rmSync(outDir, { recursive: true, force: true });
}
