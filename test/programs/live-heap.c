/*
 * Allocation patterns for the live-heap library's tests (test/live-heap.test.ts), each printing
 * what it knows it allocated: `expect pid=<pid> peak=<bytes>`, the sum of malloc_usable_size() of
 * its own blocks live at once at its peak (the library also counts the C library's own blocks: a
 * few KiB, stdio's buffer).
 *
 *   live-heap threads T N S   T threads each malloc N blocks of S bytes at once, hold, free them all
 *   live-heap fork N S        N blocks in the parent; fork; the child adds N more and exits; the
 *                              parent then adds N/2 and exits after the child
 *   live-heap exec N S        N blocks, then execs itself as `hold 2N S`: one pid, two images
 *   live-heap hold N S        N blocks, hold 150 ms, exit
 *   live-heap fragment N S    N blocks, free all but every 64th, hold 400 ms: glibc keeps the pages
 *
 * Build: cc -O1 -pthread -o live-heap live-heap.c
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Allocates n blocks of s bytes, touching each; returns the sum of their usable sizes. */
static size_t alloc_blocks(void **blocks, long n, size_t s) {
  size_t total = 0;
  for (long i = 0; i < n; i++) {
    blocks[i] = malloc(s);
    memset(blocks[i], 1, s);
    total += malloc_usable_size(blocks[i]);
  }
  return total;
}

static void free_blocks(void **blocks, long n) {
  for (long i = 0; i < n; i++) free(blocks[i]);
}

static void expect(size_t peak) {
  printf("expect pid=%d peak=%zu\n", (int)getpid(), peak);
  fflush(stdout);
}

/* threads ------------------------------------------------------------------------------------- */

static pthread_barrier_t all_hold;
static long per_thread;
static size_t block_size;
static size_t thread_bytes[64];

static void *thread_main(void *arg) {
  long k = (long)arg;
  void **blocks = malloc(per_thread * sizeof(void *));
  thread_bytes[k] = alloc_blocks(blocks, per_thread, block_size) + malloc_usable_size(blocks);
  pthread_barrier_wait(&all_hold); /* every thread holds its blocks here: the peak */
  pthread_barrier_wait(&all_hold); /* the main thread has printed the figure */
  free_blocks(blocks, per_thread);
  free(blocks);
  return NULL;
}

static int threads(int t, long n, size_t s) {
  per_thread = n;
  block_size = s;
  pthread_t ids[64];
  pthread_barrier_init(&all_hold, NULL, (unsigned)t + 1);
  for (long k = 0; k < t; k++) pthread_create(&ids[k], NULL, thread_main, (void *)k);
  pthread_barrier_wait(&all_hold);
  size_t total = 0;
  for (int k = 0; k < t; k++) total += thread_bytes[k];
  expect(total);
  sleep_ms(50);
  pthread_barrier_wait(&all_hold);
  for (int k = 0; k < t; k++) pthread_join(ids[k], NULL);
  sleep_ms(50); /* the freed state, seen by a tick */
  return 0;
}

/* the others ---------------------------------------------------------------------------------- */

static int fork_both(long n, size_t s) {
  void **a = malloc(n * sizeof(void *));
  size_t parent = alloc_blocks(a, n, s) + malloc_usable_size(a);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    void **b = malloc(n * sizeof(void *));
    size_t own = alloc_blocks(b, n, s) + malloc_usable_size(b);
    expect(parent + own); /* its inherited blocks and its own */
    sleep_ms(150);
    exit(0);
  }
  void **c = malloc(n / 2 * sizeof(void *));
  size_t more = alloc_blocks(c, n / 2, s) + malloc_usable_size(c);
  expect(parent + more);
  waitpid(child, NULL, 0);
  sleep_ms(50);
  return 0;
}

static int hold(long n, size_t s, long ms) {
  void **a = malloc(n * sizeof(void *));
  expect(alloc_blocks(a, n, s) + malloc_usable_size(a));
  sleep_ms(ms);
  return 0;
}

static int exec_self(const char *self, long n, size_t s) {
  void **a = malloc(n * sizeof(void *));
  expect(alloc_blocks(a, n, s) + malloc_usable_size(a));
  sleep_ms(100);
  char count[32], size[32];
  snprintf(count, sizeof count, "%ld", 2 * n);
  snprintf(size, sizeof size, "%zu", s);
  execl(self, self, "hold", count, size, (char *)NULL);
  perror("execl");
  return 1;
}

static int fragment(long n, size_t s) {
  void **a = malloc(n * sizeof(void *));
  expect(alloc_blocks(a, n, s) + malloc_usable_size(a));
  sleep_ms(150);
  for (long i = 0; i < n; i++)
    if (i % 64 != 0) free(a[i]);
  sleep_ms(400);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: live-heap threads T N S | fork N S | exec N S | hold N S | fragment N S\n");
    return 2;
  }
  const char *mode = argv[1];
  if (strcmp(mode, "threads") == 0 && argc == 5) return threads(atoi(argv[2]), atol(argv[3]), (size_t)atol(argv[4]));
  long n = atol(argv[2]);
  size_t s = (size_t)atol(argv[3]);
  if (strcmp(mode, "fork") == 0) return fork_both(n, s);
  if (strcmp(mode, "exec") == 0) return exec_self(argv[0], n, s);
  if (strcmp(mode, "hold") == 0) return hold(n, s, 150);
  if (strcmp(mode, "fragment") == 0) return fragment(n, s);
  fprintf(stderr, "live-heap: unknown mode %s\n", mode);
  return 2;
}
