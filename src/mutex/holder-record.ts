// The record a mutex holder writes (the lease's commit message, the lock's file): JSON with an
// expiry and a holder, checked here alike for both; each adds its own checks (version, token).

/** The record in `text` if it is JSON with a valid `expiresAt` and a `holder` object and passes `valid`. */
export function parseHolderRecord<T extends { expiresAt: string; holder: object }>(
  text: unknown,
  valid: (record: T) => boolean
): T | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const record = JSON.parse(text) as T | null;
    if (!record || Number.isNaN(Date.parse(record.expiresAt)) || typeof record.holder !== 'object' || !record.holder)
      return undefined;
    return valid(record) ? record : undefined;
  } catch {
    return undefined;
  }
}
