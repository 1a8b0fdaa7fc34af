// `npm run demo`: the action's real jobs, run locally the way the GitHub runner runs them (the
// built dist/ under Node 24, step by step), against loopback services on 127.0.0.1: the Actions
// cache (Twirp + Azurite), OpenAI's token endpoint and a Responses API. The real Codex CLI runs in
// the jobs. Nothing leaves the machine.
import {
  codexExecStep,
  chatGptJob,
  newEncryptionKey,
  serialize,
  startWorld,
  type World
} from '../__tests__/support/world.js';
import { runJob, type JobResult, type JobSpec } from '../__tests__/support/runner.js';

const API_KEY = 'sk-proj-demo0000000000000000000000000000000000DEMO1';

function show(title: string, job: JobResult): void {
  console.log(`\n=== ${title}: job '${job.name}' ${job.status === 'success' ? 'succeeded' : 'FAILED'} ===`);
  for (const step of job.steps) {
    console.log(
      `\n  ▸ ${step.name} [${step.phase}] ${step.status}${step.status === 'skipped' ? '' : ` in ${step.durationMs} ms`}`
    );
    const lines = step.masked
      .split('\n')
      .filter(
        (line) =>
          line.trim() &&
          !/^(WARNING: proceeding|Reading additional input|warning: Codex could not find bubblewrap|::debug::)/.test(
            line
          )
      )
      .slice(0, 14);
    for (const line of lines)
      console.log(
        `      ${line.replace(/^::(warning|error|notice)[^:]*::/, (_m, level: string) => `${level.toUpperCase()}: `)}`
      );
    const outputs = Object.entries(step.outputs);
    if (outputs.length) console.log(`      outputs: ${outputs.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  }
}

function summary(world: World): string {
  const oauth = world.oauth.stats();
  const cache = world.cache.stats();
  return `token endpoint: ${oauth.refreshes} refresh(es), ${oauth.reuse} reuse(s) · cache: ${cache.entries} entr${cache.entries === 1 ? 'y' : 'ies'}, ${cache.requests} requests`;
}

async function main(): Promise<void> {
  const world = await startWorld({ model: { allowApiKeys: [API_KEY] } });
  try {
    console.log('codex-auth demo: real jobs on the runner-faithful harness, loopback services only.');
    console.log(
      `  Actions cache ${world.cache.resultsUrl}, token endpoint ${world.oauth.url}, model API ${world.model.baseUrl}`
    );

    // 1. The default: an API key.
    const apiKeyJob: JobSpec = {
      name: 'review',
      steps: [
        { uses: 'action', id: 'auth', name: 'codex-auth (api-key)', with: { 'openai-api-key': API_KEY } },
        { name: 'codex login status', run: 'codex login status' },
        codexExecStep(world, { prompt: 'summarize the change' })
      ],
      actionEnv: world.cache.env
    };
    show('1. API-key mode (default)', await runJob(apiKeyJob));

    // 2. A ChatGPT login carried from job to job: the seed's access token has expired.
    const key = newEncryptionKey();
    const seed = world.oauth.issue({ accessTtlSeconds: -60 });
    const inputs = { 'chatgpt-auth-json': serialize(seed), 'encryption-key': key };
    console.log(
      `\n--- ChatGPT mode: a seed from \`codex login\` in a secret, its access token expired. ${summary(world)}`
    );
    // renewal: ahead (the default): the main step renews the expired login once and stores it; Codex
    // gets a copy without the refresh token, so the post step has nothing to save.
    show(
      '2. ChatGPT mode, job 1 (seed restored; the main step renews it ahead, stores it in the cache; Codex runs on a copy without the refresh token)',
      await runJob(chatGptJob(world, { name: 'nightly-1', inputs }))
    );
    console.log(`\n--- after job 1: ${summary(world)}`);
    show(
      '3. ChatGPT mode, job 2 (the renewed copy is restored from the cache: not due, no renewal, nothing to save)',
      await runJob(chatGptJob(world, { name: 'nightly-2', inputs }))
    );
    console.log(`\n--- after job 2: ${summary(world)}`);
    const stats = world.oauth.stats();
    console.log(
      stats.refreshes === 1 && stats.reuse === 0
        ? '\nThe refresh token rotated once and the spent one was never used again: the chain holds.'
        : '\nUnexpected: the token chain did not behave as it should.'
    );
  } finally {
    await world.stop();
  }
}

await main();
