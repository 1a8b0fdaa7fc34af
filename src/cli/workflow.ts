// The workflow `codex-auth init` prints: examples/nightly-chatgpt.yml (the one copy of it; the
// bundler, seeing the file read below, copies it next to dist/cli/index.js and points the read
// there), with the user's names put in. A test checks the printed text against
// the file and runs it in the harness.
import { readFileSync } from 'node:fs';
import { actionReference } from '../action/setup-command.js';

/** Where the printed workflow is meant to be saved. */
export const WORKFLOW_FILE = '.github/workflows/codex-nightly.yml';

/** The names init's options give the workflow. */
export interface WorkflowNames {
  secretName: string;
  keySecretName: string;
  credentialName: string;
  /** OWNER/NAME of --repo, when given. */
  repo?: string;
  /** The job's `environment:` (secrets of --scope environment are visible only there). */
  environment?: string;
}

/** The example file's text (from the source tree, or the bundle's copy of it). */
function exampleText(): string {
  return readFileSync(new URL('../../examples/nightly-chatgpt.yml', import.meta.url), 'utf8');
}

/** The example with the user's secret names, repository, credential name and environment. */
export function nightlyWorkflow(names: WorkflowNames, text = exampleText()): string {
  let out = text
    .replace(/\bCODEX_AUTH_JSON\b/g, names.secretName)
    .replace(/\bCODEX_AUTH_KEY\b/g, names.keySecretName)
    .replace(/\borg\/codex-auth@v\d+\b/g, actionReference());
  if (names.repo) out = out.replace(/\bOWNER\/NAME\b/g, names.repo);
  if (names.credentialName !== 'default') {
    // Its own chain: the action keys the stores by it, and the envelope is sealed to it.
    out = out.replace(
      /^( +)(encryption-key: .*)$/m,
      (_line, indent: string, rest: string) => `${indent}${rest}\n${indent}credential-name: ${names.credentialName}`
    );
  }
  if (names.environment) {
    // Environment secrets reach only jobs that name the environment.
    out = out.replace(
      /^( +)(runs-on: .*)$/m,
      (_line, indent: string, rest: string) =>
        `${indent}${rest}\n${indent}environment: ${yamlScalar(names.environment!)}`
    );
  }
  return out;
}

/** A YAML plain scalar when safe, else single-quoted. */
function yamlScalar(text: string): string {
  return /^[A-Za-z0-9_-][A-Za-z0-9 _.-]*$/.test(text) && !/ $/.test(text) ? text : `'${text.replace(/'/g, "''")}'`;
}
