// dist/ is what the runner executes: it must be exactly what the sources build to.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readManifest } from './support/runner.js';
import { ROOT } from './support/paths.js';

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else files.push(rel);
  }
  return files.sort();
}

test('dist/ matches a fresh build of src/ (run `npm run bundle` and commit dist/ if this fails)', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-dist-'));
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle.mjs'), out], { cwd: ROOT, stdio: 'pipe' });
    const built = await listFiles(out);
    expect(await listFiles(path.join(ROOT, 'dist'))).toEqual(built);
    const stale: string[] = [];
    for (const file of built) {
      const [a, b] = await Promise.all([fs.readFile(path.join(out, file)), fs.readFile(path.join(ROOT, 'dist', file))]);
      if (!a.equals(b)) stale.push(file);
    }
    expect(stale).toEqual([]);
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
}, 300_000);

test('action.yml runs the committed bundles on node24, with the post step after failures too', async () => {
  const { runs } = readManifest();
  expect(runs).toEqual({
    using: 'node24',
    main: 'dist/main/index.js',
    post: 'dist/post/index.js',
    'post-if': 'always()'
  });
  await expect(fs.access(path.join(ROOT, runs.main))).resolves.toBeUndefined();
  await expect(fs.access(path.join(ROOT, runs.post!))).resolves.toBeUndefined();
});
