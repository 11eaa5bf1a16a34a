/*
 * libcmi-heap.so: counts the live heap of a process, loaded into every process of a build with
 * LD_PRELOAD by `cmi profile` (server/src/core/collect/live-heap/).
 *
 * Why: RSS hides frees (allocators keep freed pages), so the RSS peak is not the peak of what a
 * program holds. This library wraps the C library's allocation entry points, counts the usable bytes
 * of every live block, and publishes the count and its high-water mark in a page the profiler reads
 * at every sampler tick (layout: cmi-heap-page.h).
 *
 * - Counting: malloc_usable_size() of the real allocator, at allocation and at free, so both sides
 *   agree without a header or any change to the blocks' layout. It is what the allocator set aside
 *   for the block, not what was asked for (DHAT and heaptrack count requested bytes): see
 *   docs/live-heap.md for the difference measured on real programs.
 * - Chaining: the real functions come from dlsym(RTLD_NEXT), so an allocator in a shared library
 *   (jemalloc, mimalloc, tcmalloc) is still the one used. While dlsym runs (it may allocate), blocks
 *   come from a static buffer that is never handed to the real free().
 * - Threads: relaxed atomics; the peak rises by a compare-and-swap loop, and only then is the clock
 *   read (CLOCK_MONOTONIC: node's performance.now() and process.hrtime() run on the same clock).
 * - Publishing: the constructor creates $CMI_LIVE_HEAP_DIR/<pid>-<startNs>; until then (and when it
 *   cannot) counters live in static storage. fork(): the child gets a page of its own, starting from
 *   its parent's live bytes. exec(): the new image loads the library again and makes a new file; the
 *   old image's file keeps its final figures. exit(), _exit() and _Exit() flag the page as done.
 *   A missing or read-only directory, or a node process (its heap is V8's, measured by another
 *   series), publishes nothing and prints nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cmi-heap-page.h"

#define EXPORT __attribute__((visibility("default")))
#define RELAXED __ATOMIC_RELAXED

/* ---------------------------------------------------------------------------------------------- */
/* The real allocator */

static struct {
  void *(*malloc)(size_t);
  void (*free)(void *);
  void *(*calloc)(size_t, size_t);
  void *(*realloc)(void *, size_t);
  void *(*reallocarray)(void *, size_t, size_t);
  int (*posix_memalign)(void **, size_t, size_t);
  void *(*aligned_alloc)(size_t, size_t);
  void *(*memalign)(size_t, size_t);
  void *(*valloc)(size_t);
  void *(*pvalloc)(size_t);
  size_t (*usable)(void *);
} real;

/* Set once every function above is known; until then allocations come from the bootstrap buffer. */
static int resolved;
static int resolving;
/* No malloc_usable_size in the chain: nothing is counted (a free could not be matched). */
static int counting = 1;

/* Bootstrap blocks: a 16-byte header holding the size, for realloc(); never freed. */
static char boot_buf[64 * 1024] __attribute__((aligned(64)));
static size_t boot_used;

static int in_boot(const void *p) {
  return (const char *)p >= boot_buf && (const char *)p < boot_buf + sizeof boot_buf;
}

static void *boot_alloc(size_t n, size_t align) {
  if (align < 16) align = 16;
  for (;;) {
    size_t used = __atomic_load_n(&boot_used, RELAXED);
    size_t start = (used + 16 + align - 1) & ~(align - 1);
    if (start + n > sizeof boot_buf || start + n < start) return NULL;
    if (__atomic_compare_exchange_n(&boot_used, &used, start + n, 0, RELAXED, RELAXED)) {
      *(size_t *)(boot_buf + start - 16) = n;
      return boot_buf + start; /* static storage: already zeroed */
    }
  }
}

static size_t boot_size(const void *p) { return *(const size_t *)((const char *)p - 16); }

static void resolve(void) {
  if (__atomic_exchange_n(&resolving, 1, __ATOMIC_ACQUIRE)) return; /* another call resolves: use the buffer */
  real.free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
  real.calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
  real.realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
  real.reallocarray = (void *(*)(void *, size_t, size_t))dlsym(RTLD_NEXT, "reallocarray");
  real.posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
  real.aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
  real.memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
  real.valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
  real.pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
  real.usable = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
  void *(*m)(size_t) = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
  if (!real.usable) counting = 0;
  real.malloc = m;
  if (m && real.free && real.calloc && real.realloc) __atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
}

static inline int ready(void) {
  if (__builtin_expect(__atomic_load_n(&resolved, __ATOMIC_ACQUIRE), 1)) return 1;
  resolve();
  return __atomic_load_n(&resolved, __ATOMIC_ACQUIRE);
}

