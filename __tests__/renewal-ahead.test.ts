// renewal: ahead end to end: the built action under Node 24, the real @actions/cache on the loopback
// cache service and Azurite, the real Codex CLI against the loopback model and token servers.
// - a due login is renewed once, on the default branch, stored before Codex gets it; Codex runs
//   with a copy whose refresh token is the marker; the post step saves nothing;
// - a job off the default branch with the cache alone never renews: with less than
//   min-token-minutes left it fails before Codex runs, saying who will renew the login (and
//   `renewal: in-job` is refused the same way);
// - a copy the model server refuses: Codex's refresh with the marker fails, the job fails, the
//   stored login is unchanged and serves the next job;
// - a dead refresh token: the job fails with the cause and the re-seed steps, nothing is stored.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from '../src/chatgpt/login/envelope.js';
import { REFRESH_TOKEN_MARKER } from '../src/chatgpt/login/consumer-copy.js';
import type { ChatGptAuthJson } from './support/jwt.js';
import { runJob, errorsOf, type JobResult, type Step } from './support/runner.js';
import { chatGptJob, codexExecStep, postStep, readCacheArchive, serialize } from './support/world.js';
import { useWorld } from './support/use-world.js';

const fx = useWorld();
let captures: string;
/** The window the jobs use: 1 hour. */
const WINDOW_HOURS = '1';

beforeAll(async () => {
  captures = await fs.mkdtemp(path.join(os.tmpdir(), 'codex-auth-captures-'));
});

afterAll(async () => {
  await fs.rm(captures, { recursive: true, force: true });
});

beforeEach(() => {
  fx.world.model.refuseTokens(false);
});

function seed(accessTtlSeconds: number): ChatGptAuthJson {
  const auth = fx.world.oauth.issue({ accessTtlSeconds });
  fx.seeds.push(auth);
  return auth;
}

/** A step that copies the auth.json Codex reads to where the test can look at it. */
function capture(name: string): Step {
  return { name: 'capture auth.json', run: `cp "$CODEX_HOME/auth.json" ${path.join(captures, `${name}.json`)}` };
}

async function run(
  name: string,
  auth: ChatGptAuthJson,
  options: { ref?: string; inputs?: Record<string, string> } = {}
): Promise<JobResult> {
  const job = await runJob(
    chatGptJob(fx.world, {
      name,
      inputs: {
        'encryption-key': fx.key,
        'chatgpt-auth-json': serialize(auth),
        'renew-before-hours': WINDOW_HOURS,
        ...options.inputs
      },
      steps: [capture(name), codexExecStep(fx.world)],
      extra: { env: options.ref ? { GITHUB_REF: options.ref } : {} }
    })
  );
  fx.jobs.push(job);
  return job;
}

async function captured(name: string): Promise<ChatGptAuthJson> {
  return JSON.parse(await fs.readFile(path.join(captures, `${name}.json`), 'utf8')) as ChatGptAuthJson;
}

/** The newest finalized entry of the credential, opened. */
async function stored(): Promise<ChatGptAuthJson | undefined> {
  const entry = fx.world.cache
    .entries()
    .filter((e) => e.finalized && e.key.startsWith('codex-auth-v1.default.'))
    .sort((a, b) => b.createdAt - a.createdAt)[0];
  if (!entry) return undefined;
  const opened = await open(
    Object.values(await readCacheArchive(fx.world, entry.key))[0].trim(),
    new Uint8Array(Buffer.from(fx.key, 'base64')),
    'default'
  );
  return opened.ok ? (JSON.parse(opened.plaintext) as ChatGptAuthJson) : undefined;
}

const errorText = (job: JobResult): string => errorsOf(job).join('\n');

test('on the default branch a due login is renewed once, stored, and Codex runs with a copy without the refresh token', async () => {
  const original = seed(30 * 60); // expires in 30 min: within the 1-hour window
  const before = fx.world.oauth.stats().refreshes;
  const job1 = await run('renews', original);
  expect(job1.status).toBe('success');
  expect(job1.outputs('auth')).toMatchObject({ renewed: 'true', 'auth-mode': 'chatgpt' });
  expect(fx.world.oauth.stats().refreshes - before).toBe(1);
  const issued = fx.world.oauth.requests.filter((r) => r.issued).at(-1)!;
  // Exactly Codex's request.
  expect(issued.body).toEqual({
    client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
    grant_type: 'refresh_token',
    refresh_token: original.tokens.refresh_token,
    refresh_reason: 'proactive_expiry'
  });

  // Codex got the renewed access token and the marker, never a refresh token.
  const copy = await captured('renews');
  expect(copy.tokens.access_token).toBe(issued.issued!.access_token);
  expect(copy.tokens.refresh_token).toBe(REFRESH_TOKEN_MARKER);
  expect(JSON.stringify(copy)).not.toContain(issued.issued!.refresh_token);
  expect(JSON.stringify(copy)).not.toContain(original.tokens.refresh_token);
  const model = fx.world.model.responsesRequests().at(-1)!;
  expect(model).toMatchObject({ auth: 'ok', bearer: issued.issued!.access_token });

  // The renewal was stored (before Codex ran: the main step says so before it hands the copy over).
  expect((await stored())?.tokens.refresh_token).toBe(issued.issued!.refresh_token);
  const main = job1.steps.find((s) => s.phase === 'main')!.log;
  expect(main.indexOf('Renewed the ChatGPT login')).toBeGreaterThan(-1);
  expect(main.indexOf('Renewed the ChatGPT login')).toBeLessThan(main.indexOf('Codex will use the ChatGPT login'));
  expect(postStep(job1).log).toContain('nothing to save');

  // The next job finds it fresh: no renewal.
  const job2 = await run('fresh', original);
  expect(job2.status).toBe('success');
  expect(job2.outputs('auth')).toMatchObject({ renewed: 'false', source: 'cache' });
  expect(fx.world.oauth.stats().refreshes - before).toBe(1);
  expect((await captured('fresh')).tokens.refresh_token).toBe(REFRESH_TOKEN_MARKER);
});

