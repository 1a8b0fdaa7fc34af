// Post step (post-if: always()): keep a refreshed ChatGPT login for the next job, then remove every
// credential this action put on the runner, whatever happened before. The post step is a process of
// its own and the state carries no secret, so it reads the inputs again through the same parser
// (its warnings were printed by the main step).
import * as step from './action/workflow-commands.js';
import { removeCredentials } from './codex/home.js';
import { loadState, maskSecretInputs, readInputs, stepRuntime } from './action/step-runtime.js';
import { abandonedCalls } from './action/deadline.js';
import { errorMessage } from './action/errors.js';

async function post(): Promise<void> {
  maskSecretInputs();
  const state = loadState();
  if (!state) {
    step.info('Nothing to clean up: the main step did not set up credentials.');
    return;
  }
  try {
    if (state.mode === 'chatgpt') {
      const { inputs } = readInputs();
      if (inputs.mode === 'chatgpt') {
        const { keepRefreshedCredential } = await import('./chatgpt/post.js');
        await keepRefreshedCredential(inputs, state, stepRuntime());
      }
    }
    if (state.mode === 'workload-identity') {
      const { cleanUpWorkloadIdentity } = await import('./workload-identity/post.js');
      await cleanUpWorkloadIdentity(state, stepRuntime());
    }
  } catch (error) {
    step.setFailed(errorMessage(error));
  } finally {
    const removed = await removeCredentials(
      { dir: state.codexHome, created: state.createdHome },
      state.authFile !== undefined
    );
    step.info(
      removed.length ? `Removed ${removed.join(', ')}.` : `No credentials left to remove in ${state.codexHome}.`
    );
  }
}

await post();
// A cache call given up at its deadline may still hold a socket open: end the step now, not when it times out.
if (abandonedCalls()) process.exit();
