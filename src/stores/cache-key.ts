// The Actions-cache key of a credential's login entries, in one place for the store and for the
// messages that tell a user which entries to delete. No imports: pure code may use it.

/** Every login entry of a credential starts with this (the rest: last_refresh and a random part). */
export function cacheKeyPrefix(credentialName: string): string {
  return `codex-auth-v1.${credentialName}.`;
}
