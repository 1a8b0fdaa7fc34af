// The example of __tests__/support/README.md, run as a test; the README's copy must equal this
// file's, so the example there compiles, runs and stays true.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './support/paths.js';
// --- example start
import { runJob } from './support/runner.js';
import { useWorld } from './support/use-world.js';
import { chatGptJob, serialize } from './support/world.js';

const fx = useWorld(); // one loopback world for the file; a new key and an empty cache per test

test('a login close to expiry is renewed ahead, and Codex runs with it', async () => {
  const seed = fx.world.oauth.issue({ accessTtlSeconds: 60 }); // a login as `codex login` writes it
  fx.seeds.push(seed); // afterEach fails the test if any of its tokens shows in a log
  const job = await runJob(
    chatGptJob(fx.world, { inputs: { 'chatgpt-auth-json': serialize(seed), 'encryption-key': fx.key } })
  );
  fx.jobs.push(job);
  expect(job.status).toBe('success');
  expect(job.step('auth').log).toContain('Renewed the ChatGPT login');
  expect(job.step('codex exec').status).toBe('success');
  expect(fx.world.oauth.stats()).toMatchObject({ refreshes: 1, reuse: 0 });
});
// --- example end

test('the README shows this example as it is here', () => {
  const own = readFileSync(path.join(ROOT, '__tests__', 'harness-example.test.ts'), 'utf8');
  const example = own.slice(own.indexOf('// --- example start\n') + 21, own.indexOf('// --- example end'));
  const readme = readFileSync(path.join(ROOT, '__tests__', 'support', 'README.md'), 'utf8');
  expect(readme).toContain('```ts\n' + example + '```');
});
