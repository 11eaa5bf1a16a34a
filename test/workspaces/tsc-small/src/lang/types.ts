// Hindley–Milner style inference with unification, for the expression language.
import type { Expr, TypeAnnotation } from './ast';
import { LanguageError } from './errors';

export type Type =
  | { kind: 'number' }
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'list'; item: Type }
  | { kind: 'record'; fields: ReadonlyMap<string, Type> }
  | { kind: 'fn'; params: Type[]; result: Type }
  | { kind: 'var'; id: number };

export const NUMBER: Type = { kind: 'number' };
export const STRING: Type = { kind: 'string' };
export const BOOL: Type = { kind: 'bool' };

/** A type with quantified variables, as bound by `let`. */
export interface Scheme {
  vars: number[];
  type: Type;
}

export class TypeEnv {
  constructor(
    private readonly bindings: ReadonlyMap<string, Scheme> = new Map(),
    private readonly parent?: TypeEnv,
  ) {}

  lookup(name: string): Scheme | undefined {
    return this.bindings.get(name) ?? this.parent?.lookup(name);
  }

  extend(name: string, scheme: Scheme): TypeEnv {
    return new TypeEnv(new Map([[name, scheme]]), this);
  }

  *entries(): Generator<[string, Scheme]> {
    if (this.parent) yield* this.parent.entries();
    yield* this.bindings;
  }
}

export class Inference {
  private nextVar = 0;
  private readonly substitution = new Map<number, Type>();

  fresh(): Type {
    return { kind: 'var', id: this.nextVar++ };
  }

  infer(expr: Expr, env: TypeEnv): Type {
    return this.resolve(this.walk(expr, env));
  }

  resolve(t: Type): Type {
    switch (t.kind) {
      case 'var': {
        const bound = this.substitution.get(t.id);
        return bound ? this.resolve(bound) : t;
      }
      case 'list':
        return { kind: 'list', item: this.resolve(t.item) };
      case 'record':
        return { kind: 'record', fields: new Map([...t.fields].map(([k, v]) => [k, this.resolve(v)])) };
      case 'fn':
        return { kind: 'fn', params: t.params.map((p) => this.resolve(p)), result: this.resolve(t.result) };
      default:
        return t;
    }
  }

  private walk(expr: Expr, env: TypeEnv): Type {
    switch (expr.kind) {
      case 'number':
        return NUMBER;
      case 'string':
        return STRING;
      case 'boolean':
        return BOOL;
      case 'variable': {
        const scheme = env.lookup(expr.name);
        if (!scheme) throw new LanguageError('type', `unknown variable '${expr.name}'`, expr.at);
        return this.instantiate(scheme);
      }
      case 'unary': {
        const operand = this.walk(expr.operand, env);
        const expected = expr.operator === '-' ? NUMBER : BOOL;
        this.unify(operand, expected, expr);
        return expected;
      }
      case 'binary': {
        const left = this.walk(expr.left, env);
        const right = this.walk(expr.right, env);
        switch (expr.operator) {
          case '+':
          case '-':
          case '*':
          case '/':
          case '%':
          case '^':
            this.unify(left, NUMBER, expr.left);
            this.unify(right, NUMBER, expr.right);
            return NUMBER;
          case '<':
          case '<=':
          case '>':
          case '>=':
            this.unify(left, NUMBER, expr.left);
            this.unify(right, NUMBER, expr.right);
            return BOOL;
          case '==':
          case '!=':
            this.unify(left, right, expr);
            return BOOL;
          case 'and':
          case 'or':
            this.unify(left, BOOL, expr.left);
            this.unify(right, BOOL, expr.right);
            return BOOL;
          case '++': {
            const resolved = this.resolve(left);
            if (resolved.kind === 'string') {
              this.unify(right, STRING, expr.right);
              return STRING;
            }
            const item = this.fresh();
            this.unify(left, { kind: 'list', item }, expr.left);
            this.unify(right, { kind: 'list', item }, expr.right);
            return { kind: 'list', item };
          }
        }
      }
      case 'let': {
        const value = this.walk(expr.value, env);
        const scheme = this.generalize(value, env);
        return this.walk(expr.body, env.extend(expr.name, scheme));
      }
      case 'if': {
        this.unify(this.walk(expr.condition, env), BOOL, expr.condition);
        const then = this.walk(expr.then, env);
        this.unify(this.walk(expr.otherwise, env), then, expr.otherwise);
        return then;
      }
      case 'lambda': {
        const params = expr.params.map((p) => (p.type ? fromAnnotation(p.type) : this.fresh()));
        let inner = env;
        expr.params.forEach((p, i) => (inner = inner.extend(p.name, { vars: [], type: params[i]! })));
        return { kind: 'fn', params, result: this.walk(expr.body, inner) };
      }
      case 'call': {
        const callee = this.walk(expr.callee, env);
        const args = expr.args.map((a) => this.walk(a, env));
        const result = this.fresh();
        this.unify(callee, { kind: 'fn', params: args, result }, expr);
        return result;
      }
      case 'list': {
        const item = this.fresh();
        for (const e of expr.items) this.unify(this.walk(e, env), item, e);
        return { kind: 'list', item };
      }
      case 'record':
        return { kind: 'record', fields: new Map(expr.fields.map((f) => [f.name, this.walk(f.value, env)])) };
      case 'index': {
        const item = this.fresh();
        this.unify(this.walk(expr.target, env), { kind: 'list', item }, expr.target);
        this.unify(this.walk(expr.index, env), NUMBER, expr.index);
        return item;
      }
      case 'field': {
        const target = this.resolve(this.walk(expr.target, env));
        if (target.kind !== 'record') throw new LanguageError('type', `field '${expr.name}' of a non-record ${show(target)}`, expr.at);
        const field = target.fields.get(expr.name);
        if (!field) throw new LanguageError('type', `no field '${expr.name}' in ${show(target)}`, expr.at);
        return field;
      }
    }
  }

