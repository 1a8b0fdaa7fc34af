// The seed input: the auth.json from `codex login` as raw JSON, base64 of it, or an envelope.
import { looksLikeEnvelope, open } from './envelope.js';

export type DecodedSeed = { ok: true; text: string } | { ok: false; reason: string };

export async function decodeSeed(raw: string, key: Uint8Array, credentialName: string): Promise<DecodedSeed> {
  const value = raw.trim();
  if (looksLikeEnvelope(value)) {
    const opened = await open(value, key, credentialName);
    return opened.ok
      ? { ok: true, text: opened.plaintext }
      : { ok: false, reason: `the envelope could not be opened: ${opened.reason}` };
  }
  if (value.startsWith('{')) return { ok: true, text: value };
  if (/^[A-Za-z0-9+/=_\-\s]+$/.test(value)) {
    const decoded = Buffer.from(
      value.replace(/\s/g, ''),
      value.includes('-') || value.includes('_') ? 'base64url' : 'base64'
    )
      .toString('utf8')
      .trim();
    if (decoded.startsWith('{')) return { ok: true, text: decoded };
  }
  return { ok: false, reason: 'it is not JSON, base64 of JSON, or a codex-auth envelope' };
}
