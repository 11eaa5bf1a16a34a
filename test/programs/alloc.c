/* alloc: a predictable memory load for the sampler tests.
 *
 *   alloc <MiB> [hold_ms=400]
 *
 * mallocs <MiB> MiB in one block, writes one byte in every page so that all of it is resident,
 * holds it for <hold_ms> milliseconds, frees it and exits 0. Its maximum RSS is therefore about
 * <MiB> MiB plus the few hundred KiB of the C runtime, and it stays there for <hold_ms>.
 *
 * Built by the tests with: cc -O0 -o <tmp>/alloc test/programs/alloc.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: alloc <MiB> [hold_ms]\n");
    return 2;
  }
  size_t mib = strtoul(argv[1], NULL, 10);
  long hold_ms = argc > 2 ? strtol(argv[2], NULL, 10) : 400;
  size_t bytes = mib << 20;
  long page = sysconf(_SC_PAGESIZE);

  volatile char *p = malloc(bytes);
  if (p == NULL) {
    fprintf(stderr, "alloc: cannot allocate %zu MiB\n", mib);
    return 1;
  }
  for (size_t i = 0; i < bytes; i += (size_t)page) p[i] = 1;

  struct timespec hold = {hold_ms / 1000, (hold_ms % 1000) * 1000000L};
  while (nanosleep(&hold, &hold) != 0) {
  }

  free((void *)p);
  return 0;
}
