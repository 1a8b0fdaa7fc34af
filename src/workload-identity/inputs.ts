// `auth-mode: workload-identity`: its inputs, checked before anything is requested. The limits are
// OpenAI's documented ones (developers.openai.com, codex/enterprise/workload-identity): the rule id
// `idpm_…`, the context's `instance_id` (required), `display_name` and at most 8 `labels`, at most
// 1,024 bytes. Nothing here is secret.
import { InputError } from '../action/errors.js';
import { CHATGPT_ONLY_INPUTS } from '../action/constants.js';
import { ignoring, parseBoolean, type InputGetter, type Parsed } from '../action/input-values.js';

export interface WorkloadIdentityInputs {
  mode: 'workload-identity';
  /** `codex-home`: a directory chosen by the user, or undefined for a private one. */
  codexHome: string | undefined;
  /** `federation-rule-id`: OPENAI_FEDERATION_RULE_ID. */
  ruleId: string;
  /** `audience`: the audience configured on the OpenAI provider, sent as is (URL-encoded once by us). */
  audience: string;
  /** `workload-context`: compact JSON for OPENAI_WORKLOAD_IDENTITY_CONTEXT, or undefined. */
  context: string | undefined;
  /** `verify: true`: exchange once in the main step. */
  verify: boolean;
  /** The job's OIDC request endpoint (ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN); the token is masked. */
  request: { url: string; token: string };
}

const CONTEXT_MAX_BYTES = 1024;
const CONTEXT_MAX_LABELS = 8;
const CONTEXT_KEYS = ['instance_id', 'display_name', 'labels'];
const RULE_ID = /^idpm_[A-Za-z0-9_-]{1,128}$/;

export function parseWorkloadIdentity(
  get: InputGetter,
  codexHome: string | undefined,
  env: NodeJS.ProcessEnv
): Parsed<WorkloadIdentityInputs> {
  const ruleId = get('federation-rule-id');
  if (!ruleId) {
    throw new InputError(
      'federation-rule-id',
      'is empty, and auth-mode is workload-identity.',
      "Give the federation rule's id from OpenAI's Admin Portal (Workload identity → your provider → the rule), e.g. `federation-rule-id: idpm_…`; it is not a secret (a repository variable is fine)."
    );
  }
  if (!RULE_ID.test(ruleId)) {
    throw new InputError(
      'federation-rule-id',
      `'${ruleId.slice(0, 40)}' is not a federation rule id (they look like \`idpm_…\`: letters, digits, '_' and '-').`,
      "Copy the rule's id from OpenAI's Admin Portal, not the provider's id or its name."
    );
  }
  const audience = parseAudience(get('audience'));
  const context = parseContext(get('workload-context'));
  const verify = parseBoolean(get, 'verify');
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '';
  const token = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? '';
  if (!url || !token) {
    throw new InputError(
      'auth-mode',
      'is workload-identity, but this job cannot request an OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set).',
      'Give the job `permissions: id-token: write` (with `contents: read` if it checks out code). GitHub never grants it to pull requests from forks.'
    );
  }
  const warnings = ignoring(
    get,
    [...CHATGPT_ONLY_INPUTS, 'openai-api-key', 'codex-access-token'],
    'this step uses workload identity (`auth-mode: workload-identity`); no stored credential is read.'
  );
  return {
    inputs: { mode: 'workload-identity', codexHome, ruleId, audience, context, verify, request: { url, token } },
    warnings
  };
}

function parseAudience(audience: string): string {
  const fix =
    "Give the audience exactly as configured on the workload identity provider in OpenAI's Admin Portal (not URL-encoded; the action encodes it).";
  if (!audience) throw new InputError('audience', 'is empty, and auth-mode is workload-identity.', fix);
  if (/%[0-9A-Fa-f]{2}/.test(audience)) {
    throw new InputError(
      'audience',
      `'${audience}' is already URL-encoded: it would be encoded again and match no rule.`,
      fix
    );
  }
  // RFC 3986's unreserved and reserved characters only: anything else (space, quotes, <>, {}, |, \)
  // is not what a provider's audience holds and would be changed on the way.
  const bad = /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]/.exec(audience);
  if (bad) {
    throw new InputError(
      'audience',
      `contains ${JSON.stringify(bad[0])}, which an audience cannot hold.`,
      `${fix} Check for a stray space or quote.`
    );
  }
  if (audience.length > 1024) throw new InputError('audience', 'is longer than 1024 characters.', fix);
  return audience;
}

/** The context as Codex will send it: a JSON object within OpenAI's limits, re-serialized compactly. */
function parseContext(raw: string): string | undefined {
  if (!raw) return undefined;
  const input = 'workload-context';
  const example =
    'e.g. `workload-context: \'{"instance_id": "${{ github.run_id }}-${{ github.run_attempt }}", "display_name": ${{ toJSON(github.workflow) }}, "labels": {"repo": "${{ github.repository }}"}}\'`';
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (error) {
    throw new InputError(input, `is not JSON (${(error as Error).message}).`, `Give a JSON object, ${example}.`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new InputError(input, 'is JSON but not an object.', `Give a JSON object, ${example}.`);
  const object = doc as Record<string, unknown>;
  const unknown = Object.keys(object).filter((key) => !CONTEXT_KEYS.includes(key));
  if (unknown.length) {
    throw new InputError(
      input,
      `has ${unknown.map((k) => `'${k}'`).join(', ')}, which OpenAI does not accept (the exchange would fail with invalid_grant).`,
      `Use only instance_id (required), display_name and labels, ${example}.`
    );
  }
  if (typeof object.instance_id !== 'string' || !object.instance_id.trim())
    throw new InputError(input, 'has no instance_id (a non-empty string).', `Add one, ${example}.`);
  if (object.display_name !== undefined && typeof object.display_name !== 'string')
    throw new InputError(input, 'has a display_name that is not a string.', `Make it a string, ${example}.`);
  if (object.labels !== undefined) {
    const labels = object.labels;
    if (!labels || typeof labels !== 'object' || Array.isArray(labels))
      throw new InputError(input, 'has labels that are not an object of strings.', `Give labels as {"name": "value"}.`);
    const entries = Object.entries(labels as Record<string, unknown>);
    if (entries.length > CONTEXT_MAX_LABELS)
      throw new InputError(
        input,
        `has ${entries.length} labels; OpenAI accepts at most ${CONTEXT_MAX_LABELS}.`,
        'Keep the 8 that matter.'
      );
    if (entries.some(([, value]) => typeof value !== 'string'))
      throw new InputError(input, 'has a label whose value is not a string.', 'Quote every label value.');
  }
  const compact = JSON.stringify(object);
  const bytes = Buffer.byteLength(compact);
  if (bytes > CONTEXT_MAX_BYTES) {
    throw new InputError(
      input,
      `is ${bytes} bytes once compacted; OpenAI accepts at most ${CONTEXT_MAX_BYTES}.`,
      'Shorten display_name or the labels.'
    );
  }
  return compact;
}
