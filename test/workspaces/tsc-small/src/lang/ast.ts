import { assertNever } from './errors';
import type { Position } from './tokens';

export type BinaryOperator = '+' | '-' | '*' | '/' | '%' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or' | '++';
export type UnaryOperator = '-' | 'not';

interface NodeBase<K extends string> {
  kind: K;
  at: Position;
}

export interface NumberLiteral extends NodeBase<'number'> {
  value: number;
}
export interface StringLiteral extends NodeBase<'string'> {
  value: string;
}
export interface BooleanLiteral extends NodeBase<'boolean'> {
  value: boolean;
}
export interface Variable extends NodeBase<'variable'> {
  name: string;
}
export interface Unary extends NodeBase<'unary'> {
  operator: UnaryOperator;
  operand: Expr;
}
export interface Binary extends NodeBase<'binary'> {
  operator: BinaryOperator;
  left: Expr;
  right: Expr;
}
export interface Let extends NodeBase<'let'> {
  name: string;
  value: Expr;
  body: Expr;
}
export interface If extends NodeBase<'if'> {
  condition: Expr;
  then: Expr;
  otherwise: Expr;
}
export interface Lambda extends NodeBase<'lambda'> {
  params: { name: string; type?: TypeAnnotation }[];
  body: Expr;
}
export interface Call extends NodeBase<'call'> {
  callee: Expr;
  args: Expr[];
}
export interface ListLiteral extends NodeBase<'list'> {
  items: Expr[];
}
export interface RecordLiteral extends NodeBase<'record'> {
  fields: { name: string; value: Expr }[];
}
export interface Index extends NodeBase<'index'> {
  target: Expr;
  index: Expr;
}
export interface Field extends NodeBase<'field'> {
  target: Expr;
  name: string;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | BooleanLiteral
  | Variable
  | Unary
  | Binary
  | Let
  | If
  | Lambda
  | Call
  | ListLiteral
  | RecordLiteral
  | Index
  | Field;

export type TypeAnnotation =
  | { kind: 'named'; name: 'number' | 'string' | 'bool' }
  | { kind: 'list'; item: TypeAnnotation }
  | { kind: 'fn'; params: TypeAnnotation[]; result: TypeAnnotation };

/** Node kinds mapped to their node types, for generic visitors. */
export type NodeOfKind = { [E in Expr as E['kind']]: E };

export type Visitor<R> = { [K in keyof NodeOfKind]: (node: NodeOfKind[K]) => R };

export function visit<R>(node: Expr, visitor: Visitor<R>): R {
  return (visitor[node.kind] as (n: Expr) => R)(node);
}

/** Every direct child expression of a node. */
export function children(node: Expr): Expr[] {
  switch (node.kind) {
    case 'number':
    case 'string':
    case 'boolean':
    case 'variable':
      return [];
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'let':
      return [node.value, node.body];
    case 'if':
      return [node.condition, node.then, node.otherwise];
    case 'lambda':
      return [node.body];
    case 'call':
      return [node.callee, ...node.args];
    case 'list':
      return node.items;
    case 'record':
      return node.fields.map((f) => f.value);
    case 'index':
      return [node.target, node.index];
    case 'field':
      return [node.target];
    default:
      return assertNever(node, 'node');
  }
}

export function countNodes(node: Expr): number {
  return 1 + children(node).reduce((sum, c) => sum + countNodes(c), 0);
}

export function freeVariables(node: Expr, bound: ReadonlySet<string> = new Set()): Set<string> {
  const out = new Set<string>();
  const walk = (n: Expr, scope: ReadonlySet<string>): void => {
    if (n.kind === 'variable') {
      if (!scope.has(n.name)) out.add(n.name);
      return;
    }
    if (n.kind === 'let') {
      walk(n.value, scope);
      walk(n.body, new Set([...scope, n.name]));
      return;
    }
    if (n.kind === 'lambda') {
      walk(n.body, new Set([...scope, ...n.params.map((p) => p.name)]));
      return;
    }
    for (const c of children(n)) walk(c, scope);
  };
  walk(node, bound);
  return out;
}
