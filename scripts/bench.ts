// `npm run bench`: what codex-auth costs a job, side by side with the manual recipe of OpenAI's CI
// guide (restore the plaintext auth.json with @actions/cache, run Codex, save it under a new key
// after every job), measured in the same run on the runner-faithful harness and the loopback cache
// service (Twirp + Azurite), OAuth server and model server of the test suite.
//
//   npm run bench                      7 rounds after 1 warm-up round (a couple of minutes)
//   npm run bench -- --quick           2 rounds, no warm-up: a smoke run
//   npm run bench -- --reps 11 --warmup 2     (or BENCH_REPS / BENCH_WARMUP)
//   npm run bench -- --no-fanout       without the fan-out fleet (ahead vs in-job + lease makespan) at the end
//
// Every round runs each scenario once, so a ratio pairs two steps of the same round. Wall time is
// the step's process from spawn to close, as the harness times a step; CPU time is user+sys of the
// step's process and every child it waited for (tar and zstd under @actions/cache, the node under a
// bash run step), from wait4() through scripts/bench/rusage-exec.c, which the bench wraps around
// every command the harness spawns. A separate trace pass (NODE_OPTIONS=--import of
// scripts/bench/trace-preload.mjs) records which dist/ files each step loads; it is not timed.
// Targets are reported PASS/MISS; only a broken scenario (a failed job, a missing refresh) exits 1.
import cp, { execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, promises as fs, readFileSync, readdirSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { seal } from '../src/chatgpt/login/envelope.js';
import { describeContents, readTrace, traceEnv } from './bench/trace.js';
import type { BlobRequest, CacheRequest } from '../__tests__/support/cache-service.js';
import { NODE24, ROOT } from '../__tests__/support/paths.js';
import { runJob, type JobResult, type JobSpec, type Step, type StepResult } from '../__tests__/support/runner.js';
import {
  chatGptJob,
  codexExecStep,
  newEncryptionKey,
  plantCacheEntry,
  serialize,
  startWorld,
  type World
} from '../__tests__/support/world.js';

// ---------------------------------------------------------------------------------------------
// Options

const args = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}
const QUICK = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const REPS = positiveInt(option('reps') ?? process.env.BENCH_REPS, QUICK ? 2 : 7, 1);
const WARMUP = positiveInt(option('warmup') ?? process.env.BENCH_WARMUP, QUICK ? 0 : 1, 0);

function positiveInt(value: string | undefined, fallback: number, min: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`expected an integer >= ${min}, got '${value}'`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Tools: the rusage wrapper and the recipe bundle, built once and kept in node_modules/.cache

const BENCH_DIR = path.join(ROOT, 'scripts', 'bench');
const TOOL_CACHE = path.join(ROOT, 'node_modules', '.cache', 'codex-auth-bench');
const EMPTY_SCRIPT = path.join(BENCH_DIR, 'empty.mjs');
const MB = 1_000_000;
const ENTRY_LIMIT = 2 * MB;

const hash = (...parts: string[]): string => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 12);
const packageVersion = (name: string): string =>
  (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

interface Usage {
  userMs: number;
  sysMs: number;
  rssKb: number;
}

interface Wrapper {
  how: string;
  wrap(report: string, command: string, args: readonly string[]): [string, string[]];
  read(report: string): Usage | undefined;
}

function buildWrapper(): Wrapper {
  const source = path.join(BENCH_DIR, 'rusage-exec.c');
  const binary = path.join(TOOL_CACHE, `rusage-exec-${hash(readFileSync(source, 'utf8'), os.arch())}`);
  try {
    if (!existsSync(binary)) {
      mkdirSync(TOOL_CACHE, { recursive: true });
      execFileSync('cc', ['-O2', '-o', binary, source], { stdio: 'pipe' });
    }
    return {
      how: 'wait4() rusage via scripts/bench/rusage-exec.c (µs resolution)',
      wrap: (report, command, rest) => [binary, [report, command, ...rest]],
      read: (report) => {
        const [user, sys, rss] = readFileSync(report, 'utf8').trim().split(/\s+/).map(Number);
        return { userMs: user / 1000, sysMs: sys / 1000, rssKb: rss };
      }
    };
  } catch {
    // No C compiler: GNU time reports the same rusage, rounded to 10 ms.
    if (existsSync('/usr/bin/time')) {
      return {
        how: '/usr/bin/time (no C compiler found: 10 ms resolution)',
        wrap: (report, command, rest) => ['/usr/bin/time', ['-f', '%U %S %M', '-o', report, command, ...rest]],
        read: (report) => {
          const last = readFileSync(report, 'utf8').trim().split('\n').at(-1) ?? '';
          const [user, sys, rss] = last.split(/\s+/).map(Number);
          return Number.isFinite(user) ? { userMs: user * 1000, sysMs: sys * 1000, rssKb: rss } : undefined;
        }
      };
    }
    return {
      how: 'unavailable (no C compiler, no /usr/bin/time)',
      wrap: (_r, command, rest) => [command, [...rest]],
      read: () => undefined
    };
  }
}

/** The recipe's restore/save script, bundled with ncc like the dist/ entries (and like actions/cache). */
function buildRecipe(): string {
  const source = path.join(BENCH_DIR, 'recipe.mjs');
  const dir = path.join(
    TOOL_CACHE,
    `recipe-${hash(readFileSync(source, 'utf8'), packageVersion('@actions/cache'), packageVersion('@vercel/ncc'))}`
  );
  const bundle = path.join(dir, 'index.mjs');
  if (!existsSync(bundle)) {
    process.stderr.write(
      'Bundling the manual recipe script with ncc (once; cached in node_modules/.cache/codex-auth-bench)...\n'
    );
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'ncc'), ['build', source, '-o', dir, '--minify', '--quiet'], {
      cwd: ROOT,
      stdio: 'inherit'
    });
  }
  return bundle;
}

