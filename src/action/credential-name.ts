// The credential name (`credential-name`, init's `--credential-name`). It keys the stores, the lease
// and the lock, and the envelope is sealed to it, so all of them accept the same names. No imports.

export const DEFAULT_CREDENTIAL_NAME = 'default';

/** How messages describe a valid name. */
export const CREDENTIAL_NAME_RULE = '1 to 64 letters, digits, hyphens or underscores';

export function isCredentialName(name: string): boolean {
  return /^[A-Za-z0-9_-]{1,64}$/.test(name);
}
