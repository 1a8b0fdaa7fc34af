// src/README.md is the map a newcomer reads first: every folder of src/ is in it, and nothing else.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

function folders(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => [`${prefix}${entry.name}/`, ...folders(path.join(dir, entry.name), `${prefix}${entry.name}/`)]);
}

test('src/README.md names every folder of src/ once, and no folder that is not there', () => {
  const map = readFileSync(path.join(SRC, 'README.md'), 'utf8');
  const named = [...map.matchAll(/^\| `([a-z-/]+\/)` \|/gm)].map((match) => match[1]);
  expect([...named].sort()).toEqual(folders(SRC).sort());
  expect(new Set(named).size).toBe(named.length);
});
