// A stored envelope, opened: a login copy, or a re-seed mark in its place (both are sealed alike, so
// only a holder of the encryption key can write either). The main step, the post step and a renewal
// all open stored copies here.
import { open } from '../login/envelope.js';
import { parseMark, type ReseedMark } from '../login/reseed-mark.js';

export type Stored =
  /** The envelope did not open (another key or credential, tampered with, truncated): `reason` says which. */
  | { kind: 'unreadable'; reason: string }
  /** A re-seed mark: the chain is dead (src/chatgpt/login/reseed-mark.ts). */
  | { kind: 'mark'; mark: ReseedMark; text: string }
  /** Anything else: a login copy, still to be judged. */
  | { kind: 'login'; text: string };

export async function openStored(envelope: string, key: Uint8Array, credentialName: string): Promise<Stored> {
  const opened = await open(envelope, key, credentialName);
  if (!opened.ok) return { kind: 'unreadable', reason: opened.reason };
  const mark = parseMark(opened.plaintext);
  return mark ? { kind: 'mark', mark, text: opened.plaintext } : { kind: 'login', text: opened.plaintext };
}
