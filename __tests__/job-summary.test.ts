// The job summary and the early warnings of a real ChatGPT-mode job (built action, real cache, real Codex CLI).
import type { ChatGptAuthJson } from './support/jwt.js';
import { readManifest, runJob, type JobResult } from './support/runner.js';
import { useWorld } from './support/use-world.js';
import { allTokens, chatGptJob, serialize, type ChatGptJobOptions } from './support/world.js';

const fx = useWorld();
const IN_JOB: Record<string, string> = 'renewal' in readManifest().inputs ? { renewal: 'in-job' } : {};

async function run(auth: ChatGptAuthJson, extra: ChatGptJobOptions['extra'] = {}): Promise<JobResult> {
  const job = await runJob(
    chatGptJob(fx.world, {
      inputs: { 'encryption-key': fx.key, 'chatgpt-auth-json': serialize(auth), ...IN_JOB },
      extra
    })
  );
  fx.jobs.push(job);
  return job;
}
const annotations = (job: JobResult, level: string): string[] =>
  job.steps.flatMap((s) => s.annotations.filter((a) => a.level === level).map((a) => a.message));

test('the summary shows each store, the copy used and why, what happens next; the early warnings fire when they should', async () => {
  const original = fx.world.oauth.issue({ accessTtlSeconds: -60 });
  fx.seeds.push(original);

  // A read-only cache: the renewal Codex is about to do cannot be stored for later jobs.
  const other = fx.world.oauth.issue({ accessTtlSeconds: -60 });
  fx.seeds.push(other);
  const readOnly = await run(other, { actionEnv: { ACTIONS_CACHE_MODE: 'read' } });
  expect(
    annotations(readOnly, 'warning').some((w) =>
      /due for renewal.*cannot store a renewed login.*cache-mode 'read'/.test(w)
    )
  ).toBe(true);
  expect(readOnly.step('auth').summary).toContain('`renewal-due-cannot-renew`');
  fx.world.cache.reset();

  const first = await run(original);
  expect(first.status).toBe('success');
  const firstSummary = first.step('auth').summary;
  expect(firstSummary).toMatch(/\| Actions cache \| no entry yet \|/);
  expect(firstSummary).toMatch(/\| seed \(`chatgpt-auth-json`\) \*\*\(used\)\*\* \| a readable login \|.*\| expired/);
  expect(firstSummary).toContain('**Used:** the seed (`chatgpt-auth-json`): the only usable copy.');
  expect(firstSummary).toMatch(/Renewal due now/);

  const second = await run(original);
  expect(second.outputs('auth').source).toBe('cache');
  const summary = second.step('auth').summary;
  expect(summary).toMatch(/\| Actions cache \*\*\(used\)\*\* \| a readable login \| .* \| expires .* \(in 9 days\) \|/);
  expect(summary).toContain('the freshest of the usable copies');
  expect(summary).toMatch(/Renewal due .*: the first job that runs Codex after that renews it/);
  expect(summary).toMatch(/only stored copy is in the Actions cache/);
  expect(
    annotations(second, 'notice').some((n) => /seed 'chatgpt-auth-json' .* is older than the stored login/.test(n))
  ).toBe(true);
  expect(annotations(second, 'warning')).toEqual([]);

  // The summary names no token nor the account id (the tokens everywhere are checked after each test).
  for (const job of [readOnly, first, second]) {
    for (const value of [...allTokens(fx.world, fx.seeds), original.tokens.account_id])
      expect(job.step('auth').summary).not.toContain(value);
  }
});
