/*
 * A program with its own allocator linked into the executable, as rustc links jemalloc: its malloc
 * wins over any preloaded one, so the live-heap library sees no allocation at all and the profile
 * must show no live-heap series for it (test/live-heap.test.ts). A bump allocator on a static arena.
 *
 * Build: cc -O1 -o own-malloc own-malloc.c
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static char arena[64 << 20] __attribute__((aligned(16)));
static size_t used;

void *malloc(size_t n) {
  size_t start = (used + 15) & ~(size_t)15;
  if (start + n + 16 > sizeof arena) return NULL;
  *(size_t *)(arena + start) = n;
  used = start + 16 + n;
  return arena + start + 16;
}
void free(void *p) { (void)p; }
void *calloc(size_t k, size_t n) { return malloc(k * n); } /* the arena is zeroed and never reused */
void *realloc(void *p, size_t n) {
  void *q = malloc(n);
  if (p && q) {
    size_t was = *(size_t *)((char *)p - 16);
    memcpy(q, p, was < n ? was : n);
  }
  return q;
}

int main(void) {
  for (int i = 0; i < 1000; i++) memset(malloc(10000), 1, 10000);
  printf("allocated %zu bytes\n", used);
  return 0;
}
