// Loaded with NODE_OPTIONS=--import=<this file> in the benchmark's trace pass (never in the timed
// rounds): records every module file the process loads (ESM imports, dynamic imports of code-split
// chunks, require) and the Node built-ins it loads after start-up (`crypto`, `stream`, …), and appends
// one JSON line per process to $CODEX_AUTH_BENCH_TRACE at exit.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.CODEX_AUTH_BENCH_TRACE;
const files = new Set();
const startUp = new Set(process.moduleLoadList);
if (out && typeof registerHooks === 'function') {
  registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:')) files.add(url);
      return nextLoad(url, context);
    }
  });
  process.on('exit', () => {
    const builtins = process.moduleLoadList
      .filter((m) => !startUp.has(m) && m.startsWith('NativeModule '))
      .map((m) => m.slice('NativeModule '.length));
    appendFileSync(out, `${JSON.stringify({ argv: process.argv.slice(1), files: [...files], builtins })}\n`);
  });
}
