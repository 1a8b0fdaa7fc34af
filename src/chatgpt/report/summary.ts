// The job summary (GITHUB_STEP_SUMMARY): the state of the login at a glance. A pure renderer over
// facts the main step gathered: what each store held, which copy was used and why, what happens
// next. It never receives a token, a key or a key id, so it cannot print one; the account is not
// named either (the summary is visible to everyone who can read the run).
import { CODEX_REFRESH_MARGIN_MS } from '../login/credential.js';

/** Where a copy of the login can come from. */
export type StoreName = 'cache' | 'local' | 'secret' | 'seed' | 'codex-home';

type StoreStatus =
  /** A readable login (it may still lose to a fresher one). */
  | 'usable'
  /** Nothing there (no entry yet, input not given). */
  | 'empty'
  /** Something there that cannot be used: `reason` says why. */
  | 'unreadable'
  /** A re-seed mark: the chain's refresh failed in an earlier job (src/chatgpt/login/reseed-mark.ts). */
  | 'needs-reseed';

export interface StoreReading {
  store: StoreName;
  status: StoreStatus;
  /** last_refresh of the login (usable), or of the login a mark condemns (needs-reseed). */
  lastRefresh?: string;
  accessTokenExpiresAt?: Date;
  /** Why not usable, in plain words (never a secret: the callers pass the parser's reasons). */
  reason?: string;
}

/** What the summary says about one ChatGPT-mode main step. */
export interface ChatGptReport {
  credentialName: string;
  now: Date;
  readings: StoreReading[];
  /** The copy written for Codex, and why that one. */
  chosen?: { store: StoreName; why: string };
  /** `ahead`: renewed by the action ahead of time; `in-job`: Codex renews it in the job. */
  renewal: 'ahead' | 'in-job';
  /** `renewal: ahead`: renew when the access token expires within this (`renew-before-hours`). */
  renewWindowMs?: number;
  /** This job renewed the login (`renewal: ahead`) and stored it: the login Codex got. */
  renewed?: { lastRefresh: string; accessTokenExpiresAt?: Date };
  /** Durable stores this job writes a renewed login to, besides the Actions cache. */
  durableStores: Array<'secret' | 'local'>;
  /** Why the main step stopped (no copy given to Codex). */
  failure?: string;
  /** Early-warning annotations raised (their names, src/chatgpt/report/early-warnings.ts). */
  warnings?: string[];
}

/** GitHub evicts a cache entry not used for 7 days. */
export const CACHE_EVICTION_DAYS = 7;

const STORE_LABEL: Record<StoreName, string> = {
  cache: 'Actions cache',
  local: 'runner-local store',
  secret: 'secret (`chatgpt-auth-json`)',
  seed: 'seed (`chatgpt-auth-json`)',
  'codex-home': 'auth.json in `codex-home`'
};

// Escaping by context (GitHub Flavored Markdown): in a table row a `|` ends the cell wherever it
// stands, even inside a code span, so cells escape it (`\|`, which GFM turns back into `|` before it
// reads the cell, code spans included); in a paragraph or a list item a `|` is plain text, and an
// escape there would show, or end up in a command copied from a code span.

/** Text for a table cell: one line, every `|` escaped. */
function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}

/** Text for a paragraph or a list item: one line, as written. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function renderChatGptSummary(report: ChatGptReport): string {
  const lines = [`### Codex auth: ChatGPT login \`${report.credentialName}\``, ''];
  if (report.failure) lines.push(`**Not set up:** ${oneLine(report.failure)}`, '');
  lines.push(
    report.renewed
      ? '| Store (before this job renewed the login) | Held | last_refresh | Access token |'
      : '| Store | Held | last_refresh | Access token |',
    '|---|---|---|---|'
  );
  for (const reading of report.readings) {
    const used = report.chosen?.store === reading.store ? ' **(used)**' : '';
    const refreshed = reading.lastRefresh
      ? `${stamp(new Date(reading.lastRefresh))} (${age(reading.lastRefresh, report.now)} ago)`
      : '–';
    lines.push(
      `| ${cell(STORE_LABEL[reading.store])}${used} | ${held(reading)} | ${cell(refreshed)} | ${cell(expiry(reading.accessTokenExpiresAt, report.now))} |`
    );
  }
  lines.push('');
  if (report.chosen)
    lines.push(`**Used:** the ${STORE_LABEL[report.chosen.store]}: ${oneLine(report.chosen.why)}.`, '');
  if (report.renewed) lines.push(`**Renewed:** ${renewedLine(report, report.renewed)}`, '');
  const next = whatHappensNext(report);
  if (next.length) lines.push('**Next:**', ...next.map((line) => `- ${line}`), '');
  if (report.warnings?.length)
    lines.push(`**Warnings:** ${report.warnings.map((name) => `\`${name}\``).join(', ')} (see the annotations).`, '');
  return lines.join('\n');
}

/** API-key mode, one line: nothing of the key is shown (not even its last characters). */
export function renderApiKeySummary(codexHomeCreated: boolean): string {
  return `### Codex auth: API key\n\nAn API key (masked) was written to ${codexHomeCreated ? 'a private CODEX_HOME' : 'auth.json in `codex-home`'} for this job; the post step removes it.\n`;
}

