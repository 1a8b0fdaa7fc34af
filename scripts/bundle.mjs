// Builds dist/main and dist/post with ncc (code split: each mode is a chunk loaded on demand).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
for (const entry of ['main', 'post']) {
  execFileSync('npx', ['ncc', 'build', `src/${entry}.ts`, '-o', `dist/${entry}`, '--minify', '--no-source-map-register', '--license', 'licenses.txt', '--quiet'], { stdio: 'inherit' });
}
