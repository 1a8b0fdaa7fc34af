// Access-token mode: a Codex access token (`at-…`) that a ChatGPT Business/Enterprise workspace
// issues for automation, written as `codex login --with-access-token` writes it (Codex 0.171.0:
// `{"OPENAI_API_KEY": null, "personal_access_token": "at-…"}`, 0600). Codex checks it online before
// every run (whoami, then the workspace's config bundle) and never refreshes it: nothing to carry
// from job to job, so, like an API key, it is written for the job and removed by the post step.
// Guards: the same as API-key mode (a revocable credential issued for automation; secrets never
// reach workflows triggered from forks).
import path from 'node:path';
import { AUTH_FILE, prepareCodexHome, readFileIfExists, writePrivateFile } from './codex-home.js';
import { FILE_STORE, mergeCodexConfig } from './codex-config.js';
import { InputError } from './errors.js';
import type { AccessTokenInputs } from './inputs.js';
import { runnerTemp, type Runtime } from './runtime.js';
import { renderAccessTokenSummary } from './chatgpt/summary.js';

export async function setUpAccessToken(inputs: AccessTokenInputs, rt: Runtime): Promise<void> {
  const home = await prepareCodexHome(inputs.codexHome, runnerTemp(rt.env));
  rt.saveState({ mode: 'access-token', codexHome: home.dir, createdHome: home.created });
  const authFile = path.join(home.dir, AUTH_FILE);
  if (!home.created) await checkExistingAuth(authFile, rt);

  await mergeCodexConfig(home.dir, [FILE_STORE], rt.warning);
  await writePrivateFile(
    authFile,
    JSON.stringify({ OPENAI_API_KEY: null, personal_access_token: inputs.accessToken }, null, 2)
  );
  rt.saveState({ mode: 'access-token', codexHome: home.dir, createdHome: home.created, authFile });

  rt.exportVariable('CODEX_HOME', home.dir);
  rt.setOutput('codex-home', home.dir);
  rt.setOutput('auth-file', authFile);
  rt.setOutput('auth-mode', 'access-token');
  rt.summary(renderAccessTokenSummary(home.created));
  rt.info(
    `Codex will use the access token: ${authFile} written, CODEX_HOME=${home.dir} exported for the following steps.`
  );
}

/** Only an access-token auth.json of an earlier job is replaced; any other credential in the user's codex-home is refused. */
async function checkExistingAuth(authFile: string, rt: Runtime): Promise<void> {
  const text = await readFileIfExists(authFile);
  if (text === undefined) return;
  let doc: { auth_mode?: unknown; personal_access_token?: unknown } = {};
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    doc = { auth_mode: 'unreadable' };
  }
  if (doc.auth_mode === undefined && typeof doc.personal_access_token === 'string') {
    rt.warning(`Replacing the access-token auth.json already in ${path.dirname(authFile)}; the post step removes it.`);
    return;
  }
  throw new InputError(
    'codex-home',
    `${path.dirname(authFile)} already holds another credential (auth.json); writing the access token there would destroy it.`,
    'Point codex-home at another directory (or leave it empty for a private one).'
  );
}
