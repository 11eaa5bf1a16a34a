#include "minivm.h"
#include <stdio.h>
#include <stdlib.h>

static const char *demo =
  "# sum of squares and a count of primes below 200\n"
  "i = 0; s = 0; while i < 10 { s = s + i * i; i = i + 1; } print s;\n"
  "n = 2; count = 0;\n"
  "while n < 200 { d = 2; prime = 1;\n"
  "  while d * d < n + 1 { if_div = n - (n / d) * d; while if_div == 0 { prime = 0; if_div = 1; } d = d + 1; }\n"
  "  count = count + prime; n = n + 1; }\n"
  "print count;\n";

int main(int argc, char **argv) {
  const char *src = demo;
  char *buf = NULL;
  if (argc > 1) {
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    buf[fread(buf, 1, (size_t)n, f)] = 0;
    fclose(f);
    src = buf;
  }
  program p;
  strbuf err, out;
  sb_init(&err);
  sb_init(&out);
  if (compile_source(src, &p, &err) != 0) { fputs(err.data, stderr); return 1; }
  hashtab stats;
  ht_init(&stats, 8);
  long steps = run_program(&p, &out);
  ht_set(&stats, "steps", steps);
  ht_set(&stats, "insns", (long)p.len);
  fputs(out.data ? out.data : "", stdout);
  printf("steps=%ld insns=%ld\n", *ht_get(&stats, "steps"), *ht_get(&stats, "insns"));
  ht_free(&stats);
  program_free(&p);
  sb_free(&err);
  sb_free(&out);
  free(buf);
  return 0;
}
