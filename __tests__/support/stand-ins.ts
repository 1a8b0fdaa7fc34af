// Stand-ins for what a documented workflow uses besides this action, each doing to the runner what
// the real thing does, offline:
// - `npm install -g @openai/codex[@version]` (a `run:` step as printed): an `npm` first on PATH that
//   "installs" the pinned Codex CLI into $NPM_CONFIG_PREFIX/bin (on PATH from the start, as
//   /usr/local/bin is on a hosted runner, but empty: before the install, `codex` is not found).
//   The installed `codex` is the pinned CLI with the model provider pointed at the loopback model
//   server: `codex exec ARGS` runs `codex exec <-c model_providers.mock…, offline flags> ARGS` (the
//   flags of codexProviderArgs, without its --skip-git-repo-check, so the trust check stays).
// - actions/checkout: a git repository with one commit in the workspace.
// - actions/setup-node: that Node (and npm) first on PATH for later steps.
// - openai/codex-action: codex-action-stand-in.ts (what its steps do, in order).
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codexProviderArgs } from './codex.js';
import { CODEX, NODE24, ROOT } from './paths.js';
import type { Step } from './runner.js';

export interface Tools {
  /** Put first on every job's PATH: holds `npm`. */
  shimDir: string;
  npm: string;
}

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;
const CODEX_VERSION: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).devDependencies[
  '@openai/codex'
];

export function makeTools(modelBaseUrl: string): Tools {
  const shimDir = mkdtempSync(path.join(os.tmpdir(), 'codex-auth-tools-'));
  const providerArgs = codexProviderArgs(modelBaseUrl).filter((arg) => arg !== '--skip-git-repo-check');
  const script = (name: string, text: string): string => {
    const file = path.join(shimDir, name);
    writeFileSync(file, text);
    chmodSync(file, 0o755);
    return file;
  };
  script(
    'codex-installed',
    `#!/bin/bash
# @openai/codex ${CODEX_VERSION} as the harness installs it: the pinned CLI, its model provider the loopback model server.
if [ "$1" = exec ]; then shift; exec ${quote(CODEX)} exec ${providerArgs.map(quote).join(' ')} "$@"; fi
exec ${quote(CODEX)} "$@"
`
  );
  script(
    'proxy-installed',
    `#!/bin/bash\necho "codex-responses-api-proxy: not available in the harness" >&2\nexit 1\n`
  );
  const npm = script(
    'npm',
    `#!/bin/bash
# npm on the harness's runners: no registry, so only \`npm install -g\` (or \`npm i -g\`) of
# @openai/codex (the pinned version, or no version) and @openai/codex-responses-api-proxy.
set -e
case "$1" in install|i) shift ;; *) echo "npm (harness): only 'npm install -g' works here, not 'npm $*'" >&2; exit 1 ;; esac
global=; pkgs=()
for arg in "$@"; do case "$arg" in -g|--global) global=1 ;; -*) ;; *) pkgs+=("$arg") ;; esac; done
[ -n "$global" ] || { echo "npm (harness): only global installs (-g) work here" >&2; exit 1; }
bin="\${NPM_CONFIG_PREFIX:?}/bin"
mkdir -p "$bin"
for pkg in "\${pkgs[@]}"; do
  [[ $pkg =~ ^(@?[^@]+)(@(.*))?$ ]]; name=\${BASH_REMATCH[1]}; version=\${BASH_REMATCH[3]}
  case "$version" in ''|latest|${CODEX_VERSION}) ;; *) echo "npm (harness): only @openai/codex ${CODEX_VERSION} is available offline, not $version" >&2; exit 1 ;; esac
  case "$name" in
    @openai/codex) cp ${quote(path.join(shimDir, 'codex-installed'))} "$bin/codex" ;;
    @openai/codex-responses-api-proxy) cp ${quote(path.join(shimDir, 'proxy-installed'))} "$bin/codex-responses-api-proxy" ;;
    *) echo "npm (harness): $name is not available offline" >&2; exit 1 ;;
  esac
  echo "added 1 package: $name@\${version:-${CODEX_VERSION}}"
done
`
  );
  return { shimDir, npm };
}

/** The node binary for a setup-node `node-version`: Node 24 from the npm registry, or this machine's Node. */
function nodeBinary(version: string): string {
  const major = version.replace(/^v/, '').split('.')[0];
  if (major === '24' || major === 'lts/*') return NODE24;
  if (process.version.startsWith(`v${major}.`)) return process.execPath;
  throw new Error(`actions/setup-node (harness): no Node ${version} here (have 24 and ${process.version})`);
}

const ALLOWED: Record<string, string[]> = {
  'actions/checkout': ['fetch-depth', 'persist-credentials', 'ref', 'token'],
  'actions/setup-node': ['node-version', 'cache'],
  'openai/codex-action': [
    'prompt',
    'prompt-file',
    'output-file',
    'openai-api-key',
    'responses-api-endpoint',
    'working-directory',
    'sandbox',
    'codex-version',
    'codex-args',
    'output-schema',
    'output-schema-file',
    'model',
    'effort',
    'codex-home',
    'safety-strategy',
    'codex-user',
    'allow-users',
    'allow-bots',
    'allow-bot-users'
  ]
};

/** openai/codex-action's input defaults (action.yml). */
const CODEX_ACTION_DEFAULTS: Record<string, string> = {
  sandbox: 'workspace-write',
  'safety-strategy': 'drop-sudo',
  'allow-bots': 'false'
};

/** The step that stands in for `uses: <action>@<ref>` with these (evaluated) inputs, or an error for an action it does not know. */
export function standIn(
  uses: string,
  inputs: Record<string, string>,
  tools: Tools,
  base: { name?: string; id?: string }
): Step {
  const action = uses.replace(/@.*$/, '');
  const allowed = ALLOWED[action];
  if (!allowed) throw new Error(`The harness has no stand-in for '${uses}'`);
  for (const name of Object.keys(inputs)) {
    if (!allowed.includes(name))
      throw new Error(`'${uses}' has no input '${name}' the harness knows (it knows ${allowed.join(', ')})`);
  }
  const label = base.name ?? uses;
  switch (action) {
    case 'actions/checkout':
      return {
        ...base,
        name: label,
        run: 'git init -q -b main . && echo "# app" > README.md && git add README.md && git -c user.name=ci -c user.email=ci@example.com commit -qm "the commit under test"'
      };
    case 'actions/setup-node': {
      const version = inputs['node-version'] ?? process.version;
      const node = nodeBinary(version);
      const dir = `"$RUNNER_TOOL_CACHE/node/${version.replace(/[^0-9A-Za-z.]/g, '_')}/bin"`;
      return {
        ...base,
        name: label,
        run: `mkdir -p ${dir} && ln -sf ${quote(node)} ${dir}/node && ln -sf ${quote(tools.npm)} ${dir}/npm && echo ${dir} >> "$GITHUB_PATH"`
      };
    }
    default: {
      const env: Record<string, string> = { HARNESS_NODE20: process.execPath, HARNESS_NPM: tools.npm };
      for (const name of allowed)
        env[`INPUT_${name.toUpperCase()}`] = inputs[name] ?? CODEX_ACTION_DEFAULTS[name] ?? '';
      return {
        ...base,
        name: label,
        env,
        run: `${quote(NODE24)} ${quote(path.join(ROOT, '__tests__', 'support', 'codex-action-stand-in.ts'))}`
      };
    }
  }
}