// ---------------------------------------------------------------------------------------------
// Measuring the processes the harness spawns

interface SpawnRecord {
  command: string;
  args: string[];
  startedAt: number;
  endedAt: number;
  wallMs: number;
  usage?: Usage;
}

let recording: SpawnRecord[] | null = null;
let reportSeq = 0;
let reportDir = '';
const realSpawn = cp.spawn;

/**
 * Wraps every spawn made while `recording` is set (the harness's step processes) in the rusage
 * wrapper, and times it from spawn to 'close', as the harness does. The harness imports `spawn`
 * from node:child_process; syncBuiltinESMExports() makes that binding see the wrapper too.
 */
function installSpawnHook(wrapper: Wrapper): void {
  const hooked = function (
    this: unknown,
    command: string,
    argsOrOptions?: readonly string[] | SpawnOptions,
    maybeOptions?: SpawnOptions
  ): ChildProcess {
    if (!recording || !Array.isArray(argsOrOptions))
      return (realSpawn as (...a: unknown[]) => ChildProcess)(command, argsOrOptions, maybeOptions);
    const stepArgs = argsOrOptions as string[];
    const report = path.join(reportDir, `rusage-${++reportSeq}`);
    const [file, wrapped] = wrapper.wrap(report, command, stepArgs);
    const record: SpawnRecord = { command, args: stepArgs, startedAt: Date.now(), endedAt: 0, wallMs: 0 };
    recording.push(record);
    const t0 = performance.now();
    const child = realSpawn(file, wrapped, maybeOptions ?? {});
    child.once('close', () => {
      record.wallMs = performance.now() - t0;
      record.endedAt = Date.now();
      try {
        record.usage = wrapper.read(report);
      } catch {
        record.usage = undefined;
      }
    });
    return child;
  };
  (cp as unknown as { spawn: unknown }).spawn = hooked;
  syncBuiltinESMExports();
}

interface StepMeasure {
  wallMs: number;
  cpuMs?: number;
  rssKb?: number;
  twirp: CacheRequest[];
  blob: BlobRequest[];
  downBytes: number;
  upBytes: number;
}

interface JobMeasure {
  job: JobResult;
  steps: { result: StepResult; measure: StepMeasure }[];
  twirp: CacheRequest[];
  blob: BlobRequest[];
  newEntries: { key: string; sizeBytes: number }[];
  refreshes: number;
}

const blobDown = (b: BlobRequest): number => (b.method === 'GET' && b.comp === '' ? b.bytes : 0);
const blobUp = (b: BlobRequest): number =>
  b.method === 'PUT' && (b.comp === '' || b.comp === 'block') && b.status < 300 ? b.bytes : 0;

function stepMeasure(record: SpawnRecord, twirp: CacheRequest[], blob: BlobRequest[]): StepMeasure {
  const inside = <T extends { at: number }>(r: T): boolean => r.at >= record.startedAt && r.at <= record.endedAt;
  const stepTwirp = twirp.filter(inside);
  const stepBlob = blob.filter(inside);
  return {
    wallMs: record.wallMs,
    cpuMs: record.usage ? record.usage.userMs + record.usage.sysMs : undefined,
    rssKb: record.usage?.rssKb,
    twirp: stepTwirp,
    blob: stepBlob,
    downBytes: stepBlob.reduce((n, b) => n + blobDown(b), 0),
    upBytes: stepBlob.reduce((n, b) => n + blobUp(b), 0)
  };
}

class BenchError extends Error {}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtMs = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const fmtRatio = (n: number): string => `${n.toFixed(2)}×`;
const spread = (xs: number[], f: (n: number) => string): string =>
  xs.length ? `${f(median(xs))} [${f(Math.min(...xs))}–${f(Math.max(...xs))}]` : 'n/a';
