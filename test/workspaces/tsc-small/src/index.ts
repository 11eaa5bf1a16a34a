// The entry point: parse, check and run a program; render the result into a DOM element.
import { countNodes, freeVariables } from './lang/ast';
import type { Expr } from './lang/ast';
import { LanguageError } from './lang/errors';
import { Interpreter, format } from './lang/interpreter';
import type { Value } from './lang/interpreter';
import { Parser } from './lang/parser';
import { standardEnv, standardTypeEnv } from './lang/stdlib';
import { Inference, show } from './lang/types';
import { LruCache } from './collections/lru-cache';
import { Graph } from './collections/graph';
import { Trie } from './collections/trie';
import type { Result } from './collections/result';
import { err, ok, tryCatch } from './collections/result';

export interface Evaluation {
  source: string;
  type: string;
  value: string;
  nodes: number;
}

const parseCache = new LruCache<string, Result<Expr, Error>>(64);

export function evaluate(source: string): Result<Evaluation, LanguageError> {
  const parsed = parseCache.getOrCompute(source, (s) => tryCatch(() => Parser.parse(s)));
  if (!parsed.ok) return err(asLanguageError(parsed.error));
  const interpreter = new Interpreter();
  const apply = (f: Value, args: Value[]) => interpreter.call(f, args, parsed.value);
  try {
    const type = new Inference().infer(parsed.value, standardTypeEnv(apply));
    const value = interpreter.run(parsed.value, standardEnv(apply));
    return ok({ source, type: show(type), value: format(value), nodes: countNodes(parsed.value) });
  } catch (e) {
    return err(asLanguageError(e));
  }
}

function asLanguageError(e: unknown): LanguageError {
  return e instanceof LanguageError ? e : new LanguageError('run', e instanceof Error ? e.message : String(e));
}

/** Which definitions of a program use which: `let a = ... in let b = a ...` gives b → a. */
export function dependencyGraph(definitions: Record<string, string>): Graph<string> {
  const graph = new Graph<string>();
  for (const [name, source] of Object.entries(definitions)) {
    graph.addNode(name);
    for (const used of freeVariables(Parser.parse(source))) if (used in definitions) graph.addEdge(name, used);
  }
  return graph;
}

export function completions(prefix: string, names: Iterable<string>): string[] {
  const trie = new Trie<number>();
  let i = 0;
  for (const n of names) trie.insert(n, i++);
  return [...trie.withPrefix(prefix)].map(([name]) => name);
}

export function renderEvaluation(doc: Document, result: Result<Evaluation, LanguageError>): HTMLElement {
  const root = doc.createElement('section');
  root.className = result.ok ? 'evaluation' : 'evaluation error';
  const row = (label: string, text: string) => {
    const dt = doc.createElement('dt');
    dt.textContent = label;
    const dd = doc.createElement('dd');
    dd.textContent = text;
    return [dt, dd] as const;
  };
  const list = doc.createElement('dl');
  if (result.ok) {
    list.append(...row('type', result.value.type), ...row('value', result.value.value), ...row('nodes', String(result.value.nodes)));
  } else {
    list.append(...row('stage', result.error.stage), ...row('message', result.error.message));
  }
  root.append(list);
  return root;
}

export const EXAMPLES: readonly string[] = [
  'let square = fn(x) => x * x in map(square, range(1, 6))',
  'let fact = fn(n: number) => fold(fn(acc, k) => acc * k, 1, range(1, n + 1)) in fact(10)',
  '{ name: "tsc", phases: ["parse", "bind", "check", "emit"] }.phases[2]',
  'if len(filter(fn(x) => x % 2 == 0, range(0, 10))) > 4 then "many" else "few"',
];
