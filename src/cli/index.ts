#!/usr/bin/env node
// The `codex-auth` command (package.json `bin`, bundled to dist/cli/index.js). One subcommand so far.
import os from 'node:os';
// Inlined by the bundler: the version of the package this command was built from.
import pkg from '../../package.json' with { type: 'json' };
import { setupCommand } from '../action/setup-command.js';
import { runInit } from './init.js';
import { INIT_USAGE } from './init-options.js';
import { wrap } from './text.js';

const USAGE = `Usage: codex-auth <command> [options]

Commands:
  init    seed a ChatGPT login into GitHub Actions secrets, encrypted, and print a workflow that
          uses it (init --login: a login of CI's own)
  help    help for a command (\`codex-auth help init\`)

Options:
  -h, --help       this help
  -v, --version    the version

Run it without installing: ${setupCommand('--help')}
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
  // -V too: the spelling of commander-based CLIs.
  if (command === '--version' || command === '-v' || command === '-V' || command === 'version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (command === '--help' || command === '-h' || (command === 'help' && rest.length === 0)) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === 'help' && rest[0] === 'init') {
    process.stdout.write(`${INIT_USAGE}`);
    return 0;
  }
  // A usage error: stderr, exit 2.
  const problem =
    command === undefined
      ? 'no command given.'
      : command === 'help'
        ? `no command '${rest[0]}'.`
        : `unknown command '${command}'.`;
  process.stderr.write(`${wrap(`codex-auth: ${problem}`)}\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
