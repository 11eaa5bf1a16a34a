#include "minivm.h"
#include <ctype.h>
#include <string.h>

void lex_init(lexer *l, const char *src) { l->src = src; l->pos = 0; lex_next(l); }

static const struct { const char *word; tok_kind kind; } keywords[] = {
  { "print", T_PRINT }, { "while", T_WHILE },
};

void lex_next(lexer *l) {
  const char *s = l->src;
  while (s[l->pos] && (isspace((unsigned char)s[l->pos]) || s[l->pos] == '#')) {
    if (s[l->pos] == '#') while (s[l->pos] && s[l->pos] != '\n') l->pos++;
    else l->pos++;
  }
  token *t = &l->cur;
  t->text[0] = 0;
  char c = s[l->pos];
  if (!c) { t->kind = T_EOF; return; }
  if (isdigit((unsigned char)c)) {
    long v = 0;
    while (isdigit((unsigned char)s[l->pos])) v = v * 10 + (s[l->pos++] - '0');
    t->kind = T_NUM;
    t->num = v;
    return;
  }
  if (isalpha((unsigned char)c) || c == '_') {
    size_t n = 0;
    while ((isalnum((unsigned char)s[l->pos]) || s[l->pos] == '_') && n < sizeof t->text - 1) t->text[n++] = s[l->pos++];
    t->text[n] = 0;
    t->kind = T_IDENT;
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
      if (strcmp(t->text, keywords[i].word) == 0) t->kind = keywords[i].kind;
    return;
  }
  l->pos++;
  t->text[0] = c;
  t->text[1] = 0;
  switch (c) {
    case '(': t->kind = T_LPAREN; break;
    case ')': t->kind = T_RPAREN; break;
    case '{': t->kind = T_LBRACE; break;
    case '}': t->kind = T_RBRACE; break;
    case ';': t->kind = T_SEMI; break;
    case '=':
      if (s[l->pos] == '=') { l->pos++; t->kind = T_OP; strcpy(t->text, "=="); }
      else t->kind = T_ASSIGN;
      break;
    default: t->kind = T_OP; break;
  }
}
