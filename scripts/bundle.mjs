// Builds dist/main, dist/post and dist/cli with ncc (code split: each mode is a chunk loaded on
// demand). `node scripts/bundle.mjs OUT` builds into OUT instead, for the freshness test.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import path from 'node:path';

const out = process.argv[2] ?? 'dist';
rmSync(out, { recursive: true, force: true });
const entries = [
  ['src/main.ts', 'main'],
  ['src/post.ts', 'post'],
  // The `codex-auth` command (package.json "bin"): `npx codex-auth init`.
  ['src/cli/index.ts', 'cli']
];
for (const [source, name] of entries) {
  execFileSync('npx', ['ncc', 'build', source, '-o', path.join(out, name), '--minify', '--no-source-map-register', '--license', 'licenses.txt', '--quiet'], { stdio: 'inherit' });
}
chmodSync(path.join(out, 'cli', 'index.js'), 0o755);
