#ifndef MINIVM_H
#define MINIVM_H
#include <stddef.h>
#include <stdint.h>

typedef struct { char *data; size_t len, cap; } strbuf;
void sb_init(strbuf *b);
void sb_putc(strbuf *b, char c);
void sb_puts(strbuf *b, const char *s);
void sb_printf(strbuf *b, const char *fmt, ...);
void sb_free(strbuf *b);

typedef struct entry { char *key; long value; struct entry *next; } entry;
typedef struct { entry **buckets; size_t nbuckets, count; } hashtab;
void ht_init(hashtab *h, size_t n);
long *ht_get(hashtab *h, const char *key);
void ht_set(hashtab *h, const char *key, long value);
void ht_free(hashtab *h);

typedef enum { T_EOF, T_NUM, T_IDENT, T_OP, T_LPAREN, T_RPAREN, T_SEMI, T_ASSIGN, T_PRINT, T_WHILE, T_LBRACE, T_RBRACE } tok_kind;
typedef struct { tok_kind kind; long num; char text[32]; } token;
typedef struct { const char *src; size_t pos; token cur; } lexer;
void lex_init(lexer *l, const char *src);
void lex_next(lexer *l);

typedef enum { OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_LT, OP_GT, OP_EQ, OP_JZ, OP_JMP, OP_PRINT, OP_HALT } opcode;
typedef struct { opcode op; long arg; } insn;
typedef struct { insn *code; size_t len, cap; char **names; size_t nnames; } program;
int compile_source(const char *src, program *out, strbuf *err);
long run_program(const program *p, strbuf *out);
void program_free(program *p);
#endif
