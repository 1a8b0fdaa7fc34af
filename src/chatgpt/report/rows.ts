// The job summary's facts about the copies (src/chatgpt/report/summary.ts renders them): a row per
// reading, the store each copy is reported as, and why the chosen one won.
import type { ReseedMark } from '../login/reseed-mark.js';
import type { Reading, Source } from '../restore/readings.js';
import type { StoreName, StoreReading } from './summary.js';

/** With secret-name set, the seed input is the secret's copy. */
export function reportedSource(source: Source, hasSecret: boolean): StoreName {
  return source === 'seed' && hasSecret ? 'secret' : source;
}

/** Why the chosen copy won, for the summary. */
export function whyChosen(usable: number, mark: ReseedMark | undefined): string {
  if (mark)
    return `it is newer than the login marked as needing a re-seed (last_refresh ${mark.login_last_refresh}), which it replaces`;
  return usable > 1 ? 'the freshest of the usable copies (latest last_refresh)' : 'the only usable copy';
}

/** One row of the job summary from a reading (no token: only times and the reasons the judges wrote). */
export function summaryRow(r: Reading, mark: ReseedMark | undefined, hasSecret: boolean): StoreReading {
  const store = reportedSource(r.source, hasSecret);
  if (mark)
    return {
      store,
      status: 'needs-reseed',
      lastRefresh: mark.login_last_refresh,
      reason: `renewing it failed (${mark.cause})`
    };
  const status = r.status === 'usable' ? 'usable' : r.status === 'empty' ? 'empty' : 'unreadable';
  return {
    store,
    status,
    ...(r.credential
      ? { lastRefresh: r.credential.lastRefreshText, accessTokenExpiresAt: r.credential.accessTokenExpiresAt }
      : {}),
    ...(r.reason ? { reason: r.reason } : {})
  };
}