/** Access-token mode, one line: nothing of the token is shown. */
export function renderAccessTokenSummary(codexHomeCreated: boolean): string {
  return `### Codex auth: access token\n\nA Codex access token of a ChatGPT workspace (masked) was written to ${codexHomeCreated ? 'a private CODEX_HOME' : 'auth.json in `codex-home`'} for this job; Codex checks it with OpenAI before each run, and the post step removes it.\n`;
}

function held(reading: StoreReading): string {
  switch (reading.status) {
    case 'usable':
      return 'a readable login';
    case 'empty':
      return cell(reading.reason ?? 'nothing');
    case 'needs-reseed':
      return `**needs a re-seed**: ${cell(reading.reason ?? 'a refresh failed in an earlier job')}`;
    default:
      return `unusable: ${cell(reading.reason ?? 'unreadable')}`;
  }
}

function renewedLine(report: ChatGptReport, renewed: NonNullable<ChatGptReport['renewed']>): string {
  const stores = [
    'the Actions cache',
    ...report.durableStores.map((s) => (s === 'secret' ? 'the secret' : 'the runner-local store'))
  ];
  const expires = renewed.accessTokenExpiresAt ? `, ${expiry(renewed.accessTokenExpiresAt, report.now)}` : '';
  return `this job renewed the login (last_refresh ${stamp(new Date(renewed.lastRefresh))}${expires}) and stored it in ${stores.join(' and ')}; Codex uses it.`;
}

/** The login Codex has now: the renewed one, else the chosen reading. */
function currentLogin(report: ChatGptReport): { accessTokenExpiresAt?: Date } | undefined {
  if (report.renewed) return report.renewed;
  return report.chosen && report.readings.find((r) => r.store === report.chosen!.store && r.status === 'usable');
}

function whatHappensNext(report: ChatGptReport): string[] {
  const current = currentLogin(report);
  if (!current) return [];
  const next: string[] = [];
  const expires = current.accessTokenExpiresAt;
  if (expires) {
    const lead =
      report.renewal === 'ahead' ? (report.renewWindowMs ?? CODEX_REFRESH_MARGIN_MS) : CODEX_REFRESH_MARGIN_MS;
    const due = new Date(expires.getTime() - lead);
    const dueNow = due.getTime() <= report.now.getTime();
    const when = dueNow ? 'now' : `${stamp(due)} (in ${age(report.now.toISOString(), due)})`;
    next.push(
      report.renewal === 'ahead'
        ? dueNow
          ? 'Renewal is due now: the next job that may renew it (on the default branch, or any branch with `secret-name` and `lease: true`, or `local-store: true`) renews it in its main step, before Codex runs.'
          : `Renewal due ${when}: the first job after that renews it in its main step, once for all jobs, before Codex runs.`
        : `Renewal due ${when}: the first job that runs Codex after that renews it, and its post step stores the new login.`
    );
  }
  const stored = report.durableStores;
  const cacheHolds =
    report.renewed !== undefined || report.readings.some((r) => r.store === 'cache' && r.status === 'usable');
  if (stored.length) {
    next.push(
      `Renewed logins are also written to the ${stored.map((s) => (s === 'secret' ? 'secret' : 'runner-local store')).join(' and ')}.`
    );
  } else if (cacheHolds) {
    const until = new Date(report.now.getTime() + CACHE_EVICTION_DAYS * 86_400_000);
    next.push(
      `The only stored copy is in the Actions cache, which evicts an entry no job uses for ${CACHE_EVICTION_DAYS} days (or earlier when the repository's cache is full): run a job with it before ${stamp(until)} (in ${CACHE_EVICTION_DAYS} days), or keep a copy in a secret (\`secret-name\`) or the runner-local store.`
    );
  } else {
    next.push(
      report.renewal === 'ahead'
        ? 'Nothing is stored yet: jobs use this copy until the first renewal stores the renewed login in the Actions cache.'
        : 'Nothing is stored yet: the post step stores the login in the Actions cache once Codex has renewed it.'
    );
  }
  return next;
}

function expiry(at: Date | undefined, now: Date): string {
  if (!at) return '–';
  const ms = at.getTime() - now.getTime();
  return ms <= 0
    ? `expired ${stamp(at)} (${age(at.toISOString(), now)} ago)`
    : `expires ${stamp(at)} (in ${age(now.toISOString(), at)})`;
}

/** The time from `from` to `to` in the largest sensible unit. */
function age(from: string, to: Date): string {
  const ms = Math.abs(to.getTime() - Date.parse(from));
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'less than a minute';
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

/** The one timestamp format of the summary: `2026-12-10 12:00 UTC`. */
function stamp(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'unknown' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
