// The job summary of workload-identity mode: the claims of the job's GitHub token that the
// federation rule is matched against, so a rule that does not match can be fixed from the run's
// page. Never the token itself (claims are not secret: GitHub documents them, they name the
// repository, ref and workflow).
import { MATCHED_CLAIMS } from './oidc.js';

export function claimsTable(claims: Record<string, unknown>): string {
  const cell = (value: unknown) =>
    value === undefined || value === '' ? '_(not set)_' : `\`${String(value).replace(/[`|\n]/g, ' ')}\``;
  return [
    '| Claim | Value in this job |',
    '| --- | --- |',
    ...MATCHED_CLAIMS.map((name) => `| \`${name}\` | ${cell(claims[name])} |`)
  ].join('\n');
}

export function renderWorkloadIdentitySummary(options: {
  ruleId: string;
  audience: string;
  claims: Record<string, unknown>;
  verified: boolean;
}): string {
  return [
    '### Codex auth: workload identity',
    '',
    `Codex exchanges this job's GitHub OIDC token (audience \`${options.audience}\`) with OpenAI under the federation rule \`${options.ruleId}\`; no credential is stored. ${options.verified ? 'The exchange was checked in this step (`verify: true`).' : 'The first exchange happens when Codex runs (set `verify: true` to check it here).'} A keeper process renews the token file until the post step.`,
    '',
    'The claims the rule is matched against:',
    '',
    claimsTable(options.claims),
    ''
  ].join('\n');
}
