// The compression @actions/cache uses is part of the cache version: zstd when a `zstd` program is on
// PATH, else gzip. Entries saved with one are invisible to runners that use the other, so a runner
// without zstd (a self-hosted Mac or Windows machine, say) silently forks a credential's chain away
// from the GitHub-hosted runners, which all have zstd. The library gives no way to choose, so the
// action checks as the library does and says so.
import { execFile } from 'node:child_process';

export type CacheCompression = 'zstd-without-long' | 'gzip';

/** The library's rule (cacheUtils getCompressionMethod): `zstd --quiet --version` prints anything → zstd. */
export function cacheCompression(env: NodeJS.ProcessEnv = process.env): Promise<CacheCompression> {
  return new Promise((resolve) => {
    execFile(
      'zstd',
      ['--quiet', '--version'],
      { env, windowsHide: true, timeout: 30_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code === 'string') return resolve('gzip'); // not found / not runnable
        resolve(`${stdout}${stderr}`.trim() ? 'zstd-without-long' : 'gzip');
      }
    );
  });
}

export function gzipWarning(credentialName: string): string {
  return (
    `zstd is not on this runner's PATH, so the Actions cache compresses credential '${credentialName}' with gzip; ` +
    'the compression is part of the cache entry, and runners with zstd (every GitHub-hosted runner) cannot read gzip entries, nor this runner theirs. ' +
    'Install zstd on this runner (macOS: `brew install zstd`; Windows: `choco install zstandard`; Linux: the zstd package) so that every runner using the credential shares one chain.'
  );
}
