// What each mode's steps load, observed in the built bundles as the runner runs them: API-key mode
// loads no cache, crypto or GitHub client code (not even node:crypto), and ChatGPT mode with the
// cache alone (a payload that says the visibility and default branch) loads no GitHub client. Each
// step's Node records the files and built-ins it loaded (scripts/bench/trace-preload.mjs, the
// bench's tracer). Start-up time is the bench's to report (npm run bench); this is what it loads.
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeContents, readTrace, traceEnv } from '../scripts/bench/trace.js';
import { runJob, type JobSpec } from './support/runner.js';
import { useWorld } from './support/use-world.js';
import { chatGptJob, serialize } from './support/world.js';

const fx = useWorld();

/** The libraries asked about, by the tag describeContents gives the bundle code that holds them. */
const LIBRARIES = { octokit: 'octokit', cache: '@azure/storage-blob', sodium: 'libsodium (crypto)' };

/** Runs `spec` with the tracer; per step of ours ('main' | 'post'), the libraries it loaded. */
async function librariesLoaded(spec: JobSpec): Promise<Record<string, string[]>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-trace-'));
  const trace = path.join(dir, 'trace.jsonl');
  try {
    const job = await runJob({ ...spec, env: { ...spec.env, ...traceEnv(trace) } });
    fx.jobs.push(job);
    expect(job.status).toBe('success');
    const found: Record<string, string[]> = {};
    for (const { argv, files, builtins } of await readTrace(trace)) {
      const step = /dist[\\/](main|post)[\\/]index\.js$/.exec(argv[0] ?? '')?.[1];
      if (!step) continue;
      const tags = files
        .filter((file) => file.includes(`${path.sep}dist${path.sep}`))
        .map((file) => describeContents(readFileSync(file, 'utf8')))
        .join(', ');
      const libraries = Object.entries(LIBRARIES).filter(([, tag]) => tags.includes(tag));
      found[step] = [...libraries.map(([name]) => name), ...(builtins.includes('crypto') ? ['node:crypto'] : [])];
    }
    return found;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

test('API-key mode loads no cache, crypto or GitHub client code', async () => {
  const loaded = await librariesLoaded({
    name: 'api-key',
    steps: [{ uses: 'action', id: 'auth', with: { 'openai-api-key': 'sk-proj-lazy0123456789abcdefghijklmnop' } }]
  });
  expect(loaded).toEqual({ main: [], post: [] });
});

test('ChatGPT mode with the cache alone loads the cache and crypto, and no GitHub client', async () => {
  const seed = fx.world.oauth.issue();
  fx.seeds.push(seed);
  const loaded = await librariesLoaded(
    chatGptJob(fx.world, { inputs: { 'chatgpt-auth-json': serialize(seed), 'encryption-key': fx.key } })
  );
  // The tracer sees code-split chunks: the cache library and libsodium are there.
  expect(loaded.main).toEqual(expect.arrayContaining(['cache', 'sodium', 'node:crypto']));
  expect(loaded.main).not.toContain('octokit');
  expect(loaded.post ?? []).not.toContain('octokit');
});
