// Workload-identity mode end to end: the built action (dist/) through the runner harness, a loopback
// GitHub OIDC issuer (./support/oidc-issuer.ts), OpenAI's token exchange behind a loopback HTTPS
// proxy (./support/openai-exchange.ts), and the pinned Codex CLI reading the exported environment.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { runJob, errorsOf, warningsOf, type DeferredStep, type JobResult, type Step } from './support/runner.js';
import { leakedSecrets } from './support/world.js';
import type { IssuerFault, OidcIssuer } from './support/oidc-issuer.js';
import type { TokenExchange } from './support/openai-exchange.js';
import {
  running,
  startWorkloadIdentity,
  type WorkloadIdentity,
  type WorkloadIdentityOptions
} from './support/workload-identity.js';
import { startModelServer } from './support/model-server.js';
import type { OAuthServer } from './support/oauth-server.js';
import { codexProviderArgs } from './support/codex.js';

const RULE = 'idpm_0123456789abcdef';
const AUDIENCE = 'https://api.openai.com/v1/workload-identity/acme';

let wif: WorkloadIdentity;
let issuer: OidcIssuer;
let exchange: TokenExchange;

async function start(options: Partial<WorkloadIdentityOptions> = {}): Promise<void> {
  wif = await startWorkloadIdentity({ ruleId: RULE, audience: AUDIENCE, lifetimeSeconds: 300, ...options });
  ({ issuer, exchange } = wif);
}

beforeEach(() => start());
afterEach(() => wif.stop());

const action = (inputs: Record<string, string> = {}): Step => ({
  uses: 'action',
  id: 'auth',
  with: { 'auth-mode': 'workload-identity', 'federation-rule-id': RULE, audience: AUDIENCE, ...inputs }
});

/** The job: the runner gives ACTIONS_ID_TOKEN_REQUEST_* to every step when the job has `id-token: write`. */
function job(steps: Array<Step | DeferredStep>, extra: { env?: Record<string, string> } = {}) {
  return runJob({ name: 'codex', steps, env: { ...wif.idTokenEnv, ...wif.networkEnv, ...extra.env } });
}

function post(result: JobResult) {
  return result.steps.find((s) => s.phase === 'post')!;
}

function expectNoTokens(result: JobResult): void {
  expect(leakedSecrets([result], wif.secrets())).toEqual([]);
  expect(result.leftoverFiles).toEqual([]);
}

