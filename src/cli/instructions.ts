// What `codex-auth init` prints after sealing the login: where to set the secrets by hand (--print, or
// no --repo), the workflow that uses them, and how to add the write-back it leaves out.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shellQuote } from '../action/setup-command.js';
import { SECRET_NAMES, secretWritePermission } from '../action/constants.js';
import { nightlyWorkflow, WORKFLOW_FILE } from './workflow.js';
import { say, type InitIO } from './text.js';
import type { InitOptions } from './init-options.js';

type Where = Pick<InitOptions, 'repo' | 'scope' | 'environment' | 'org'>;

/** The two values and how to set them: printed with --show-secrets, else in 0600 files. */
export async function printInstructions(
  options: InitOptions,
  io: InitIO,
  envelope: string,
  keyText: string
): Promise<void> {
  const where = whereToSet(options);
  const ghTarget = ghFlags(options);
  if (!options.repo && !options.print)
    say(
      io,
      'No --repo given, so nothing was sent to GitHub: set the two secrets below yourself (or re-run with --repo OWNER/NAME and a token in GITHUB_TOKEN).'
    );
  if (options.showSecrets) {
    say(io, `\nSet these ${where.kind} secrets (${where.ui}):\n`);
    io.err(`  ${options.secretName}:\n${envelope}\n`);
    io.err(`  ${options.keySecretName}:\n${keyText}\n`);
    say(
      io,
      `With the GitHub CLI, paste each value when asked:\n  gh secret set ${options.secretName}${ghTarget}\n  gh secret set ${options.keySecretName}${ghTarget}`
    );
    return;
  }
  // mkdtemp creates the directory 0700; the files are written 0600 and never printed.
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-init-'));
  await fs.chmod(dir, 0o700);
  const seedFile = path.join(dir, options.secretName);
  const keyFile = path.join(dir, options.keySecretName);
  await fs.writeFile(seedFile, envelope, { mode: 0o600, flag: 'wx' });
  await fs.writeFile(keyFile, keyText, { mode: 0o600, flag: 'wx' });
  say(io, `\nThe secret values are in ${dir} (readable only by you; add --show-secrets to print them instead):`);
  io.err(`  ${seedFile}`);
  io.err(`  ${keyFile}`);
  say(io, `\nSet them as ${where.kind} secrets (${where.ui}), or with the GitHub CLI:`);
  io.err(`  gh secret set ${options.secretName}${ghTarget} < ${shellQuote(seedFile)}`);
  io.err(`  gh secret set ${options.keySecretName}${ghTarget} < ${shellQuote(keyFile)}`);
  say(io, `Then delete the files: rm -r ${shellQuote(dir)}`);
}

function whereToSet(options: Where): { kind: string; ui: string } {
  const repo = options.repo ? `${options.repo.owner}/${options.repo.name}` : 'your repository';
  if (options.scope === 'organization') {
    const org = options.org ?? options.repo?.owner ?? 'your organization';
    return {
      kind: 'organization',
      ui: `${org}: Settings → Secrets and variables → Actions → New organization secret; give it access only to the repositories that run Codex`
    };
  }
  if (options.scope === 'environment') {
    return {
      kind: 'environment',
      ui: `${repo}: Settings → Environments → ${options.environment} → Add environment secret`
    };
  }
  return { kind: 'repository', ui: `${repo}: Settings → Secrets and variables → Actions → New repository secret` };
}

function ghFlags(options: Where): string {
  const repo = options.repo ? ` --repo ${options.repo.owner}/${options.repo.name}` : '';
  if (options.scope === 'organization') {
    const org = options.org ?? options.repo?.owner;
    return ` --org ${org ?? 'ORG'} --visibility private`;
  }
  if (options.scope === 'environment') return `${repo} --env ${shellQuote(options.environment!)}`;
  return repo;
}

/**
 * The workflow alone on stdout, its start and end marked on stderr: on a terminal the markers show
 * where to copy, and `codex-auth init … > FILE` saves exactly the workflow, with no instruction or
 * marker in it (a marker on stdout would be one more line to cut by hand).
 */
export function printWorkflow(options: InitOptions, io: InitIO): void {
  say(
    io,
    `\nA workflow that uses these secrets (ChatGPT mode: private repositories only). Save it as ${WORKFLOW_FILE}; ` +
      'it alone is on standard output, so `> FILE` after this command saves exactly it.'
  );
  io.err(`----- begin ${WORKFLOW_FILE} -----`);
  io.out(
    nightlyWorkflow({
      secretName: options.secretName,
      keySecretName: options.keySecretName,
      credentialName: options.credentialName,
      repo: options.repo && `${options.repo.owner}/${options.repo.name}`,
      environment: options.scope === 'environment' ? options.environment : undefined
    }).trimEnd()
  );
  io.err(`----- end ${WORKFLOW_FILE} -----`);
}

/** The printed workflow keeps the login in the cache only: how to add write-back, and the one secret it needs. */
export function writeBackNote(options: InitOptions): string {
  const repo = options.repo ? `${options.repo.owner}/${options.repo.name}` : 'OWNER/NAME';
  const token = SECRET_NAMES.writeBackToken;
  const scopeInputs =
    options.scope === 'organization'
      ? ', `secret-scope: organization`'
      : options.scope === 'environment'
        ? `, \`secret-scope: environment\`, \`environment: ${options.environment}\``
        : '';
  const otherOrg =
    options.scope === 'organization' &&
    options.org &&
    options.repo &&
    options.org.toLowerCase() !== options.repo.owner.toLowerCase()
      ? ` Note: the action writes organization secrets of the owner of the repository running the workflow; it cannot write back to ${options.org} from a repository of ${options.repo.owner}.`
      : '';
  return (
    'The workflow needs only the two secrets above: it keeps the renewed login in the Actions cache, which evicts ' +
    'an entry unused for 7 days (then run this command again). To also write the renewed login back to ' +
    `${options.secretName}, add \`secret-name: ${options.secretName}\`${scopeInputs} and ` +
    `\`secret-token: \${{ secrets.${token} }}\` to the action's \`with:\`, and create that third ` +
    `secret yourself (this command cannot: it holds your token): a fine-grained personal access token ` +
    `(https://github.com/settings/personal-access-tokens/new) with ${secretWritePermission(options.scope, repo)}, or a GitHub App installation token, ` +
    `stored with \`gh secret set ${token} --repo ${repo}\` (paste the token when asked). ` +
    `The workflow's GITHUB_TOKEN cannot write secrets.${otherOrg}`
  );
}
