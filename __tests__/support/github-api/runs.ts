// Actions runs of the loopback GitHub API: `GET …/actions/runs/{run_id}/attempts/{attempt_number}`
// (permission `actions`), answered from GitHub's own example run (`workflow-run` in GitHub's OpenAPI
// description) with the status a test set (`setRun`).
import { exampleAnswer } from '../github-openapi.js';
import { need } from './auth.js';
import type { Repository } from './model.js';
import { notFound, type Call, type Reply } from './reply.js';

/** `…/actions/runs/…`: `rest` is the path after `runs`; `base` the repository's API URL. */
export function runsRoute(call: Call, rest: string[], repo: Repository, base: string): Reply {
  const [runId, attempts, attempt] = rest;
  if (call.method !== 'GET' || attempts !== 'attempts' || !/^\d+$/.test(runId ?? '') || !/^\d+$/.test(attempt ?? ''))
    throw notFound();
  need(call.grant, 'actions', 'read');
  const run = repo.runs.get(`${runId}/${attempt}`);
  if (!run) throw notFound();
  const example = exampleAnswer('workflow-run') as Record<string, unknown>;
  return {
    status: 200,
    body: {
      ...example,
      id: Number(runId),
      run_attempt: Number(attempt),
      status: run.status,
      conclusion: run.conclusion,
      url: `${base}/actions/runs/${runId}`
    }
  };
}
