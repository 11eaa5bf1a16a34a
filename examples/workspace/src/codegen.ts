// Code generation in two steps, as in a bundler:
//   instantiate_chunks: walks each module's AST (the last time any AST is read) and produces
//                       the module's JavaScript with linked names;
//   render_chunks:      assembles each chunk: cross-chunk imports, module code, exports,
//                       and encodes its source map.
// With `freeAsts`, each module's arena is freed right after its code has been instantiated.

import { type AstArena, type BinaryOp, Kind, NO_NODE, type NodeId } from './ast';
import type { Chunk, LinkedProgram, ModuleRecord, SymbolInfo } from './linker';
import { checkpointEvery } from './phases';
import { encodeSourceMap, lineOf, lineStarts, type MappedSource } from './sourcemap';

export interface InstantiatedModule {
  name: string;
  code: string;
  /** Number of lines in `code`. */
  lines: number;
  segments: number[];
}

export interface InstantiatedChunk {
  chunk: Chunk;
  modules: InstantiatedModule[];
}

export interface RenderedChunk {
  fileName: string;
  entry: string | null;
  modules: string[];
  code: string;
  /** Source map JSON, when enabled. */
  map: string | null;
}

export interface InstantiateOptions {
  freeAsts: boolean;
}

export function instantiateChunks(program: LinkedProgram, options: InstantiateOptions): InstantiatedChunk[] {
  const checkpoint = checkpointEvery(program.modules.length);
  let done = 0;
  return program.chunks.map((chunk) => ({
    chunk,
    modules: chunk.modules.map((index) => {
      const m = program.modules[index]!;
      const instantiated = new ModuleEmitter(m, program.symbols).emit();
      m.arena.used(); // arena-api: reported when the read ends, so the last use is the end of the last read
      if (options.freeAsts) m.arena.free(); // last reader of this AST is done
      checkpoint(done++);
      return instantiated;
    }),
  }));
}

export function renderChunks(
  program: LinkedProgram,
  instantiated: InstantiatedChunk[],
  sourceMaps: boolean,
): RenderedChunk[] {
  const { chunks, symbols, modules } = program;
  const checkpoint = checkpointEvery(instantiated.length);
  return instantiated.map(({ chunk, modules: parts }, k) => {
    const out: string[] = [];
    const mapped: MappedSource[] = [];
    let line = 0;
    const push = (text: string, lines: number) => {
      out.push(text);
      line += lines;
    };
    const entry = chunk.entry >= 0 ? modules[chunk.entry]! : null;
    push(
      `// ${chunk.fileName}: ${entry ? `entry chunk of ${entry.name}` : 'shared chunk'}, ${parts.length} module(s)\n`,
      1,
    );
    for (const [other, needed] of chunk.imports) {
      const path = `./${chunks[other]!.fileName}`;
      if (needed.size === 0) push(`import "${path}";\n`, 1);
      else push(`import { ${[...needed].map((id) => symbols[id]!.canonical).join(', ')} } from "${path}";\n`, 1);
    }
    parts.forEach((part, i) => {
      push(`\n// module ${part.name}\n`, 2);
      mapped.push({
        name: part.name,
        content: modules[chunk.modules[i]!]!.source,
        lineOffset: line,
        segments: part.segments,
      });
      push(part.code, part.lines);
    });
    const exported = [...chunk.exports].map((id) => symbols[id]!.canonical);
    if (entry) {
      for (const [name, id] of entry.exports) {
        const canonical = symbols[id]!.canonical;
        exported.push(canonical === name ? name : `${canonical} as ${name}`);
      }
    }
    if (exported.length > 0) push(`\nexport { ${[...new Set(exported)].join(', ')} };\n`, 2);
    if (sourceMaps) push(`//# sourceMappingURL=${chunk.fileName}.map\n`, 1);
    const map = sourceMaps ? encodeSourceMap(chunk.fileName, mapped) : null;
    checkpoint(k);
    return {
      fileName: chunk.fileName,
      entry: entry ? entry.name : null,
      modules: parts.map((p) => p.name),
      code: out.join(''),
      map,
    };
  });
}

const PRECEDENCE: Record<BinaryOp, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};
const UNARY_PRECEDENCE = 7;
const JS_OPERATOR: Partial<Record<BinaryOp, string>> = { '==': '===', '!=': '!==' };

/** Writes one module's JavaScript, tracking the output position for source map segments. */
class ModuleEmitter {
  private readonly arena: AstArena;
  private readonly out: string[] = [];
  private readonly lines: Int32Array;
  private indent = '';
  private line = 0;
  private column = 0;
  /** Source map segments: generated line, generated column, original line, original column. */
  readonly segments: number[] = [];

  constructor(
    private readonly m: ModuleRecord,
    private readonly symbols: readonly SymbolInfo[],
  ) {
    this.arena = m.arena;
    this.lines = lineStarts(m.source);
  }

