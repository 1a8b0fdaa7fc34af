// The encryption key: 32 random bytes in base64, whether the user made it (`encryption-key`) or
// `codex-auth init` generated it. One bar for both: fewer than 8 distinct bytes is a pattern, not a
// random key.
import { InputError } from './errors.js';

export const KEY_BYTES = 32;
/** The command the messages suggest for making a key. */
export const KEY_COMMAND = 'openssl rand -base64 32';

/** Whether `bytes` could be a random key (not, e.g., 32 zero bytes). */
export function looksRandom(bytes: Uint8Array): boolean {
  return new Set(bytes).size >= 8;
}

/** `encryption-key`: exactly 32 random bytes, base64; nothing weaker is accepted. */
export function decodeKey(raw: string): Uint8Array {
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
  if (bytes.length !== KEY_BYTES) {
    throw new InputError(
      'encryption-key',
      'must be 32 random bytes in base64 (44 characters); the value given is not.',
      `Create one with \`${KEY_COMMAND}\` and store it as a secret.`
    );
  }
  if (!looksRandom(bytes)) {
    throw new InputError(
      'encryption-key',
      'is not random (too few distinct bytes).',
      `Create one with \`${KEY_COMMAND}\`.`
    );
  }
  return new Uint8Array(bytes);
}
