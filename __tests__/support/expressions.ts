// A small evaluator for GitHub Actions `${{ }}` expressions, for running the documentation's
// workflows as printed. It knows the operators (`||`, `&&`, `!`, `==`, `!=`, `<`, `>`, `<=`, `>=`,
// parentheses), literals, property access (`a.b`, `a['b-c']`), the status functions and a few
// others. Unlike GitHub it is strict on purpose: a context, property, secret, output or function
// it was not given is an error, so an example cannot pass by reading an empty string.

export type Value = string | number | boolean | null | { [key: string]: Value } | Value[];
export type Contexts = Record<string, Value>;

export interface Status {
  status: 'success' | 'failure';
}

type Token = { kind: 'str' | 'num' | 'ident' | 'op'; text: string; value?: Value };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= source.length) throw new Error(`unterminated string in expression: ${source}`);
        if (source[i] === "'" && source[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (source[i] === "'") {
          i++;
          break;
        } else text += source[i++];
      }
      tokens.push({ kind: 'str', text, value: text });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^-?[0-9]+(\.[0-9]+)?/.exec(source.slice(i))!;
      tokens.push({ kind: 'num', text: m[0], value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else {
      const op = ['||', '&&', '==', '!=', '<=', '>='].find((o) => source.startsWith(o, i)) ?? c;
      if (!['||', '&&', '==', '!=', '<=', '>=', '!', '<', '>', '(', ')', '[', ']', '.', ','].includes(op)) {
        throw new Error(`unexpected '${c}' in expression: ${source}`);
      }
      tokens.push({ kind: 'op', text: op });
      i += op.length;
    }
  }
  return tokens;
}

function truthy(value: Value): boolean {
  return !(value === false || value === 0 || value === '' || value === null);
}

function toText(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value, null, 2);
  return String(value);
}

function toNumber(value: Value): number {
  if (value === null || value === false) return 0;
  if (value === true) return 1;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value.trim() === '' ? 0 : Number(value);
  return NaN;
}

function equal(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b && (typeof a !== 'object' || a === null || b === null)) return a === b;
  if (typeof a === 'object' || typeof b === 'object') return a === b;
  return toNumber(a) === toNumber(b);
}

const STATUS_FUNCTIONS = ['success', 'failure', 'always', 'cancelled'];

