/* nativec: the native twin of tinyc (examples/workspace), a small compiler written in C.
 *
 *   nativec [--modules N] [--functions M] [--free-asts] [--out FILE] [--quiet]
 *
 * It generates a deterministic program of N modules (no input files), parses each module into an
 * AST allocated in the module's own arena, and runs the later phases over the ASTs:
 *
 *   parse    generate each module's source (one reused buffer) and parse it into its arena; the
 *            module's symbols (one malloc each) are allocated as their declarations are parsed
 *   resolve  resolve every name against the local scope, the module's symbols and other modules'
 *   check    check every call's argument count                                   (reads the ASTs)
 *   codegen  emit each module's code into its output buffers              (the ASTs' LAST reader)
 *   emit     concatenate the modules' code into one bundle (and write it with --out)
 *
 * By default the arenas are held to the end of the run; with --free-asts each module's arena is freed
 * right after codegen read it.
 *
 * The allocation pattern is the point (the rolldown PR's): an arena is a list of 64 KiB chunks, each
 * one malloc below glibc's mmap threshold (128 KiB), so they live in the brk heap, interleaved with
 * the long-lived symbols allocated while parsing. The output buffers are 96 KiB blocks: a freed
 * 64 KiB chunk, hemmed in by symbols, can never hold one. So with --free-asts the live heap falls by
 * the arenas' size, but glibc keeps the freed chunks (only the top of the heap is given back) and the
 * pages stay resident: the maximum RSS barely moves.
 *
 * Profiled (CMI_TRACE_FILE set, see docs/instrumentation.md), it writes its phases (X events) and
 * its arenas (async b/n/e events of cat "arena": created, grown per chunk, used by resolve, check and
 * codegen, freed) to that file, `beginningOfTime` in epoch µs. It prints one summary line to stdout,
 * with its own exact arena total (the bytes of the chunks it malloc'd).
 *
 * Built by scripts/example.sh and the tests with: cc -O2 -o nativec examples/native/nativec.c
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BYTES (64 * 1024)
#define OUT_BLOCK_BYTES (96 * 1024)

/* ---- trace file (the profiler's protocol) ---------------------------------------------------- */

static FILE *trace;
static struct timespec t0;
static int pid;

static long long now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)(t.tv_sec - t0.tv_sec) * 1000000LL + (t.tv_nsec - t0.tv_nsec) / 1000;
}

static void trace_open(void) {
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid = (int)getpid();
  const char *file = getenv("CMI_TRACE_FILE");
  if (!file || !*file) return;
  trace = fopen(file, "w");
  if (!trace) {
    perror(file);
    return;
  }
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  long long epoch_us = (long long)wall.tv_sec * 1000000LL + wall.tv_nsec / 1000;
  /* The monotonic clock read just before and the wall clock now are within a µs or so. */
  fprintf(trace, "{\"beginningOfTime\":%lld,\"traceEvents\":[\n", epoch_us);
}

static void trace_close(void) {
  if (!trace) return;
  /* A trailing comma before "]" is not JSON: end with a metadata event. */
  fprintf(trace, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":{\"name\":\"nativec\"}}\n]}\n", pid);
  fclose(trace);
  trace = NULL;
}

static void trace_phase(const char *name, long long start_us) {
  if (trace)
    fprintf(trace, "{\"ph\":\"X\",\"cat\":\"phase\",\"name\":\"%s\",\"pid\":%d,\"tid\":1,\"ts\":%lld,\"dur\":%lld},\n",
            name, pid, start_us, now_us() - start_us);
}

static void trace_arena(char ph, const char *name, int id, const char *fmt, ...) {
  if (!trace) return;
  char args[128] = "";
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
  }
  fprintf(trace, "{\"ph\":\"%c\",\"cat\":\"arena\",\"name\":\"%s\",\"id\":\"%d\",\"pid\":%d,\"tid\":1,\"ts\":%lld%s},\n",
          ph, name, id, pid, now_us(), args);
}

/* ---- arenas ---------------------------------------------------------------------------------- */

