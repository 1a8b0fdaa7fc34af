// The stores of a ChatGPT credential, behind the one EnvelopeStore interface: the Actions cache
// always, the runner-local store with `local-store: true`, the secret of `secret-name`. The secret
// store (and libsodium with it) is loaded only when written to.
import type { ChatGptInputs } from '../../action/chatgpt-inputs.js';
import type { Runtime } from '../../action/runtime.js';
import type { ChatGptCredential } from '../login/credential.js';
import { seal } from '../login/envelope.js';
import { CacheStore } from '../../stores/cache.js';
import { CredentialError, clause, errorMessage } from '../../action/errors.js';
import { LocalStore, LocalStoreError, resolveLocalStoreDir } from '../../stores/local.js';
import type { EnvelopeStore, NewestRead, StoreWrite } from '../../stores/store.js';
import type { SecretTarget } from '../../stores/secret.js';
import { secretVersions, type SecretVersions } from '../../stores/secret-version.js';

interface StoreContext {
  inputs: ChatGptInputs;
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
  /** The runner-local store's directory, checked by the main step (undefined: off). */
  localDir: string | undefined;
}

export type OpenStores = (ctx: StoreContext) => Promise<EnvelopeStore[]>;

export const openStores: OpenStores = async ({ inputs, env, log, localDir }) => {
  const stores: EnvelopeStore[] = [new CacheStore({ credentialName: inputs.credentialName, env, log })];
  if (localDir) {
    stores.push(
      localEnvelopeStore(
        new LocalStore({
          dir: localDir,
          credentialName: inputs.credentialName,
          workspace: env.GITHUB_WORKSPACE,
          runnerTemp: env.RUNNER_TEMP,
          log
        })
      )
    );
  }
  if (inputs.secret) stores.push(await secretEnvelopeStore(inputs.secret, log, secretVersions(inputs, env, log)));
  return stores;
};

/**
 * Secret write-back: before Codex can rotate anything, prove that the token may write the secret by
 * writing the chosen login to it (sealed, like every stored copy). A job that could not store its
 * refreshed login must fail here, while the login is still intact, not in the post step. The
 * secret store is loaded only when secret-name is set.
 */
export async function proveWriteAccess(
  inputs: ChatGptInputs,
  credential: ChatGptCredential,
  otherSource: string | undefined,
  rt: Pick<Runtime, 'env' | 'info'>
): Promise<void> {
  const target = inputs.secret!;
  const { checkWriteAccess, describeTarget } = await import('../../stores/secret.js');
  const envelope = await seal(credential.text, inputs.encryptionKey, inputs.credentialName);
  // The secret's version (with the lease): a run queued before another job wrote a newer login holds
  // an older copy, which must not be written back over it (issue 21).
  const versions = secretVersions(inputs, rt.env, rt.info);
  const newer = await versions?.newerThan(credential.lastRefresh.getTime());
  if (newer)
    throw new CredentialError(
      `This job was given an older login than the ${describeTarget(target)} holds now: ${newer}. ` +
        'The secret was written by another job after this run was queued (a run reads its secrets when it is queued). ' +
        'Codex did not get the login and nothing was refreshed: re-run the job (a new run reads the secret again).'
    );
  try {
    await checkWriteAccess(target, envelope, { log: rt.info });
    await versions?.written(credential.lastRefresh.getTime());
  } catch (error) {
    throw new CredentialError(
      `Write-back is on (secret-name), but this job cannot write the secret, so it stops before Codex runs: ${errorMessage(error)} ` +
        'Codex did not get the login and nothing was refreshed, so every stored copy is still valid: fix this and re-run the job.'
    );
  }
  if (otherSource) {
    // The secret's own copy lost (older, unusable or missing): it now holds the one Codex will use.
    rt.info(
      `The ${describeTarget(target)} now holds the login from the ${otherSource} (last_refresh ${credential.lastRefreshText}), encrypted.`
    );
  }
}

/**
 * Cache-only ChatGPT mode on a runner without the cache service (a local runner, GitHub Enterprise
 * Server with caching off): the reason to stop before anything is restored or spent, else undefined.
 */
export function cacheOnlyWithoutCache(inputs: ChatGptInputs, stores: EnvelopeStore[]): string | undefined {
  if (stores.some((store) => store.kind !== 'cache')) return undefined;
  const cache = stores.find((store): store is CacheStore => store instanceof CacheStore);
  if (!cache || cache.hasService()) return undefined;
  return needsTheCache(
    inputs.credentialName,
    'this runner has no Actions cache service (no ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL)'
  );
}

/** The message for a ChatGPT login that has no store but the cache, where there is no cache. */
export function needsTheCache(credentialName: string, reason: string): string {
  return (
    `The ChatGPT login '${credentialName}' is kept only in the Actions cache, but ${clause(reason)}. ` +
    'Without the cache this job can neither find the newest copy nor keep a renewed one, so it stops: Codex did not run and nothing was spent. ' +
    'On a runner without the cache service (a local runner, GitHub Enterprise Server with caching off), set `local-store: true` (a runner-local store and lock), or `secret-name` with `lease: true`.'
  );
}

function localEnvelopeStore(local: LocalStore): EnvelopeStore {
  return {
    kind: 'local',
    where: `runner-local store (${local.file})`,
    async readNewest(): Promise<NewestRead> {
      try {
        const envelope = await local.read();
        return envelope === undefined
          ? { status: 'empty', reason: 'no copy yet' }
          : { status: 'found', entry: local.file, envelope };
      } catch (error) {
        return { status: 'failed', reason: errorMessage(error) };
      }
    },
    async write(envelope: string): Promise<StoreWrite> {
      try {
        await local.write(envelope);
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: errorMessage(error) };
      }
    }
  };
}

async function secretEnvelopeStore(
  target: SecretTarget,
  log: (message: string) => void,
  versions: SecretVersions | undefined
): Promise<EnvelopeStore> {
  const { describeTarget, writeSecret } = await import('../../stores/secret.js');
  return {
    kind: 'secret',
    where: describeTarget(target),
    async write(envelope: string, lastRefreshMs: number): Promise<StoreWrite> {
      try {
        // Never an older login over a newer one, whichever job ran last (issue 21).
        const newer = await versions?.newerThan(lastRefreshMs);
        if (newer) return { ok: false, reason: `${newer}; it was left as it is` };
        const result = await writeSecret(target, envelope, { log });
        await versions?.written(lastRefreshMs);
        return { ok: true, detail: result.status };
      } catch (error) {
        return { ok: false, reason: errorMessage(error) };
      }
    }
  };
}

/** `local-store: true`: the runner-local store, its directory resolved and prepared (0700). */
export async function prepareLocalStore(
  dirInput: string,
  credentialName: string,
  env: NodeJS.ProcessEnv,
  log: (message: string) => void
): Promise<LocalStore> {
  try {
    const dir = resolveLocalStoreDir(dirInput, {
      home: env.HOME ?? '',
      workspace: env.GITHUB_WORKSPACE,
      runnerTemp: env.RUNNER_TEMP
    });
    const local = new LocalStore({
      dir,
      credentialName,
      workspace: env.GITHUB_WORKSPACE,
      runnerTemp: env.RUNNER_TEMP,
      log
    });
    await local.prepare();
    return local;
  } catch (error) {
    if (error instanceof LocalStoreError)
      throw new CredentialError(`Input 'local-store-path': ${error.message} Nothing was restored.`);
    throw error;
  }
}
