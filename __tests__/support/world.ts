// The loopback world a ChatGPT-mode job runs in: the Actions cache (Twirp + Azurite), OpenAI's
// token endpoint and a Responses API, all on 127.0.0.1, plus builders for realistic jobs.
// Used by the end-to-end tests, the demo and the benchmark.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCacheService, type CacheService } from './cache-service.js';
import { codexProviderArgs } from './codex.js';
import type { ChatGptAuthJson } from './jwt.js';
import { startModelServer, type ModelServer, type ModelServerOptions } from './model-server.js';
import { startOAuthServer, type OAuthServer, type OAuthServerOptions } from './oauth-server.js';
import { NODE24, ROOT } from './paths.js';
import type { JobResult, JobSpec, Step } from './runner.js';

export interface World {
  cache: CacheService;
  oauth: OAuthServer;
  model: ModelServer;
  stop(): Promise<void>;
}

export async function startWorld(
  options: { oauth?: OAuthServerOptions; model?: ModelServerOptions } = {}
): Promise<World> {
  const cache = await startCacheService();
  const oauth = await startOAuthServer(options.oauth);
  const model = await startModelServer(oauth, options.model);
  return {
    cache,
    oauth,
    model,
    stop: async () => {
      await Promise.all([cache.stop(), oauth.stop(), model.stop()]);
    }
  };
}

/** A random 32-byte key, as `openssl rand -base64 32` makes. */
export function newEncryptionKey(): string {
  return Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString('base64');
}

export function serialize(auth: ChatGptAuthJson): string {
  return JSON.stringify(auth, null, 2);
}

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/** A `codex exec` step against the loopback model (the real CLI, reading CODEX_HOME exported by our main step). */
export function codexExecStep(
  world: World,
  options: { name?: string; prompt?: string; extraArgs?: string[]; if?: Step['if'] } = {}
): Step {
  const args = [
    'exec',
    ...codexProviderArgs(world.model.baseUrl),
    ...(options.extraArgs ?? []),
    options.prompt ?? 'say hi'
  ];
  return { name: options.name ?? 'codex exec', run: `codex ${args.map(quote).join(' ')} < /dev/null`, if: options.if };
}

export interface ChatGptJobOptions {
  name?: string;
  inputs?: Record<string, string>;
  /** Steps after our main step; default: one `codex exec`. */
  steps?: Step[];
  extra?: Partial<JobSpec>;
}

/** A workflow job: our action in ChatGPT mode, then Codex; the runner adds our post step. */
export function chatGptJob(world: World, options: ChatGptJobOptions = {}): JobSpec {
  return {
    name: options.name ?? 'codex',
    steps: [
      { uses: 'action', id: 'auth', with: { 'auth-mode': 'chatgpt', ...options.inputs } },
      ...(options.steps ?? [codexExecStep(world)])
    ],
    // Codex must refresh against the loopback token endpoint, never OpenAI's.
    env: {
      CODEX_REFRESH_TOKEN_URL_OVERRIDE: world.oauth.url,
      CODEX_REVOKE_TOKEN_URL_OVERRIDE: world.oauth.revokeUrl,
      ...options.extra?.env
    },
    actionEnv: { ...world.cache.env, ...options.extra?.actionEnv },
    ...withoutEnv(options.extra)
  };
}

function withoutEnv(extra: Partial<JobSpec> | undefined): Partial<JobSpec> {
  if (!extra) return {};
  const { env: _env, actionEnv: _actionEnv, ...rest } = extra;
  return rest;
}

export function postStep(job: JobResult): JobResult['steps'][number] {
  const post = job.steps.find((s) => s.phase === 'post');
  if (!post) throw new Error(`job ${job.name} has no post step`);
  return post;
}

/** Every token value the OAuth server has handed out or minted, for "no token in any log" checks. */
export function allTokens(world: World, extra: ChatGptAuthJson[] = []): string[] {
  const tokens = new Set<string>();
  for (const request of world.oauth.requests) {
    if (request.issued) Object.values(request.issued).forEach((t) => tokens.add(t));
    const sent = request.body?.refresh_token;
    if (typeof sent === 'string') tokens.add(sent);
  }
  for (const auth of extra) {
    Object.values(auth.tokens).forEach((t) => typeof t === 'string' && tokens.add(t));
  }
  return [...tokens];
}

