// Credentials Codex takes from the environment before auth.json: when one is set, Codex does not use
// the credential the action writes. The one list, and the one warning, for every mode.
//
// Observed with the pinned Codex 0.171.0 (`codex login status` and `codex exec` on a ChatGPT auth.json
// with each variable set; __tests__/codex-overrides.test.ts repeats it against the binary), the names
// found among the binary's strings:
// - CODEX_API_KEY: `codex exec` sends it instead of auth.json's login (`login status` ignores it); an
//   empty value is ignored.
// - CODEX_ACCESS_TOKEN: every command uses it instead (an `at-…` personal access token, else an agent
//   identity JWT); an empty value is ignored.
// - OPENAI_FEDERATION_RULE_ID, OPENAI_IDENTITY_TOKEN_FILE, OPENAI_IDENTITY_TOKEN_SOURCE,
//   OPENAI_SPIFFE_ID, OPENAI_SPIFFE_AUDIENCE: any of them, even empty, selects workload identity
//   (and fails when the rest of its settings are missing).
// Read but not overriding: OPENAI_API_KEY (not used for authentication), OPENAI_WORKLOAD_IDENTITY_CONTEXT
// and SPIFFE_ENDPOINT_SOCKET alone.

export interface CredentialOverride {
  /** The variables; any one set is enough. */
  names: readonly string[];
  /** Whether an empty value counts (Codex treats it as set). */
  emptyCounts: boolean;
  /** What Codex does instead of reading auth.json. */
  effect: string;
}

export const CREDENTIAL_OVERRIDES: readonly CredentialOverride[] = [
  { names: ['CODEX_API_KEY'], emptyCounts: false, effect: '`codex exec` uses it as an API key' },
  { names: ['CODEX_ACCESS_TOKEN'], emptyCounts: false, effect: 'every Codex command uses it as an access token' },
  {
    names: [
      'OPENAI_FEDERATION_RULE_ID',
      'OPENAI_IDENTITY_TOKEN_FILE',
      'OPENAI_IDENTITY_TOKEN_SOURCE',
      'OPENAI_SPIFFE_ID',
      'OPENAI_SPIFFE_AUDIENCE'
    ],
    emptyCounts: true,
    effect: 'Codex uses workload identity (and fails if its other settings are missing)'
  }
];

/**
 * One warning per override set in `env`, saying that Codex will not use `credential` (e.g. "the
 * ChatGPT login"). `exempt`: the mode's own variables (a mode that sets them on purpose).
 */
export function overrideWarnings(env: NodeJS.ProcessEnv, credential: string, exempt: readonly string[] = []): string[] {
  const warnings: string[] = [];
  for (const override of CREDENTIAL_OVERRIDES) {
    const set = override.names.filter(
      (name) => !exempt.includes(name) && env[name] !== undefined && (override.emptyCounts || env[name] !== '')
    );
    if (set.length === 0) continue;
    const which = set.length === 1 ? `${set[0]} is` : `${set.join(', ')} are`;
    warnings.push(
      `${which} set in the environment: ${override.effect} instead of ${credential} in CODEX_HOME/auth.json. Remove ${set.length === 1 ? 'it' : 'them'} from the job's env to use ${credential}.`
    );
  }
  return warnings;
}
