// `~` in codex-home and local-store-path on every OS.
import { expandHome } from '../src/action/paths.js';

test('~, ~/x on every OS; ~\\x on Windows only; other paths as given', () => {
  expect(expandHome('~', '/home/runner', 'linux')).toBe('/home/runner');
  expect(expandHome('~/.codex-auth/store', '/Users/runner', 'darwin')).toBe('/Users/runner/.codex-auth/store');
  expect(expandHome('~/.codex-auth/store', 'C:\\Users\\runner', 'win32')).toBe('C:\\Users\\runner\\.codex-auth\\store');
  expect(expandHome('~\\.codex', 'C:\\Users\\runner', 'win32')).toBe('C:\\Users\\runner\\.codex');
  // On POSIX a backslash is part of a file name: `~\x` is a relative path (refused by the callers).
  expect(expandHome('~\\.codex', '/home/runner', 'linux')).toBe('~\\.codex');
  expect(expandHome('~other/.codex', '/home/runner', 'linux')).toBe('~other/.codex');
  expect(expandHome('D:\\codex-store', 'C:\\Users\\runner', 'win32')).toBe('D:\\codex-store');
});
