// Main step: mask the secrets, parse the inputs once, then hand over to the mode. Each mode is
// loaded only when used, so API-key jobs never load the cache or crypto code.
import * as step from './action/workflow-commands.js';
import { maskSecretInputs, readInputs, stepRuntime } from './action/step-runtime.js';
import { abandonedCalls } from './action/deadline.js';
import { errorMessage } from './action/errors.js';

async function main(): Promise<void> {
  maskSecretInputs();
  try {
    const { inputs, warnings } = readInputs();
    warnings.forEach((warning) => step.warning(warning));
    if (inputs.mode === 'api-key' || inputs.mode === 'access-token') {
      const { setUpJobCredential } = await import('./job-credential/main.js');
      await setUpJobCredential(inputs, stepRuntime());
    } else if (inputs.mode === 'workload-identity') {
      const { setUpWorkloadIdentity } = await import('./workload-identity/main.js');
      await setUpWorkloadIdentity(inputs, stepRuntime());
    } else {
      const { setUpChatGpt } = await import('./chatgpt/main.js');
      await setUpChatGpt(inputs, stepRuntime());
    }
  } catch (error) {
    step.setFailed(errorMessage(error));
  }
}

await main();
// A cache call given up at its deadline may still hold a socket open: end the step now, not when it times out.
if (abandonedCalls()) process.exit();
