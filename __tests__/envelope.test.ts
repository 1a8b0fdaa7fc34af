// The envelope: the only form in which a credential leaves the runner.
import { open, seal } from '../src/chatgpt/login/envelope.js';

const key = new Uint8Array(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256));
const otherKey = new Uint8Array(Array.from({ length: 32 }, (_, i) => (i * 53 + 7) % 256));
const secret = JSON.stringify({ auth_mode: 'chatgpt', tokens: { refresh_token: 'rt-secret-value' } }, null, 2);

test('round trip, one line, nothing of the plaintext visible, a fresh nonce every time', async () => {
  const a = await seal(secret, key, 'default');
  const b = await seal(secret, key, 'default');
  expect(a).not.toEqual(b);
  expect(a).not.toContain('\n');
  expect(a).not.toContain('rt-secret-value');
  expect(a).toMatch(/^codex-auth:v1:default:[\w-]+:[\w-]{32}:[\w-]+$/);
  await expect(open(a, key, 'default')).resolves.toEqual({ ok: true, plaintext: secret });
});

test.each([
  ['a wrong key', async (e: string) => open(e, otherKey, 'default'), /different encryption-key/],
  [
    "another credential's envelope",
    async (e: string) => open(e, key, 'nightly'),
    /belongs to credential 'default', not 'nightly'/
  ],
  [
    'a flipped ciphertext byte',
    async (e: string) => open(e.slice(0, -2) + (e.at(-2) === 'A' ? 'B' : 'A') + e.at(-1), key, 'default'),
    /tampered with or corrupted/
  ],
  [
    'a renamed credential (header edited)',
    async (e: string) => open(e.replace(':default:', ':nightly:'), key, 'nightly'),
    /tampered with or corrupted/
  ],
  [
    'truncation inside the ciphertext',
    async (e: string) => open(e.slice(0, e.length - 30), key, 'default'),
    /tampered with or corrupted|truncated/
  ],
  [
    'truncation of whole fields',
    async (e: string) => open(e.split(':').slice(0, 5).join(':'), key, 'default'),
    /truncated or corrupted/
  ],
  [
    'a future format version',
    async (e: string) => open(e.replace(':v1:', ':v2:'), key, 'default'),
    /format version 'v2' is not supported/
  ],
  ['not an envelope at all', async () => open('{"auth_mode":"chatgpt"}', key, 'default'), /not a codex-auth envelope/]
])('%s is detected and reported as such', async (_name, attempt, reason) => {
  const envelope = await seal(secret, key, 'default');
  const result = await attempt(envelope);
  expect(result.ok).toBe(false);
  expect(!result.ok && result.reason).toMatch(reason);
  expect(JSON.stringify(result)).not.toContain('rt-secret-value');
});
