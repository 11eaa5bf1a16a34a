// AST of the Tiny language and the per-module arena that owns it.
//
// Nodes refer to each other by NodeId (an index into their module's arena), never by object
// reference, and nothing outside the arena holds a node: the linker records what it resolves
// in the nodes themselves and in the symbol table (by number). Freeing an arena therefore
// really releases every node of that module.

import { performance } from 'node:perf_hooks';
import { type ArenaHandle, createArena } from './arena-hooks'; // arena-api

export type NodeId = number;
export const NO_NODE: NodeId = -1;
/** Identifier/let symbol value for "a local variable or parameter, not a top-level symbol". */
export const LOCAL = -1;

export enum Kind {
  Program,
  Import,
  Function,
  Let,
  Assign,
  Return,
  If,
  While,
  ExprStmt,
  Block,
  Number,
  String,
  Bool,
  Ident,
  Unary,
  Binary,
  Call,
}

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';
export type UnaryOp = '-' | '!';

interface Span {
  start: number;
  end: number;
}

export interface ImportSpec {
  imported: string;
  local: string;
  start: number;
}

export interface ProgramNode extends Span {
  kind: Kind.Program;
  items: NodeId[];
}
export interface ImportNode extends Span {
  kind: Kind.Import;
  specs: ImportSpec[];
  source: string;
}
export interface FunctionNode extends Span {
  kind: Kind.Function;
  name: string;
  params: string[];
  body: NodeId;
  exported: boolean;
  symbol: number;
}
export interface LetNode extends Span {
  kind: Kind.Let;
  name: string;
  init: NodeId;
  exported: boolean;
  symbol: number;
}
export interface AssignNode extends Span {
  kind: Kind.Assign;
  target: NodeId;
  value: NodeId;
}
export interface ReturnNode extends Span {
  kind: Kind.Return;
  value: NodeId;
}
export interface IfNode extends Span {
  kind: Kind.If;
  cond: NodeId;
  then: NodeId;
  otherwise: NodeId;
}
export interface WhileNode extends Span {
  kind: Kind.While;
  cond: NodeId;
  body: NodeId;
}
export interface ExprStmtNode extends Span {
  kind: Kind.ExprStmt;
  expr: NodeId;
}
export interface BlockNode extends Span {
  kind: Kind.Block;
  stmts: NodeId[];
}
export interface NumberNode extends Span {
  kind: Kind.Number;
  value: number;
}
export interface StringNode extends Span {
  kind: Kind.String;
  value: string;
}
export interface BoolNode extends Span {
  kind: Kind.Bool;
  value: boolean;
}
export interface IdentNode extends Span {
  kind: Kind.Ident;
  name: string;
  symbol: number;
}
export interface UnaryNode extends Span {
  kind: Kind.Unary;
  op: UnaryOp;
  operand: NodeId;
}
export interface BinaryNode extends Span {
  kind: Kind.Binary;
  op: BinaryOp;
  left: NodeId;
  right: NodeId;
}
export interface CallNode extends Span {
  kind: Kind.Call;
  callee: NodeId;
  args: NodeId[];
}

export type Node =
  | ProgramNode
  | ImportNode
  | FunctionNode
  | LetNode
  | AssignNode
  | ReturnNode
  | IfNode
  | WhileNode
  | ExprStmtNode
  | BlockNode
  | NumberNode
  | StringNode
  | BoolNode
  | IdentNode
  | UnaryNode
  | BinaryNode
  | CallNode;

export type NodeOf<K extends Kind> = Extract<Node, { kind: K }>;

// Rough V8 sizes on 64-bit Node (no pointer compression): an object header is 24 bytes
// (map, properties, elements) plus 8 per in-object field; an array is a 32-byte JSArray plus
// a 16-byte backing store plus 8 per element; a string is 16 bytes plus its characters.
const OBJECT = 24;
const FIELD = 8;
const ARRAY = 48;

function stringBytes(s: string): number {
  return 16 + ((s.length + 7) & ~7);
}

