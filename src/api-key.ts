// API-key mode (the default): a CODEX_HOME whose auth.json holds the key, as `codex login --with-api-key` writes it.
import path from 'node:path';
import { AUTH_FILE, prepareCodexHome, readFileIfExists, writePrivateFile } from './codex-home.js';
import { FILE_STORE, mergeCodexConfig } from './codex-config.js';
import { InputError } from './errors.js';
import type { ApiKeyInputs } from './inputs.js';
import { runnerTemp, type Runtime } from './runtime.js';
import { renderApiKeySummary } from './chatgpt/summary.js';
import { apiKeyWarnings } from './chatgpt/guard.js';

export async function setUpApiKey(inputs: ApiKeyInputs, rt: Runtime): Promise<void> {
  apiKeyWarnings(rt.env).forEach(rt.warning);
  const home = await prepareCodexHome(inputs.codexHome, runnerTemp(rt.env));
  rt.saveState({ mode: 'api-key', codexHome: home.dir, createdHome: home.created });
  const authFile = path.join(home.dir, AUTH_FILE);
  if (!home.created) await checkExistingAuth(authFile, rt);

  await mergeCodexConfig(home.dir, [FILE_STORE], rt.warning);
  await writePrivateFile(authFile, JSON.stringify({ auth_mode: 'apikey', OPENAI_API_KEY: inputs.apiKey }, null, 2));
  rt.saveState({ mode: 'api-key', codexHome: home.dir, createdHome: home.created, authFile });

  rt.exportVariable('CODEX_HOME', home.dir);
  rt.setOutput('codex-home', home.dir);
  rt.setOutput('auth-file', authFile);
  rt.setOutput('auth-mode', 'api-key');
  rt.summary(renderApiKeySummary(home.created));
  rt.info(`Codex will use the API key: ${authFile} written, CODEX_HOME=${home.dir} exported for the following steps.`);
}

/** Never destroy a credential this action did not create: a ChatGPT login in the user's CODEX_HOME is refused. */
async function checkExistingAuth(authFile: string, rt: Runtime): Promise<void> {
  const text = await readFileIfExists(authFile);
  if (text === undefined) return;
  let mode: unknown;
  try {
    mode = (JSON.parse(text) as { auth_mode?: unknown; tokens?: unknown }).auth_mode;
  } catch {
    mode = 'unreadable';
  }
  if (mode === 'apikey') {
    rt.warning(`Replacing the API-key auth.json already in ${path.dirname(authFile)}; the post step removes it.`);
    return;
  }
  const what = mode === 'unreadable' ? 'an auth.json this action cannot read' : 'a ChatGPT login (auth.json)';
  throw new InputError(
    'codex-home',
    `${path.dirname(authFile)} already holds ${what}; writing the API key there would destroy it.`,
    'Point codex-home at another directory (or leave it empty for a private one), or use `auth-mode: chatgpt` to use that login.'
  );
}
