// Recursive-descent parser for Tiny. Every node goes into the module's AstArena.
//
//   program  := item*
//   item     := import | ["export"] fn | ["export"] let
//   import   := "import" "{" spec ("," spec)* "}" "from" STRING ";"     spec := IDENT ["as" IDENT]
//   fn       := "fn" IDENT "(" [IDENT ("," IDENT)*] ")" block
//   block    := "{" stmt* "}"
//   stmt     := let | "return" [expr] ";" | "if" "(" expr ")" block ["else" (block | if)]
//             | "while" "(" expr ")" block | IDENT "=" expr ";" | expr ";"
//   expr     := binary operators by precedence: || && (== !=) (< <= > >=) (+ -) (* / %),
//               then unary (- !), then call, then primary

import { AstArena, type BinaryOp, Kind, NO_NODE, LOCAL, type NodeId, type ImportSpec } from './ast';
import { Scanner, Tok, describeToken } from './lexer';

const BINARY: ReadonlyMap<Tok, { op: BinaryOp; prec: number }> = new Map([
  [Tok.OrOr, { op: '||', prec: 1 }],
  [Tok.AndAnd, { op: '&&', prec: 2 }],
  [Tok.EqEq, { op: '==', prec: 3 }],
  [Tok.NotEq, { op: '!=', prec: 3 }],
  [Tok.Lt, { op: '<', prec: 4 }],
  [Tok.LtEq, { op: '<=', prec: 4 }],
  [Tok.Gt, { op: '>', prec: 4 }],
  [Tok.GtEq, { op: '>=', prec: 4 }],
  [Tok.Plus, { op: '+', prec: 5 }],
  [Tok.Minus, { op: '-', prec: 5 }],
  [Tok.Star, { op: '*', prec: 6 }],
  [Tok.Slash, { op: '/', prec: 6 }],
  [Tok.Percent, { op: '%', prec: 6 }],
]);

export interface ParsedModule {
  name: string;
  arena: AstArena;
  program: NodeId;
}

export function parseModule(name: string, source: string): ParsedModule {
  const arena = new AstArena(name);
  const program = new Parser(new Scanner(name, source), arena).parseProgram();
  arena.reportBytes(); // arena-api
  return { name, arena, program };
}

class Parser {
  constructor(
    private readonly scan: Scanner,
    private readonly arena: AstArena,
  ) {
    scan.next();
  }

  private tok(): Tok {
    return this.scan.kind;
  }

  private expect(kind: Tok): void {
    if (this.scan.kind !== kind) {
      throw this.scan.error(this.scan.start, `expected ${describeToken(kind)}, found ${describeToken(this.scan.kind)}`);
    }
    this.scan.next();
  }

  private eat(kind: Tok): boolean {
    if (this.scan.kind !== kind) return false;
    this.scan.next();
    return true;
  }

  private ident(): string {
    const name = this.scan.text;
    this.expect(Tok.Ident);
    return name;
  }

  parseProgram(): NodeId {
    const items: NodeId[] = [];
    while (this.tok() !== Tok.EOF) items.push(this.parseItem());
    return this.arena.alloc({ kind: Kind.Program, start: 0, end: this.scan.end, items });
  }

  private parseItem(): NodeId {
    const start = this.scan.start;
    if (this.eat(Tok.Import)) return this.parseImport(start);
    const exported = this.eat(Tok.Export);
    if (this.tok() === Tok.Fn) return this.parseFunction(start, exported);
    if (this.tok() === Tok.Let) return this.parseLet(exported);
    throw this.scan.error(this.scan.start, `expected 'import', 'fn' or 'let', found ${describeToken(this.tok())}`);
  }

  private parseImport(start: number): NodeId {
    this.expect(Tok.LBrace);
    const specs: ImportSpec[] = [];
    do {
      const specStart = this.scan.start;
      const imported = this.ident();
      const local = this.eat(Tok.As) ? this.ident() : imported;
      specs.push({ imported, local, start: specStart });
    } while (this.eat(Tok.Comma));
    this.expect(Tok.RBrace);
    this.expect(Tok.From);
    const source = this.scan.text;
    this.expect(Tok.String);
    const end = this.scan.end;
    this.expect(Tok.Semi);
    return this.arena.alloc({ kind: Kind.Import, start, end, specs, source });
  }

  private parseFunction(start: number, exported: boolean): NodeId {
    this.expect(Tok.Fn);
    const name = this.ident();
    this.expect(Tok.LParen);
    const params: string[] = [];
    if (this.tok() !== Tok.RParen) {
      do params.push(this.ident());
      while (this.eat(Tok.Comma));
    }
    this.expect(Tok.RParen);
    const body = this.parseBlock();
    const end = this.arena.get(body).end;
    return this.arena.alloc({ kind: Kind.Function, start, end, name, params, body, exported, symbol: LOCAL });
  }

  private parseLet(exported: boolean): NodeId {
    const start = this.scan.start;
    this.expect(Tok.Let);
    const name = this.ident();
    this.expect(Tok.Assign);
    const init = this.parseExpr(0);
    const end = this.scan.end;
    this.expect(Tok.Semi);
    return this.arena.alloc({ kind: Kind.Let, start, end, name, init, exported, symbol: LOCAL });
  }

