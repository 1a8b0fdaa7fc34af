// Builds dist/main, dist/post, dist/cli and dist/keeper with ncc (code split: each mode is a chunk loaded on
// demand). `node scripts/bundle.mjs OUT` builds into OUT instead, for the freshness test.
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import path from 'node:path';

const out = process.argv[2] ?? 'dist';
rmSync(out, { recursive: true, force: true });
const entries = [
  ['src/main.ts', 'main'],
  ['src/post.ts', 'post'],
  // The `codex-auth` command (package.json "bin"): `npx codex-auth init`.
  ['src/cli/index.ts', 'cli'],
  // The detached keeper of workload-identity mode, started by the main step (src/workload-identity/keeper-process.ts).
  ['src/workload-identity/keeper-main.ts', 'keeper']
];
for (const [source, name] of entries) {
  execFileSync(
    'npx',
    [
      'ncc',
      'build',
      source,
      '-o',
      path.join(out, name),
      '--minify',
      '--no-source-map-register',
      '--license',
      'licenses.txt',
      '--quiet'
    ],
    { stdio: 'inherit' }
  );
}
// ncc minifies only the entry files; the chunks it splits off (the cache library, libsodium) ship
// as written. Minifying them too halves what a ChatGPT-mode step loads and parses.
for (const [, name] of entries) {
  for (const file of readdirSync(path.join(out, name)).filter((f) => /^\d+\.index\.js$/.test(f))) {
    const chunk = path.join(out, name, file);
    writeFileSync(
      chunk,
      transformSync(readFileSync(chunk, 'utf8'), {
        minify: true,
        format: 'esm',
        target: 'node20',
        legalComments: 'none'
      }).code
    );
  }
}
chmodSync(path.join(out, 'cli', 'index.js'), 0o755);
