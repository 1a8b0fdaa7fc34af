// Builds dist/main, dist/post and dist/cli with ncc (code split: each mode is a chunk loaded on demand).
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const entries = [
  ['src/main.ts', 'dist/main'],
  ['src/post.ts', 'dist/post'],
  // The `codex-auth` command (package.json "bin"): `npx codex-auth init`.
  ['src/cli/index.ts', 'dist/cli']
];
for (const [source, out] of entries) {
  execFileSync('npx', ['ncc', 'build', source, '-o', out, '--minify', '--no-source-map-register', '--license', 'licenses.txt', '--quiet'], { stdio: 'inherit' });
}
chmodSync('dist/cli/index.js', 0o755);
