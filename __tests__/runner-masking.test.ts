// The harness masks the log as the real runner does (actions/runner: ActionCommandManager.cs,
// AddMaskCommandExtension → SecretMasker.AddValue(data), applied to each line as it is written):
// a value shows in lines written before its `::add-mask::`, a multi-line add-mask value masks no
// line, `::stop-commands::` stops add-mask too, and the leak check reads the log as the runner shows it.
import { describe, expect, test } from '@jest/globals';
import { runJob } from './support/runner.js';
import { leakedSecrets } from './support/world.js';

const VALUE = 'tok-0123456789abcdef';

describe('masking as the runner does it', () => {
  test('a value printed before its add-mask shows; after it, it is masked, in later steps too', async () => {
    const job = await runJob({
      name: 'mask-order',
      steps: [
        {
          name: 'prints',
          run: `echo "before ${VALUE}"; echo "::add-mask::${VALUE}"; echo "after ${VALUE}"`
        },
        { name: 'later step', run: `echo "later ${VALUE}"` }
      ]
    });
    const prints = job.step('prints').masked.split('\n');
    expect(prints).toEqual([`before ${VALUE}`, 'after ***']);
    expect(job.step('later step').masked).toContain('later ***');
    expect(leakedSecrets([job], [])).toEqual([
      expect.stringContaining('mask-order / prints (log, before its mask): tok-01')
    ]);
  });

  test('a multi-line add-mask value masks no single line; each line registered on its own does', async () => {
    const job = await runJob({
      name: 'mask-lines',
      steps: [
        {
          name: 'whole',
          run: `echo "::add-mask::line-one-secret%0Aline-two-secret"; echo "line-one-secret"; echo "line-two-secret"`
        },
        {
          name: 'each',
          run: `echo "::add-mask::line-one-secret"; echo "::add-mask::line-two-secret"; echo "line-one-secret line-two-secret"`
        }
      ]
    });
    expect(job.step('whole').masked).toContain('line-one-secret\nline-two-secret');
    expect(job.step('each').masked).toContain('*** ***');
  });

  test('after ::stop-commands:: an add-mask is only text, until the resume token', async () => {
    const job = await runJob({
      name: 'mask-stop',
      steps: [
        {
          name: 'stops',
          run: `echo "::stop-commands::resume-1"; echo "::add-mask::${VALUE}"; echo "a ${VALUE}"; echo "::resume-1::"; echo "::add-mask::${VALUE}"; echo "b ${VALUE}"`
        }
      ]
    });
    const shown = job.step('stops').masked;
    expect(shown).toContain(`a ${VALUE}`);
    expect(shown).toContain('b ***');
  });

  test("a job's secrets are masked from the start, whole and line by line", async () => {
    const job = await runJob({
      name: 'mask-secrets',
      secrets: ['{\n  "refresh_token": "rt-multi-line-secret"\n}'],
      steps: [{ name: 'prints', run: `echo '  "refresh_token": "rt-multi-line-secret"'` }]
    });
    expect(job.step('prints').masked).toBe('  ***');
  });
});
