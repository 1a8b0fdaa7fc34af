#!/usr/bin/env node
// The `codex-auth` command (package.json `bin`, bundled to dist/cli/index.js). One subcommand so far.
import os from 'node:os';
import { INIT_USAGE, runInit } from './init.js';

const USAGE = `Usage: codex-auth <command> [options]

Commands:
  init    seed a ChatGPT login from this machine into GitHub Actions secrets, encrypted

Run \`codex-auth init --help\` for its options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'init') {
    return runInit(rest, {
      env: process.env,
      home: process.env.HOME || os.homedir(),
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`)
    });
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(command === 'help' && rest[0] === 'init' ? INIT_USAGE : USAGE);
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`codex-auth: unknown command '${command}'.\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