/** Evaluates one expression (the text inside `${{ }}`). */
export function evaluate(source: string, contexts: Contexts, status: Status = { status: 'success' }): Value {
  const tokens = tokenize(source);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isOp = (text: string): boolean => peek()?.kind === 'op' && peek()?.text === text;
  const expect = (text: string): void => {
    if (!isOp(text)) throw new Error(`expected '${text}' at token ${at} of expression: ${source}`);
    at++;
  };

  const or = (): Value => {
    let left = and();
    while (isOp('||')) {
      at++;
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const and = (): Value => {
    let left = comparison();
    while (isOp('&&')) {
      at++;
      const right = comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const comparison = (): Value => {
    const left = unary();
    const op = peek();
    if (op?.kind !== 'op' || !['==', '!=', '<', '>', '<=', '>='].includes(op.text)) return left;
    at++;
    const right = unary();
    switch (op.text) {
      case '==':
        return equal(left, right);
      case '!=':
        return !equal(left, right);
      case '<':
        return toNumber(left) < toNumber(right);
      case '>':
        return toNumber(left) > toNumber(right);
      case '<=':
        return toNumber(left) <= toNumber(right);
      default:
        return toNumber(left) >= toNumber(right);
    }
  };
  const unary = (): Value => {
    if (isOp('!')) {
      at++;
      return !truthy(unary());
    }
    return postfix(primary());
  };
  const primary = (): { value: Value; path: string } => {
    const token = tokens[at++];
    if (!token) throw new Error(`unexpected end of expression: ${source}`);
    if (token.kind === 'str' || token.kind === 'num') return { value: token.value!, path: token.text };
    if (token.kind === 'op' && token.text === '(') {
      const value = or();
      expect(')');
      return { value, path: '(…)' };
    }
    if (token.kind !== 'ident') throw new Error(`unexpected '${token.text}' in expression: ${source}`);
    if (token.text === 'true' || token.text === 'false') return { value: token.text === 'true', path: token.text };
    if (token.text === 'null') return { value: null, path: 'null' };
    if (isOp('(')) {
      at++;
      const args: Value[] = [];
      while (!isOp(')')) {
        args.push(or());
        if (isOp(',')) at++;
      }
      expect(')');
      return { value: call(token.text, args), path: `${token.text}()` };
    }
    if (!(token.text in contexts)) throw new Error(`unknown context '${token.text}' in expression: ${source}`);
    return { value: contexts[token.text], path: token.text };
  };
  const postfix = (start: { value: Value; path: string }): Value => {
    let { value, path } = start;
    for (;;) {
      let key: string;
      if (isOp('.')) {
        at++;
        const name = tokens[at++];
        if (name?.kind !== 'ident')
          throw new Error(`expected a property name after '${path}.' in expression: ${source}`);
        key = name.text;
      } else if (isOp('[')) {
        at++;
        key = toText(or());
        expect(']');
      } else return value;
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error(`'${path}' has no properties (reading '${key}') in expression: ${source}`);
      }
      if (!(key in value)) {
        throw new Error(
          `'${path}.${key}' is not known to the harness (have: ${Object.keys(value).join(', ') || 'nothing'}) in expression: ${source}`
        );
      }
      value = value[key];
      path = `${path}.${key}`;
    }
  };
  const call = (name: string, args: Value[]): Value => {
    switch (name) {
      case 'success':
        return status.status === 'success';
      case 'failure':
        return status.status === 'failure';
      case 'always':
        return true;
      case 'cancelled':
        return false;
      case 'contains':
        return Array.isArray(args[0])
          ? args[0].some((v) => equal(v, args[1]))
          : toText(args[0]).toLowerCase().includes(toText(args[1]).toLowerCase());
      case 'startsWith':
        return toText(args[0]).toLowerCase().startsWith(toText(args[1]).toLowerCase());
      case 'endsWith':
        return toText(args[0]).toLowerCase().endsWith(toText(args[1]).toLowerCase());
      case 'toJSON':
        // GitHub's toJSON: pretty-printed JSON (a string becomes a quoted, escaped JSON string).
        return JSON.stringify(args[0] ?? null, null, 2);
      case 'format':
        return toText(args[0]).replace(/\{(\d+)\}/g, (_, n: string) => toText(args[Number(n) + 1] ?? null));
      default:
        throw new Error(`function '${name}()' is not known to the harness in expression: ${source}`);
    }
  };

  const value = or();
  if (at !== tokens.length) throw new Error(`unexpected '${tokens[at].text}' in expression: ${source}`);
  return value;
}

/** Replaces every `${{ expr }}` in `text`, as the runner does for `with:`, `env:` and `run:` values. */
export function interpolate(text: string, contexts: Contexts, status?: Status): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => toText(evaluate(expr, contexts, status)));
}

/**
 * A step's or job's `if:`: with or without `${{ }}`; without a status function, `success() &&` is
 * implied, as on GitHub.
 */
export function condition(text: string | boolean | undefined, contexts: Contexts, status: Status): boolean {
  if (text === undefined) return status.status === 'success';
  if (typeof text === 'boolean') return text && status.status === 'success';
  const trimmed = text.trim();
  const expr = /^\$\{\{[\s\S]*\}\}$/.test(trimmed) ? trimmed.slice(3, -2) : trimmed;
  const usesStatus = new RegExp(`\\b(${STATUS_FUNCTIONS.join('|')})\\s*\\(`).test(expr);
  return truthy(evaluate(usesStatus ? expr : `success() && (${expr})`, contexts, status));
}