/* ---------------------------------------------------------------------------------------------- */
/* Counting */

/* Counters before the page exists, and whenever it cannot. */
static struct cmi_page boot_page;
static struct cmi_page *page = &boot_page;
/* The mapping this process made (not boot_page), for munmap after fork. */
static struct cmi_page *mapped;

static uint64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void count_alloc(void *p) {
  if (!p || !counting) return;
  int64_t n = (int64_t)real.usable(p);
  struct cmi_page *pg = __atomic_load_n(&page, RELAXED);
  int64_t live = __atomic_add_fetch(&pg->live, n, RELAXED);
  __atomic_add_fetch(&pg->allocs, 1, RELAXED);
  int64_t peak = __atomic_load_n(&pg->peak, RELAXED);
  while (live > peak) {
    if (__atomic_compare_exchange_n(&pg->peak, &peak, live, 1, RELAXED, RELAXED)) {
      __atomic_store_n(&pg->peak_ns, monotonic_ns(), RELAXED);
      break;
    }
  }
}

static inline void count_free(void *p) {
  if (!counting) return;
  int64_t n = (int64_t)real.usable(p);
  __atomic_sub_fetch(&__atomic_load_n(&page, RELAXED)->live, n, RELAXED);
}

/* ---------------------------------------------------------------------------------------------- */
/* The entry points */

EXPORT void *malloc(size_t n) {
  if (!ready()) return boot_alloc(n, 16);
  void *p = real.malloc(n);
  count_alloc(p);
  return p;
}

EXPORT void free(void *p) {
  if (!p || in_boot(p)) return;
  if (!ready()) return; /* cannot happen: a block not from the buffer was made after resolving */
  count_free(p);
  real.free(p);
}

EXPORT void *calloc(size_t k, size_t n) {
  if (!ready()) {
    size_t total;
    if (__builtin_mul_overflow(k, n, &total)) return NULL;
    return boot_alloc(total, 16);
  }
  void *p = real.calloc(k, n);
  count_alloc(p);
  return p;
}

EXPORT void *realloc(void *old, size_t n) {
  if (!ready() || in_boot(old)) {
    /* A block from the buffer moves to the real allocator (or stays in the buffer while resolving). */
    void *p = ready() ? malloc(n) : boot_alloc(n, 16);
    if (p && old) {
      size_t was = boot_size(old);
      memcpy(p, old, was < n ? was : n);
    }
    return p;
  }
  if (!old) return malloc(n);
  int64_t before = counting ? (int64_t)real.usable(old) : 0;
  void *p = real.realloc(old, n);
  if (!counting) return p;
  if (!p) {
    if (n == 0) __atomic_sub_fetch(&__atomic_load_n(&page, RELAXED)->live, before, RELAXED); /* freed */
    return p; /* failed: the old block is untouched */
  }
  /* The old block's bytes leave, the new block's arrive (as an allocation: the peak may rise). */
  __atomic_sub_fetch(&__atomic_load_n(&page, RELAXED)->live, before, RELAXED);
  count_alloc(p);
  return p;
}