typedef struct Chunk {
  struct Chunk *next;
  size_t used;
  /* the nodes follow */
} Chunk;

typedef struct Arena {
  Chunk *head;
  size_t bytes; /* malloc'd: chunks x CHUNK_BYTES */
  int id;
  char name[32];
} Arena;

static size_t arena_total_bytes; /* every chunk ever malloc'd */

static void *die_oom(void) {
  fputs("nativec: out of memory\n", stderr);
  exit(2);
}

/* Every malloc of the compiler goes through these two, which count the bytes it holds: its own live
 * heap, whose maximum it prints (a heap profiler sees the same, plus the C library's own buffers). */
static size_t live_bytes, live_peak_bytes;

static void *xmalloc(size_t n) {
  void *q = malloc(n);
  if (!q) return die_oom();
  live_bytes += n;
  if (live_bytes > live_peak_bytes) live_peak_bytes = live_bytes;
  return q;
}

static void xfree(void *q, size_t n) {
  free(q);
  live_bytes -= n;
}

static void *arena_alloc(Arena *a, size_t n) {
  n = (n + 7) & ~(size_t)7;
  if (!a->head || a->head->used + n > CHUNK_BYTES - sizeof(Chunk)) {
    Chunk *c = xmalloc(CHUNK_BYTES);
    c->next = a->head;
    c->used = 0;
    a->head = c;
    a->bytes += CHUNK_BYTES;
    arena_total_bytes += CHUNK_BYTES;
    trace_arena('n', "bytes", a->id, ",\"args\":{\"bytes\":%zu}", a->bytes);
  }
  void *p = (char *)(a->head + 1) + a->head->used;
  a->head->used += n;
  return p;
}

static void arena_free(Arena *a) {
  for (Chunk *c = a->head, *next; c; c = next) {
    next = c->next;
    xfree(c, CHUNK_BYTES);
  }
  a->head = NULL;
  trace_arena('e', a->name, a->id, NULL);
}

/* ---- the language ------------------------------------------------------------------------------
 * module  := fn*
 * fn      := "fn" NAME "(" NAME ("," NAME)* ")" "{" stmt* "}"
 * stmt    := "let" NAME "=" expr ";" | "if" "(" expr ")" "{" stmt* "}" | "return" expr ";"
 * expr    := primary (("+" | "-" | "*" | "<") primary)*      (precedence climbing)
 * primary := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"
 * A call names a function of the module (f3) or of another module (m12_f3).
 */

enum { N_FN, N_LET, N_IF, N_RETURN, N_NUM, N_NAME, N_CALL, N_BIN };

typedef struct Node {
  uint8_t kind;
  char op;
  uint16_t count; /* params of a function, args of a call */
  int32_t value;  /* number; resolved: module of a call's callee */
  int32_t pos;    /* offset in the module's source */
  const char *name;
  struct Node *a, *b; /* children: params/body, condition/then, lhs/rhs, args */
  struct Node *next;
  const struct Symbol *sym; /* resolved callee */
} Node;

/* A symbol owns a copy of its name: other modules' code names it after the declaring module's AST may
 * have been freed. */
typedef struct Symbol {
  int module;
  int arity;
  struct Symbol *next;
  char name[];
} Symbol;

static size_t symbol_size(const char *name) { return sizeof(Symbol) + strlen(name) + 1; }

typedef struct OutBlock {
  struct OutBlock *next;
  size_t used;
} OutBlock;

/* One row of the line table: where an expression's code starts in the output, and where the
 * expression is in the source. */
typedef struct LineRow {
  uint32_t generated, module, source, kind;
} LineRow;

typedef struct Output {
  OutBlock *head, *tail;
  size_t bytes;
} Output;

typedef struct Module {
  Arena arena;
  Node *fns;
  Symbol *symbols; /* long-lived: to the end of the run */
  int nsymbols;
} Module;

/* The output of codegen, every module's in turn, held to the end of the run. */
static Output code;  /* JavaScript */
static Output lines; /* the line table (LineRow) */

