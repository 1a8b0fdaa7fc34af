// `auth-mode: chatgpt`: the login, its key and name, what a login must match, what to do when saving
// fails, and how it is renewed. Where it is kept and how jobs take turns: ./chatgpt-store-inputs.ts.
import { InputError } from './errors.js';
import { ISSUER_URL_RULE, issuerUrl } from './issuer-url.js';
import type { SecretTarget } from '../stores/secret.js';
import { decodeKey, KEY_COMMAND } from './encryption-key.js';
import { CREDENTIAL_NAME_RULE, DEFAULT_CREDENTIAL_NAME, isCredentialName } from './credential-name.js';
import { INPUT_DEFAULTS, SAVE_FAILURE_MODES, SECRET_NAMES, type SaveFailureMode } from './constants.js';
import {
  notDecimal,
  oneLine,
  parseBoolean,
  parseChoice,
  parseMinutes,
  type InputGetter,
  type ParseContext,
  type Parsed
} from './input-values.js';
import {
  parseLease,
  parseLocalStore,
  parseSecretWriteBack,
  type LeaseSettings,
  type LocalStoreSettings
} from './chatgpt-store-inputs.js';

const RENEWAL_MODES = ['ahead', 'in-job'] as const;
/** Real access tokens live about 9-10 days: a longer window would renew on every job. */
const MAX_RENEW_BEFORE_HOURS = 192;

export interface ChatGptInputs {
  mode: 'chatgpt';
  /** `codex-home`: a directory chosen by the user, or undefined for a private one. */
  codexHome: string | undefined;
  /** The seed as given (raw JSON, base64 of it, or an envelope); decoded later. Never logged. */
  seed: string | undefined;
  encryptionKey: Uint8Array;
  credentialName: string;
  workspaceId: string | undefined;
  /** `oauth-issuer`: the one issuer besides Codex's a login's oauth_provenance may name (explicit opt-in). */
  oauthIssuer: string | undefined;
  allowPublicRepository: boolean;
  onSaveFailure: SaveFailureMode;
  /** What the post step does when Codex could not renew the login (src/chatgpt/keep/after-codex.ts). */
  onRefreshFailure: SaveFailureMode;
  /**
   * The secret the seed is read from, when `secret-name` is set: write access is proven in the
   * main step and the refreshed login is written back to it in the post step. Undefined: no
   * write-back.
   */
  secret: SecretTarget | undefined;
  /** `lease: true`: the lease serializing every job that uses this credential (src/mutex/lease.ts). */
  lease: LeaseSettings | undefined;
  /** `local-store: true`: the runner-local store and its lock (src/stores/local.ts, src/mutex/lock.ts). */
  localStore: LocalStoreSettings | undefined;
  /** `renewal` and `renew-before-hours` (src/chatgpt/renewal/rule.ts). */
  renewal: RenewalSettings;
  /**
   * `github-token` (default: the workflow's GITHUB_TOKEN): reads the repository's visibility and
   * default branch when the event payload does not carry them (src/action/event.ts). Masked; never logged.
   */
  githubToken: string;
}

interface RenewalSettings {
  /**
   * `ahead` (default): the main step renews a login whose access token expires within `windowMs`,
   * once, serialized, and Codex gets a copy without the refresh token; the post step saves nothing.
   * `in-job`: Codex gets the whole login, may refresh it, and the post step saves it.
   */
  mode: (typeof RENEWAL_MODES)[number];
  /** `renew-before-hours`, in ms. */
  windowMs: number;
  /**
   * `min-token-minutes`, in ms: a due login this job may not renew (src/chatgpt/renewal/without-renewing.ts)
   * runs with its access token only if that lasts longer than this.
   */
  minTokenMs: number;
}

