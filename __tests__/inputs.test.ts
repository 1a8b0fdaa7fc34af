// Inputs are parsed once, before any side effect; every error names the input and the fix.
import { parseInputs, secretInputs } from '../src/inputs.js';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3)).toString('base64');
const ctx = { workspace: '/work/app', home: '/home/runner' };
const reader = (values: Record<string, string>) => (name: string) => values[name] ?? '';

test('API-key mode is the default', () => {
  expect(parseInputs(reader({ 'openai-api-key': ' sk-1 ' }), ctx)).toEqual({ inputs: { mode: 'api-key', apiKey: 'sk-1', codexHome: undefined }, warnings: [] });
});

test('codex-home: ~ is the runner home; relative paths and the workspace are refused', () => {
  expect(parseInputs(reader({ 'openai-api-key': 'k', 'codex-home': '~/.codex' }), ctx).inputs.codexHome).toBe('/home/runner/.codex');
  expect(() => parseInputs(reader({ 'openai-api-key': 'k', 'codex-home': '/work/app/sub/../.codex' }), ctx)).toThrow(/^Input 'codex-home': .* is inside the workspace/);
  expect(() => parseInputs(reader({ 'openai-api-key': 'k', 'codex-home': '.codex' }), ctx)).toThrow(/relative path/);
});

test('ChatGPT mode needs a real 32-byte key, and says how to make one', () => {
  const base = { 'auth-mode': 'chatgpt', 'chatgpt-auth-json': '{}' };
  expect(() => parseInputs(reader(base), ctx)).toThrow(/^Input 'encryption-key': is empty.*openssl rand -base64 32/);
  expect(() => parseInputs(reader({ ...base, 'encryption-key': 'hunter2' }), ctx)).toThrow(/must be 32 random bytes.*openssl rand -base64 32/);
  expect(() => parseInputs(reader({ ...base, 'encryption-key': Buffer.alloc(32, 1).toString('base64') }), ctx)).toThrow(/is not random/);
  const parsed = parseInputs(reader({ ...base, 'encryption-key': KEY }), ctx).inputs;
  expect(parsed).toMatchObject({ mode: 'chatgpt', credentialName: 'default', allowPublicRepository: false, onSaveFailure: 'fail' });
});

test.each([
  ['credential-name', 'a.b', /^Input 'credential-name': 'a.b' is not a valid name/],
  ['dangerously-allow-public-repository', 'yes', /^Input 'dangerously-allow-public-repository': 'yes' is not a boolean/],
  ['on-save-failure', 'ignore', /^Input 'on-save-failure': 'ignore' is not a valid value\. Use one of: fail, warn\./],
  ['workspace-id', 'ws 1', /^Input 'workspace-id': 'ws 1' is not a workspace id/]
])('%s=%s is refused', (name, value, message) => {
  expect(() => parseInputs(reader({ 'auth-mode': 'chatgpt', 'encryption-key': KEY, [name]: value }), ctx)).toThrow(message);
});

test('secret inputs are listed for masking; a multi-line seed is not (its tokens are masked once parsed)', () => {
  expect(secretInputs(reader({ 'openai-api-key': 'sk-1', 'encryption-key': KEY, 'chatgpt-auth-json': '{\n "a": 1\n}' }))).toEqual(['sk-1', KEY]);
  expect(secretInputs(reader({ 'chatgpt-auth-json': 'eyJhIjoxfQ==' }))).toEqual(['eyJhIjoxfQ==']);
});