function fmtBytes(n: number): string {
  if (n >= MB) return `${(n / MB).toFixed(2)} MB`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)} kB`;
  return `${n} B`;
}

function table(headers: string[], rows: string[][], rightAligned: number[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)]
    .map((l) => `  ${l}`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// The benchmark

const ROWS: { id: string; label: string; group: 'baseline' | 'codex-auth' | 'recipe' | 'context' }[] = [
  { id: 'empty.direct', label: 'empty Node 24 script, spawned like an action step', group: 'baseline' },
  { id: 'empty.run', label: 'empty Node 24 script as a run step (bash -c exec node)', group: 'baseline' },
  { id: 'apikey.main', label: 'API-key mode: main', group: 'codex-auth' },
  { id: 'apikey.post', label: 'API-key mode: post', group: 'codex-auth' },
  { id: 'hit.main', label: 'ChatGPT mode: main, cache hit', group: 'codex-auth' },
  { id: 'hit.post', label: 'ChatGPT mode: post, credential unchanged', group: 'codex-auth' },
  { id: 'refresh.main', label: 'ChatGPT mode: main, cache hit, expired access token', group: 'codex-auth' },
  { id: 'refresh.post', label: 'ChatGPT mode: post after Codex refreshed', group: 'codex-auth' },
  { id: 'bare.restore', label: 'bare restore of the same entry (same bytes)', group: 'recipe' },
  { id: 'recipe.restore', label: 'recipe: restore plaintext auth.json', group: 'recipe' },
  { id: 'recipe.save', label: 'recipe: save, credential unchanged', group: 'recipe' },
  { id: 'recipe-refresh.restore', label: 'recipe: restore (expired access token)', group: 'recipe' },
  { id: 'recipe-refresh.save', label: 'recipe: save after Codex refreshed', group: 'recipe' },
  { id: 'hit.codex', label: 'codex exec, no refresh', group: 'context' },
  { id: 'refresh.codex', label: 'codex exec, refreshing the login', group: 'context' }
];

const JOBS: { id: string; label: string }[] = [
  { id: 'apikey', label: 'codex-auth, API-key mode' },
  { id: 'hit', label: 'codex-auth, ChatGPT, Codex did not refresh' },
  { id: 'refresh', label: 'codex-auth, ChatGPT, Codex refreshed' },
  { id: 'recipe', label: 'recipe, Codex did not refresh' },
  { id: 'recipe-refresh', label: 'recipe, Codex refreshed' },
  { id: 'bare', label: 'bare restore only' }
];

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Sizes and mtimes of dist/: others may rebuild it while the bench runs. */
function distFingerprint(): string {
  const distDir = path.join(ROOT, 'dist');
  const parts: string[] = [];
  for (const sub of existsSync(distDir) ? readdirSync(distDir).sort() : []) {
    const dir = path.join(distDir, sub);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).sort()) {
      const st = statSync(path.join(dir, name));
      parts.push(`${sub}/${name}:${st.size}:${st.mtimeMs}`);
    }
  }
  return hash(...parts);
}

async function main(): Promise<number> {
  const started = performance.now();
  for (const entry of ['main', 'post']) {
    if (!existsSync(path.join(ROOT, 'dist', entry, 'index.js')))
      throw new BenchError(`dist/${entry}/index.js is missing: run \`npm run bundle\` first.`);
  }
  const distBefore = distFingerprint();
  const wrapper = buildWrapper();
  const recipeBundle = buildRecipe();
  reportDir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-bench-'));
  installSpawnHook(wrapper);
  const node24Version = execFileSync(NODE24, ['--version'], { encoding: 'utf8' }).trim();
  const codexVersion = packageVersion('@openai/codex');

  process.stderr.write('Starting the loopback services (cache service + Azurite, OAuth, model)...\n');
  const world: World = await startWorld();
  const stop = async (): Promise<void> => {
    await world.stop().catch(() => undefined);
    await fs.rm(reportDir, { recursive: true, force: true }).catch(() => undefined);
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));

  try {
    const code = await run(world, wrapper, recipeBundle, { node24Version, codexVersion, started, distBefore });
    // Workload identity: in its own process, so the spawn hook above does not count its jobs.
    execFileSync(
      process.execPath,
      [...process.execArgv, path.join(ROOT, 'scripts', 'bench-workload-identity.ts'), '--reps', String(REPS)],
      {
        stdio: 'inherit'
      }
    );
    return code;
  } finally {
    await stop();
  }
}

