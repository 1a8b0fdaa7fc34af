// GitHub's REST API as GitHub describes it: every request the loopback API (./github-api.ts)
// receives and every answer it computes is checked against GitHub's own OpenAPI description, the
// npm package @octokit/openapi (generated/api.github.com.json, GitHub's published description with
// Octokit's extensions). A request GitHub has no operation for, a body its schema refuses, or an
// answer GitHub would not send is a violation: the stand-in answers it with a 500 and records it,
// and stopping the server fails the test. So the stand-in cannot drift from GitHub, and neither can
// the action's calls.
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';

const require = createRequire(import.meta.url);

interface Operation {
  requestBody?: { content?: Record<string, { schema?: object }> };
  responses?: Record<string, { content?: Record<string, { schema?: object }> } | { $ref: string }>;
  parameters?: ({ $ref: string } | { name: string; in: string; 'x-multi-segment'?: boolean })[];
}

interface Description {
  paths: Record<string, Record<string, Operation>>;
  components: {
    parameters: Record<string, { name: string; in: string; 'x-multi-segment'?: boolean }>;
    responses: Record<string, { content?: Record<string, { schema?: object }> }>;
    examples: Record<string, { value: unknown }>;
  };
}

/**
 * Statuses GitHub may answer on any operation, with its basic-error body: a body it cannot parse
 * (400), authentication (401), permissions and rate limits (403, 429), what the token may not see
 * (404), a value it refuses (422: e.g. a secret not sealed to the current key), outages (5xx).
 */
const ANY_OPERATION = new Set([400, 401, 403, 404, 422, 429]);

let loaded: { spec: Description; ajv: Ajv; templates: Template[] } | undefined;

interface Template {
  path: string;
  pattern: RegExp;
  literals: number;
}

function load(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const spec = require('@octokit/openapi/generated/api.github.com.json') as Description;
  // OpenAPI 3.0 schemas: `nullable`, `example`, vendor keys; formats as GitHub writes them.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  // ajv-formats is CommonJS: its function is the default export under tsx, `.default` under jest.
  const addFormats = ((formats as unknown as { default?: unknown }).default ?? formats) as (ajv: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addSchema(spec as object, 'github');
  const templates = Object.keys(spec.paths).map((path) => {
    const multi = new Set(
      Object.values(spec.paths[path])
        .flatMap((op) => op.parameters ?? [])
        .map((p) => ('$ref' in p ? spec.components.parameters[p.$ref.split('/').pop()!] : p))
        .filter((p) => p?.['x-multi-segment'])
        .map((p) => p.name)
    );
    const source = path
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\{([^}]+)\}/g, (_, name: string) => (multi.has(name) ? '(.+)' : '([^/]+)'));
    return {
      path,
      pattern: new RegExp(`^${source}$`),
      literals: path.split('/').filter((s) => !s.startsWith('{')).length
    };
  });
  loaded = { spec, ajv, templates };
  return loaded;
}

const compiled = new Map<string, ValidateFunction>();

function validator(pointer: string): ValidateFunction {
  let validate = compiled.get(pointer);
  if (!validate) {
    validate = load().ajv.compile({ $ref: `github#${pointer}` });
    compiled.set(pointer, validate);
  }
  return validate;
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The operation GitHub describes for `method path` (the most specific template), if any. */
export function operationOf(method: string, path: string): { template: string; operation: Operation } | undefined {
  const { spec, templates } = load();
  const matches = templates
    .filter((t) => t.pattern.test(path) && spec.paths[t.path][method.toLowerCase()])
    .sort((a, b) => b.literals - a.literals);
  const template = matches[0]?.path;
  return template ? { template, operation: spec.paths[template][method.toLowerCase()] } : undefined;
}

/** Why GitHub would not accept this request, or undefined. */
export function requestViolation(method: string, path: string, body: unknown): string | undefined {
  const found = operationOf(method, path);
  if (!found) return `GitHub's REST API has no operation ${method} ${path}`;
  const json = found.operation.requestBody?.content?.['application/json'];
  if (!json) return undefined;
  const validate = validator(
    `/paths/${escape(found.template)}/${method.toLowerCase()}/requestBody/content/application~1json/schema`
  );
  return validate(body) ? undefined : `${method} ${found.template}: request body ${describe(validate)}`;
}

/** Why GitHub would never send this answer to this request, or undefined. */
export function responseViolation(method: string, path: string, status: number, body: unknown): string | undefined {
  const found = operationOf(method, path);
  if (!found) return undefined; // the request was refused already
  const { spec } = load();
  const base = `/paths/${escape(found.template)}/${method.toLowerCase()}/responses`;
  let described = found.operation.responses?.[String(status)];
  let pointer = `${base}/${status}`;
  if (described && '$ref' in described) {
    pointer = described.$ref.slice(1);
    described = spec.components.responses[described.$ref.split('/').pop()!];
  }
  if (!described) {
    if (ANY_OPERATION.has(status) || status >= 500) {
      const validate = validator('/components/schemas/basic-error');
      return validate(body) ? undefined : `${method} ${found.template} ${status}: body ${describe(validate)}`;
    }
    return `${method} ${found.template}: GitHub describes no ${status} answer (only ${Object.keys(found.operation.responses ?? {}).join(', ')})`;
  }
  if (!described.content?.['application/json']?.schema) return undefined;
  const validate = validator(`${pointer}/content/application~1json/schema`);
  return validate(body) ? undefined : `${method} ${found.template} ${status}: body ${describe(validate)}`;
}

/** GitHub's own example answer of an operation (a real payload shape to start a stand-in's answer from). */
export function exampleAnswer(name: string): unknown {
  return structuredClone(load().spec.components.examples[name].value);
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 3)
    .map(
      (e) =>
        `${e.instancePath || '(root)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` '${String(e.params.additionalProperty)}'` : ''}`
    )
    .join('; ');
}
