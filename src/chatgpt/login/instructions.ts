// What the messages tell a user to do about a login: re-seed it, or serialize the jobs that use it.
// One place, so every message gives the same steps.
import { initCommand } from '../../action/setup-command.js';
import type { SecretTarget } from '../../stores/secret.js';

/**
 * The steps to give the chain a new login. `steps`: the numbered steps (a dead chain); `line`: one
 * sentence (no usable copy at all); `if-it-fails`: what to do should the next job fail.
 */
export function reseedSteps(
  secret: SecretTarget | undefined,
  form: 'steps' | 'line' | 'if-it-fails' = 'steps'
): string {
  if (form === 'line')
    return (
      'To re-seed: on a trusted machine run `codex login` (with cli_auth_credentials_store = "file"), then put the new ~/.codex/auth.json into the secret passed as \'chatgpt-auth-json\'' +
      (secret ? ` (\`${initCommand(secret)}\` does it).` : '.')
    );
  if (form === 'if-it-fails')
    return "If the next job fails, re-seed: run `codex login` on a trusted machine and put the new auth.json into the secret passed as 'chatgpt-auth-json'.";
  if (secret) {
    return `To re-seed: (1) on a trusted machine run \`${initCommand(secret)}\` (it runs \`codex login\` in a private temporary Codex home, encrypts the new login and sets the secret ${secret.name}); (2) re-run the job: the newer login replaces the chain.`;
  }
  return 'To re-seed: (1) on a trusted machine, with cli_auth_credentials_store = "file" in ~/.codex/config.toml, run `codex login`; (2) put ~/.codex/auth.json into the secret passed as \'chatgpt-auth-json\' (e.g. `gh secret set CODEX_AUTH_JSON < ~/.codex/auth.json`), then delete the local copy so the two never refresh the same login; (3) re-run the job: the newer login replaces the chain.';
}

/** How to stop jobs from using one credential at a time (the post step found a copy stored by another job). */
export const SERIALIZE_JOBS =
  'Serialize the jobs that use it: `lease: true` (a lease held from the main step to the post step, across workflows and runners; needs `permissions: contents: write`), ' +
  'or one workflow `concurrency` group per credential-name (see docs/chatgpt-login.md#serializing-jobs in the codex-auth repository); or give each job stream its own credential-name.';
