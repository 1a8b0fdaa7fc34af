// Where the job's REST API is: read by the inputs without loading the API client (Octokit stays out
// of the API-key and cache-only paths).

export const DEFAULT_API_URL = 'https://api.github.com';

/** The REST API base of the job: GITHUB_API_URL (set by the runner; `https://HOST/api/v3` on GHES). */
export function apiUrlFromEnv(env: NodeJS.ProcessEnv): string {
  return (env.GITHUB_API_URL?.trim() || DEFAULT_API_URL).replace(/\/+$/, '');
}
