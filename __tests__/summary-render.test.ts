// The job summary as a reader sees it: each summary below is rendered by a real Markdown renderer
// (marked, GitHub Flavored Markdown, as GitHub renders GITHUB_STEP_SUMMARY) and checked on the text
// that shows: no stray backslash, every command in a code span copies exactly, one timestamp format,
// table rows of four cells, and one consistent state (nothing stored yet is not "the only stored
// copy"; a login renewed in this job is not "due now"). The summaries are those of real jobs (the
// built action, the real cache service and Codex CLI), in the states a user meets: a first job that
// renews, the next job, a first job that needs no renewal, a job stopped by a cache entry sealed under
// another key (its fix is a `gh cache list … | xargs …` command), and API-key mode.
import { marked } from 'marked';
import { renderAccessTokenSummary, renderApiKeySummary } from '../src/chatgpt/report/summary.js';
import { runJob, type JobResult } from './support/runner.js';
import { useWorld } from './support/use-world.js';
import { chatGptJob, newEncryptionKey, serialize } from './support/world.js';
import type { ChatGptAuthJson } from './support/jwt.js';

const fx = useWorld();

interface Rendered {
  /** The text a reader sees, tags removed. */
  text: string;
  /** The text of each code span, as copied. */
  code: string[];
  /** The cells of each table row. */
  rows: string[][];
}

function decode(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function render(markdown: string): Rendered {
  const html = marked.parse(markdown, { gfm: true, async: false });
  return {
    text: decode(html),
    code: [...html.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((m) => decode(m[1])),
    rows: [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
      [...row[1].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => decode(c[1]))
    )
  };
}

/** What every rendered summary must satisfy. */
function expectReadable(markdown: string): Rendered {
  const view = render(markdown);
  // No escape shows: a backslash in the summary's own text is always a stray escape.
  expect(view.text).not.toContain('\\');
  for (const row of view.rows) expect({ row, cells: row.length }).toEqual({ row, cells: 4 });
  // One timestamp format: 2026-12-10 12:00 UTC.
  for (const match of view.text.matchAll(/\d{4}-\d{2}-\d{2}[T ][\d:.]+\S*(?: UTC)?/g))
    expect(match[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
  // One state of the world.
  if (/no entry yet/.test(view.text) && !/this job renewed the login/.test(view.text))
    expect(view.text).not.toMatch(/only stored copy is in the Actions cache/);
  if (/this job renewed the login/.test(view.text)) {
    expect(view.text).not.toMatch(/due now/i);
    expect(view.text).not.toMatch(/Nothing is stored yet/);
  }
  return view;
}

async function run(auth: ChatGptAuthJson, key = fx.key): Promise<JobResult> {
  const job = await runJob(
    chatGptJob(fx.world, { inputs: { 'encryption-key': key, 'chatgpt-auth-json': serialize(auth) } })
  );
  fx.jobs.push(job);
  // Every annotation of the action's steps has a title (GitHub shows it above the message).
  for (const step of job.steps.filter((s) => s.id === 'auth' || s.phase === 'post'))
    for (const annotation of step.annotations)
      expect(annotation).toMatchObject({ title: expect.stringMatching(/^Codex auth/) });
  return job;
}

test('a first job that renews the login, the next job, and a first job with nothing to renew', async () => {
  const expired = fx.world.oauth.issue({ accessTtlSeconds: -60 });
  fx.seeds.push(expired);
  const first = await run(expired);
  expect(first.status).toBe('success');
  expect(first.outputs('auth').renewed).toBe('true');
  const firstView = expectReadable(first.step('auth').summary);
  expect(firstView.text).toContain('Store (before this job renewed the login)');
  expect(firstView.text).toMatch(
    /Renewed: this job renewed the login .* and stored it in the Actions cache; Codex uses it\./
  );
  expect(firstView.text).toMatch(/Renewal due \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(in \d+ days\)/);
  expect(firstView.text).toMatch(/only stored copy is in the Actions cache/);

  const second = await run(expired);
  expect(second.outputs('auth').renewed).toBe('false');
  const secondView = expectReadable(second.step('auth').summary);
  expect(secondView.rows.find((row) => row[0].startsWith('Actions cache'))?.[0]).toBe('Actions cache (used)');
  expect(secondView.text).toMatch(/only stored copy is in the Actions cache/);

  // Another chain whose access token is fresh: nothing renewed, nothing stored yet.
  fx.world.cache.reset();
  const fresh = fx.world.oauth.issue();
  fx.seeds.push(fresh);
  const third = await run(fresh, newEncryptionKey());
  expect(third.outputs('auth').renewed).toBe('false');
  const thirdView = expectReadable(third.step('auth').summary);
  expect(thirdView.text).toContain('no entry yet');
  expect(thirdView.text).toContain('Nothing is stored yet: jobs use this copy until the first renewal stores');
}, 300_000);

test('a job stopped by a cache entry sealed under another key: the `gh cache list … | xargs …` fix copies as printed', async () => {
  const expired = fx.world.oauth.issue({ accessTtlSeconds: -60 });
  fx.seeds.push(expired);
  expect((await run(expired)).status).toBe('success');
  const stopped = await run(expired, newEncryptionKey());
  expect(stopped.status).toBe('failure');
  const view = expectReadable(stopped.step('auth').summary);
  expect(view.text).toContain('Not set up:');
  expect(view.code).toContain(
    "gh cache list --key codex-auth-v1.default. --json key --jq '.[].key' | xargs -n1 gh cache delete"
  );
  expect(view.code.some((code) => /^gh cache delete codex-auth-v1\.default\.\S+$/.test(code))).toBe(true);
}, 300_000);

test('API-key and access-token modes', () => {
  for (const markdown of [
    renderApiKeySummary(true),
    renderApiKeySummary(false),
    renderAccessTokenSummary(true),
    renderAccessTokenSummary(false)
  ]) {
    const view = expectReadable(markdown);
    expect(view.text).toMatch(/^Codex auth: (API key|access token)\n/);
  }
});