static Module *modules;
static int nmodules = 300, nfunctions = 24;
static size_t nodes_total, symbols_bytes, out_blocks_bytes;

/* ---- deterministic program generator ---------------------------------------------------------- */

static uint32_t rng = 0x2545F491u;
static uint32_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

static char *src;
static size_t src_len, src_cap;

static void put(const char *fmt, ...) {
  va_list ap;
  for (;;) {
    va_start(ap, fmt);
    int n = vsnprintf(src + src_len, src_cap - src_len, fmt, ap);
    va_end(ap);
    if (n >= 0 && src_len + (size_t)n < src_cap) {
      src_len += (size_t)n;
      return;
    }
    /* Grown before parsing starts: see main (the buffer is sized once, so it never moves). */
    fputs("nativec: source buffer too small\n", stderr);
    exit(2);
  }
}

static int arity_of(int fn) { return 1 + fn % 3; }

static void gen_expr(int m, int fn, int depth) {
  uint32_t r = next_rand() % 8;
  if (depth > 2 || r < 2) {
    if (r % 2) put("%u", next_rand() % 1000);
    else put("p%u", next_rand() % (unsigned)arity_of(fn));
  } else if (r < 4 && fn > 0) {
    /* a call: a local function declared before, or one of an earlier module */
    int callee_m = (m > 0 && next_rand() % 2) ? (int)(next_rand() % (unsigned)m) : m;
    int callee = callee_m == m ? (int)(next_rand() % (unsigned)fn) : (int)(next_rand() % (unsigned)nfunctions);
    if (callee_m == m) put("f%d(", callee);
    else put("m%d_f%d(", callee_m, callee);
    for (int i = 0; i < arity_of(callee); i++) {
      if (i) put(", ");
      gen_expr(m, fn, depth + 1);
    }
    put(")");
  } else {
    static const char ops[] = "+-*<";
    put("(");
    gen_expr(m, fn, depth + 1);
    put(" %c ", ops[next_rand() % 4]);
    gen_expr(m, fn, depth + 1);
    put(")");
  }
}

static void gen_module(int m) {
  src_len = 0;
  for (int f = 0; f < nfunctions; f++) {
    put("fn f%d(", f);
    for (int i = 0; i < arity_of(f); i++) put(i ? ", p%d" : "p%d", i);
    put(") {\n");
    int stmts = 4 + (int)(next_rand() % 8);
    for (int s = 0; s < stmts; s++) {
      uint32_t r = next_rand() % 4;
      if (r == 0) {
        put("  if (");
        gen_expr(m, f, 1);
        put(") { return ");
        gen_expr(m, f, 0);
        put("; }\n");
      } else {
        put("  let v%d = ", s);
        gen_expr(m, f, 0);
        put(";\n");
      }
    }
    put("  return ");
    gen_expr(m, f, 0);
    put(";\n}\n");
  }
}

/* ---- lexer and parser ------------------------------------------------------------------------- */

static const char *p;
static Module *cur;

