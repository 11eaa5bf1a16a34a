#include "minivm.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(strbuf *b) { b->data = NULL; b->len = b->cap = 0; }

static void sb_grow(strbuf *b, size_t need) {
  if (b->len + need + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + need + 1) cap *= 2;
  b->data = realloc(b->data, cap);
  b->cap = cap;
}

void sb_putc(strbuf *b, char c) { sb_grow(b, 1); b->data[b->len++] = c; b->data[b->len] = 0; }

void sb_puts(strbuf *b, const char *s) {
  size_t n = strlen(s);
  sb_grow(b, n);
  memcpy(b->data + b->len, s, n + 1);
  b->len += n;
}

void sb_printf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  sb_grow(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void sb_free(strbuf *b) { free(b->data); sb_init(b); }
