// The manual recipe from OpenAI's CI guide, done with the cache library and nothing else: what
// `actions/cache/restore` and `actions/cache/save` do for the plaintext ~/.codex/auth.json,
// without their input parsing. The benchmark bundles this file with ncc (as those actions are
// bundled) and runs it under Node 24 as a run step of the harness:
//
//   node index.mjs restore   CACHE_PATH, CACHE_KEY, CACHE_RESTORE_KEYS (newline-separated)
//   node index.mjs save      CACHE_PATH, CACHE_KEY (unique per job: the cache's keys are immutable)
//
// A miss on restore, or a save the service refuses, exits 1 so the benchmark notices.
import * as cache from '@actions/cache';

const [mode] = process.argv.slice(2);
const paths = (process.env.CACHE_PATH ?? '').split('\n').filter(Boolean);
const key = process.env.CACHE_KEY ?? '';
const restoreKeys = (process.env.CACHE_RESTORE_KEYS ?? '').split('\n').filter(Boolean);

if (mode === 'restore') {
  const matched = await cache.restoreCache(paths, key, restoreKeys);
  if (matched) console.log(`Restored ${paths.join(', ')} from ${matched}`);
  else {
    console.log(`Cache miss for ${key}`);
    process.exitCode = 1;
  }
} else if (mode === 'save') {
  const id = await cache.saveCache(paths, key);
  if (id !== -1) console.log(`Saved ${paths.join(', ')} as ${key}`);
  else process.exitCode = 1;
} else {
  console.error('usage: node index.mjs restore|save');
  process.exitCode = 2;
}