  emit(): InstantiatedModule {
    for (const id of this.arena.expect(this.m.program, Kind.Program).items) {
      const item = this.arena.get(id);
      if (item.kind === Kind.Function) {
        this.map(item.start);
        this.write(`function ${this.symbols[item.symbol]!.canonical}(${item.params.join(', ')}) {`);
        this.newline();
        this.blockBody(item.body);
        this.write('}');
        this.newline();
      } else if (item.kind === Kind.Let) {
        this.map(item.start);
        this.write(`let ${this.symbols[item.symbol]!.canonical} = `);
        this.expr(item.init, 0);
        this.write(';');
        this.newline();
      }
      // imports are resolved by the linker and become chunk imports
    }
    return { name: this.m.name, code: this.out.join(''), lines: this.line, segments: this.segments };
  }

  private write(text: string): void {
    this.out.push(text);
    this.column += text.length;
  }

  private newline(): void {
    this.out.push('\n');
    this.line++;
    this.column = 0;
  }

  /** Records that the current output position comes from source offset `offset`. */
  private map(offset: number): void {
    const line = lineOf(this.lines, offset);
    this.segments.push(this.line, this.column, line, offset - this.lines[line]!);
  }

  private blockBody(id: NodeId): void {
    const outer = this.indent;
    this.indent += '  ';
    for (const stmt of this.arena.expect(id, Kind.Block).stmts) this.statement(stmt);
    this.indent = outer;
  }

  private statement(id: NodeId): void {
    const node = this.arena.get(id);
    this.write(this.indent);
    this.map(node.start);
    switch (node.kind) {
      case Kind.Let:
        this.write(`let ${node.name} = `);
        this.expr(node.init, 0);
        this.write(';');
        break;
      case Kind.Assign:
        this.expr(node.target, 0);
        this.write(' = ');
        this.expr(node.value, 0);
        this.write(';');
        break;
      case Kind.Return:
        this.write('return');
        if (node.value !== NO_NODE) {
          this.write(' ');
          this.expr(node.value, 0);
        }
        this.write(';');
        break;
      case Kind.ExprStmt:
        this.expr(node.expr, 0);
        this.write(';');
        break;
      case Kind.While:
        this.write('while (');
        this.expr(node.cond, 0);
        this.write(') {');
        this.newline();
        this.blockBody(node.body);
        this.write(`${this.indent}}`);
        break;
      case Kind.Block:
        this.write('{');
        this.newline();
        this.blockBody(id);
        this.write(`${this.indent}}`);
        break;
      case Kind.If: {
        this.write('if (');
        this.expr(node.cond, 0);
        this.write(') {');
        this.newline();
        let current = node;
        for (;;) {
          this.blockBody(current.then);
          if (current.otherwise === NO_NODE) break;
          const next = this.arena.get(current.otherwise);
          this.write(`${this.indent}} else `);
          if (next.kind !== Kind.If) {
            this.write('{');
            this.newline();
            this.blockBody(current.otherwise);
            break;
          }
          this.map(next.start);
          this.write('if (');
          this.expr(next.cond, 0);
          this.write(') {');
          this.newline();
          current = next;
        }
        this.write(`${this.indent}}`);
        break;
      }
      default:
        throw new Error(`${this.m.name}: cannot emit ${Kind[node.kind]} as a statement`);
    }
    this.newline();
  }

  /** Writes an expression, parenthesized if it binds looser than \`minPrec\`. */
  private expr(id: NodeId, minPrec: number): void {
    const node = this.arena.get(id);
    switch (node.kind) {
      case Kind.Number:
        return this.write(String(node.value));
      case Kind.String:
        return this.write(JSON.stringify(node.value));
      case Kind.Bool:
        return this.write(node.value ? 'true' : 'false');
      case Kind.Ident:
        this.map(node.start);
        return this.write(node.symbol >= 0 ? this.symbols[node.symbol]!.canonical : node.name);
      case Kind.Call:
        this.expr(node.callee, 0);
        this.write('(');
        node.args.forEach((arg, k) => {
          if (k > 0) this.write(', ');
          this.expr(arg, 0);
        });
        return this.write(')');
      case Kind.Unary: {
        const parens = UNARY_PRECEDENCE < minPrec;
        if (parens) this.write('(');
        this.write(node.op);
        // "-" followed by "-x" must not print as "--x"
        const operand = this.arena.get(node.operand);
        const nested = operand.kind === Kind.Unary && operand.op === node.op;
        if (nested) this.write('(');
        this.expr(node.operand, UNARY_PRECEDENCE);
        if (nested) this.write(')');
        if (parens) this.write(')');
        return;
      }
      case Kind.Binary: {
        const prec = PRECEDENCE[node.op];
        if (prec < minPrec) this.write('(');
        this.expr(node.left, prec);
        this.write(` ${JS_OPERATOR[node.op] ?? node.op} `);
        this.expr(node.right, prec + 1);
        if (prec < minPrec) this.write(')');
        return;
      }
      default:
        throw new Error(`${this.m.name}: cannot emit ${Kind[node.kind]} as an expression`);
    }
  }
}