async function run(
  world: World,
  wrapper: Wrapper,
  recipeBundle: string,
  info: { node24Version: string; codexVersion: string; started: number; distBefore: string }
): Promise<number> {
  const encryptionKey = newEncryptionKey();
  const keyBytes = new Uint8Array(Buffer.from(encryptionKey, 'base64'));
  const jobEnv = {
    CODEX_REFRESH_TOKEN_URL_OVERRIDE: world.oauth.url,
    CODEX_REVOKE_TOKEN_URL_OVERRIDE: world.oauth.revokeUrl
  };
  let runIds = 700_000;
  let plants = 0;

  const recipeStep = (
    name: string,
    mode: 'restore' | 'save',
    env: Record<string, string>,
    condition?: Step['if']
  ): Step => ({
    name,
    run: `exec ${q(NODE24)} ${q(recipeBundle)} ${mode}`,
    // The runner gives the cache variables to node actions (actions/cache/restore and /save are
    // node actions); run steps only get what the workflow passes, so pass them here.
    env: { ...world.cache.env, ...env },
    if: condition
  });

  // The guide's recipe: restore ~/.codex/auth.json (where Codex reads it), run Codex, save it
  // under a key unique to the job, always.
  const RECIPE_PATH = '~/.codex/auth.json';
  const recipeJob = (prefix: string, extraEnv: Record<string, string>): JobSpec => {
    const runId = ++runIds;
    const key = `${prefix}${runId}-1`;
    return {
      name: 'recipe',
      runId,
      env: { ...jobEnv, ...extraEnv },
      steps: [
        recipeStep('restore', 'restore', { CACHE_PATH: RECIPE_PATH, CACHE_KEY: key, CACHE_RESTORE_KEYS: prefix }),
        { ...codexExecStep(world), name: 'codex' },
        recipeStep('save', 'save', { CACHE_PATH: RECIPE_PATH, CACHE_KEY: key }, 'always')
      ]
    };
  };
  const plantRecipe = async (prefix: string, authJson: string): Promise<void> => {
    const job = await runJob({
      name: 'plant',
      runId: ++runIds,
      steps: [
        {
          name: 'write',
          run: 'mkdir -p ~/.codex && printf %s "$AUTH_JSON" > ~/.codex/auth.json',
          env: { AUTH_JSON: authJson }
        },
        recipeStep('save', 'save', { CACHE_PATH: RECIPE_PATH, CACHE_KEY: `${prefix}planted-${++plants}` })
      ]
    });
    if (job.status !== 'success') throw new BenchError(`planting a recipe entry failed:\n${job.log}`);
  };

  // codex-auth in ChatGPT mode, as a user writes the job: the seed secret (the original login,
  // older than what the cache holds), the encryption key, then Codex. `renewal: in-job`: the per-job
  // cost next to the recipe, which also lets Codex refresh and saves after the job (the fan-out
  // comparison at the end measures `renewal: ahead`).
  const seed = world.oauth.issue({ accessTtlSeconds: -60 });
  const chatGpt = (credentialName: string, extraEnv: Record<string, string>): JobSpec =>
    chatGptJob(world, {
      inputs: {
        renewal: 'in-job',
        'encryption-key': encryptionKey,
        'chatgpt-auth-json': serialize(seed),
        'credential-name': credentialName
      },
      steps: [{ ...codexExecStep(world), name: 'codex' }],
      extra: { env: extraEnv, runId: ++runIds }
    });
  const apiKey = (extraEnv: Record<string, string>): JobSpec => ({
    name: 'api-key',
    runId: ++runIds,
    env: extraEnv,
    actionEnv: world.cache.env,
    steps: [
      { uses: 'action', id: 'auth', with: { 'openai-api-key': 'sk-bench-0123456789abcdefghijklmnop' } },
      { name: 'work', run: 'true' }
    ]
  });
  const bare = (extraEnv: Record<string, string>): JobSpec => ({
    name: 'bare-restore',
    runId: ++runIds,
    env: extraEnv,
    steps: [
      recipeStep('restore', 'restore', {
        CACHE_PATH: '.codex-auth/default.envelope',
        CACHE_KEY: 'codex-auth-v1.default.'
      })
    ]
  });
  const emptyRun = (): JobSpec => ({
    name: 'empty',
    runId: ++runIds,
    steps: [{ name: 'empty', run: `exec ${q(NODE24)} ${q(EMPTY_SCRIPT)}` }]
  });
  // A stored copy whose access token has expired: Codex refreshes it in the job.
  const plantExpired = async (): Promise<void> => {
    const auth = world.oauth.issue({ accessTtlSeconds: -60 });
    const envelope = await seal(serialize(auth), keyBytes, 'rotating');
    await plantCacheEntry(
      world,
      '.codex-auth/rotating.envelope',
      envelope,
      `codex-auth-v1.rotating.${Date.now()}.0-0.planted${++plants}`
    );
  };

  async function measureJob(spec: JobSpec): Promise<JobMeasure> {
    const entriesBefore = world.cache.entries().length;
    const twirpBefore = world.cache.requests.length;
    const blobBefore = world.cache.blobRequests.length;
    const refreshesBefore = world.oauth.stats().refreshes;
    const records: SpawnRecord[] = [];
    recording = records;
    let job: JobResult;
    try {
      job = await runJob(spec);
    } finally {
      recording = null;
    }
    if (job.status !== 'success') throw new BenchError(`job '${spec.name}' failed:\n${job.log}`);
    const ran = job.steps.filter((s) => s.status !== 'skipped');
    if (ran.length !== records.length)
      throw new BenchError(`job '${spec.name}': ${ran.length} steps ran but ${records.length} processes were recorded`);
    const twirp = world.cache.requests.slice(twirpBefore);
    const blob = world.cache.blobRequests.slice(blobBefore);
    return {
      job,
      steps: ran.map((result, i) => ({ result, measure: stepMeasure(records[i], twirp, blob) })),
      twirp,
      blob,
      newEntries: world.cache
        .entries()
        .slice(entriesBefore)
        .map((e) => ({ key: e.key, sizeBytes: e.sizeBytes })),
      refreshes: world.oauth.stats().refreshes - refreshesBefore
    };
  }

  async function measureEmptyDirect(): Promise<StepMeasure> {
    const records: SpawnRecord[] = [];
    recording = records;
    try {
      await new Promise<void>((resolve, reject) => {
        const child = cp.spawn(NODE24, [EMPTY_SCRIPT], {
          cwd: reportDir,
          env: { PATH: process.env.PATH ?? '', HOME: reportDir, LANG: 'C.UTF-8' },
          stdio: ['ignore', 'pipe', 'pipe']
        });
        child.stdout?.resume();
        child.stderr?.resume();
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve() : reject(new BenchError(`empty script exited ${code}`))));
      });
    } finally {
      recording = null;
    }
    return stepMeasure(records[0], [], []);
  }

  const step = (m: JobMeasure, name: string, phase: StepResult['phase']): StepMeasure => {
    const found = m.steps.find((s) => s.result.phase === phase && (phase !== 'run' || s.result.name === name));
    if (!found) throw new BenchError(`no ${phase} step '${name}' in job ${m.job.name}`);
    return found.measure;
  };
  const expect = (ok: boolean, what: string, m: JobMeasure): void => {
    if (!ok) throw new BenchError(`scenario check failed: ${what}\n${m.job.log}`);
  };

  // --- Setup: one stored copy for the 'default' chain (a real refresh by Codex, saved by our post
  // step) and one plaintext auth.json for the recipe's chain.
  process.stderr.write('Seeding the credential chains...\n');
  const first = await measureJob(chatGpt('default', {}));
  expect(
    first.refreshes === 1 && /Saved the refreshed ChatGPT login/.test(first.job.log),
    'the seeding job refreshes and saves',
    first
  );
  await plantRecipe('codex-default-', serialize(world.oauth.issue()));

  const samples = new Map<string, StepMeasure[]>(ROWS.map((r) => [r.id, []]));
  const jobSamples = new Map<string, JobMeasure[]>(JOBS.map((j) => [j.id, []]));
  const keep = (timed: boolean, id: string, measure: StepMeasure): void => {
    if (timed) samples.get(id)!.push(measure);
  };
  const keepJob = (timed: boolean, id: string, m: JobMeasure): void => {
    if (timed) jobSamples.get(id)!.push(m);
  };

  const scenarios: Record<string, (timed: boolean) => Promise<void>> = {
    empty: async (timed) => keep(timed, 'empty.direct', await measureEmptyDirect()),
    apikey: async (timed) => {
      const m = await measureJob(apiKey({}));
      keep(timed, 'apikey.main', step(m, '', 'main'));
      keep(timed, 'apikey.post', step(m, '', 'post'));
      keepJob(timed, 'apikey', m);
    },
    hit: async (timed) => {
      const m = await measureJob(chatGpt('default', {}));
      expect(
        m.job.outputs('auth').source === 'cache' && m.refreshes === 0,
        'ChatGPT job restores from the cache, Codex does not refresh',
        m
      );
      expect(/unchanged since the main step/.test(m.job.log), 'the post step sees the credential unchanged', m);
      keep(timed, 'hit.main', step(m, '', 'main'));
      keep(timed, 'hit.codex', step(m, 'codex', 'run'));
      keep(timed, 'hit.post', step(m, '', 'post'));
      keepJob(timed, 'hit', m);
    },
    bare: async (timed) => {
      const m = await measureJob(bare({}));
      expect(/Restored/.test(m.job.log), 'the bare restore hits', m);
      keep(timed, 'bare.restore', step(m, 'restore', 'run'));
      keepJob(timed, 'bare', m);
    },
    refresh: async (timed) => {
      await plantExpired();
      const m = await measureJob(chatGpt('rotating', {}));
      expect(m.job.outputs('auth').source === 'cache' && m.refreshes === 1, 'Codex refreshes the restored login', m);
      expect(/Saved the refreshed ChatGPT login/.test(m.job.log), 'the post step saves the refreshed login', m);
      keep(timed, 'refresh.main', step(m, '', 'main'));
      keep(timed, 'refresh.codex', step(m, 'codex', 'run'));
      keep(timed, 'refresh.post', step(m, '', 'post'));
      keepJob(timed, 'refresh', m);
    },
    recipe: async (timed) => {
      const m = await measureJob(recipeJob('codex-default-', {}));
      expect(
        m.refreshes === 0 && /Restored/.test(m.job.log) && /Saved/.test(m.job.log),
        'the recipe restores and saves, no refresh',
        m
      );
      keep(timed, 'recipe.restore', step(m, 'restore', 'run'));
      keep(timed, 'recipe.save', step(m, 'save', 'run'));
      keepJob(timed, 'recipe', m);
    },
    recipeRefresh: async (timed) => {
      await plantRecipe('codex-rotating-', serialize(world.oauth.issue({ accessTtlSeconds: -60 })));
      const m = await measureJob(recipeJob('codex-rotating-', {}));
      expect(
        m.refreshes === 1 && /Saved/.test(m.job.log),
        'Codex refreshes the recipe’s login and the recipe saves it',
        m
      );
      keep(timed, 'recipe-refresh.restore', step(m, 'restore', 'run'));
      keep(timed, 'recipe-refresh.save', step(m, 'save', 'run'));
      keepJob(timed, 'recipe-refresh', m);
    },
    emptyRun: async (timed) => {
      const m = await measureJob(emptyRun());
      keep(timed, 'empty.run', step(m, 'empty', 'run'));
    }
  };
  // Paired scenarios run next to each other, in alternating order from round to round.
  const pairs: string[][] = [
    ['empty', 'apikey'],
    ['hit', 'bare'],
    ['recipe', 'recipeRefresh'],
    ['refresh', 'emptyRun']
  ];

  const rounds = WARMUP + REPS;
  for (let round = 0; round < rounds; round++) {
    const timed = round >= WARMUP;
    process.stderr.write(`Round ${round + 1}/${rounds}${timed ? '' : ' (warm-up)'}...\n`);
    for (const pair of pairs) {
      for (const name of round % 2 ? [...pair].reverse() : pair) await scenarios[name](timed);
    }
  }

  // --- Trace pass: which dist/ files each step loads (not timed: the load hook has a cost).
  process.stderr.write('Tracing the modules each step loads...\n');
  const traceFile = path.join(reportDir, 'trace.jsonl');
  const tracing = traceEnv(traceFile);
  const loaded = new Map<string, string[]>();
  const traced = async (spec: JobSpec, scenario: string): Promise<void> => {
    await fs.rm(traceFile, { force: true });
    await measureJob(spec);
    for (const { argv, files } of await readTrace(traceFile)) {
      const script = argv[0] ?? '';
      let what: string | undefined;
      if (script.endsWith(path.join('dist', 'main', 'index.js'))) what = 'main';
      else if (script.endsWith(path.join('dist', 'post', 'index.js'))) what = 'post';
      else if (script === recipeBundle) what = argv[1];
      if (what) loaded.set(`${scenario}.${what}`, files);
    }
  };
  await traced(apiKey(tracing), 'apikey');
  await traced(chatGpt('default', tracing), 'hit');
  await plantExpired();
  await traced(chatGpt('rotating', tracing), 'refresh');
  await traced(bare(tracing), 'bare');
  await traced(recipeJob('codex-default-', tracing), 'recipe');

  report(world, wrapper, recipeBundle, info, samples, jobSamples, loaded);
  process.stderr.write(
    'Lease rate budget: 40 jobs with lease: true against the loopback GitHub API (a few seconds)...\n'
  );
  const { leaseBudget } = await import('./bench/lease-budget.js');
  console.log(`\n${(await leaseBudget()).join('\n')}`);
  if (!args.includes('--no-fanout')) await fanoutComparison();
  return 0;
}