test('off the default branch with the cache alone: no renewal, the job fails before Codex runs saying where it will be renewed', async () => {
  const original = seed(30 * 60);
  const before = fx.world.oauth.stats().refreshes;
  const job = await run('pr', original, { ref: 'refs/pull/7/merge' });
  expect(job.status).toBe('failure');
  expect(job.steps.find((s) => s.phase === 'main')!.status).toBe('failure');
  expect(job.step('codex exec').status).not.toBe('success');
  expect(errorText(job)).toMatch(
    /must be renewed before Codex can run.*refs\/pull\/7\/merge, not the default branch 'main'.*within this job's budget \(min-token-minutes: 2 h\).*The next job on 'main' that uses it.*will renew it/s
  );
  expect(fx.world.oauth.stats().refreshes - before).toBe(0);
  expect(fx.world.cache.entries()).toHaveLength(0);

  // A login far from expiry runs on any branch.
  const far = seed(3 * 3600);
  const ok = await run('pr-fresh', far, { ref: 'refs/pull/7/merge' });
  expect(ok.status).toBe('success');
  expect(ok.outputs('auth').renewed).toBe('false');

  // renewal: in-job, where Codex would refresh and the post step save only into this branch's scope: the same rule.
  const inJob = await run('pr-in-job', original, { ref: 'refs/heads/feature', inputs: { renewal: 'in-job' } });
  expect(inJob.status).toBe('failure');
  expect(errorText(inJob)).toMatch(/must be renewed before Codex can run.*this job runs on refs\/heads\/feature/s);
  expect(fx.world.oauth.stats().refreshes - before).toBe(0);
});

test('a copy the model server refuses: Codex tries the marker, fails, the job fails; the stored login is unchanged and serves the next job', async () => {
  const original = seed(3 * 3600);
  expect((await run('stores', original)).status).toBe('success'); // not due: nothing stored yet, the seed is the login
  fx.world.model.refuseTokens(true);
  const refreshesBefore = fx.world.oauth.stats().refreshes;
  const job = await run('refused', original);
  expect(job.status).toBe('failure');
  expect(job.step('codex exec').status).toBe('failure');
  expect(job.step('codex exec').log).toMatch(/Your access token could not be refreshed/);
  // Codex's one refresh attempt carried the marker, never a real token; the token endpoint refused it.
  const attempts = fx.world.oauth.requests.filter((r) => r.body?.refresh_token === REFRESH_TOKEN_MARKER);
  expect(attempts.length).toBeGreaterThanOrEqual(1);
  expect(fx.world.oauth.stats().refreshes).toBe(refreshesBefore);
  expect(fx.world.oauth.stats().reuse).toBe(0);
  // The post step says what happened, with the fix (on-refresh-failure: fail), and stores nothing.
  expect(postStep(job).status).toBe('failure');
  expect(postStep(job).log).toMatch(
    /OpenAI refused the access token of the ChatGPT login 'default' during this job.*left as it was/s
  );
  expect(fx.world.cache.entries()).toHaveLength(0);

  fx.world.model.refuseTokens(false);
  const next = await run('next', original);
  expect(next.status).toBe('success');
  expect(fx.world.model.responsesRequests().at(-1)).toMatchObject({ auth: 'ok', bearer: original.tokens.access_token });
});

test('a dead refresh token: the job fails with the cause and the re-seed steps, stores no login and marks the chain; the next job stops at once; a new seed clears the mark', async () => {
  const original = seed(30 * 60);
  fx.world.oauth.revokeFamily(fx.world.oauth.familyOf(original.tokens.refresh_token)!);
  const job = await run('dead', original);
  expect(job.status).toBe('failure');
  expect(errorText(job)).toMatch(
    /could not be renewed: the token endpoint refused the login: its refresh token was revoked.*marked as needing a re-seed.*To re-seed: .*on a trusted machine.*run `codex login`/s
  );
  expect(job.step('codex exec').status).not.toBe('success');
  // No login stored: the only entry is the mark (it opens to no login).
  expect(fx.world.cache.entries().filter((e) => e.key.startsWith('codex-auth-v1.'))).toHaveLength(1);
  expect(await stored()).toMatchObject({ codex_auth_mark: 'needs-reseed', cause: 'invalidated' });

  // The next job with the same seed stops in its main step: no refresh attempt, no wait for a renewal.
  const refreshes = fx.world.oauth.requests.length;
  const next = await run('after-dead', original);
  expect(next.status).toBe('failure');
  expect(errorText(next)).toMatch(/needs a re-seed: renewing it failed in an earlier job.*revoked/s);
  expect(next.step('auth').log).not.toMatch(/waiting for its renewed copy/);
  expect(fx.world.oauth.requests.length).toBe(refreshes);
  expect(next.step('codex exec').status).not.toBe('success');

  // A new login (re-seeded) runs, and its renewal replaces the mark.
  const fresh = await run('reseeded', seed(30 * 60));
  expect(fresh.status).toBe('success');
  expect(fresh.step('auth').log).toContain('Renewed the ChatGPT login');
  // The stored copy is the renewed login (the refresh token the renewal was issued), no longer the mark.
  const renewed = fx.world.oauth.requests.filter((r) => r.issued).at(-1)!.issued!.refresh_token;
  const after = await stored();
  expect(after).not.toHaveProperty('codex_auth_mark');
  expect(after?.tokens?.refresh_token).toBe(renewed);
});