EXPORT void *reallocarray(void *old, size_t k, size_t n) {
  size_t total;
  if (__builtin_mul_overflow(k, n, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(old, total);
}

EXPORT int posix_memalign(void **out, size_t align, size_t n) {
  if (!ready()) {
    void *p = boot_alloc(n, align);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
  }
  int rc = real.posix_memalign(out, align, n);
  if (rc == 0) count_alloc(*out);
  return rc;
}

static void *aligned(void *(*f)(size_t, size_t), size_t align, size_t n) {
  if (!ready()) return boot_alloc(n, align);
  void *p;
  if (f) p = f(align, n);
  else if (!real.posix_memalign || real.posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, n) != 0)
    return NULL;
  count_alloc(p);
  return p;
}

EXPORT void *aligned_alloc(size_t align, size_t n) {
  return aligned(ready() ? real.aligned_alloc : NULL, align, n);
}

EXPORT void *memalign(size_t align, size_t n) { return aligned(ready() ? real.memalign : NULL, align, n); }

EXPORT void *valloc(size_t n) {
  size_t pagesize = (size_t)sysconf(_SC_PAGESIZE);
  if (!ready() || !real.valloc) return aligned(NULL, pagesize, n);
  void *p = real.valloc(n);
  count_alloc(p);
  return p;
}

EXPORT void *pvalloc(size_t n) {
  size_t pagesize = (size_t)sysconf(_SC_PAGESIZE);
  if (!ready() || !real.pvalloc) return aligned(NULL, pagesize, (n + pagesize - 1) & ~(pagesize - 1));
  void *p = real.pvalloc(n);
  count_alloc(p);
  return p;
}

/* ---------------------------------------------------------------------------------------------- */
/* Publishing */

static const char *dir_env = "CMI_LIVE_HEAP_DIR";

/* Writes the decimal form of v at p; returns the end. */
static char *put_u64(char *p, uint64_t v) {
  char tmp[24];
  int n = 0;
  do tmp[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  while (n) *p++ = tmp[--n];
  return p;
}

/* Whether this program is node (its heap is V8's: another series measures it). */
static int is_node(void) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return 0;
  exe[n] = 0;
  const char *base = strrchr(exe, '/');
  base = base ? base + 1 : exe;
  return strcmp(base, "node") == 0 || strcmp(base, "nodejs") == 0;
}

/* Makes this image's page and moves the counters into it; on any failure, counting goes on in static storage. */
static void publish_page(uint32_t flags);

/* The program sees errno as it left it (fork() returns into the child after this ran). */
static void publish(uint32_t flags) {
  int saved = errno;
  publish_page(flags);
  errno = saved;
}

static void publish_page(uint32_t flags) {
  const char *dir = getenv(dir_env);
  if (!counting || !dir || !*dir || is_node()) return;
  size_t dlen = strlen(dir);
  char path[4096];
  if (dlen + 48 > sizeof path) return;
  uint64_t start_ns = monotonic_ns();
  memcpy(path, dir, dlen);
  char *e = path + dlen;
  *e++ = '/';
  e = put_u64(e, (uint64_t)getpid());
  *e++ = '-';
  e = put_u64(e, start_ns);
  *e = 0;
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  struct cmi_page *pg = NULL;
  if (ftruncate(fd, CMI_PAGE_BYTES) == 0) {
    void *m = mmap(NULL, CMI_PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED) pg = (struct cmi_page *)m;
  }
  if (!pg) {
    unlink(path);
    close(fd);
    return;
  }
  /* The command line, for the profiler's label of this image. */
  int cfd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (cfd >= 0) {
    ssize_t n = read(cfd, pg->argv, sizeof pg->argv);
    pg->argv_len = n > 0 ? (uint32_t)n : 0;
    close(cfd);
  }
  close(fd);
  pg->version = CMI_PAGE_VERSION;
  pg->pid = (int32_t)getpid();
  pg->flags = flags;
  pg->start_ns = start_ns;
  /* Counters so far (before main, or the parent's before fork); a thread racing this loses its count. */
  pg->live = __atomic_load_n(&boot_page.live, RELAXED);
  pg->peak = __atomic_load_n(&boot_page.peak, RELAXED);
  pg->allocs = __atomic_load_n(&boot_page.allocs, RELAXED);
  pg->peak_ns = __atomic_load_n(&boot_page.peak_ns, RELAXED);
  __atomic_store_n(&pg->magic, CMI_PAGE_MAGIC, __ATOMIC_RELEASE);
  mapped = pg;
  __atomic_store_n(&page, pg, __ATOMIC_RELEASE);
}

/* The parent's live bytes as fork() starts: the page is shared, so the child cannot read them after. */
static int64_t live_at_fork;

static void before_fork(void) { live_at_fork = __atomic_load_n(&__atomic_load_n(&page, RELAXED)->live, RELAXED); }

/* In a fork's child (one thread): leave the parent's page (shared with it), start one for this pid. */
static void after_fork_child(void) {
  boot_page.live = live_at_fork;
  /* The child's own peak starts at what it inherited, now; its allocation count at zero. */
  boot_page.peak = live_at_fork;
  boot_page.peak_ns = monotonic_ns();
  boot_page.allocs = 0;
  page = &boot_page;
  if (mapped) {
    munmap(mapped, CMI_PAGE_BYTES);
    mapped = NULL;
    publish(CMI_FLAG_FORKED);
  }
}

__attribute__((constructor)) static void cmi_heap_init(void) {
  ready();
  publish(0);
  pthread_atfork(before_fork, NULL, after_fork_child);
}

static void mark_exited(void) {
  struct cmi_page *pg = __atomic_load_n(&page, RELAXED);
  __atomic_or_fetch(&pg->flags, CMI_FLAG_EXITED, RELAXED);
}

/* exit() and the end of main: the profiler then knows this image is done (only a signal leaves it unset). */
__attribute__((destructor)) static void cmi_heap_fini(void) { mark_exited(); }

/* Shells (dash) and fork children end with _exit(), which runs no destructor. */
EXPORT void _exit(int status) {
  mark_exited();
  void (*next)(int) = (void (*)(int))dlsym(RTLD_NEXT, "_exit");
  if (next) next(status);
  syscall(SYS_exit_group, status);
  __builtin_unreachable();
}

EXPORT void _Exit(int status) { _exit(status); }
