// API-key mode (the default) and access-token mode: a credential issued for automation, written for
// the job where Codex reads it and removed by the post step. Codex never renews either, so nothing
// is carried between jobs; the two differ only in the auth.json Codex expects and in their names.
//   - API key: `{"auth_mode": "apikey", "OPENAI_API_KEY": "sk-…"}`, as `codex login --with-api-key`
//     writes it.
//   - Codex access token (`at-…`, issued by ChatGPT Business/Enterprise workspaces for automation):
//     `{"OPENAI_API_KEY": null, "personal_access_token": "at-…"}`, as `codex login --with-access-token`
//     writes it (Codex 0.171.0); Codex checks it online before every run (whoami, then the
//     workspace's config bundle).
import path from 'node:path';
import {
  AUTH_FILE,
  foreignAuthError,
  markOwner,
  ownershipOf,
  prepareCodexHome,
  writePrivateFile
} from '../codex/home.js';
import { FILE_STORE, mergeCodexConfig } from '../codex/config.js';
import type { AccessTokenInputs, ApiKeyInputs } from './inputs.js';
import { runnerTemp, type Runtime } from '../action/runtime.js';
import { renderAccessTokenSummary, renderApiKeySummary } from '../chatgpt/report/summary.js';
import { exposureWarnings } from '../chatgpt/report/guard.js';
import { overrideWarnings } from '../codex/overrides.js';

interface JobCredential {
  /** For messages: "API key", "access token". */
  name: string;
  authJson(value: string): Record<string, unknown>;
  summary(codexHomeCreated: boolean): string;
}

const KINDS: Record<'api-key' | 'access-token', JobCredential> = {
  'api-key': {
    name: 'API key',
    authJson: (key) => ({ auth_mode: 'apikey', OPENAI_API_KEY: key }),
    summary: renderApiKeySummary
  },
  'access-token': {
    name: 'access token',
    authJson: (token) => ({ OPENAI_API_KEY: null, personal_access_token: token }),
    summary: renderAccessTokenSummary
  }
};

export async function setUpJobCredential(inputs: ApiKeyInputs | AccessTokenInputs, rt: Runtime): Promise<void> {
  const kind = KINDS[inputs.mode];
  const value = inputs.mode === 'api-key' ? inputs.apiKey : inputs.accessToken;
  exposureWarnings(rt.env, `the ${kind.name}`).forEach(rt.warning);
  overrideWarnings(rt.env, `the ${kind.name}`).forEach(rt.warning);
  const home = await prepareCodexHome(inputs.codexHome, runnerTemp(rt.env));
  rt.saveState({ mode: inputs.mode, codexHome: home.dir, createdHome: home.created });
  const authFile = path.join(home.dir, AUTH_FILE);
  if (!home.created) {
    // Only an auth.json this action wrote for this mode (an earlier job's) is replaced; anything else stays as it is.
    const found = await ownershipOf(home.dir, inputs.mode);
    if (found.status === 'foreign') throw foreignAuthError(home.dir, found);
    if (found.status === 'ours')
      rt.warning(`Replacing the ${kind.name} auth.json an earlier job left in ${home.dir}; the post step removes it.`);
  }

  await mergeCodexConfig(home.dir, [FILE_STORE], rt.warning);
  const text = JSON.stringify(kind.authJson(value), null, 2);
  if (!home.created) await markOwner(home.dir, inputs.mode, text);
  await writePrivateFile(authFile, text);
  rt.saveState({ mode: inputs.mode, codexHome: home.dir, createdHome: home.created, authFile });

  rt.exportVariable('CODEX_HOME', home.dir);
  rt.setOutput('codex-home', home.dir);
  rt.setOutput('auth-file', authFile);
  rt.setOutput('auth-mode', inputs.mode);
  rt.summary(kind.summary(home.created));
  rt.info(
    `Codex will use the ${kind.name}: ${authFile} written, CODEX_HOME=${home.dir} exported for the following steps.`
  );
}