/**
 * The fan-out fleet of __tests__/fanout.test.ts run both ways, `renewal: ahead` and `renewal: in-job`
 * + the lease, for the makespan ratio (figures only; `--no-fanout` skips it, `--quick` runs 16 jobs).
 */
async function fanoutComparison(): Promise<void> {
  const { describeFigures, FANOUT_SHAPE, runFanout } = await import('../__tests__/support/fanout.js');
  const shape = QUICK ? { ...FANOUT_SHAPE, jobs: 16 } : FANOUT_SHAPE;
  process.stderr.write(
    `Fan-out fleet: ${shape.jobs} jobs on ${shape.runners} runners, renewal: ahead, then in-job + lease (a few minutes)...\n`
  );
  const ahead = await runFanout('ahead', shape);
  const inJob = await runFanout('in-job', { ...shape, barrier: 0 });
  console.log(`\n${describeFigures(ahead.figures)}\n${describeFigures(inJob.figures)}`);
  console.log(
    `Fan-out makespan: renewal: ahead ${ahead.figures.seconds} s, renewal: in-job + lease ${inJob.figures.seconds} s: ratio ${(ahead.figures.seconds / inJob.figures.seconds).toFixed(2)} (ahead / in-job)`
  );
}

// ---------------------------------------------------------------------------------------------
// The report

