// The hooks every file of ChatGPT-mode end-to-end tests needs (Jest only; the demo and the bench use
// world.ts directly): one loopback world for the file, an empty cache and a new encryption key
// before each test, and after each test no token of the world or of `seeds` (nor any value of
// `moreSecrets`) in any step's output of the jobs the test pushed to `jobs`, and no annotation of the
// action with a reason quoted into a sentence without `clause` ("…later..").
import type { ChatGptAuthJson } from './jwt.js';
import type { JobResult } from './runner.js';
import { allTokens, leakedSecrets, newEncryptionKey, startWorld, type World } from './world.js';

export interface WorldFixture {
  world: World;
  key: string;
  jobs: JobResult[];
  seeds: ChatGptAuthJson[];
}

export function useWorld(
  options: { world?: Parameters<typeof startWorld>[0]; moreSecrets?: () => string[] } = {}
): WorldFixture {
  const fixture: WorldFixture = { world: undefined as unknown as World, key: '', jobs: [], seeds: [] };
  beforeAll(async () => {
    fixture.world = await startWorld(options.world);
  });
  afterAll(async () => {
    await fixture.world?.stop();
  });
  beforeEach(() => {
    fixture.world.cache.reset();
    fixture.key = newEncryptionKey();
  });
  afterEach(() => {
    expect(sloppyAnnotations(fixture.jobs)).toEqual([]);
    const secrets = [...allTokens(fixture.world, fixture.seeds), ...(options.moreSecrets?.() ?? [])];
    expect(leakedSecrets(fixture.jobs.splice(0), secrets)).toEqual([]);
  });
  return fixture;
}

/** The action's annotations where a quoted reason kept its own period: "… Re-run the job later.." */
function sloppyAnnotations(jobs: JobResult[]): string[] {
  return jobs.flatMap((job) =>
    job.steps
      .filter((step) => step.phase !== 'run')
      .flatMap((step) => step.annotations.map((a) => a.message))
      .filter((message) => /[^.]\.\.(?!\.)/.test(message))
      .map((message) => `${job.name}: ${message}`)
  );
}
