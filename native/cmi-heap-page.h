/*
 * The page a process shares with the profiler: one file per program image, CMI_LIVE_HEAP_DIR/<pid>-<startNs>,
 * one page long, mapped MAP_SHARED by the process and read with pread() by the profiler.
 *
 * The profiler's side declares the same offsets in server/src/core/collect/live-heap/page-layout.ts;
 * test/live-heap.test.ts compiles a program that prints offsetof() of each field below and compares.
 * Bump CMI_PAGE_VERSION on any change.
 */
#ifndef CMI_HEAP_PAGE_H
#define CMI_HEAP_PAGE_H

#include <stdint.h>

#define CMI_PAGE_MAGIC 0x48494d43u /* "CMIH" in memory order on a little-endian machine */
#define CMI_PAGE_VERSION 1u
#define CMI_PAGE_BYTES 4096u
#define CMI_FLAG_EXITED 1u /* set by the destructor (exit(), return from main); never by _exit or a signal */
#define CMI_FLAG_FORKED 2u /* this image is a fork's child: its live bytes started as its parent's */

struct cmi_page {
  uint32_t magic;     /* written last (release), so a reader that sees it sees the rest */
  uint32_t version;
  int32_t pid;
  uint32_t flags;
  int64_t live;       /* usable bytes of the blocks allocated and not yet freed (may dip below 0 briefly) */
  int64_t peak;       /* the high-water mark of live */
  uint64_t allocs;    /* allocations counted (malloc, calloc, realloc to a new block, aligned ones) */
  uint64_t peak_ns;   /* CLOCK_MONOTONIC when peak last rose */
  uint64_t start_ns;  /* CLOCK_MONOTONIC when this image's page was made: tells images of one pid apart */
  uint32_t argv_len;  /* bytes of argv below: the command line, NUL-separated, cut to fit */
  uint32_t reserved;
  char argv[CMI_PAGE_BYTES - 64];
};

_Static_assert(sizeof(struct cmi_page) == CMI_PAGE_BYTES, "the page is one page");

#endif
