// Running a step's process as the runner does: its stdout and stderr collected whole and line by line
// in the order the lines were completed (the runner processes workflow commands per line), and a
// step timeout that kills it.
import { spawn } from 'node:child_process';

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every line of stdout and stderr, in the order the lines were completed (a last partial line at the end). */
  lines?: string[];
}

/** Runs a command to its end with its output collected; killed (and said so on stderr) after `timeoutMs`. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const lines: string[] = [];
    const partial = { out: '', err: '' };
    const take = (stream: 'out' | 'err', text: string): void => {
      const parts = (partial[stream] + text).split('\n');
      partial[stream] = parts.pop()!;
      lines.push(...parts.map((line) => line.replace(/\r$/, '')));
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      take('out', d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      take('err', d.toString());
    });
    const timer = options.timeoutMs
      ? setTimeout(() => {
          stderr += `\n[harness] step timed out after ${options.timeoutMs} ms\n`;
          child.kill('SIGKILL');
        }, options.timeoutMs)
      : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const rest of [partial.out, partial.err]) if (rest) lines.push(rest);
      resolve({ code, stdout, stderr, lines });
    });
  });
}
