/* alloc: a predictable memory load for the sampler tests and the fidelity benchmark.
 *
 *   alloc <MiB> [hold_ms=400] [report_file]
 *
 * mallocs <MiB> MiB in one block, writes one byte in every page so that all of it is resident,
 * holds it for <hold_ms> milliseconds, frees it and exits 0. Its maximum RSS is therefore about
 * <MiB> MiB plus the few hundred KiB of the C runtime, and it stays there for <hold_ms>.
 *
 * With <report_file>, at the end of the hold (memory still held) it writes the kernel's two figures of
 * its peak, in KiB: "<VmHWM> <ru_maxrss>\n". VmHWM is read from /proc/self/status (0 where there is
 * none); ru_maxrss from getrusage. Since Linux 6.2 they can differ by a few hundred KiB in the same
 * instant: RSS is kept in per-CPU counters, which the two total differently.
 * Both are read with syscalls into stack buffers, so that reading them allocates nothing.
 *
 * Built by the tests with: cc -O0 -o <tmp>/alloc test/programs/alloc.c
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static long vm_hwm_kib(void) {
  char buf[4096];
  int fd = open("/proc/self/status", O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char *at = strstr(buf, "\nVmHWM:");
  return at ? strtol(at + 7, NULL, 10) : 0;
}

static int report(const char *file) {
  struct rusage usage;
  long hwm = vm_hwm_kib();
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 1;
  char line[64];
  int len = snprintf(line, sizeof line, "%ld %ld\n", hwm, (long)usage.ru_maxrss);
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  int ok = write(fd, line, (size_t)len) == len;
  close(fd);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: alloc <MiB> [hold_ms] [report_file]\n");
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
  if (argc > 3 && report(argv[3]) != 0) {
    fprintf(stderr, "alloc: cannot write %s\n", argv[3]);
    return 1;
  }

  free((void *)p);
  return 0;
}