/**
 * Secret values found in the jobs' output, and every value a step masked that the log shows as a real
 * runner shows it (printed before its `::add-mask::`). Our own steps must never print one at all (raw output,
 * masks not applied), nor put one in the job summary, an output or an exported variable; other steps (Codex itself prints the account id when it logs out) are judged
 * by what the user sees, with the masks our steps registered.
 */
export function leakedSecrets(jobs: JobResult[], secrets: string[]): string[] {
  const leaks: string[] = [];
  for (const job of jobs) {
    for (const step of job.steps) {
      // Our steps' summary, outputs and exported variables are never masked by the runner: checked raw too.
      const texts: [string, string][] =
        step.phase === 'run'
          ? [['log', step.masked]]
          : [
              ['log', step.log],
              ['summary', step.summary],
              ...Object.entries({ ...step.outputs, ...step.exported }).map(([name, value]): [string, string] => [
                `output or variable ${name}`,
                value
              ])
            ];
      // Every value a step of the job masked, as the runner shows the log: printed before its add-mask, it shows.
      for (const value of job.masks) {
        if (value.length < 8 || !step.masked.includes(value) || secrets.includes(value)) continue;
        const at = step.masked.indexOf(value);
        leaks.push(
          `${job.name} / ${step.name} (log, before its mask): ${value.slice(0, 6)}… after "${step.masked.slice(Math.max(0, at - 80), at).replace(/\s+/g, ' ')}"`
        );
      }
      for (const secret of secrets) {
        for (const [where, text] of texts) {
          if (secret.length < 8 || !text.includes(secret)) continue;
          const at = text.indexOf(secret);
          leaks.push(
            `${job.name} / ${step.name} (${where}): ${secret.slice(0, 6)}… after "${text.slice(Math.max(0, at - 80), at).replace(/\s+/g, ' ')}"`
          );
        }
      }
    }
  }
  return leaks;
}

/** The files inside a stored cache archive (a zstd or gzip tar), extracted with the system tar as the library does. */
export async function readCacheArchive(world: World, key: string): Promise<Record<string, string>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-archive-'));
  try {
    const archive = path.join(dir, 'cache.tar');
    await fs.writeFile(archive, await world.cache.readBlob(key));
    await new Promise<void>((resolve, reject) => {
      const child = spawn('tar', ['-xf', archive, '-I', 'zstd -d', '-C', dir, '-P'], { stdio: 'ignore' });
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}`))));
    });
    await fs.rm(archive);
    const files: Record<string, string> = {};
    const walk = async (current: string): Promise<void> => {
      for (const entry of await fs.readdir(current, { withFileTypes: true })) {
        const full = path.join(current, entry.name);
        if (entry.isDirectory()) await walk(full);
        else files[path.relative(dir, full)] = await fs.readFile(full, 'utf8');
      }
    };
    await walk(dir);
    return files;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Stores an arbitrary file as a cache entry under `key`, through the real @actions/cache library,
 * with the path string our action uses (so the cache version matches): for tampering tests.
 */
export async function plantCacheEntry(world: World, relativePath: string, content: string, key: string): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-plant-'));
  try {
    await fs.mkdir(path.join(dir, path.dirname(relativePath)), { recursive: true });
    await fs.writeFile(path.join(dir, relativePath), content);
    const script = `import * as cache from '@actions/cache'; const id = await cache.saveCache([${JSON.stringify(relativePath)}], ${JSON.stringify(key)}); if (id === -1) process.exit(3);`;
    const scriptFile = path.join(ROOT, 'node_modules', `.plant-${randomUUID()}.mjs`);
    await fs.writeFile(scriptFile, script);
    try {
      let output = '';
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(NODE24, [scriptFile], {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '', HOME: dir, RUNNER_TEMP: path.join(dir, '_temp'), ...world.cache.env },
          stdio: ['ignore', 'pipe', 'pipe']
        });
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('close', resolve);
      });
      // The library reports why a save failed only in its log (a warning), and returns -1.
      if (code !== 0) throw new Error(`planting cache entry ${key} failed (exit ${code}):\n${output}`);
    } finally {
      await fs.rm(scriptFile, { force: true });
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
