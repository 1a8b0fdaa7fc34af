// The real blob store behind the loopback cache service: Azurite (node_modules/azurite), started
// under Node 24 in memory on a free loopback port, with one container per service. Signed URLs are
// Azure SAS URLs for the public emulator account, pointed at the service's own port (its blob proxy
// forwards them to Azurite), so the unchanged @azure/storage-blob client of @actions/cache uploads
// and downloads as it does against Azure.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  BlobSASPermissions,
  ContainerClient,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters
} from '@azure/storage-blob';
import { AZURITE_BLOB, NODE24 } from '../paths.js';

/** The public Azurite emulator account (documented in Azurite's README; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const SAS_LIFETIME_MS = 60 * 60 * 1000;

/** A running Azurite with the service's container. */
export interface Azurite {
  port: number;
  container: ContainerClient;
  /** A signed URL for `blobName` on `proxyPort` (the service's blob proxy), e.g. permissions `cw` or `r`. */
  sign(blobName: string, permissions: string, proxyPort: number): string;
  stop(): Promise<void>;
}

export async function startAzurite(verbose: boolean): Promise<Azurite> {
  const { child, port } = await spawnAzurite(verbose);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const containerName = `actions-cache-${randomBytes(4).toString('hex')}`;
  const container = new ContainerClient(`http://127.0.0.1:${port}/${AZURITE_ACCOUNT}/${containerName}`, credential);
  try {
    await container.createIfNotExists();
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const sign = (blobName: string, permissions: string, proxyPort: number): string => {
    const sas = generateBlobSASQueryParameters(
      {
        containerName,
        blobName,
        permissions: BlobSASPermissions.parse(permissions),
        protocol: SASProtocol.HttpsAndHttp,
        expiresOn: new Date(Date.now() + SAS_LIFETIME_MS)
      },
      credential
    ).toString();
    return `http://127.0.0.1:${proxyPort}/${AZURITE_ACCOUNT}/${containerName}/${encodeURIComponent(blobName)}?${sas}`;
  };
  return { port, container, sign, stop: () => stopAzurite(child, exited) };
}

async function stopAzurite(child: ChildProcess, exited: Promise<void>): Promise<void> {
  child.kill('SIGTERM');
  child.stdin?.end();
  if (!(await waitForExit(child, 5000))) {
    child.kill('SIGKILL');
  }
  await exited;
  child.stdout?.destroy();
  child.stderr?.destroy();
  child.stdin?.destroy();
}

function spawnAzurite(verbose: boolean): Promise<{ child: ChildProcess; port: number }> {
  // A tiny wrapper around Azurite's main.js that exits when our end of its stdin closes, so a
  // crashed test process never leaves an emulator behind.
  const wrapper =
    `process.argv = [process.argv[0], ${JSON.stringify(AZURITE_BLOB)}, ...process.argv.slice(1)];` +
    `process.stdin.on('end', () => process.exit(0)); process.stdin.on('error', () => process.exit(0)); process.stdin.resume();` +
    `require(${JSON.stringify(AZURITE_BLOB)});`;
  const args = [
    '-e',
    wrapper,
    '--',
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--inMemoryPersistence',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--silent'
  ];
  const child = spawn(NODE24, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', AZURITE_ACCEPT_EULA: 'true' }
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let done = false;
    const finish = (err: Error | null, port?: number) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(err);
      } else {
        resolve({ child, port: port! });
      }
    };
    const timer = setTimeout(() => finish(new Error(`Azurite did not start within 30 s:\n${out}`)), 30000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      if (verbose) process.stderr.write(`[azurite] ${text}`);
      if (!done) out += text;
      const m = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) finish(null, Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => finish(e));
    child.once('exit', (code, signal) =>
      finish(new Error(`Azurite exited (${code ?? signal}) before listening:\n${out}`))
    );
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}
