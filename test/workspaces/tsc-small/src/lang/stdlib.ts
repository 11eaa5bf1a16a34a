// The built-in functions, with their types for the checker and their implementations.
import type { Scheme, Type } from './types';
import { BOOL, NUMBER, STRING, TypeEnv } from './types';
import type { Value } from './interpreter';
import { Env, bool, list, num, str } from './interpreter';
import { LanguageError } from './errors';

const v = (id: number): Type => ({ kind: 'var', id });
const fn = (params: Type[], result: Type): Type => ({ kind: 'fn', params, result });
const listOf = (item: Type): Type => ({ kind: 'list', item });

interface Builtin {
  scheme: Scheme;
  impl: (args: Value[]) => Value;
}

function asNumber(x: Value): number {
  if (x.kind !== 'number') throw new LanguageError('run', `expected a number, got a ${x.kind}`);
  return x.value;
}
function asList(x: Value): readonly Value[] {
  if (x.kind !== 'list') throw new LanguageError('run', `expected a list, got a ${x.kind}`);
  return x.items;
}
function asString(x: Value): string {
  if (x.kind !== 'string') throw new LanguageError('run', `expected a string, got a ${x.kind}`);
  return x.value;
}

/** Set by the interpreter so that higher-order builtins can call closures. */
export type Apply = (f: Value, args: Value[]) => Value;

export function builtins(apply: Apply): Record<string, Builtin> {
  return {
    len: { scheme: { vars: [0], type: fn([listOf(v(0))], NUMBER) }, impl: ([xs]) => num(asList(xs!).length) },
    range: {
      scheme: { vars: [], type: fn([NUMBER, NUMBER], listOf(NUMBER)) },
      impl: ([a, b]) => list(Array.from({ length: Math.max(0, asNumber(b!) - asNumber(a!)) }, (_, i) => num(asNumber(a!) + i))),
    },
    map: {
      scheme: { vars: [0, 1], type: fn([fn([v(0)], v(1)), listOf(v(0))], listOf(v(1))) },
      impl: ([f, xs]) => list(asList(xs!).map((x) => apply(f!, [x]))),
    },
    filter: {
      scheme: { vars: [0], type: fn([fn([v(0)], BOOL), listOf(v(0))], listOf(v(0))) },
      impl: ([f, xs]) => list(asList(xs!).filter((x) => { const r = apply(f!, [x]); return r.kind === 'bool' && r.value; })),
    },
    fold: {
      scheme: { vars: [0, 1], type: fn([fn([v(1), v(0)], v(1)), v(1), listOf(v(0))], v(1)) },
      impl: ([f, init, xs]) => asList(xs!).reduce((acc, x) => apply(f!, [acc, x]), init!),
    },
    show: { scheme: { vars: [0], type: fn([v(0)], STRING) }, impl: ([x]) => str(x!.kind === 'string' ? x.value : JSON.stringify(x)) },
    upper: { scheme: { vars: [], type: fn([STRING], STRING) }, impl: ([s]) => str(asString(s!).toUpperCase()) },
    sqrt: { scheme: { vars: [], type: fn([NUMBER], NUMBER) }, impl: ([x]) => num(Math.sqrt(asNumber(x!))) },
    isEmpty: { scheme: { vars: [0], type: fn([listOf(v(0))], BOOL) }, impl: ([xs]) => bool(asList(xs!).length === 0) },
  };
}

export function standardTypeEnv(apply: Apply): TypeEnv {
  let env = new TypeEnv();
  for (const [name, b] of Object.entries(builtins(apply))) env = env.extend(name, b.scheme);
  return env;
}

export function standardEnv(apply: Apply): Env {
  return new Env().with(Object.entries(builtins(apply)).map(([name, b]): [string, Value] => [name, { kind: 'builtin', name, arity: (b.scheme.type as { params: Type[] }).params.length, call: b.impl }]));
}
