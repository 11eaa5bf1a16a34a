// Module graph and linker: binds top-level declarations, resolves imports between modules and
// every identifier in function bodies, checks calls, splits the graph into chunks (one per entry
// plus shared chunks) and gives every top-level symbol a bundle-wide unique name.

import { type AstArena, Kind, LOCAL, NO_NODE, type NodeId } from './ast';
import { CompileError } from './diagnostics';
import { phase } from './phases';

export interface ModuleRecord {
  index: number;
  name: string;
  source: string;
  arena: AstArena;
  program: NodeId;
  /** Imported modules, deduplicated, in import order. */
  deps: number[];
  importers: number[];
  /** Top-level names visible in the module (own declarations and imports) to symbol ids. */
  scope: Map<string, number>;
  exports: Map<string, number>;
  /** Symbols of other modules referenced by this module's code. */
  externalRefs: Set<number>;
  /** Names of every parameter and local variable (reserved when naming top-level symbols). */
  localNames: Set<string>;
  chunk: number;
}

export enum SymbolKind {
  Function,
  Let,
}

export interface SymbolInfo {
  id: number;
  name: string;
  module: number;
  kind: SymbolKind;
  /** Parameter count for functions, -1 for lets. */
  arity: number;
  exported: boolean;
  /** Name in the generated JavaScript. */
  canonical: string;
}

export interface Chunk {
  index: number;
  fileName: string;
  /** Entry module of the chunk, or -1 for a shared chunk. */
  entry: number;
  /** Modules in execution order. */
  modules: number[];
  /** Other chunks this chunk imports from, with the symbols it needs (possibly none). */
  imports: Map<number, Set<number>>;
  /** Symbols other chunks import from this chunk. */
  exports: Set<number>;
}

export interface LinkedProgram {
  modules: ModuleRecord[];
  symbols: SymbolInfo[];
  chunks: Chunk[];
  execOrder: number[];
}

export const JS_RESERVED: ReadonlySet<string> = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'yield let static implements interface package private protected public await arguments eval undefined NaN Infinity'
  ).split(' '),
);

export function createModule(
  index: number,
  name: string,
  source: string,
  arena: AstArena,
  program: NodeId,
): ModuleRecord {
  return {
    index,
    name,
    source,
    arena,
    program,
    deps: [],
    importers: [],
    scope: new Map(),
    exports: new Map(),
    externalRefs: new Set(),
    localNames: new Set(),
    chunk: -1,
  };
}

