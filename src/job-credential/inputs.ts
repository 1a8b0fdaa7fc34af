// `auth-mode: api-key` (the default) and `auth-mode: access-token`: one secret each, checked for its
// shape only (OpenAI and Codex check it online). The value is never quoted in a message.
import { InputError } from '../action/errors.js';
import { CHATGPT_ONLY_INPUTS, WORKLOAD_IDENTITY_INPUTS } from '../action/constants.js';
import { ignoring, oneLine, type InputGetter, type Parsed } from '../action/input-values.js';

export interface ApiKeyInputs {
  mode: 'api-key';
  /** `codex-home`: a directory chosen by the user, or undefined for a private one. */
  codexHome: string | undefined;
  apiKey: string;
}

/** `auth-mode: access-token`: a Codex access token (`at-…`) of a ChatGPT Business/Enterprise workspace. */
export interface AccessTokenInputs {
  mode: 'access-token';
  /** `codex-home`: a directory chosen by the user, or undefined for a private one. */
  codexHome: string | undefined;
  accessToken: string;
}

export function parseApiKey(get: InputGetter, codexHome: string | undefined): Parsed<ApiKeyInputs> {
  const apiKey = get('openai-api-key');
  if (!apiKey) {
    throw new InputError(
      'openai-api-key',
      'is empty, and auth-mode is api-key (the default).',
      'Pass a key, e.g. `openai-api-key: ${{ secrets.OPENAI_API_KEY }}`, and check that the secret exists and is available to this workflow (secrets are not passed to workflows triggered from forks); or set `auth-mode: chatgpt`.'
    );
  }
  if (looksLikeChatGptLogin(apiKey)) {
    throw new InputError(
      'openai-api-key',
      'holds a ChatGPT login (an auth.json from `codex login`, or an envelope of one), not an API key; it would be written as the key and fail.',
      'Use `auth-mode: chatgpt` and pass the login as `chatgpt-auth-json` (with an `encryption-key`), or pass an OpenAI API key here.'
    );
  }
  oneLine('openai-api-key', apiKey, 'key');
  const warnings = ignoring(
    get,
    [...CHATGPT_ONLY_INPUTS, ...WORKLOAD_IDENTITY_INPUTS, 'codex-access-token'],
    'a ChatGPT login is used only with `auth-mode: chatgpt`; this step uses the API key.'
  );
  return { inputs: { mode: 'api-key', apiKey, codexHome }, warnings };
}

/** The token Codex accepts from `codex login --with-access-token`. */
export function parseAccessToken(get: InputGetter, codexHome: string | undefined): Parsed<AccessTokenInputs> {
  const token = get('codex-access-token');
  const input = 'codex-access-token';
  const example =
    'Pass the access token your ChatGPT workspace issued for automation, e.g. `codex-access-token: ${{ secrets.CODEX_ACCESS_TOKEN }}`';
  if (!token) {
    throw new InputError(
      input,
      'is empty, and auth-mode is access-token.',
      `${example}, and check that the secret exists and is available to this workflow (secrets are not passed to workflows triggered from forks).`
    );
  }
  if (token.startsWith('{')) {
    throw new InputError(
      input,
      'holds JSON (a ChatGPT login, auth.json?), not an access token.',
      'For a login from `codex login`, use `auth-mode: chatgpt` with `chatgpt-auth-json`; for an access token, pass the `at-…` value alone.'
    );
  }
  if (/^sk-/.test(token)) {
    throw new InputError(
      input,
      'holds an OpenAI API key (sk-…), not a Codex access token.',
      'For an API key, use `auth-mode: api-key` with `openai-api-key`; for an access token, pass the `at-…` value.'
    );
  }
  oneLine(input, token, 'token');
  if (!token.startsWith('at-')) {
    throw new InputError(input, 'is not a Codex access token (they start with `at-`).', `${example}.`);
  }
  const warnings = ignoring(
    get,
    [...CHATGPT_ONLY_INPUTS, ...WORKLOAD_IDENTITY_INPUTS, 'openai-api-key'],
    'this step uses the access token (`auth-mode: access-token`).'
  );
  return { inputs: { mode: 'access-token', accessToken: token, codexHome }, warnings };
}

/** An auth.json (raw JSON or base64 of it) or a codex-auth envelope: what `chatgpt-auth-json` takes. */
function looksLikeChatGptLogin(value: string): boolean {
  if (value.startsWith('codex-auth:')) return true;
  const json = value.startsWith('{')
    ? value
    : /^[A-Za-z0-9+/=_-]{40,}$/.test(value)
      ? Buffer.from(value, 'base64').toString('utf8').trim()
      : '';
  return json.startsWith('{') && /"(auth_mode|tokens|refresh_token)"\s*:/.test(json);
}
