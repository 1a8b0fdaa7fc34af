#!/usr/bin/env node
// The `codex-auth` command (package.json `bin`, bundled to dist/cli/index.js). One subcommand so far.
import os from 'node:os';
// Inlined by the bundler: the version and repository of the package this command was built from.
import pkg from '../../package.json' with { type: 'json' };
import { DEFAULT_REF, repositoryFromPackage, setupCommand, type SetupSource } from '../setup-command.js';
import { INIT_USAGE, runInit } from './init.js';

/** This package's version, and the repository and major-version tag to run it from. */
function packageInfo(): { version: string; setup: Partial<SetupSource> } {
  const major = /^(\d+)\./.exec(pkg.version)?.[1];
  return {
    version: pkg.version,
    setup: { repository: repositoryFromPackage(pkg.repository), ref: major ? `v${major}` : DEFAULT_REF }
  };
}

function usage(setup: Partial<SetupSource>): string {
  return `Usage: codex-auth <command> [options]

Commands:
  init    seed a ChatGPT login into GitHub Actions secrets, encrypted (init --login: a login of CI's own)
  help    help for a command (\`codex-auth help init\`)

Options:
  -h, --help       this help
  -V, --version    the version

Run it without installing: ${setupCommand(setup, '--help')}
`;
}

async function main(argv: string[]): Promise<number> {
  const { version, setup } = packageInfo();
  const [command, ...rest] = argv;
  if (command === 'init') {
    return runInit(rest, {
      env: process.env,
      home: process.env.HOME || os.homedir(),
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      setup
    });
  }
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (command === '--help' || command === '-h' || (command === 'help' && rest.length === 0)) {
    process.stdout.write(usage(setup));
    return 0;
  }
  if (command === 'help' && rest[0] === 'init') {
    process.stdout.write(INIT_USAGE);
    return 0;
  }
  // A usage error: stderr, exit 2.
  const problem =
    command === undefined
      ? 'no command given.'
      : command === 'help'
        ? `no command '${rest[0]}'.`
        : `unknown command '${command}'.`;
  process.stderr.write(`codex-auth: ${problem}\n${usage(setup)}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
