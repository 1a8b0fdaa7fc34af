// Main step: parse the inputs once, then hand over to the mode. Each mode is loaded only when
// used, so API-key jobs never load the cache or crypto code.
import * as step from './action/workflow-commands.js';
import { stepRuntime } from './action/step-runtime.js';
import { abandonedCalls } from './action/deadline.js';
import { errorMessage } from './action/errors.js';
import { parseInputs, secretInputs } from './action/inputs.js';

async function main(): Promise<void> {
  const read = (name: string): string => step.getInput(name);
  for (const value of secretInputs(read)) step.setSecret(value);
  try {
    const { inputs, warnings } = parseInputs(read, {
      workspace: process.env.GITHUB_WORKSPACE,
      home: process.env.HOME ?? '',
      env: process.env
    });
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