export function moduleKey(specifier: string): string {
  return specifier.replace(/^\.\//, '').replace(/\.tiny$/, '');
}

export function link(modules: ModuleRecord[]): LinkedProgram {
  const linker = new Linker(modules);
  phase('bind', () => linker.bind());
  phase('resolve', () => linker.resolve());
  const execOrder = phase('chunk_graph', () => linker.computeChunks());
  phase('deconflict', () => linker.deconflict(execOrder));
  return { modules, symbols: linker.symbols, chunks: linker.chunks, execOrder };
}

class Linker {
  readonly symbols: SymbolInfo[] = [];
  readonly chunks: Chunk[] = [];
  private readonly byName = new Map<string, number>();

  constructor(private readonly modules: ModuleRecord[]) {
    for (const m of modules) {
      if (this.byName.has(m.name)) throw new CompileError(m.name, 1, 1, `duplicate module name '${m.name}'`);
      this.byName.set(m.name, m.index);
    }
  }

  private error(m: ModuleRecord, offset: number, message: string): CompileError {
    return CompileError.at(m.name, m.source, offset, message);
  }

  private checkName(m: ModuleRecord, name: string, offset: number): void {
    if (JS_RESERVED.has(name)) throw this.error(m, offset, `'${name}' is a reserved word`);
  }

  /** Declares every top-level function and let, and builds the import graph. */
  bind(): void {
    for (const m of this.modules) {
      m.arena.used(); // arena-api
      const program = m.arena.expect(m.program, Kind.Program);
      for (const id of program.items) {
        const item = m.arena.get(id);
        if (item.kind === Kind.Import) {
          const target = this.byName.get(moduleKey(item.source));
          if (target === undefined) throw this.error(m, item.start, `cannot find module '${item.source}'`);
          if (target === m.index) throw this.error(m, item.start, 'a module cannot import itself');
          if (!m.deps.includes(target)) {
            m.deps.push(target);
            this.modules[target]!.importers.push(m.index);
          }
          continue;
        }
        if (item.kind !== Kind.Function && item.kind !== Kind.Let) continue;
        this.checkName(m, item.name, item.start);
        if (m.scope.has(item.name)) throw this.error(m, item.start, `duplicate declaration of '${item.name}'`);
        const symbol: SymbolInfo = {
          id: this.symbols.length,
          name: item.name,
          module: m.index,
          kind: item.kind === Kind.Function ? SymbolKind.Function : SymbolKind.Let,
          arity: item.kind === Kind.Function ? item.params.length : -1,
          exported: item.exported,
          canonical: item.name,
        };
        this.symbols.push(symbol);
        item.symbol = symbol.id;
        m.scope.set(item.name, symbol.id);
        if (item.exported) m.exports.set(item.name, symbol.id);
      }
    }
  }

  /** Resolves import specifiers, then every identifier in every module. */
  resolve(): void {
    for (const m of this.modules) {
      for (const id of m.arena.expect(m.program, Kind.Program).items) {
        const item = m.arena.get(id);
        if (item.kind !== Kind.Import) continue;
        const target = this.modules[this.byName.get(moduleKey(item.source))!]!;
        for (const spec of item.specs) {
          const symbol = target.exports.get(spec.imported);
          if (symbol === undefined)
            throw this.error(m, spec.start, `module '${target.name}' has no export '${spec.imported}'`);
          this.checkName(m, spec.local, spec.start);
          if (m.scope.has(spec.local)) throw this.error(m, spec.start, `duplicate declaration of '${spec.local}'`);
          m.scope.set(spec.local, symbol);
        }
      }
    }
    for (const m of this.modules) new Resolver(this, m).run();
  }

  symbol(id: number): SymbolInfo {
    return this.symbols[id]!;
  }

  /** Assigns modules to chunks by the set of entries that reach them; returns execution order. */
  computeChunks(): number[] {
    const entries = this.modules.filter((m) => m.importers.length === 0).map((m) => m.index);
    const reachedBy: number[][] = this.modules.map(() => []);
    const order: number[] = [];
    const visited = new Uint8Array(this.modules.length);
    const visit = (root: number, entryOrdinal: number) => {
      // iterative DFS: post-order gives execution order (dependencies first)
      const stack: [number, number][] = [[root, 0]];
      const seen = new Uint8Array(this.modules.length);
      seen[root] = 1;
      reachedBy[root]!.push(entryOrdinal);
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const deps = this.modules[top[0]]!.deps;
        if (top[1] < deps.length) {
          const dep = deps[top[1]++]!;
          if (seen[dep]) continue;
          seen[dep] = 1;
          reachedBy[dep]!.push(entryOrdinal);
          stack.push([dep, 0]);
        } else {
          stack.pop();
          if (!visited[top[0]]) {
            visited[top[0]] = 1;
            order.push(top[0]);
          }
        }
      }
    };
    entries.forEach((e, k) => visit(e, k));
    // modules only reachable through an import cycle become entries too
    for (const m of this.modules) {
      if (!visited[m.index]) {
        entries.push(m.index);
        visit(m.index, entries.length - 1);
      }
    }
    const chunkByKey = new Map<string, Chunk>();
    for (const index of order) {
      const key = reachedBy[index]!.join(',');
      let chunk = chunkByKey.get(key);
      if (chunk === undefined) {
        const owners = reachedBy[index]!;
        const entry = owners.length === 1 ? entries[owners[0]!]! : -1;
        chunk = { index: this.chunks.length, fileName: '', entry, modules: [], imports: new Map(), exports: new Set() };
        this.chunks.push(chunk);
        chunkByKey.set(key, chunk);
      }
      chunk.modules.push(index);
      this.modules[index]!.chunk = chunk.index;
    }
    for (const chunk of this.chunks) {
      // a shared chunk is named after its first module in source order
      const name =
        chunk.entry >= 0 ? this.modules[chunk.entry]!.name : `shared-${this.modules[Math.min(...chunk.modules)]!.name}`;
      chunk.fileName = `${name}.mjs`;
      for (const index of chunk.modules) {
        const m = this.modules[index]!;
        for (const dep of m.deps) {
          const other = this.modules[dep]!.chunk;
          if (other !== chunk.index && !chunk.imports.has(other)) chunk.imports.set(other, new Set());
        }
        for (const id of m.externalRefs) {
          const other = this.modules[this.symbol(id).module]!.chunk;
          if (other === chunk.index) continue;
          chunk.imports.get(other)!.add(id);
          this.chunks[other]!.exports.add(id);
        }
      }
    }
    return order;
  }

  /** Gives every top-level symbol a name unique in the whole bundle and distinct from all locals. */
  deconflict(order: number[]): void {
    const taken = new Set<string>(JS_RESERVED);
    for (const m of this.modules) for (const name of m.localNames) taken.add(name);
    for (const index of order) {
      for (const id of this.modules[index]!.scope.values()) {
        const symbol = this.symbol(id);
        if (symbol.module !== index) continue;
        let name = symbol.name;
        for (let n = 1; taken.has(name); n++) name = `${symbol.name}$${n}`;
        taken.add(name);
        symbol.canonical = name;
      }
    }
  }
}

