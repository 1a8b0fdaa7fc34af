// The envelope: the only form in which a credential leaves the runner (cache entry, secret, local store).
//
//   codex-auth:v1:<credential name>:<key id>:<nonce>:<ciphertext>     (one line, base64url fields)
//
// XChaCha20-Poly1305-IETF with a random 24-byte nonce. The associated data binds the format
// version, the credential name and the key id, so an envelope cannot be replayed under another
// name or version. The key id (a keyed BLAKE2b hash of the key, not the key) and the name are in
// the clear only to tell "wrong key" and "another credential" apart from tampering.
import sodium from 'libsodium-wrappers';

const PREFIX = 'codex-auth';
const VERSION = 'v1';
const KEY_ID_CONTEXT = 'codex-auth key id v1';

export type Opened = { ok: true; plaintext: string } | { ok: false; reason: string };

export function looksLikeEnvelope(text: string): boolean {
  return text.trim().startsWith(`${PREFIX}:`);
}

export async function seal(plaintext: string, key: Uint8Array, credentialName: string): Promise<string> {
  await sodium.ready;
  const keyId = await keyIdOf(key);
  const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext,
    associatedData(credentialName, keyId),
    null,
    nonce,
    key
  );
  return [PREFIX, VERSION, credentialName, keyId, b64(nonce), b64(ciphertext)].join(':');
}

export async function open(envelope: string, key: Uint8Array, credentialName: string): Promise<Opened> {
  await sodium.ready;
  const parts = envelope.trim().split(':');
  if (parts[0] !== PREFIX) return { ok: false, reason: 'it is not a codex-auth envelope' };
  if (parts[1] !== VERSION)
    return {
      ok: false,
      reason: `its format version '${parts[1]}' is not supported by this version of the action (expected ${VERSION})`
    };
  if (parts.length !== 6) return { ok: false, reason: 'it is truncated or corrupted (wrong number of fields)' };
  const [, , name, keyId, nonceText, ciphertextText] = parts;
  if (name !== credentialName)
    return { ok: false, reason: `it belongs to credential '${name}', not '${credentialName}'` };
  if (keyId !== (await keyIdOf(key))) return { ok: false, reason: 'it was encrypted with a different encryption-key' };
  const nonce = unb64(nonceText);
  const ciphertext = unb64(ciphertextText);
  if (
    !nonce ||
    nonce.length !== sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
    !ciphertext ||
    ciphertext.length <= sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES
  ) {
    return { ok: false, reason: 'it is truncated or corrupted' };
  }
  try {
    const plaintext = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      ciphertext,
      associatedData(name, keyId),
      nonce,
      key,
      'text'
    );
    return { ok: true, plaintext };
  } catch {
    return { ok: false, reason: 'it failed authentication: it was tampered with or corrupted' };
  }
}

async function keyIdOf(key: Uint8Array): Promise<string> {
  await sodium.ready;
  return b64(sodium.crypto_generichash(9, sodium.from_string(KEY_ID_CONTEXT), key));
}

function associatedData(credentialName: string, keyId: string): Uint8Array {
  return sodium.from_string([PREFIX, VERSION, credentialName, keyId].join(':'));
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function unb64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64url'));
}