describe('workload identity', () => {
  test('the real Codex CLI is logged in with workload identity; the post step leaves nothing running or on disk', async () => {
    const result = await job([
      action({ 'workload-context': '{"instance_id": "run-1", "labels": {"repo": "acme/app"}}' }),
      { name: 'codex login status', run: 'codex login status' },
      {
        name: 'inspect',
        run: 'stat -c "%a %n" "$(dirname "$OPENAI_IDENTITY_TOKEN_FILE")" "$OPENAI_IDENTITY_TOKEN_FILE"; echo "rule=$OPENAI_FEDERATION_RULE_ID"; echo "context=$OPENAI_WORKLOAD_IDENTITY_CONTEXT"; cat "$CODEX_HOME/config.toml"; ls "$CODEX_HOME"'
      }
    ]);
    const main = result.step('auth');
    expect(main.status).toBe('success');
    const tokenFile = main.exported.OPENAI_IDENTITY_TOKEN_FILE;
    expect(tokenFile.startsWith(result.runnerTemp + path.sep)).toBe(true);
    expect(main.exported.OPENAI_FEDERATION_RULE_ID).toBe(RULE);
    expect(main.exported.OPENAI_WORKLOAD_IDENTITY_CONTEXT).toBe('{"instance_id":"run-1","labels":{"repo":"acme/app"}}');
    expect(main.outputs['auth-mode']).toBe('workload-identity');
    expect(main.outputs['identity-token-file']).toBe(tokenFile);
    // The OIDC token was requested for the rule's audience, with the job's request token.
    expect(issuer.requests[0]).toMatchObject({ audience: AUDIENCE, authorized: true, outcome: 200 });

    const inspect = result.step('inspect').log;
    expect(inspect).toContain(`700 ${path.dirname(tokenFile)}`);
    expect(inspect).toContain(`600 ${tokenFile}`);
    expect(inspect).toContain('cli_auth_credentials_store = "file"');
    expect(inspect).not.toContain('auth.json');

    // The real binary read the file and the rule, and exchanged through the loopback proxy.
    const status = result.step('codex login status');
    expect(exchange.requests.length).toBeGreaterThanOrEqual(1);
    expect(exchange.requests[0]).toMatchObject({ ruleId: RULE, status: 200, jti: issuer.issued[0].jti });
    expect(exchange.requests[0].context).toBe('{"instance_id":"run-1","labels":{"repo":"acme/app"}}');
    expect(exchange.refusedConnects).toEqual([]);
    expect(status.status).toBe('success');
    expect(status.log).toContain('Logged in using workload identity');

    // Summary: the claims a rule is matched against, never the token.
    expect(main.summary).toContain('### Codex auth: workload identity');
    expect(main.summary).toContain('| `repository` | `acme/app` |');
    expect(main.summary).toContain('| `ref` | `refs/heads/main` |');
    expect(main.summary).toContain('| `workflow_ref` | `acme/app/.github/workflows/codex.yml@refs/heads/main` |');
    expect(main.summary).toContain('| `environment` | _(not set)_ |');

    const cleanup = post(result);
    expect(cleanup.status).toBe('success');
    expect(cleanup.log).toMatch(/Keeper \(pid (\d+)\): 0 fresh tokens written, 0 failed requests; stopped now\./);
    const pid = Number(/Keeper \(pid (\d+)\)/.exec(cleanup.log)![1]);
    expect(running(pid)).toBe(false);
    await expect(fs.access(tokenFile)).rejects.toThrow();
    expectNoTokens(result);
  });

  test('a real `codex exec` turn runs on the exchanged token, with no stored credential', async () => {
    // The model stand-in accepts only the OpenAI tokens the exchange issued (its auth check is the
    // one the OAuth stand-in offers: issued, not expired).
    const model = await startModelServer({ accessTokenStatus: exchange.accessTokenStatus } as unknown as OAuthServer);
    try {
      const args = ['exec', ...codexProviderArgs(model.baseUrl), 'say hi'].map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
      const result = await job([action(), { name: 'codex exec', run: `codex ${args.join(' ')} < /dev/null` }]);
      const exec = result.step('codex exec');
      expect(exec.status).toBe('success');
      expect(exec.log).toContain('hi');
      const turn = model.responsesRequests();
      expect(turn).toHaveLength(1);
      expect(turn[0].auth).toBe('ok');
      expect(exchange.issued.has(turn[0].bearer!)).toBe(true);
      expect(turn[0].chatgptAccountId).toBe('acct-wif-0123456789');
      expect(exchange.backendRequests).toContainEqual({ path: '/backend-api/wham/config/bundle', status: 200 });
      expect(exchange.requests).toEqual([expect.objectContaining({ status: 200, jti: issuer.issued[0].jti })]);
      expect(post(result).status).toBe('success');
      expectNoTokens(result);
    } finally {
      await model.stop();
    }
  });

  test('the keeper keeps the file valid through a job longer than three token lifetimes, across issuer 5xx and a hung request', async () => {
    // Tokens live 30 s: the keeper renews at about 15-18 s, so a request may fail or hang (3 s
    // deadline) a few times before the file's token expires. The faults are set when the runner
    // reaches the step, so they hit the keeper, not the main step.
    issuer.setLifetime(30);
    const sample = (seconds: number) => `end=$(( $(date +%s) + ${seconds} )); n=0
      while [ "$(date +%s)" -lt "$end" ]; do
        exp=$(cut -d. -f2 "$OPENAI_IDENTITY_TOKEN_FILE" | tr '_-' '/+' | base64 -d 2>/dev/null | grep -o '"exp":[0-9]*' | cut -d: -f2)
        [ -n "$exp" ] || { echo "unreadable token file"; exit 1; }
        [ "$exp" -gt "$(date +%s)" ] || { echo "expired token in the file (exp $exp)"; exit 1; }
        n=$((n+1)); sleep 1
      done; echo "samples=$n"`;
    const faults = (name: string, ...kinds: IssuerFault[]): DeferredStep => ({
      name,
      resolve: () => {
        for (const kind of kinds) issuer.fail(1, kind);
        return { name, run: 'true' };
      }
    });
    const result = await job([
      action(),
      faults('a 503, then a hung request', 503, 'hang'),
      { name: 'Codex step 1', run: sample(45) },
      faults('a 500', 500),
      { name: 'Codex step 2', run: sample(50) }
    ]);
    expect(result.step('Codex step 1').status).toBe('success');
    expect(result.step('Codex step 2').status).toBe('success');
    expect(issuer.requests.map((r) => r.outcome)).toEqual(expect.arrayContaining([503, 'hang', 500]));
    const cleanup = post(result);
    expect(cleanup.status).toBe('success');
    const written = Number(/(\d+) fresh tokens? written, (\d+) failed/.exec(cleanup.log)![1]);
    const failed = Number(/(\d+) fresh tokens? written, (\d+) failed/.exec(cleanup.log)![2]);
    expect(written).toBeGreaterThanOrEqual(3);
    expect(failed).toBe(3);
    expect(cleanup.log).toContain('stopped now');
    expect(new Set(issuer.issued.map((t) => t.jti)).size).toBe(issuer.issued.length);
    expectNoTokens(result);
  });

  test('the post step fails loudly when the file expired while the keeper could not renew it', async () => {
    issuer.setLifetime(8);
    const result = await job([
      action(),
      {
        name: 'the issuer goes down',
        resolve: () => {
          issuer.fail(1000, 503);
          return { name: 'the issuer goes down', run: 'true' };
        }
      },
      { name: 'a long Codex step', run: 'sleep 12' }
    ]);
    const cleanup = post(result);
    expect(cleanup.status).toBe('failure');
    expect(errorsOf(result).join('\n')).toMatch(
      /Workload identity: the token file held an expired token 1 time while the keeper could not renew it \(GitHub's OIDC token request was answered 503\.\): a Codex step running then could not authenticate/
    );
    expect(result.status).toBe('failure');
    expectNoTokens(result);
  });

  test('after a failed step the post step still stops the keeper and removes the file', async () => {
    const result = await job([action(), { name: 'fails', run: 'exit 3' }]);
    expect(result.status).toBe('failure');
    const cleanup = post(result);
    expect(cleanup.status).toBe('success');
    const pid = Number(/Keeper \(pid (\d+)\)/.exec(cleanup.log)![1]);
    expect(running(pid)).toBe(false);
    expectNoTokens(result);
  });

  test("verify: true fails the main step with OpenAI's error and the claims to compare; the keeper it had started is stopped", async () => {
    await wif.stop();
    await start({ conditions: { ref: 'refs/heads/release' } });
    // Node's fetch reaches auth.openai.com through the proxy as any Node program on a runner would.
    const proxyEnv = { NODE_USE_ENV_PROXY: '1', NODE_EXTRA_CA_CERTS: exchange.codexEnv.CODEX_CA_CERTIFICATE };
    const result = await job([action({ verify: 'true' }), { name: 'codex', run: 'true' }], { env: proxyEnv });
    const main = result.step('auth');
    expect(main.status).toBe('failure');
    const [error] = errorsOf(result);
    expect(error).toContain(`verify: OpenAI refused this job's OIDC token under the federation rule ${RULE}`);
    expect(error).toContain('invalid_grant: The assertion does not match the federation rule (ref)');
    expect(error).toContain('ref=refs/heads/main');
    expect(main.summary).toContain('| `ref` | `refs/heads/main` |');
    expect(result.step('codex').status).toBe('skipped');
    const cleanup = post(result);
    expect(cleanup.status).toBe('success');
    const pid = Number(/Keeper \(pid (\d+)\)/.exec(cleanup.log)![1]);
    expect(running(pid)).toBe(false);
    expectNoTokens(result);
  });

  test('verify: true passes when the rule matches', async () => {
    const proxyEnv = { NODE_USE_ENV_PROXY: '1', NODE_EXTRA_CA_CERTS: exchange.codexEnv.CODEX_CA_CERTIFICATE };
    const result = await job([action({ verify: 'true' }), { name: 'codex login status', run: 'codex login status' }], {
      env: proxyEnv
    });
    expect(result.step('auth').status).toBe('success');
    expect(result.step('auth').log).toContain(
      `verify: OpenAI accepted this job's token under the federation rule ${RULE}`
    );
    expect(exchange.requests).toHaveLength(2);
    expect(exchange.requests[1]).toMatchObject({ status: 200, jti: issuer.issued[1].jti });
    // The check spent its token (the stand-in enforces single-use jti): the file holds another one.
    expect(issuer.issued).toHaveLength(2);
    expect(exchange.requests[0].jti).toBe(issuer.issued[0].jti);
    expect(post(result).status).toBe('success');
    expectNoTokens(result);
  });

  test('an issuer that keeps failing fails the main step after bounded retries, with nothing left behind', async () => {
    issuer.fail(4, 503);
    const result = await job([action()]);
    expect(result.step('auth').status).toBe('failure');
    expect(errorsOf(result)[0]).toMatch(
      /GitHub's OIDC token request was answered 503\. \(4 attempts\).*id-token: write/
    );
    expect(post(result).status).toBe('success');
    expectNoTokens(result);
  });

  test('API keys in the job env are named as ignored by Codex', async () => {
    const result = await job([action()], { env: { OPENAI_API_KEY: 'sk-proj-something-else-entirely-0123456789' } });
    expect(warningsOf(result).join('\n')).toContain(
      'OPENAI_API_KEY is set in this job, but Codex uses workload identity'
    );
  });

  describe('bad input: an error naming the input and the fix, before any request', () => {
    const cases: [string, Record<string, string>, Record<string, string>, RegExp][] = [
      [
        'no id-token permission',
        {},
        { ACTIONS_ID_TOKEN_REQUEST_URL: '' },
        /^Input 'auth-mode': .*ACTIONS_ID_TOKEN_REQUEST_URL is not set.*permissions: id-token: write/
      ],
      ['missing rule', { 'federation-rule-id': '' }, {}, /^Input 'federation-rule-id': is empty.*idpm_/],
      [
        'malformed rule',
        { 'federation-rule-id': 'idp_123' },
        {},
        /^Input 'federation-rule-id': 'idp_123' is not a federation rule id/
      ],
      ['missing audience', { audience: '' }, {}, /^Input 'audience': is empty/],
      [
        'encoded audience',
        { audience: 'https%3A%2F%2Fapi.openai.com' },
        {},
        /^Input 'audience': .*already URL-encoded/
      ],
      ['audience with a space', { audience: 'https://api.openai.com /v1' }, {}, /^Input 'audience': contains " "/],
      ['context not JSON', { 'workload-context': '{instance_id: 1}' }, {}, /^Input 'workload-context': is not JSON/],
      [
        'context without instance_id',
        { 'workload-context': '{"display_name": "x"}' },
        {},
        /^Input 'workload-context': has no instance_id/
      ],
      [
        'context with an unknown key',
        { 'workload-context': '{"instance_id": "a", "team": "x"}' },
        {},
        /^Input 'workload-context': has 'team'/
      ],
      [
        'context with 9 labels',
        {
          'workload-context': JSON.stringify({
            instance_id: 'a',
            labels: Object.fromEntries([...Array(9).keys()].map((i) => [`l${i}`, 'v']))
          })
        },
        {},
        /^Input 'workload-context': has 9 labels; OpenAI accepts at most 8/
      ],
      [
        'context too large',
        { 'workload-context': JSON.stringify({ instance_id: 'a', display_name: 'x'.repeat(1100) }) },
        {},
        /^Input 'workload-context': is \d+ bytes once compacted; OpenAI accepts at most 1024/
      ],
      ['verify not boolean', { verify: 'yes' }, {}, /^Input 'verify': 'yes' is not a boolean/]
    ];
    test.each(cases)('%s', async (_name, inputs, env, message) => {
      const result = await job([action(inputs)], { env });
      expect(result.step('auth').status).toBe('failure');
      expect(errorsOf(result)[0]).toMatch(message);
      expect(issuer.requests).toHaveLength(0);
      expect(post(result).log).toContain('Nothing to clean up');
    });
  });
});