static void skip(void) {
  while (*p == ' ' || *p == '\n') p++;
}
static int is_ident(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

static void expect_ch(char c) {
  skip();
  if (*p != c) {
    fprintf(stderr, "nativec: module %d: expected '%c' at \"%.20s\"\n", (int)(cur - modules), c, p);
    exit(1);
  }
  p++;
}

static const char *ident(void) {
  skip();
  const char *s = p;
  while (is_ident(*p)) p++;
  size_t n = (size_t)(p - s);
  char *copy = arena_alloc(&cur->arena, n + 1);
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

static Node *node(int kind) {
  Node *n = arena_alloc(&cur->arena, sizeof(Node));
  memset(n, 0, sizeof *n);
  n->kind = (uint8_t)kind;
  n->pos = (int32_t)(p - src);
  nodes_total++;
  return n;
}

static Node *expr(void);

static Node *primary(void) {
  skip();
  if (*p == '(') {
    p++;
    Node *e = expr();
    expect_ch(')');
    return e;
  }
  if (*p >= '0' && *p <= '9') {
    Node *n = node(N_NUM);
    n->value = (int32_t)strtol(p, (char **)&p, 10);
    return n;
  }
  const char *name = ident();
  skip();
  if (*p != '(') {
    Node *n = node(N_NAME);
    n->name = name;
    return n;
  }
  p++;
  Node *n = node(N_CALL);
  n->name = name;
  Node **tail = &n->a;
  for (;;) {
    *tail = expr();
    tail = &(*tail)->next;
    n->count++;
    skip();
    if (*p != ',') break;
    p++;
  }
  expect_ch(')');
  return n;
}

static int prec(char c) { return c == '<' ? 1 : c == '+' || c == '-' ? 2 : c == '*' ? 3 : 0; }

static Node *binary(int min) {
  Node *lhs = primary();
  for (;;) {
    skip();
    int pr = prec(*p);
    if (!pr || pr < min) return lhs;
    Node *n = node(N_BIN);
    n->op = *p++;
    n->a = lhs;
    n->b = binary(pr + 1);
    lhs = n;
  }
}

static Node *expr(void) { return binary(1); }

static int keyword(const char *k) {
  skip();
  size_t n = strlen(k);
  if (strncmp(p, k, n) || is_ident(p[n])) return 0;
  p += n;
  return 1;
}

static Node *stmts(void) {
  Node *head = NULL, **tail = &head;
  for (;;) {
    skip();
    if (*p == '}') return head;
    Node *s;
    if (keyword("let")) {
      s = node(N_LET);
      s->name = ident();
      expect_ch('=');
      s->a = expr();
      expect_ch(';');
    } else if (keyword("if")) {
      s = node(N_IF);
      expect_ch('(');
      s->a = expr();
      expect_ch(')');
      expect_ch('{');
      s->b = stmts();
      expect_ch('}');
    } else if (keyword("return")) {
      s = node(N_RETURN);
      s->a = expr();
      expect_ch(';');
    } else {
      fprintf(stderr, "nativec: module %d: a statement expected at \"%.20s\"\n", (int)(cur - modules), p);
      exit(1);
    }
    *tail = s;
    tail = &s->next;
  }
}

/* A function's symbol is a malloc of its own, made as soon as it is declared: the module's long-lived
 * symbols sit between its arena's chunks in the heap. */
static void declare(Node *fn) {
  size_t size = symbol_size(fn->name);
  Symbol *s = xmalloc(size);
  symbols_bytes += size;
  memcpy(s->name, fn->name, size - sizeof(Symbol));
  s->module = (int)(cur - modules);
  s->arity = fn->count;
  s->next = cur->symbols;
  cur->symbols = s;
  cur->nsymbols++;
}

static void parse_module(Module *m) {
  cur = m;
  p = src;
  Node **tail = &m->fns;
  while (keyword("fn")) {
    Node *fn = node(N_FN);
    fn->name = ident();
    expect_ch('(');
    Node **ptail = &fn->a;
    for (;;) {
      Node *param = node(N_NAME);
      param->name = ident();
      *ptail = param;
      ptail = &param->next;
      fn->count++;
      skip();
      if (*p != ',') break;
      p++;
    }
    expect_ch(')');
    declare(fn);
    expect_ch('{');
    fn->b = stmts();
    expect_ch('}');
    *tail = fn;
    tail = &fn->next;
  }
  skip();
  if (*p) {
    fprintf(stderr, "nativec: module %d: unexpected \"%.20s\"\n", (int)(m - modules), p);
    exit(1);
  }
}

/* ---- resolve, check ---------------------------------------------------------------------------- */

static const Symbol *lookup(int module, const char *name) {
  for (const Symbol *s = modules[module].symbols; s; s = s->next)
    if (!strcmp(s->name, name)) return s;
  return NULL;
}

static long errors;

static void resolve_expr(Node *e, const Node *fn, Node *const *locals, int nlocals) {
  if (!e) return;
  {
    if (e->kind == N_NAME) {
      int found = 0;
      for (const Node *q = fn->a; q && !found; q = q->next) found = !strcmp(q->name, e->name);
      for (int i = 0; i < nlocals && !found; i++) found = !strcmp(locals[i]->name, e->name);
      if (!found) errors++;
    } else if (e->kind == N_CALL) {
      const char *name = e->name;
      int module = (int)(cur - modules);
      if (name[0] == 'm') {
        module = atoi(name + 1);
        name = strchr(name, '_') + 1;
      }
      e->value = module;
      e->sym = module < nmodules ? lookup(module, name) : NULL;
      if (!e->sym) errors++;
      for (Node *arg = e->a; arg; arg = arg->next) resolve_expr(arg, fn, locals, nlocals);
    } else if (e->kind == N_BIN) {
      resolve_expr(e->a, fn, locals, nlocals);
      resolve_expr(e->b, fn, locals, nlocals);
    }
  }
}

static void resolve_stmts(Node *s, const Node *fn, Node **locals, int nlocals) {
  for (; s; s = s->next) {
    resolve_expr(s->a, fn, locals, nlocals);
    if (s->kind == N_IF) resolve_stmts(s->b, fn, locals, nlocals);
    if (s->kind == N_LET && nlocals < 64) locals[nlocals++] = s;
  }
}

static void resolve_module(Module *m) {
  cur = m;
  Node *locals[64];
  for (Node *fn = m->fns; fn; fn = fn->next) resolve_stmts(fn->b, fn, locals, 0);
}

static void check_expr(const Node *e) {
  if (!e) return;
  if (e->kind == N_CALL) {
    if (e->sym && e->sym->arity != e->count) errors++;
    for (const Node *arg = e->a; arg; arg = arg->next) check_expr(arg);
  } else if (e->kind == N_BIN) {
    check_expr(e->a);
    check_expr(e->b);
  }
}

static void check_stmts(const Node *s) {
  for (; s; s = s->next) {
    check_expr(s->a);
    if (s->kind == N_IF) check_stmts(s->b);
  }
}

/* ---- codegen ---------------------------------------------------------------------------------- */

/* Appends to an output: blocks of OUT_BLOCK_BYTES, bigger than an arena chunk. */
static void append(Output *o, const void *data, size_t len) {
  OutBlock *b = o->tail;
  if (!b || b->used + len > OUT_BLOCK_BYTES - sizeof(OutBlock)) {
    b = xmalloc(OUT_BLOCK_BYTES);
    out_blocks_bytes += OUT_BLOCK_BYTES;
    b->next = NULL;
    b->used = 0;
    if (o->tail) o->tail->next = b;
    else o->head = b;
    o->tail = b;
  }
  memcpy((char *)(b + 1) + b->used, data, len);
  b->used += len;
  o->bytes += len;
}

static void out(Module *m, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  (void)m;
  append(&code, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void free_output(Output *o) {
  for (OutBlock *b = o->head, *next; b; b = next) {
    next = b->next;
    xfree(b, OUT_BLOCK_BYTES);
  }
  o->head = o->tail = NULL;
}

static void gen_expr_code(Module *m, const Node *e) {
  LineRow row = {(uint32_t)code.bytes, (uint32_t)(m - modules), (uint32_t)e->pos, e->kind};
  append(&lines, &row, sizeof row);
  switch (e->kind) {
  case N_NUM: out(m, "%d", e->value); break;
  case N_NAME: out(m, "%s", e->name); break;
  case N_BIN:
    out(m, "(");
    gen_expr_code(m, e->a);
    out(m, " %c ", e->op);
    gen_expr_code(m, e->b);
    out(m, ")");
    break;
  case N_CALL:
    out(m, "$m%d.%s(", e->value, e->sym ? e->sym->name : e->name);
    for (const Node *arg = e->a; arg; arg = arg->next) {
      gen_expr_code(m, arg);
      if (arg->next) out(m, ", ");
    }
    out(m, ")");
    break;
  }
}

static void gen_stmts_code(Module *m, const Node *s, int indent) {
  for (; s; s = s->next) {
    out(m, "%*s", indent, "");
    if (s->kind == N_LET) {
      out(m, "const %s = ", s->name);
      gen_expr_code(m, s->a);
      out(m, ";\n");
    } else if (s->kind == N_RETURN) {
      out(m, "return ");
      gen_expr_code(m, s->a);
      out(m, ";\n");
    } else {
      out(m, "if (");
      gen_expr_code(m, s->a);
      out(m, ") {\n");
      gen_stmts_code(m, s->b, indent + 2);
      out(m, "%*s}\n", indent, "");
    }
  }
}

static void codegen_module(Module *m) {
  int index = (int)(m - modules);
  out(m, "// module m%d: %d functions\nconst $m%d = (() => {\n", index, m->nsymbols, index);
  for (const Node *fn = m->fns; fn; fn = fn->next) {
    out(m, "  function %s(", fn->name);
    for (const Node *q = fn->a; q; q = q->next) out(m, q->next ? "%s, " : "%s", q->name);
    out(m, ") {\n");
    gen_stmts_code(m, fn->b, 4);
    out(m, "  }\n");
  }
  out(m, "  return {");
  for (const Node *fn = m->fns; fn; fn = fn->next) out(m, fn->next ? " %s," : " %s };\n})();\n", fn->name);
}

/* ---- main ------------------------------------------------------------------------------------- */

static double mib(size_t n) { return (double)n / (1024.0 * 1024.0); }

int main(int argc, char **argv) {
  int free_asts = 0, quiet = 0;
  const char *out_file = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--free-asts")) free_asts = 1;
    else if (!strcmp(argv[i], "--quiet")) quiet = 1;
    else if (!strcmp(argv[i], "--modules") && i + 1 < argc) nmodules = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--functions") && i + 1 < argc) nfunctions = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--out") && i + 1 < argc) out_file = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--modules N] [--functions M] [--free-asts] [--out FILE] [--quiet]\n", argv[0]);
      return 2;
    }
  }
  if (nmodules < 1 || nfunctions < 1 || nmodules > 100000 || nfunctions > 1000) {
    fputs("nativec: --modules and --functions must be positive (at most 100000 and 1000)\n", stderr);
    return 2;
  }
  trace_open();
  modules = xmalloc((size_t)nmodules * sizeof *modules);
  memset(modules, 0, (size_t)nmodules * sizeof *modules);
  /* One source buffer, reused by every module: allocated once, before any arena. */
  src_cap = (size_t)nfunctions * 4096 + 4096;
  src = xmalloc(src_cap);

  long long t = now_us();
  for (int i = 0; i < nmodules; i++) {
    Module *m = &modules[i];
    m->arena.id = i + 1;
    snprintf(m->arena.name, sizeof m->arena.name, "ast of m%d", i);
    trace_arena('b', m->arena.name, m->arena.id, ",\"args\":{\"category\":\"ast\",\"bytes\":0}");
    gen_module(i);
    parse_module(m);
  }
  trace_phase("parse", t);

  t = now_us();
  for (int i = 0; i < nmodules; i++) {
    resolve_module(&modules[i]);
    trace_arena('n', "use", modules[i].arena.id, ",\"args\":{\"phase\":\"resolve\"}");
  }
  trace_phase("resolve", t);

  t = now_us();
  for (int i = 0; i < nmodules; i++) {
    for (const Node *fn = modules[i].fns; fn; fn = fn->next) check_stmts(fn->b);
    trace_arena('n', "use", modules[i].arena.id, ",\"args\":{\"phase\":\"check\"}");
  }
  trace_phase("check", t);

  t = now_us();
  for (int i = 0; i < nmodules; i++) {
    codegen_module(&modules[i]);
    trace_arena('n', "use", modules[i].arena.id, ",\"args\":{\"phase\":\"codegen\"}");
    if (free_asts) arena_free(&modules[i].arena);
  }
  trace_phase("codegen", t);

  t = now_us();
  /* The bundle: the code as one string; and the line table as JSON, one object per expression, for a
   * debugger. The table's size is counted first, so each is one malloc of the exact size. */
  static const char *const kinds[] = {"fn", "let", "if", "return", "number", "name", "call", "binary"};
  static const char row_fmt[] = "{\"module\":%u,\"generated\":%u,\"source\":%u,\"kind\":\"%s\"},\n";
  static const char head[] = "{\"file\":\"bundle.js\",\"rows\":[\n", tail[] = "{}]}\n";
  size_t bundle_cap = code.bytes + 1, table_cap = sizeof head + sizeof tail;
  for (const OutBlock *b = lines.head; b; b = b->next)
    for (const LineRow *r = (const LineRow *)(b + 1); (const char *)r < (const char *)(b + 1) + b->used; r++)
      table_cap += (size_t)snprintf(NULL, 0, row_fmt, r->module, r->generated, r->source, kinds[r->kind]);
  char *bundle = xmalloc(bundle_cap);
  char *table = xmalloc(table_cap);
  size_t at = 0, table_len = 0;
  for (const OutBlock *b = code.head; b; b = b->next) {
    memcpy(bundle + at, b + 1, b->used);
    at += b->used;
  }
  bundle[at] = '\0';
  table_len += (size_t)snprintf(table, table_cap, "%s", head);
  for (const OutBlock *b = lines.head; b; b = b->next)
    for (const LineRow *r = (const LineRow *)(b + 1); (const char *)r < (const char *)(b + 1) + b->used; r++)
      table_len += (size_t)snprintf(table + table_len, table_cap - table_len, row_fmt, r->module, r->generated,
                                    r->source, kinds[r->kind]);
  table_len += (size_t)snprintf(table + table_len, table_cap - table_len, "%s", tail);
  uint32_t sum = 0;
  for (size_t i = 0; i < at; i++) sum = sum * 31u + (unsigned char)bundle[i];
  for (size_t i = 0; i < table_len; i++) sum = sum * 31u + (unsigned char)table[i];
  if (out_file) {
    char map_file[4096];
    snprintf(map_file, sizeof map_file, "%s.lines.json", out_file);
    FILE *f = fopen(out_file, "w");
    FILE *g = fopen(map_file, "w");
    if (!f || !g || fwrite(bundle, 1, at, f) != at || fwrite(table, 1, table_len, g) != table_len || fclose(f) ||
        fclose(g)) {
      perror(out_file);
      return 1;
    }
  }
  trace_phase("emit", t);

  /* The run's end: what was held is freed now (the maximum RSS is already reached). */
  xfree(table, table_cap);
  xfree(bundle, bundle_cap);
  for (int i = 0; i < nmodules; i++) {
    if (!free_asts) arena_free(&modules[i].arena);
    for (Symbol *s = modules[i].symbols, *next; s; s = next) {
      next = s->next;
      xfree(s, symbol_size(s->name));
    }
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  if (!quiet)
    printf("nativec: %d modules, %d functions, %zu AST nodes | arenas %zu bytes (%.1f MiB) in %zu chunks of %d | "
           "symbols %zu bytes | output blocks %zu bytes | bundle %zu bytes, line table %zu bytes (checksum %08x) | "
           "%s | live heap peak %zu bytes (%.1f MiB) | max RSS %ld KiB | %ld errors\n",
           nmodules, nmodules * nfunctions, nodes_total, arena_total_bytes, mib(arena_total_bytes),
           arena_total_bytes / CHUNK_BYTES, CHUNK_BYTES, symbols_bytes, out_blocks_bytes, at, table_len, sum,
           free_asts ? "ASTs freed after codegen" : "ASTs held to the end", live_peak_bytes, mib(live_peak_bytes),
           ru.ru_maxrss, errors);
  trace_close();
  free_output(&code);
  free_output(&lines);
  xfree(src, src_cap);
  xfree(modules, (size_t)nmodules * sizeof *modules);
  return errors ? 1 : 0;
}