  unify(a: Type, b: Type, where: Expr): void {
    const x = this.resolve(a);
    const y = this.resolve(b);
    if (x.kind === 'var' && y.kind === 'var' && x.id === y.id) return;
    if (x.kind === 'var') return this.bind(x.id, y, where);
    if (y.kind === 'var') return this.bind(y.id, x, where);
    if (x.kind === 'list' && y.kind === 'list') return this.unify(x.item, y.item, where);
    if (x.kind === 'fn' && y.kind === 'fn' && x.params.length === y.params.length) {
      x.params.forEach((p, i) => this.unify(p, y.params[i]!, where));
      return this.unify(x.result, y.result, where);
    }
    if (x.kind === 'record' && y.kind === 'record' && x.fields.size === y.fields.size) {
      for (const [name, t] of x.fields) {
        const other = y.fields.get(name);
        if (!other) break;
        this.unify(t, other, where);
      }
      if ([...x.fields.keys()].every((k) => y.fields.has(k))) return;
    }
    if (x.kind === y.kind && (x.kind === 'number' || x.kind === 'string' || x.kind === 'bool')) return;
    throw new LanguageError('type', `cannot unify ${show(x)} with ${show(y)}`, where.at);
  }

  private bind(id: number, t: Type, where: Expr): void {
    if (this.occurs(id, t)) throw new LanguageError('type', `infinite type: t${id} in ${show(t)}`, where.at);
    this.substitution.set(id, t);
  }

  private occurs(id: number, t: Type): boolean {
    const r = this.resolve(t);
    switch (r.kind) {
      case 'var':
        return r.id === id;
      case 'list':
        return this.occurs(id, r.item);
      case 'fn':
        return r.params.some((p) => this.occurs(id, p)) || this.occurs(id, r.result);
      case 'record':
        return [...r.fields.values()].some((f) => this.occurs(id, f));
      default:
        return false;
    }
  }

  private instantiate(scheme: Scheme): Type {
    const mapping = new Map(scheme.vars.map((v) => [v, this.fresh()] as const));
    const go = (t: Type): Type => {
      switch (t.kind) {
        case 'var':
          return mapping.get(t.id) ?? t;
        case 'list':
          return { kind: 'list', item: go(t.item) };
        case 'fn':
          return { kind: 'fn', params: t.params.map(go), result: go(t.result) };
        case 'record':
          return { kind: 'record', fields: new Map([...t.fields].map(([k, v]) => [k, go(v)])) };
        default:
          return t;
      }
    };
    return go(this.resolve(scheme.type));
  }

  private generalize(t: Type, env: TypeEnv): Scheme {
    const inEnv = new Set<number>();
    for (const [, s] of env.entries()) for (const v of freeTypeVars(this.resolve(s.type))) if (!s.vars.includes(v)) inEnv.add(v);
    const resolved = this.resolve(t);
    return { vars: [...freeTypeVars(resolved)].filter((v) => !inEnv.has(v)), type: resolved };
  }
}

export function freeTypeVars(t: Type, out = new Set<number>()): Set<number> {
  switch (t.kind) {
    case 'var':
      out.add(t.id);
      break;
    case 'list':
      freeTypeVars(t.item, out);
      break;
    case 'fn':
      t.params.forEach((p) => freeTypeVars(p, out));
      freeTypeVars(t.result, out);
      break;
    case 'record':
      t.fields.forEach((f) => freeTypeVars(f, out));
      break;
  }
  return out;
}

export function fromAnnotation(a: TypeAnnotation): Type {
  switch (a.kind) {
    case 'named':
      return a.name === 'number' ? NUMBER : a.name === 'string' ? STRING : BOOL;
    case 'list':
      return { kind: 'list', item: fromAnnotation(a.item) };
    case 'fn':
      return { kind: 'fn', params: a.params.map(fromAnnotation), result: fromAnnotation(a.result) };
  }
}

export function show(t: Type): string {
  switch (t.kind) {
    case 'number':
    case 'string':
    case 'bool':
      return t.kind;
    case 'var':
      return `t${t.id}`;
    case 'list':
      return `[${show(t.item)}]`;
    case 'fn':
      return `fn(${t.params.map(show).join(', ')}) => ${show(t.result)}`;
    case 'record':
      return `{ ${[...t.fields].map(([k, v]) => `${k}: ${show(v)}`).join(', ')} }`;
  }
}
