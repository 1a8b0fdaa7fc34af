// What each mode's steps load, observed in the built bundles as the runner runs them: API-key mode
// loads no cache, crypto or GitHub client code (not even node:crypto), and ChatGPT mode with the
// cache alone (a payload that says the visibility and default branch) loads no GitHub client. Each
// step's Node records the files and built-ins it loaded (scripts/bench/trace-preload.mjs, the
// bench's tracer). Start-up time is the bench's to report (npm run bench); this is what it loads.
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './support/paths.js';
import { runJob, type JobSpec } from './support/runner.js';
import { useWorld } from './support/use-world.js';
import { chatGptJob, serialize } from './support/world.js';

const fx = useWorld();
const PRELOAD = pathToFileURL(path.join(ROOT, 'scripts', 'bench', 'trace-preload.mjs')).href;

/** Libraries by a string their bundled code carries (dist chunks have numeric names). */
const LIBRARIES = {
  octokit: 'octokit-core',
  cache: '@azure',
  sodium: 'libsodium'
} as const;
type Library = keyof typeof LIBRARIES | 'node:crypto';

/** Runs `spec` with the tracer; per step of ours ('main' | 'post'), the libraries its files hold. */
async function librariesLoaded(spec: JobSpec): Promise<Record<string, Library[]>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-trace-'));
  const trace = path.join(dir, 'trace.jsonl');
  try {
    const job = await runJob({
      ...spec,
      env: { ...spec.env, NODE_OPTIONS: `--import=${PRELOAD}`, CODEX_AUTH_BENCH_TRACE: trace }
    });
    fx.jobs.push(job);
    expect(job.status).toBe('success');
    const found: Record<string, Library[]> = {};
    for (const line of readFileSync(trace, 'utf8').split('\n').filter(Boolean)) {
      const { argv, files, builtins } = JSON.parse(line) as { argv: string[]; files: string[]; builtins: string[] };
      const step = /dist[\\/](main|post)[\\/]index\.js$/.exec(argv[0] ?? '')?.[1];
      if (!step) continue;
      const code = files
        .filter((url) => url.includes('/dist/'))
        .map((url) => readFileSync(new URL(url), 'utf8'))
        .join('\n');
      const libraries = (Object.keys(LIBRARIES) as (keyof typeof LIBRARIES)[]).filter((lib) =>
        code.includes(LIBRARIES[lib])
      );
      found[step] = [...libraries, ...(builtins.includes('crypto') ? (['node:crypto'] as const) : [])];
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
