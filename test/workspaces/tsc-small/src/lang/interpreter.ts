// A tree-walking interpreter with closures and a small standard library.
import type { Expr } from './ast';
import { LanguageError } from './errors';

export type Value =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'list'; items: readonly Value[] }
  | { kind: 'record'; fields: ReadonlyMap<string, Value> }
  | { kind: 'closure'; params: string[]; body: Expr; env: Env }
  | { kind: 'builtin'; name: string; arity: number; call: (args: Value[]) => Value };

export class Env {
  constructor(
    private readonly vars: Map<string, Value> = new Map(),
    private readonly parent?: Env,
  ) {}

  get(name: string): Value | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }

  with(bindings: Iterable<[string, Value]>): Env {
    return new Env(new Map(bindings), this);
  }
}

export const num = (value: number): Value => ({ kind: 'number', value });
export const str = (value: string): Value => ({ kind: 'string', value });
export const bool = (value: boolean): Value => ({ kind: 'bool', value });
export const list = (items: readonly Value[]): Value => ({ kind: 'list', items });

type ValueOf<K extends Value['kind']> = Extract<Value, { kind: K }>;

function expect<K extends Value['kind']>(v: Value, kind: K, where: Expr): ValueOf<K> {
  if (v.kind !== kind) throw new LanguageError('run', `expected a ${kind}, got a ${v.kind}`, where.at);
  return v as ValueOf<K>;
}

export interface RunLimits {
  maxSteps: number;
  maxDepth: number;
}

export class Interpreter {
  private steps = 0;
  private depth = 0;

  constructor(private readonly limits: RunLimits = { maxSteps: 1_000_000, maxDepth: 500 }) {}

  run(expr: Expr, env: Env): Value {
    if (++this.steps > this.limits.maxSteps) throw new LanguageError('run', `more than ${this.limits.maxSteps} steps`, expr.at);
    switch (expr.kind) {
      case 'number':
        return num(expr.value);
      case 'string':
        return str(expr.value);
      case 'boolean':
        return bool(expr.value);
      case 'variable': {
        const v = env.get(expr.name);
        if (!v) throw new LanguageError('run', `unbound '${expr.name}'`, expr.at);
        return v;
      }
      case 'unary': {
        const v = this.run(expr.operand, env);
        return expr.operator === '-' ? num(-expect(v, 'number', expr).value) : bool(!expect(v, 'bool', expr).value);
      }
      case 'binary':
        return this.binary(expr, env);
      case 'let':
        return this.run(expr.body, env.with([[expr.name, this.run(expr.value, env)]]));
      case 'if':
        return expect(this.run(expr.condition, env), 'bool', expr.condition).value ? this.run(expr.then, env) : this.run(expr.otherwise, env);
      case 'lambda':
        return { kind: 'closure', params: expr.params.map((p) => p.name), body: expr.body, env };
      case 'call':
        return this.call(this.run(expr.callee, env), expr.args.map((a) => this.run(a, env)), expr);
      case 'list':
        return list(expr.items.map((e) => this.run(e, env)));
      case 'record':
        return { kind: 'record', fields: new Map(expr.fields.map((f) => [f.name, this.run(f.value, env)])) };
      case 'index': {
        const items = expect(this.run(expr.target, env), 'list', expr.target).items;
        const i = expect(this.run(expr.index, env), 'number', expr.index).value;
        const item = items[i < 0 ? items.length + i : i];
        if (!item) throw new LanguageError('run', `index ${i} out of range 0..${items.length - 1}`, expr.at);
        return item;
      }
      case 'field': {
        const field = expect(this.run(expr.target, env), 'record', expr.target).fields.get(expr.name);
        if (!field) throw new LanguageError('run', `no field '${expr.name}'`, expr.at);
        return field;
      }
    }
  }

  call(callee: Value, args: Value[], where: Expr): Value {
    if (callee.kind === 'builtin') {
      if (args.length !== callee.arity) throw new LanguageError('run', `${callee.name} takes ${callee.arity} arguments, got ${args.length}`, where.at);
      return callee.call(args);
    }
    const fn = expect(callee, 'closure', where);
    if (args.length !== fn.params.length) throw new LanguageError('run', `expected ${fn.params.length} arguments, got ${args.length}`, where.at);
    if (++this.depth > this.limits.maxDepth) throw new LanguageError('run', 'stack overflow', where.at);
    try {
      return this.run(fn.body, fn.env.with(fn.params.map((p, i) => [p, args[i]!] as [string, Value])));
    } finally {
      this.depth--;
    }
  }

  private binary(expr: Extract<Expr, { kind: 'binary' }>, env: Env): Value {
    if (expr.operator === 'and' || expr.operator === 'or') {
      const left = expect(this.run(expr.left, env), 'bool', expr.left).value;
      if (expr.operator === 'and' ? !left : left) return bool(left);
      return bool(expect(this.run(expr.right, env), 'bool', expr.right).value);
    }
    const l = this.run(expr.left, env);
    const r = this.run(expr.right, env);
    switch (expr.operator) {
      case '==':
        return bool(equals(l, r));
      case '!=':
        return bool(!equals(l, r));
      case '++':
        if (l.kind === 'string') return str(l.value + expect(r, 'string', expr.right).value);
        return list([...expect(l, 'list', expr.left).items, ...expect(r, 'list', expr.right).items]);
      default: {
        const a = expect(l, 'number', expr.left).value;
        const b = expect(r, 'number', expr.right).value;
        switch (expr.operator) {
          case '+':
            return num(a + b);
          case '-':
            return num(a - b);
          case '*':
            return num(a * b);
          case '/':
            if (b === 0) throw new LanguageError('run', 'division by zero', expr.at);
            return num(a / b);
          case '%':
            return num(a % b);
          case '^':
            return num(a ** b);
          case '<':
            return bool(a < b);
          case '<=':
            return bool(a <= b);
          case '>':
            return bool(a > b);
          case '>=':
            return bool(a >= b);
        }
      }
    }
  }
}

export function equals(a: Value, b: Value): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'number':
    case 'string':
    case 'bool':
      return a.value === (b as typeof a).value;
    case 'list': {
      const other = (b as typeof a).items;
      return a.items.length === other.length && a.items.every((x, i) => equals(x, other[i]!));
    }
    case 'record': {
      const other = (b as typeof a).fields;
      return a.fields.size === other.size && [...a.fields].every(([k, v]) => other.has(k) && equals(v, other.get(k)!));
    }
    default:
      return a === b;
  }
}

export function format(v: Value): string {
  switch (v.kind) {
    case 'number':
      return Number.isInteger(v.value) ? v.value.toFixed(0) : String(v.value);
    case 'string':
      return JSON.stringify(v.value);
    case 'bool':
      return v.value ? 'true' : 'false';
    case 'list':
      return `[${v.items.map(format).join(', ')}]`;
    case 'record':
      return `{ ${[...v.fields].map(([k, x]) => `${k}: ${format(x)}`).join(', ')} }`;
    case 'closure':
      return `<fn(${v.params.join(', ')})>`;
    case 'builtin':
      return `<builtin ${v.name}>`;
  }
}