export function estimateNodeBytes(node: Node): number {
  // every node has kind, start, end
  let bytes = OBJECT + 3 * FIELD;
  switch (node.kind) {
    case Kind.Program:
      return bytes + FIELD + ARRAY + FIELD * node.items.length;
    case Kind.Import:
      bytes += 2 * FIELD + ARRAY + stringBytes(node.source);
      for (const spec of node.specs) bytes += FIELD + OBJECT + 3 * FIELD + stringBytes(spec.local);
      return bytes;
    case Kind.Function:
      bytes += 5 * FIELD + stringBytes(node.name) + ARRAY;
      for (const p of node.params) bytes += FIELD + stringBytes(p);
      return bytes;
    case Kind.Let:
      return bytes + 4 * FIELD + stringBytes(node.name);
    case Kind.Ident:
      return bytes + 2 * FIELD + stringBytes(node.name);
    case Kind.String:
      return bytes + FIELD + stringBytes(node.value);
    case Kind.Number:
      return bytes + FIELD + (Number.isInteger(node.value) ? 0 : 16);
    case Kind.Block:
      return bytes + FIELD + ARRAY + FIELD * node.stmts.length;
    case Kind.Call:
      return bytes + 2 * FIELD + ARRAY + FIELD * node.args.length;
    case Kind.If:
    case Kind.Binary:
      return bytes + 3 * FIELD;
    case Kind.Assign:
    case Kind.While:
    case Kind.Unary:
      return bytes + 2 * FIELD;
    case Kind.Return:
    case Kind.ExprStmt:
    case Kind.Bool:
      return bytes + FIELD;
  }
}

let nextArenaId = 0;
/** Nodes between two size reports to the profiler (a power of two). */
const ARENA_REPORT_EVERY = 4096; // arena-api

/**
 * Owns every AST node of one module. Reports itself to Compiler Memory Insight when profiled
 * (src/arena-hooks.ts): created here, its size every ARENA_REPORT_EVERY nodes and when its module is
 * parsed, each reader (`used()`), and its free. The lines marked `arena-api` are all of it: the
 * benchmark removes them to measure what they cost.
 */
export class AstArena {
  readonly id = nextArenaId++;
  private nodes: Node[] = [];
  private allocatedBytes = 0;
  /** performance.now() at creation and when freed (null while alive). */
  readonly createdAt = performance.now();
  private freedTime: number | null = null;
  private readonly lane: ArenaHandle; // arena-api

  constructor(readonly moduleName: string) {
    this.lane = createArena(`ast:${moduleName}`, 'ast'); // arena-api
  }

  alloc<N extends Node>(node: N): NodeId {
    if (this.freedTime !== null) throw new Error(`arena ${this.moduleName}: alloc after free`);
    this.allocatedBytes += estimateNodeBytes(node);
    const id = this.nodes.push(node) - 1;
    if ((id & (ARENA_REPORT_EVERY - 1)) === ARENA_REPORT_EVERY - 1) this.lane.grow(this.bytes); // arena-api
    return id;
  }

  /** Reports the arena's size now (the parser calls it when the module is parsed). */
  reportBytes(): void {
    this.lane.grow(this.bytes);
  } // arena-api

  /** A reader (a linker pass, code generation) starts using the nodes. */
  used(): void {
    this.lane.use();
  } // arena-api

  get(id: NodeId): Node {
    if (this.freedTime !== null) throw new Error(`arena ${this.moduleName}: use after free (node ${id})`);
    const node = this.nodes[id];
    if (node === undefined) throw new Error(`arena ${this.moduleName}: no node ${id}`);
    return node;
  }

  /** Reads a node and checks its kind. */
  expect<K extends Kind>(id: NodeId, kind: K): NodeOf<K> {
    const node = this.get(id);
    if (node.kind !== kind) {
      throw new Error(`arena ${this.moduleName}: node ${id} is ${Kind[node.kind]}, expected ${Kind[kind]}`);
    }
    return node as NodeOf<K>;
  }

  /** Number of nodes currently owned. */
  get size(): number {
    return this.nodes.length;
  }

  /** Estimated heap bytes held by the nodes (0 once freed). */
  get bytes(): number {
    return this.freedTime !== null ? 0 : this.allocatedBytes + ARRAY + FIELD * this.nodes.length;
  }

  get freedAt(): number | null {
    return this.freedTime;
  }

  /** Drops every node; any later read is a use-after-free error. */
  free(): void {
    if (this.freedTime !== null) return;
    this.nodes = [];
    this.freedTime = performance.now();
    this.lane.free(); // arena-api
  }
}