/** `seed` is `chatgpt-auth-json` as given: the one input that may span lines. */
export function parseChatGpt(
  get: InputGetter,
  seed: string,
  codexHome: string | undefined,
  ctx: ParseContext
): Parsed<ChatGptInputs> {
  const { encryptionKey, credentialName } = parseKeyAndName(get);
  const workspaceId = parseWorkspaceId(get('workspace-id'));
  const oauthIssuer = parseIssuer(get('oauth-issuer'));
  const allowPublicRepository = parseBoolean(get, 'dangerously-allow-public-repository');
  const onSaveFailure = parseChoice(get, 'on-save-failure', SAVE_FAILURE_MODES, 'fail');
  const onRefreshFailure = parseChoice(get, 'on-refresh-failure', SAVE_FAILURE_MODES, 'fail');
  const warnings: string[] = [];
  const secret = parseSecretWriteBack(get, ctx.env ?? {}, warnings);
  const lease = parseLease(get, ctx.env ?? {}, warnings);
  const localStore = parseLocalStore(get, ctx, warnings);
  const renewal = parseRenewal(get);
  if (secret && !seed.trim()) {
    warnings.push(
      `'secret-name' is set (${secret.name}) but 'chatgpt-auth-json' is empty: pass the same secret, \`chatgpt-auth-json: \${{ secrets.${secret.name} }}\`, so the action reads the copy it writes back. (Empty is expected only when the secret does not exist yet.)`
    );
  }
  const inputs: ChatGptInputs = {
    mode: 'chatgpt',
    codexHome,
    seed: seed.trim() ? seed : undefined,
    encryptionKey,
    credentialName,
    workspaceId,
    oauthIssuer,
    allowPublicRepository,
    onSaveFailure,
    onRefreshFailure,
    secret,
    lease,
    localStore,
    renewal,
    githubToken: parseGithubToken(get)
  };
  return { inputs, warnings };
}

/** `encryption-key` (required) and `credential-name`: the envelope is sealed with the one, to the other. */
function parseKeyAndName(get: InputGetter): { encryptionKey: Uint8Array; credentialName: string } {
  const rawKey = get('encryption-key');
  if (!rawKey) {
    throw new InputError(
      'encryption-key',
      'is empty; ChatGPT mode stores the credential encrypted and needs a key.',
      `Create one with \`${KEY_COMMAND}\`, store it as a secret and pass it, e.g. \`encryption-key: \${{ secrets.${SECRET_NAMES.key} }}\`.`
    );
  }
  const encryptionKey = decodeKey(rawKey);
  const credentialName = get('credential-name') || DEFAULT_CREDENTIAL_NAME;
  if (!isCredentialName(credentialName)) {
    throw new InputError('credential-name', `'${credentialName}' is not a valid name.`, `Use ${CREDENTIAL_NAME_RULE}.`);
  }
  return { encryptionKey, credentialName };
}

function parseWorkspaceId(raw: string): string | undefined {
  if (raw && !/^[A-Za-z0-9_-]+$/.test(raw)) {
    throw new InputError(
      'workspace-id',
      `'${raw}' is not a workspace id.`,
      'Give the ChatGPT workspace (account) id, e.g. the `chatgpt_account_id` of your login, or leave it empty.'
    );
  }
  return raw || undefined;
}

function parseIssuer(raw: string): string | undefined {
  if (!raw) return undefined;
  const issuer = issuerUrl(raw);
  if (issuer) return issuer;
  throw new InputError(
    'oauth-issuer',
    `is not ${ISSUER_URL_RULE}.`,
    "Give the issuer as a login's tokens.oauth_provenance.issuer names it (e.g. https://auth.example.com), or leave it empty for Codex's own."
  );
}

/** `renewal`, `renew-before-hours` and `min-token-minutes`. */
function parseRenewal(get: InputGetter): RenewalSettings {
  const mode = parseChoice(get, 'renewal', RENEWAL_MODES, 'ahead');
  const value = get('renew-before-hours') || INPUT_DEFAULTS['renew-before-hours'];
  const hours = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  const fix = `Give more than 0 and at most ${MAX_RENEW_BEFORE_HOURS} hours, longer than your longest job (default 24).`;
  if (Number.isNaN(hours)) throw new InputError('renew-before-hours', notDecimal(value, 'hours'), fix);
  if (hours === 0)
    throw new InputError(
      'renew-before-hours',
      'is 0: the login would be renewed only once expired, while jobs still use it.',
      fix
    );
  if (hours > MAX_RENEW_BEFORE_HOURS) {
    throw new InputError(
      'renew-before-hours',
      `${value} hours is more than ${MAX_RENEW_BEFORE_HOURS} (8 days): ChatGPT access tokens live about 9-10 days, so every job would renew.`,
      fix
    );
  }
  const minTokenMs = parseMinutes(get, 'min-token-minutes', {
    fix: "e.g. 120: longer than this job runs, so that Codex's access token outlasts it"
  });
  return { mode, windowMs: Math.round(hours * 3_600_000), minTokenMs };
}

/** `github-token`: may be empty (then a payload without the repository's visibility fails the job, src/action/event.ts). */
function parseGithubToken(get: InputGetter): string {
  const token = get('github-token');
  if (token) oneLine('github-token', token, 'token');
  return token;
}
