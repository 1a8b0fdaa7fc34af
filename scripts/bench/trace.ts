// What a step loads, as trace-preload.mjs records it: the environment that turns the tracer on, the
// trace's lines, and what a bundle file holds. Shared by the bench's trace pass (scripts/bench.ts)
// and __tests__/lazy-loading.test.ts.
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One traced process: its argv (script first), the files it loaded, the Node built-ins it loaded. */
export interface TracedProcess {
  argv: string[];
  files: string[];
  builtins: string[];
}

/** The env that makes every Node process of a job append its line to `traceFile`. */
export function traceEnv(traceFile: string): Record<string, string> {
  const preload = new URL('./trace-preload.mjs', import.meta.url).href;
  return { NODE_OPTIONS: `--import=${preload}`, CODEX_AUTH_BENCH_TRACE: traceFile };
}

/** The processes `traceFile` recorded (none when it is missing), with file paths, not URLs. */
export async function readTrace(traceFile: string): Promise<TracedProcess[]> {
  const text = await fs.readFile(traceFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const { argv, files, builtins } = JSON.parse(line) as TracedProcess;
      return { argv, files: files.map((url) => fileURLToPath(url)), builtins: builtins ?? [] };
    });
}

/** What a bundle file holds, by strings its code carries (dist chunks have numeric names). */
export function describeContents(text: string): string {
  const tags: string[] = [];
  if (/Codex will use the API key/.test(text)) tags.push('api-key mode');
  if (/Codex will use the ChatGPT login/.test(text)) tags.push('chatgpt main');
  if (/Saved the refreshed ChatGPT login/.test(text)) tags.push('chatgpt post');
  if (/codex-auth-v1\./.test(text)) tags.push('cache store');
  if (/codex-auth key id v1/.test(text)) tags.push('envelope (crypto)');
  if (/Unable to reserve cache with key/.test(text)) tags.push('@actions/cache');
  if (/x-ms-blob-type/.test(text)) tags.push('@azure/storage-blob');
  if (/sodium_init/.test(text)) tags.push('libsodium (crypto)');
  if (/Invalid TOML|smol-toml/.test(text)) tags.push('smol-toml');
  if (/ghadelimiter_/.test(text)) tags.push('@actions/core');
  if (/UND_ERR_CONNECT_TIMEOUT/.test(text)) tags.push('undici (via @actions/http-client)');
  if (/octokit-global|octokit\/plugin-throttling/.test(text)) tags.push('octokit');
  return tags.join(', ') || '-';
}
