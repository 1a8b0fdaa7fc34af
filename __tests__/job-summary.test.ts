// The job summary and the early warnings of a real ChatGPT-mode job (built action, real cache, real Codex CLI).
import type { ChatGptAuthJson } from './support/jwt.js';
import { readManifest, runJob, type JobResult } from './support/runner.js';
import {
  allTokens,
  chatGptJob,
  newEncryptionKey,
  serialize,
  startWorld,
  type ChatGptJobOptions,
  type World
} from './support/world.js';

let world: World;
let key: string;
const seeds: ChatGptAuthJson[] = [];
const IN_JOB: Record<string, string> = 'renewal' in readManifest().inputs ? { renewal: 'in-job' } : {};

beforeAll(async () => {
  world = await startWorld();
  key = newEncryptionKey();
});
afterAll(async () => {
  await world.stop();
});

async function run(auth: ChatGptAuthJson, extra: ChatGptJobOptions['extra'] = {}): Promise<JobResult> {
  return runJob(
    chatGptJob(world, { inputs: { 'encryption-key': key, 'chatgpt-auth-json': serialize(auth), ...IN_JOB }, extra })
  );
}
const annotations = (job: JobResult, level: string): string[] =>
  job.steps.flatMap((s) => s.annotations.filter((a) => a.level === level).map((a) => a.message));

test('the summary shows each store, the copy used and why, what happens next; the early warnings fire when they should', async () => {
  const original = world.oauth.issue({ accessTtlSeconds: -60 });
  seeds.push(original);

  // A read-only cache: the renewal Codex is about to do cannot be stored for later jobs.
  const other = world.oauth.issue({ accessTtlSeconds: -60 });
  seeds.push(other);
  const readOnly = await run(other, { actionEnv: { ACTIONS_CACHE_MODE: 'read' } });
  expect(
    annotations(readOnly, 'warning').some((w) =>
      /due for renewal.*cannot store a renewed login.*cache-mode 'read'/.test(w)
    )
  ).toBe(true);
  expect(readOnly.step('auth').summary).toContain('`renewal-due-cannot-renew`');
  world.cache.reset();

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

  for (const job of [readOnly, first, second]) {
    for (const value of [...allTokens(world, seeds), original.tokens.account_id])
      expect(job.step('auth').summary).not.toContain(value);
  }
});