function report(
  world: World,
  wrapper: Wrapper,
  recipeBundle: string,
  info: { node24Version: string; codexVersion: string; started: number; distBefore: string },
  samples: Map<string, StepMeasure[]>,
  jobSamples: Map<string, JobMeasure[]>,
  loaded: Map<string, string[]>
): void {
  const out: string[] = [];
  const say = (line = ''): void => void out.push(line);
  const cpus = os.cpus();
  const wall = (id: string): number[] => samples.get(id)!.map((s) => s.wallMs);
  const cpu = (id: string): number[] => samples.get(id)!.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs]));
  const perRound = (a: number[], b: number[]): number[] => a.map((x, i) => x / b[i]).filter(Number.isFinite);

  say(
    `codex-auth benchmark: ${REPS} round${REPS === 1 ? '' : 's'} after ${WARMUP} warm-up round${WARMUP === 1 ? '' : 's'}${QUICK ? ' (--quick: a smoke run, not a measurement)' : ''}`
  );
  say(
    `Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.type()} ${os.release()}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`
  );
  say(
    `Node: steps run under ${info.node24Version} (${path.relative(ROOT, NODE24)}, as runs.using: node24); the bench itself under ${process.version}. Codex CLI ${info.codexVersion}.`
  );
  say(`CPU time: user+sys of the step's process and the children it waited for (tar, zstd, bash), ${wrapper.how}.`);
  say(
    'Absolute times on a shared machine are noise: read the ratios, which pair steps of the same round (CPU ratios are'
  );
  say('the steadier ones when other jobs compete for the cores).');
  if (distFingerprint() !== info.distBefore)
    say(
      'WARNING: dist/ changed while the bench ran (rebuilt by someone else?): the figures may mix two builds; run it again.'
    );
  say();

  // 1. Steps
  say(
    `1. Steps: median [min–max] over ${REPS} rounds; cache requests and bytes per step (Twirp calls + blob transfers)`
  );
  const stepRows: string[][] = [];
  let group = '';
  for (const row of ROWS) {
    const s = samples.get(row.id)!;
    if (!s.length) continue;
    if (row.group !== group) {
      group = row.group;
      const title = {
        baseline: 'baselines',
        'codex-auth': 'codex-auth (dist/)',
        recipe: 'manual recipe (@actions/cache, ncc bundle)',
        context: 'for scale: the Codex step itself'
      }[row.group];
      stepRows.push([`${title}:`, '', '', '', '', '']);
    }
    const twirp = median(s.map((m) => m.twirp.length));
    const blob = median(s.map((m) => m.blob.length));
    const rss = s.flatMap((m) => (m.rssKb === undefined ? [] : [m.rssKb / 1024]));
    stepRows.push([
      `  ${row.label}`,
      spread(wall(row.id), fmtMs),
      spread(cpu(row.id), fmtMs),
      rss.length ? median(rss).toFixed(0) : 'n/a',
      row.group === 'baseline' || row.group === 'context' ? '' : `${twirp} + ${blob}`,
      row.group === 'baseline' || row.group === 'context'
        ? ''
        : `${fmtBytes(median(s.map((m) => m.downBytes)))} / ${fmtBytes(median(s.map((m) => m.upBytes)))}`
    ]);
  }
  say(table(['step', 'wall ms', 'CPU ms', 'RSS MB', 'Twirp + blob', 'down / up'], stepRows, [3]));
  const bashWall = median(wall('empty.run').map((w, i) => w - wall('empty.direct')[i]));
  const bashCpu = median(cpu('empty.run').map((c, i) => c - cpu('empty.direct')[i]));
  say(
    `  A run step adds bash in front of the process: about ${fmtMs(bashWall)} ms wall and ${fmtMs(bashCpu)} ms CPU here (empty run step minus`
  );
  say(
    '  empty direct spawn, per round). The recipe rows include it; as node actions (actions/cache/restore, /save) they would not.'
  );
  say();

  // 2. Ratios
  say('2. Ratios, computed per round (same round, same machine state): median [min–max]');
  const pair = (a: string, b: string): [number[], number[]] => [perRound(wall(a), wall(b)), perRound(cpu(a), cpu(b))];
  const sum = (ids: string[], pick: (id: string) => number[]): number[] =>
    pick(ids[0]).map((_, i) => ids.reduce((n, id) => n + pick(id)[i], 0));
  const jobPair = (a: string[], b: string[]): [number[], number[]] => [
    perRound(sum(a, wall), sum(b, wall)),
    perRound(sum(a, cpu), sum(b, cpu))
  ];
  const ratioRows: [string, [number[], number[]]][] = [
    ['ChatGPT main (hit) / bare restore of the same entry', pair('hit.main', 'bare.restore')],
    ['ChatGPT main (hit) / recipe restore', pair('hit.main', 'recipe.restore')],
    ['ChatGPT post, unchanged / recipe save', pair('hit.post', 'recipe.save')],
    ['ChatGPT post after refresh / recipe save after refresh', pair('refresh.post', 'recipe-refresh.save')],
    [
      'codex-auth main+post / recipe restore+save, no refresh',
      jobPair(['hit.main', 'hit.post'], ['recipe.restore', 'recipe.save'])
    ],
    [
      'codex-auth main+post / recipe restore+save, refresh',
      jobPair(['refresh.main', 'refresh.post'], ['recipe-refresh.restore', 'recipe-refresh.save'])
    ],
    ['API-key main / empty Node 24 script', pair('apikey.main', 'empty.direct')],
    ['API-key main+post / empty Node 24 script', jobPair(['apikey.main', 'apikey.post'], ['empty.direct'])]
  ];
  say(
    table(
      ['ratio', 'wall', 'CPU'],
      ratioRows.map(([label, [w, c]]) => [label, spread(w, fmtRatio), spread(c, fmtRatio)])
    )
  );
  say();

  // 3. Cache traffic per job and storage
  say('3. Cache traffic per job (median over the rounds) and what 10 such jobs leave in the cache');
  const methodCounts = (ms: JobMeasure[]): string => {
    const names: Record<string, string> = {
      GetCacheEntryDownloadURL: 'Get',
      CreateCacheEntry: 'Create',
      FinalizeCacheEntryUpload: 'Finalize'
    };
    const counts = new Map<string, number[]>();
    ms.forEach((m, i) => {
      for (const r of m.twirp) {
        const k = names[r.method] ?? r.method;
        if (!counts.has(k)) counts.set(k, Array(ms.length).fill(0));
        counts.get(k)![i]++;
      }
    });
    return [...counts].map(([k, v]) => `${median(v)} ${k}`).join(', ') || 'none';
  };
  const jobRows = JOBS.filter((j) => jobSamples.get(j.id)!.length).map((j) => {
    const ms = jobSamples.get(j.id)!;
    const entriesPerJob = ms.reduce((n, m) => n + m.newEntries.length, 0) / ms.length;
    const bytesPerJob = ms.reduce((n, m) => n + m.newEntries.reduce((b, e) => b + e.sizeBytes, 0), 0) / ms.length;
    return [
      j.label,
      String(median(ms.map((m) => m.twirp.length))),
      methodCounts(ms),
      String(median(ms.map((m) => m.blob.length))),
      fmtBytes(median(ms.map((m) => m.blob.reduce((n, b) => n + blobDown(b), 0)))),
      fmtBytes(median(ms.map((m) => m.blob.reduce((n, b) => n + blobUp(b), 0)))),
      (entriesPerJob * 10).toFixed(0),
      fmtBytes(Math.round(bytesPerJob * 10))
    ];
  });
  say(
    table(
      ['job', 'Twirp', 'calls', 'blob', 'down', 'up', 'entries/10 jobs', 'stored/10 jobs'],
      jobRows,
      [1, 3, 4, 5, 6, 7]
    )
  );
  say('  Codex refreshes only when the access token is within ~5 minutes of expiry (real ones last ~10 days), so a');
  say('  codex-auth chain adds about one entry per refresh, and the recipe one per job whatever happened.');
  say();

  // 4. dist/ files
  say('4. dist/ files (entries run by the runner; chunks are loaded on demand by import())');
  const distDir = path.join(ROOT, 'dist');
  const distFiles: { rel: string; file: string; bytes: number; entry: boolean; contents: string }[] = [];
  for (const sub of readdirSync(distDir).sort()) {
    const dir = path.join(distDir, sub);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.js') || n.endsWith('.mjs'))
      .sort((a, b) => (a === 'index.js' ? -1 : b === 'index.js' ? 1 : a.localeCompare(b)))) {
      const file = path.join(dir, name);
      distFiles.push({
        rel: `dist/${sub}/${name}`,
        file,
        bytes: statSync(file).size,
        entry: name === 'index.js',
        contents: describeContents(readFileSync(file, 'utf8'))
      });
    }
  }
  const shown = (file: string): string =>
    file === recipeBundle ? 'scripts/bench/recipe.mjs, bundled' : path.relative(ROOT, file);
  const loadedBy = (file: string): string =>
    [...loaded]
      .filter(([, files]) => files.includes(file))
      .map(([id]) => id)
      .join(', ') || '-';
  say(
    table(
      ['file', 'kind', 'size', 'contains', 'loaded by (trace pass)'],
      [
        ...distFiles.map((f) => [f.rel, f.entry ? 'entry' : 'chunk', fmtBytes(f.bytes), f.contents, loadedBy(f.file)]),
        [
          shown(recipeBundle),
          'recipe',
          fmtBytes(statSync(recipeBundle).size),
          describeContents(readFileSync(recipeBundle, 'utf8')),
          loadedBy(recipeBundle)
        ]
      ],
      [2]
    )
  );
  say(`  The recipe bundle is ${path.relative(ROOT, recipeBundle)} (ncc --minify, a single file).`);
  say();

  // 5. What each step loads
  say('5. Code each step loads (files under dist/, or the recipe bundle)');
  const loadRows: string[][] = [];
  for (const [id, files] of loaded) {
    const mine = files.filter((f) => f.startsWith(distDir + path.sep) || f === recipeBundle);
    const bytes = mine.reduce((n, f) => n + statSync(f).size, 0);
    loadRows.push([ROWS.find((r) => r.id === id)?.label ?? id, mine.map(shown).join(' + '), fmtBytes(bytes)]);
  }
  say(table(['step', 'files', 'total'], loadRows, [2]));
  say();

  // 6. Targets
  say('6. Targets');
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'N/A ' : ok ? 'PASS' : 'MISS');
  const hitPost = samples.get('hit.post')!;
  const postRequests = Math.max(...hitPost.map((m) => m.twirp.length + m.blob.length));
  const recipeSaves = [...jobSamples.get('recipe')!, ...jobSamples.get('recipe-refresh')!].map(
    (m) => m.twirp.filter((r) => r.method === 'CreateCacheEntry').length
  );
  say(
    `  [${verdict(postRequests === 0)}] ChatGPT post with an unchanged credential makes no cache request: ${postRequests} (max over ${hitPost.length} jobs); the recipe saves ${median(recipeSaves)} time(s) per job (min ${Math.min(...recipeSaves)}, max ${Math.max(...recipeSaves)}), refresh or not.`
  );
  const ratioTarget = (label: string, a: string, b: string, limit: number, extra = ''): void => {
    const [w, c] = pair(a, b);
    const [mw, mc] = [median(w), median(c)];
    const disagree =
      mw <= limit !== mc <= limit
        ? ` (CPU ${mc <= limit ? 'meets' : 'misses'} it: wall is the noisier figure here)`
        : '';
    say(
      `  [${verdict(mw <= limit)}] ${label} within ${limit}× of ${b === 'bare.restore' ? 'a bare restore of the same bytes' : 'the start-up of an empty Node 24 script'}: ${fmtRatio(mw)} wall [${fmtRatio(Math.min(...w))}–${fmtRatio(Math.max(...w))}], ${fmtRatio(mc)} CPU; ${fmtMs(median(wall(a)))} ms vs ${fmtMs(median(wall(b)))} ms wall, ${fmtMs(median(cpu(a)))} vs ${fmtMs(median(cpu(b)))} ms CPU${disagree}.${extra}`
    );
  };
  ratioTarget(
    'ChatGPT main step (cache hit)',
    'hit.main',
    'bare.restore',
    1.2,
    ` The baseline runs as a run step, so it carries ~${fmtMs(bashCpu)} ms of bash CPU.`
  );
  const apiFiles = (loaded.get('apikey.main') ?? []).filter((f) => f.startsWith(distDir + path.sep));
  const heavy = apiFiles.filter((f) => /cache|crypto|octokit/.test(describeContents(readFileSync(f, 'utf8'))));
  say(
    `  [${verdict(apiFiles.length ? heavy.length === 0 : undefined)}] API-key mode loads no cache, crypto or GitHub API client code: it loads ${apiFiles.map((f) => path.relative(ROOT, f)).join(', ') || '(trace unavailable)'}${heavy.length ? `; cache/crypto in ${heavy.map((f) => path.relative(ROOT, f)).join(', ')}` : ' (no @actions/cache, @azure, libsodium, envelope, cache-store or Octokit code)'}.`
  );
  const cacheOnly = (loaded.get('hit.main') ?? []).filter((f) => f.startsWith(distDir + path.sep));
  const octokit = cacheOnly.filter((f) => describeContents(readFileSync(f, 'utf8')).includes('octokit'));
  say(
    `  [${verdict(cacheOnly.length ? octokit.length === 0 : undefined)}] ChatGPT mode with the cache alone loads no GitHub API client (Octokit is loaded only with secret-name or lease)${octokit.length ? `: it loads ${octokit.map((f) => path.relative(ROOT, f)).join(', ')}` : ''}.`
  );
  ratioTarget('API-key main step', 'apikey.main', 'empty.direct', 1.25); // issue 22
  for (const f of distFiles.filter((d) => d.entry)) {
    say(`  [${verdict(f.bytes < ENTRY_LIMIT)}] ${f.rel} under 2 MB: ${fmtBytes(f.bytes)}.`);
  }
  const bigChunks = distFiles.filter((d) => !d.entry && d.bytes >= ENTRY_LIMIT);
  for (const f of bigChunks)
    say(
      `  [info] chunk ${f.rel} is ${fmtBytes(f.bytes)} (${f.contents}); chunks are not entries, reported separately.`
    );
  say();
  say(
    `Done in ${((performance.now() - info.started) / 1000).toFixed(0)} s; cache service totals: ${world.cache.stats().requests} Twirp calls, ${world.cache.entries().length} entries.`
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

/** What a bundle file carries, from string literals that survive minification. */
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof BenchError ? 'Benchmark scenario broken: ' : ''}${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    );
    process.exit(1);
  }
);
