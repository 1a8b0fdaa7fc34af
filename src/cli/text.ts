// Terminal text of the CLI: where it goes, and paragraphs wrapped at 100 columns. A code span (`…`),
// a URL or a path is never split, so every command and address in a message stays copyable from one
// line.
const WIDTH = 100;

/**
 * Wraps each line of `text` at `width`, breaking only at spaces outside code spans; continuation
 * lines keep the line's indentation (plus `hang` more). A single word longer than the width stays whole.
 */
export function wrap(text: string, width = WIDTH, hang = 0): string {
  return text
    .split('\n')
    .map((line) => wrapLine(line, width, hang))
    .join('\n');
}

function wrapLine(line: string, width: number, hang: number): string {
  if (line.length <= width) return line;
  const indent = /^ */.exec(line)![0];
  const next = indent + ' '.repeat(hang);
  const lines: string[] = [];
  let current = indent;
  for (const word of words(line.slice(indent.length))) {
    const start = current.trim() === '' ? current : `${current} `;
    if (current.trim() !== '' && start.length + word.length > width) {
      lines.push(current);
      current = next + word;
    } else current = start + word;
  }
  lines.push(current);
  return lines.join('\n');
}

/** Space-separated words, a code span counting as one word with the text glued to it. */
function words(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let inCode = false;
  for (const char of text) {
    if (char === '`') inCode = !inCode;
    if (char === ' ' && !inCode) {
      if (word) out.push(word);
      word = '';
    } else word += char;
  }
  if (word) out.push(word);
  return out;
}

/** Where `codex-auth init` writes: standard output carries only the workflow, every message goes to standard error. */
export interface InitIO {
  env: NodeJS.ProcessEnv;
  /** Home directory for `~` (HOME). */
  home: string;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Injectable for tests of the API path (retries). */
  sleep?: (ms: number) => Promise<void>;
}

/** An instruction or message: stderr, wrapped at 100 columns. */
export function say(io: Pick<InitIO, 'err'>, text: string): void {
  io.err(wrap(text));
}