  private parseBlock(): NodeId {
    const start = this.scan.start;
    this.expect(Tok.LBrace);
    const stmts: NodeId[] = [];
    while (this.tok() !== Tok.RBrace) {
      if (this.tok() === Tok.EOF) throw this.scan.error(start, 'unclosed block');
      stmts.push(this.parseStatement());
    }
    const end = this.scan.end;
    this.expect(Tok.RBrace);
    return this.arena.alloc({ kind: Kind.Block, start, end, stmts });
  }

  private parseStatement(): NodeId {
    const start = this.scan.start;
    switch (this.tok()) {
      case Tok.Let:
        return this.parseLet(false);
      case Tok.Return: {
        this.scan.next();
        const value = this.tok() === Tok.Semi ? NO_NODE : this.parseExpr(0);
        const end = this.scan.end;
        this.expect(Tok.Semi);
        return this.arena.alloc({ kind: Kind.Return, start, end, value });
      }
      case Tok.If:
        return this.parseIf();
      case Tok.While: {
        this.scan.next();
        this.expect(Tok.LParen);
        const cond = this.parseExpr(0);
        this.expect(Tok.RParen);
        const body = this.parseBlock();
        return this.arena.alloc({ kind: Kind.While, start, end: this.arena.get(body).end, cond, body });
      }
      case Tok.LBrace:
        return this.parseBlock();
    }
    const expr = this.parseExpr(0);
    if (this.eat(Tok.Assign)) {
      if (this.arena.get(expr).kind !== Kind.Ident) throw this.scan.error(start, 'can only assign to a variable');
      const value = this.parseExpr(0);
      const end = this.scan.end;
      this.expect(Tok.Semi);
      return this.arena.alloc({ kind: Kind.Assign, start, end, target: expr, value });
    }
    const end = this.scan.end;
    this.expect(Tok.Semi);
    return this.arena.alloc({ kind: Kind.ExprStmt, start, end, expr });
  }

  private parseIf(): NodeId {
    const start = this.scan.start;
    this.expect(Tok.If);
    this.expect(Tok.LParen);
    const cond = this.parseExpr(0);
    this.expect(Tok.RParen);
    const then = this.parseBlock();
    let otherwise = NO_NODE;
    if (this.eat(Tok.Else)) otherwise = this.tok() === Tok.If ? this.parseIf() : this.parseBlock();
    const end = this.arena.get(otherwise === NO_NODE ? then : otherwise).end;
    return this.arena.alloc({ kind: Kind.If, start, end, cond, then, otherwise });
  }

  /** Precedence climbing: parses operators binding tighter than `minPrec`. */
  private parseExpr(minPrec: number): NodeId {
    const start = this.scan.start;
    let left = this.parseUnary();
    for (;;) {
      const info = BINARY.get(this.tok());
      if (info === undefined || info.prec <= minPrec) return left;
      this.scan.next();
      const right = this.parseExpr(info.prec);
      const end = this.arena.get(right).end;
      left = this.arena.alloc({ kind: Kind.Binary, start, end, op: info.op, left, right });
    }
  }

  private parseUnary(): NodeId {
    const start = this.scan.start;
    if (this.tok() === Tok.Minus || this.tok() === Tok.Bang) {
      const op = this.tok() === Tok.Minus ? '-' : '!';
      this.scan.next();
      const operand = this.parseUnary();
      return this.arena.alloc({ kind: Kind.Unary, start, end: this.arena.get(operand).end, op, operand });
    }
    return this.parseCall();
  }

  private parseCall(): NodeId {
    const start = this.scan.start;
    let expr = this.parsePrimary();
    while (this.tok() === Tok.LParen) {
      if (this.arena.get(expr).kind !== Kind.Ident)
        throw this.scan.error(this.scan.start, 'only named functions can be called');
      this.scan.next();
      const args: NodeId[] = [];
      if (this.tok() !== Tok.RParen) {
        do args.push(this.parseExpr(0));
        while (this.eat(Tok.Comma));
      }
      const end = this.scan.end;
      this.expect(Tok.RParen);
      expr = this.arena.alloc({ kind: Kind.Call, start, end, callee: expr, args });
    }
    return expr;
  }

  private parsePrimary(): NodeId {
    const { start, end } = this.scan;
    switch (this.tok()) {
      case Tok.Number: {
        const value = this.scan.value;
        this.scan.next();
        return this.arena.alloc({ kind: Kind.Number, start, end, value });
      }
      case Tok.String: {
        const value = this.scan.text;
        this.scan.next();
        return this.arena.alloc({ kind: Kind.String, start, end, value });
      }
      case Tok.True:
      case Tok.False: {
        const value = this.tok() === Tok.True;
        this.scan.next();
        return this.arena.alloc({ kind: Kind.Bool, start, end, value });
      }
      case Tok.Ident: {
        const name = this.scan.text;
        this.scan.next();
        return this.arena.alloc({ kind: Kind.Ident, start, end, name, symbol: LOCAL });
      }
      case Tok.LParen: {
        this.scan.next();
        const inner = this.parseExpr(0);
        this.expect(Tok.RParen);
        return inner;
      }
    }
    throw this.scan.error(start, `expected an expression, found ${describeToken(this.tok())}`);
  }
}
