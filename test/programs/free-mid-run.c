/* free-mid-run: frees most of its memory half-way, in the middle of glibc's heap.
 *
 *   free-mid-run <MiB> [hold_ms=500]
 *
 * mallocs <MiB> MiB as 64 KiB blocks (below glibc's default mmap threshold of 128 KiB, so they come
 * from the heap), writes every page, then mallocs one small block above them so that the top of the
 * heap stays in use. It holds that for <hold_ms>, frees every 64 KiB block, holds again for
 * <hold_ms> and exits 0.
 *
 * With glibc's defaults the freed blocks lie under a live one: glibc keeps them and RSS stays at the
 * peak through the second hold. With glibc.malloc.mmap_threshold at 64 KiB each block is a mapping
 * of its own, unmapped by free(): RSS falls to a few hundred KiB.
 *
 * Built by the tests with: cc -O0 -o <tmp>/free-mid-run test/programs/free-mid-run.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (64 * 1024)

static void hold(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0) {
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: free-mid-run <MiB> [hold_ms]\n");
    return 2;
  }
  size_t n = (strtoul(argv[1], NULL, 10) << 20) / BLOCK;
  long hold_ms = argc > 2 ? strtol(argv[2], NULL, 10) : 500;
  long page = sysconf(_SC_PAGESIZE);
  char **blocks = malloc(n * sizeof *blocks);
  if (blocks == NULL) return 1;
  for (size_t i = 0; i < n; i++) {
    blocks[i] = malloc(BLOCK);
    if (blocks[i] == NULL) {
      fprintf(stderr, "free-mid-run: out of memory\n");
      return 1;
    }
    for (long off = 0; off < BLOCK; off += page) blocks[i][off] = 1;
  }
  volatile char *top = malloc(64);
  top[0] = 1;
  hold(hold_ms);
  for (size_t i = 0; i < n; i++) free(blocks[i]);
  hold(hold_ms);
  top[0] = 2;
  return 0;
}
