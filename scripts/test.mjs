// `npm test` on every OS (no POSIX `VAR=value` syntax in package.json): Jest runs this project's ESM
// tests only with --experimental-vm-modules, so set it and start Jest with the node that npm uses.
// Arguments are passed on: `npm test -- __tests__/lock.test.ts`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const node = process.env.npm_node_execpath || process.execPath;
const nodeOptions = [process.env.NODE_OPTIONS, '--experimental-vm-modules'].filter(Boolean).join(' ');

const child = spawn(node, [jest, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: nodeOptions }
});
// Ctrl-C reaches Jest from the terminal itself; a SIGTERM sent to this process alone is passed on.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
