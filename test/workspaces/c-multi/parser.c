#include "minivm.h"
#include <stdlib.h>
#include <string.h>

/* A recursive-descent compiler from the toy language to VM code:
   stmt := IDENT '=' expr ';' | 'print' expr ';' | 'while' expr '{' stmt* '}'
   expr := cmp; cmp := sum (('<'|'>'|'==') sum)*; sum := term (('+'|'-') term)*;
   term := atom (('*'|'/') atom)*; atom := NUM | IDENT | '(' expr ')' */

typedef struct { lexer lx; program *p; strbuf *err; int failed; } parser;

static void emit(parser *ps, opcode op, long arg) {
  program *p = ps->p;
  if (p->len == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 64;
    p->code = realloc(p->code, p->cap * sizeof *p->code);
  }
  p->code[p->len].op = op;
  p->code[p->len].arg = arg;
  p->len++;
}

static long slot_of(parser *ps, const char *name) {
  program *p = ps->p;
  for (size_t i = 0; i < p->nnames; i++)
    if (strcmp(p->names[i], name) == 0) return (long)i;
  p->names = realloc(p->names, (p->nnames + 1) * sizeof *p->names);
  p->names[p->nnames] = strdup(name);
  return (long)p->nnames++;
}

static void fail(parser *ps, const char *what) {
  if (!ps->failed) sb_printf(ps->err, "at byte %zu: expected %s, found '%s'\n", ps->lx.pos, what, ps->lx.cur.text);
  ps->failed = 1;
}

static int accept(parser *ps, tok_kind k) {
  if (ps->lx.cur.kind != k) return 0;
  lex_next(&ps->lx);
  return 1;
}

static void expect(parser *ps, tok_kind k, const char *what) {
  if (!accept(ps, k)) fail(ps, what);
}

static void expr(parser *ps);

static void atom(parser *ps) {
  token t = ps->lx.cur;
  if (accept(ps, T_NUM)) emit(ps, OP_PUSH, t.num);
  else if (accept(ps, T_IDENT)) emit(ps, OP_LOAD, slot_of(ps, t.text));
  else if (accept(ps, T_LPAREN)) { expr(ps); expect(ps, T_RPAREN, "')'"); }
  else fail(ps, "a number, a name or '('");
}

static int is_op(parser *ps, const char *op) { return ps->lx.cur.kind == T_OP && strcmp(ps->lx.cur.text, op) == 0; }

static void term(parser *ps) {
  atom(ps);
  while (!ps->failed && (is_op(ps, "*") || is_op(ps, "/"))) {
    opcode op = is_op(ps, "*") ? OP_MUL : OP_DIV;
    lex_next(&ps->lx);
    atom(ps);
    emit(ps, op, 0);
  }
}

static void sum(parser *ps) {
  term(ps);
  while (!ps->failed && (is_op(ps, "+") || is_op(ps, "-"))) {
    opcode op = is_op(ps, "+") ? OP_ADD : OP_SUB;
    lex_next(&ps->lx);
    term(ps);
    emit(ps, op, 0);
  }
}

static void expr(parser *ps) {
  sum(ps);
  while (!ps->failed && (is_op(ps, "<") || is_op(ps, ">") || is_op(ps, "=="))) {
    opcode op = is_op(ps, "<") ? OP_LT : is_op(ps, ">") ? OP_GT : OP_EQ;
    lex_next(&ps->lx);
    sum(ps);
    emit(ps, op, 0);
  }
}

static void stmt(parser *ps) {
  token t = ps->lx.cur;
  if (accept(ps, T_PRINT)) { expr(ps); emit(ps, OP_PRINT, 0); expect(ps, T_SEMI, "';'"); }
  else if (accept(ps, T_WHILE)) {
    size_t top = ps->p->len;
    expr(ps);
    size_t jz = ps->p->len;
    emit(ps, OP_JZ, 0);
    expect(ps, T_LBRACE, "'{'");
    while (!ps->failed && ps->lx.cur.kind != T_RBRACE && ps->lx.cur.kind != T_EOF) stmt(ps);
    expect(ps, T_RBRACE, "'}'");
    emit(ps, OP_JMP, (long)top);
    ps->p->code[jz].arg = (long)ps->p->len;
  } else if (accept(ps, T_IDENT)) {
    long slot = slot_of(ps, t.text);
    expect(ps, T_ASSIGN, "'='");
    expr(ps);
    emit(ps, OP_STORE, slot);
    expect(ps, T_SEMI, "';'");
  } else fail(ps, "a statement");
}

int compile_source(const char *src, program *out, strbuf *err) {
  parser ps = { .p = out, .err = err };
  memset(out, 0, sizeof *out);
  lex_init(&ps.lx, src);
  while (!ps.failed && ps.lx.cur.kind != T_EOF) stmt(&ps);
  emit(&ps, OP_HALT, 0);
  return ps.failed ? -1 : 0;
}

void program_free(program *p) {
  for (size_t i = 0; i < p->nnames; i++) free(p->names[i]);
  free(p->names);
  free(p->code);
  memset(p, 0, sizeof *p);
}