/** Resolves the identifiers of one module with a chain of block scopes. */
class Resolver {
  private scopes: Set<string>[] = [];

  constructor(
    private readonly linker: Linker,
    private readonly m: ModuleRecord,
  ) {}

  run(): void {
    const arena = this.m.arena;
    arena.used(); // arena-api
    for (const id of arena.expect(this.m.program, Kind.Program).items) {
      const item = arena.get(id);
      if (item.kind === Kind.Let) {
        this.expr(item.init);
      } else if (item.kind === Kind.Function) {
        const params = new Set<string>();
        for (const p of item.params) {
          this.declare(params, p, item.start);
        }
        this.scopes = [params];
        this.block(item.body);
        this.scopes = [];
      }
    }
  }

  private declare(scope: Set<string>, name: string, offset: number): void {
    if (JS_RESERVED.has(name))
      throw CompileError.at(this.m.name, this.m.source, offset, `'${name}' is a reserved word`);
    if (scope.has(name))
      throw CompileError.at(this.m.name, this.m.source, offset, `'${name}' is already declared in this scope`);
    scope.add(name);
    this.m.localNames.add(name);
  }

  private isLocal(name: string): boolean {
    for (let k = this.scopes.length - 1; k >= 0; k--) if (this.scopes[k]!.has(name)) return true;
    return false;
  }

  /** Resolves an identifier to LOCAL or a top-level symbol id. */
  private lookup(id: NodeId, use: 'value' | 'call' | 'assign', argc = 0): void {
    const node = this.m.arena.expect(id, Kind.Ident);
    const fail = (message: string) => CompileError.at(this.m.name, this.m.source, node.start, message);
    if (this.isLocal(node.name)) {
      if (use === 'call') throw fail(`'${node.name}' is a variable, not a function`);
      node.symbol = LOCAL;
      return;
    }
    const symbolId = this.m.scope.get(node.name);
    if (symbolId === undefined) throw fail(`cannot find name '${node.name}'`);
    const symbol = this.linker.symbol(symbolId);
    if (use === 'call') {
      if (symbol.kind !== SymbolKind.Function) throw fail(`'${node.name}' is not a function`);
      if (symbol.arity !== argc) throw fail(`'${node.name}' expects ${symbol.arity} argument(s), got ${argc}`);
    } else if (symbol.kind === SymbolKind.Function) {
      throw fail(`function '${node.name}' can only be called`);
    } else if (use === 'assign' && symbol.module !== this.m.index) {
      throw fail(`cannot assign to imported '${node.name}'`);
    }
    node.symbol = symbolId;
    if (symbol.module !== this.m.index) this.m.externalRefs.add(symbolId);
  }

  private block(id: NodeId): void {
    this.scopes.push(new Set());
    for (const stmt of this.m.arena.expect(id, Kind.Block).stmts) this.statement(stmt);
    this.scopes.pop();
  }

  private statement(id: NodeId): void {
    const node = this.m.arena.get(id);
    switch (node.kind) {
      case Kind.Let:
        this.expr(node.init);
        this.declare(this.scopes[this.scopes.length - 1]!, node.name, node.start);
        return;
      case Kind.Assign:
        this.expr(node.value);
        this.lookup(node.target, 'assign');
        return;
      case Kind.Return:
        if (node.value !== NO_NODE) this.expr(node.value);
        return;
      case Kind.If:
        this.expr(node.cond);
        this.block(node.then);
        if (node.otherwise !== NO_NODE) this.statement(node.otherwise);
        return;
      case Kind.While:
        this.expr(node.cond);
        this.block(node.body);
        return;
      case Kind.ExprStmt:
        this.expr(node.expr);
        return;
      case Kind.Block:
        this.block(id);
        return;
      default:
        throw CompileError.at(
          this.m.name,
          this.m.source,
          node.start,
          `unexpected ${Kind[node.kind]} in statement position`,
        );
    }
  }

  private expr(id: NodeId): void {
    const node = this.m.arena.get(id);
    switch (node.kind) {
      case Kind.Number:
      case Kind.String:
      case Kind.Bool:
        return;
      case Kind.Ident:
        this.lookup(id, 'value');
        return;
      case Kind.Unary:
        this.expr(node.operand);
        return;
      case Kind.Binary:
        this.expr(node.left);
        this.expr(node.right);
        return;
      case Kind.Call:
        for (const arg of node.args) this.expr(arg);
        this.lookup(node.callee, 'call', node.args.length);
        return;
      default:
        throw CompileError.at(
          this.m.name,
          this.m.source,
          node.start,
          `unexpected ${Kind[node.kind]} in expression position`,
        );
    }
  }
}
