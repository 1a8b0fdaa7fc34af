// Entry of the detached keeper (dist/keeper/index.js): reads its configuration from stdin (the
// request token travels there, not on the command line or in a file), then keeps the token file
// fresh (./keeper.ts). The only argument is the directory it keeps, so the post step can tell this
// process from another that got the same pid.
import { appendEvent } from './keeper-log.js';
import { realDeps, runKeeper, type KeeperConfig } from './keeper.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const config = JSON.parse(await readStdin()) as KeeperConfig;
process.on('SIGTERM', () => {
  appendEvent(config.logFile, { at: new Date().toISOString(), event: 'stopped', detail: 'the post step stopped it' });
  process.exit(0);
});
try {
  process.exitCode = await runKeeper(config, realDeps(config));
} catch (error) {
  appendEvent(config.logFile, { at: new Date().toISOString(), event: 'gave-up', detail: (error as Error).message });
  process.exitCode = 1;
}
