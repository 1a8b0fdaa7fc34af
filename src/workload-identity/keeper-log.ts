// The keeper's log: one JSON line per event in a 0600 file beside the token, read by the post step.
// Events carry times and messages only, never a token value.
import { appendFileSync, readFileSync } from 'node:fs';

export interface KeeperEvent {
  at: string;
  event: 'started' | 'wrote' | 'failed' | 'expired' | 'gave-up' | 'stopped';
  /** The expiry of the token concerned (RFC 3339). */
  expiresAt?: string;
  detail?: string;
}

export function appendEvent(file: string, event: KeeperEvent): void {
  appendFileSync(file, `${JSON.stringify(event)}\n`, { mode: 0o600 });
}

export function readEvents(file: string): KeeperEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as KeeperEvent];
      } catch {
        return [];
      }
    });
}

export interface KeeperSummary {
  started: boolean;
  written: number;
  failures: number;
  /** Times the file held an expired token while the keeper could not replace it. */
  expired: number;
  /** How it ended, when it ended by itself: 'stopped' or 'gave-up', with why. */
  ended?: KeeperEvent;
  lastFailure?: string;
}

export function summarize(events: KeeperEvent[]): KeeperSummary {
  const failures = events.filter((e) => e.event === 'failed');
  return {
    started: events.some((e) => e.event === 'started'),
    written: events.filter((e) => e.event === 'wrote').length,
    failures: failures.length,
    expired: events.filter((e) => e.event === 'expired').length,
    ended: [...events].reverse().find((e) => e.event === 'stopped' || e.event === 'gave-up'),
    lastFailure: failures.at(-1)?.detail
  };
}
