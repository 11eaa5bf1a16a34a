// cmi-cc-shim: the compiled twin of server/src/collect-scripts/cc-wrapper.sh (same modes, same files,
// same record format, same skip rules), without a shell: the bash wrapper's stderr filter read cc1's
// stderr byte by byte, which cost a parallel C++ build about 45 % of its wall time.
//
// The profiler (server/src/core/collect/cc.ts) puts symlinks to this binary named cc1, cc1plus (found
// by every gcc/g++ driver through COMPILER_PATH) and clang, clang++ (on PATH) in a directory of the
// run's workDir; the mode is the name it is called by (basename of argv[0]).
//
//   cc1, cc1plus  the real compiler proper is `$COLLECT_GCC -print-prog-name=<mode>`, asked once per
//                 driver and cached in $CMI_CC_DIR/.real-<mode>-<driver>. Then, when recording:
//     1. writes $CMI_CC_DIR/<pid>-<start us>.args: the compiler proper and its arguments, NUL-separated;
//     2a. with the GCC plugin (docs: /work/briefs/plugin-protocol.md, native/README.md): writes the
//        .tr header and `# plugin`, exports CMI_CC_PASSES=<f>.passes and execs the compiler in place
//        with -fplugin=$CMI_CC_PLUGIN: no filter, stderr untouched;
//     2b. otherwise execs it IN PLACE (cc1 keeps this pid) with -ftime-report appended, its stderr a
//        pipe to a forked child, the filter: the report (from the "Time variable" line to the "TOTAL"
//        line, without the blank line before it) goes to <f>.tr, stamped with the wall-clock time the
//        filter read its first line; every other line goes on to the build's stderr at once and
//        unchanged. The filter reads blocks, not bytes.
//   clang, clang++  the real compiler is $CMI_CC_REAL_CLANG / $CMI_CC_REAL_CLANGXX: a compile (`-c`)
//                 gets -ftime-trace; every call records its argv and start the same way.
//
// The .tr file: "# cmi-cc-wrapper 1 pid=P filter=F ppid=D prog=M start=S cwd=C", then
// "# report <epoch s.us>", the report's lines, "# end <epoch s.us>" when the compiler's stderr closed
// (times: CLOCK_REALTIME, as bash's $EPOCHREALTIME). Preprocessing only (-E), runs without
// CMI_CC_DIR, and compilers that already have -ftime-report/-ftime-trace run untouched.
//
// No shell, no popen(), no system(): arguments go to the compiler exactly as they came.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILTER_NAME "cmi-cc-filter"

static const char *prog_mode;

static void die(const char *fmt, const char *a, const char *b, const char *c) {
  fprintf(stderr, fmt, a, b, c);
  exit(1);
}

/** Epoch seconds with microseconds, "S.UUUUUU" (bash's $EPOCHREALTIME). */
static void stamp(char *out, size_t n) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(out, n, "%lld.%06ld", (long long)ts.tv_sec, ts.tv_nsec / 1000);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) die("cmi cc-shim: out of memory%s%s%s\n", "", "", "");
  return p;
}

static char *concat(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *s = xmalloc(la + lb + 1);
  memcpy(s, a, la);
  memcpy(s + la, b, lb + 1);
  return s;
}

/** Writes all of buf to fd, retrying short writes; gives up silently on an error. */
static void write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    buf += w;
    n -= (size_t)w;
  }
}

/** bash's $PWD: the inherited PWD when it names the current directory, else getcwd(). */
static char *current_dir(void) {
  const char *pwd = getenv("PWD");
  struct stat a, b;
  if (pwd && pwd[0] == '/' && stat(pwd, &a) == 0 && stat(".", &b) == 0 && a.st_dev == b.st_dev &&
      a.st_ino == b.st_ino)
    return strdup(pwd);
  char *cwd = getcwd(NULL, 0);
  return cwd ? cwd : strdup("");
}

/** `driver -print-prog-name=mode` (stderr to /dev/null), its trailing newlines removed; NULL on failure. */
static char *ask_driver(const char *driver, const char *mode) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return NULL;
  char *opt = concat("-print-prog-name=", mode);
  pid_t pid = fork();
  if (pid < 0) return NULL;
  if (pid == 0) {
    dup2(p[1], 1);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2);
    char *const av[] = {(char *)driver, opt, NULL};
    execvp(driver, av);
    _exit(127);
  }
  close(p[1]);
  size_t cap = 256, len = 0;
  char *out = xmalloc(cap);
  for (;;) {
    if (len + 1 >= cap) {
      cap *= 2;
      char *q = realloc(out, cap);
      if (!q) break;
      out = q;
    }
    ssize_t r = read(p[0], out + len, cap - len - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(p[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  out[len] = 0;
  while (len > 0 && out[len - 1] == '\n') out[--len] = 0;
  free(opt);
  return out;
}

/** The compiler proper of a gcc driver, cached per driver in dir; exits when it cannot be found. */
static char *real_compiler_proper(const char *dir, const char *mode) {
  const char *driver = getenv("COLLECT_GCC");
  if (!driver || !*driver) driver = "gcc";
  char *key = strdup(driver);
  for (char *k = key; *k; k++)
    if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '.' ||
          *k == '_' || *k == '-'))
      *k = '_';
  char *cache = NULL;
  if (dir && *dir) {
    size_t n = strlen(dir) + strlen(mode) + strlen(key) + 16;
    cache = xmalloc(n);
    snprintf(cache, n, "%s/.real-%s-%s", dir, mode, key);
    FILE *f = fopen(cache, "r");
    if (f) {
      char line[PATH_MAX + 2];
      char *got = fgets(line, sizeof line, f);
      fclose(f);
      if (got) {
        line[strcspn(line, "\n")] = 0;
        if (line[0]) return strdup(line);
      }
    }
  }
  // COMPILER_PATH is the user's (or unset) here: main() set it.
  char *real = ask_driver(driver, mode);
  if (!real || real[0] != '/')
    die("cmi cc-wrapper: cannot find the real %s of %s (got '%s')\n", mode, driver, real ? real : "");
  if (cache) {
    size_t n = strlen(cache) + 24;
    char *tmp = xmalloc(n);
    snprintf(tmp, n, "%s.%d", cache, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (f) {
      int ok = fprintf(f, "%s\n", real) > 0;
      if (fclose(f) == 0 && ok) rename(tmp, cache);
      else unlink(tmp);
    }
    free(tmp);
  }
  free(key);
  return real;
}

static void write_args(const char *file, const char *real, int argc, char **argv) {
  int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  size_t len = strlen(real) + 1;
  for (int i = 1; i < argc; i++) len += strlen(argv[i]) + 1;
  char *buf = xmalloc(len), *p = buf;
  memcpy(p, real, strlen(real) + 1);
  p += strlen(real) + 1;
  for (int i = 1; i < argc; i++) {
    size_t n = strlen(argv[i]) + 1;
    memcpy(p, argv[i], n);
    p += n;
  }
  write_all(fd, buf, len);
  close(fd);
  free(buf);
}

/** The compiler's argv: real, the shim's arguments, then `extra` (NULL for none). */
static char **compiler_argv(const char *real, int argc, char **argv, const char *extra) {
  char **av = xmalloc(sizeof(char *) * (size_t)(argc + 2));
  int n = 0;
  av[n++] = (char *)real;
  for (int i = 1; i < argc; i++) av[n++] = argv[i];
  if (extra) av[n++] = (char *)extra;
  av[n] = NULL;
  return av;
}

static void exec_or_die(const char *real, char **av) {
  execvp(real, av); // a clang named without a directory is looked up on PATH, as bash does
  fprintf(stderr, "cmi cc-shim: cannot run %s: %s\n", real, strerror(errno));
  exit(errno == ENOENT ? 127 : 126);
}

static void write_header(FILE *f, pid_t pid, const char *filter, pid_t ppid, const char *start, const char *cwd) {
  fprintf(f, "# cmi-cc-wrapper 1 pid=%d filter=%s ppid=%d prog=%s start=%s cwd=%s\n", (int)pid, filter, (int)ppid,
          prog_mode, start, cwd);
}

// --- the filter (the -ftime-report path) -----------------------------------------------------------

/** What the filter holds between reads: a line not yet ended, output for the build's stderr. */
struct filter {
  FILE *tr;
  int in_report; // between "Time variable" and " TOTAL "
  int blank;     // a blank line held back: dropped when the report follows, else passed on
  char *line;    // the start of a line whose end has not been read yet
  size_t line_len, line_cap;
  char line_stamp[32]; // when its first byte was read
  char *err;           // what goes to the build's stderr after this block
  size_t err_len, err_cap;
};

static void grow(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return;
  size_t c = *cap ? *cap : 4096;
  while (c < need) c *= 2;
  char *q = realloc(*buf, c);
  if (!q) die("cmi cc-shim: out of memory%s%s%s\n", "", "", "");
  *buf = q;
  *cap = c;
}

static void to_stderr(struct filter *f, const char *s, size_t n) {
  grow(&f->err, &f->err_cap, f->err_len + n);
  memcpy(f->err + f->err_len, s, n);
  f->err_len += n;
}

static int starts_with(const char *s, size_t n, const char *prefix) {
  size_t k = strlen(prefix);
  return n >= k && memcmp(s, prefix, k) == 0;
}

/** One line of cc1's stderr, without its newline: the same rules as cc-wrapper.sh's filter. */
static void filter_line(struct filter *f, const char *l, size_t n, const char *when) {
  if (f->in_report) {
    fwrite(l, 1, n, f->tr);
    fputc('\n', f->tr);
    if (starts_with(l, n, " TOTAL ")) f->in_report = 0;
    return;
  }
  if (starts_with(l, n, "Time variable")) {
    f->blank = 0;
    f->in_report = 1;
    fprintf(f->tr, "# report %s\n", when);
    fwrite(l, 1, n, f->tr);
    fputc('\n', f->tr);
    return;
  }
  if (f->blank) to_stderr(f, "\n", 1);
  f->blank = n == 0;
  if (n) {
    to_stderr(f, l, n);
    to_stderr(f, "\n", 1);
  }
}

/** Runs in the forked child, stdin the read end of cc1's stderr, stderr the build's; never returns. */
static void run_filter(const char *tr_file, pid_t pid, pid_t ppid, const char *start, const char *cwd) {
  prctl(PR_SET_NAME, FILTER_NAME, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN); // a closed build stderr: keep draining, never block cc1
  struct filter f = {0};
  f.tr = fopen(tr_file, "we");
  if (!f.tr) f.tr = fopen("/dev/null", "we");
  if (!f.tr) _exit(0);
  char self[24];
  snprintf(self, sizeof self, "%d", (int)getpid());
  write_header(f.tr, pid, self, ppid, start, cwd);
  fflush(f.tr);

  static char buf[1 << 16];
  char when[32];
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    stamp(when, sizeof when);
    size_t at = 0, n = (size_t)r;
    while (at < n) {
      char *nl = memchr(buf + at, '\n', n - at);
      if (!nl) {
        if (f.line_len == 0) memcpy(f.line_stamp, when, sizeof when);
        grow(&f.line, &f.line_cap, f.line_len + (n - at));
        memcpy(f.line + f.line_len, buf + at, n - at);
        f.line_len += n - at;
        break;
      }
      size_t k = (size_t)(nl - (buf + at));
      if (f.line_len) {
        grow(&f.line, &f.line_cap, f.line_len + k);
        memcpy(f.line + f.line_len, buf + at, k);
        filter_line(&f, f.line, f.line_len + k, f.line_stamp);
        f.line_len = 0;
      } else {
        filter_line(&f, buf + at, k, when);
      }
      at += k + 1;
    }
    if (f.err_len) write_all(2, f.err, f.err_len);
    f.err_len = 0;
    fflush(f.tr);
  }
  // A last line without a newline is still a line (bash: `|| [ -n "$l" ]`).
  if (f.line_len) filter_line(&f, f.line, f.line_len, f.line_stamp);
  if (f.blank) to_stderr(&f, "\n", 1);
  if (f.err_len) write_all(2, f.err, f.err_len);
  stamp(when, sizeof when);
  fprintf(f.tr, "# end %s\n", when);
  fclose(f.tr);
  _exit(0);
}

/** Closes every descriptor from `from` up (close_range, else the ones /proc lists, else the first 1024). */
static void close_from(int from) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0) return;
#endif
  int fds[1024], n = 0;
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) && n < 1024) {
      int fd = atoi(e->d_name);
      if (fd >= from && fd != dirfd(d)) fds[n++] = fd;
    }
    closedir(d);
    for (int i = 0; i < n; i++) close(fds[i]);
    if (n < 1024) return;
  }
  for (int fd = from; fd < 1024; fd++) close(fd);
}

// --- main -----------------------------------------------------------------------------------------

int main(int argc, char **argv) {
  const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
  prog_mode = base ? base + 1 : (argv[0] ? argv[0] : "");
  const char *dir = getenv("CMI_CC_DIR");
  if (dir && !*dir) dir = NULL;
  // The compiler (and the driver asked for cc1's path) see the user's COMPILER_PATH, not the profiler's.
  const char *user_path = getenv("CMI_CC_USER_COMPILER_PATH");
  if (user_path) setenv("COMPILER_PATH", user_path, 1);
  else unsetenv("COMPILER_PATH");
  int clang = 0;
  char *real;
  if (strcmp(prog_mode, "clang") == 0 || strcmp(prog_mode, "clang++") == 0) {
    clang = 1;
    const char *r = getenv(prog_mode[5] ? "CMI_CC_REAL_CLANGXX" : "CMI_CC_REAL_CLANG");
    if (!r || !*r) die("cmi cc-wrapper: no real %s (%s is not set)\n", prog_mode,
                       prog_mode[5] ? "CMI_CC_REAL_CLANGXX" : "CMI_CC_REAL_CLANG", "");
    real = strdup(r);
  } else if (strcmp(prog_mode, "cc1") == 0 || strcmp(prog_mode, "cc1plus") == 0) {
    real = real_compiler_proper(dir, prog_mode);
  } else {
    die("cmi cc-wrapper: unknown mode '%s'%s%s\n", prog_mode, "", "");
    return 1;
  }
  int compile = 0;
  for (int i = 1; i < argc && dir; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-E") == 0 || strcmp(a, "-ftime-report") == 0 || strcmp(a, "-ftime-report-details") == 0 ||
        strcmp(a, "-ftime-trace") == 0 || strncmp(a, "-ftime-trace=", 13) == 0)
      dir = NULL;
    else if (strcmp(a, "-c") == 0)
      compile = 1;
  }
  struct stat st;
  if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) exec_or_die(real, compiler_argv(real, argc, argv, NULL));

  char start[32];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(start, sizeof start, "%lld.%06ld", (long long)ts.tv_sec, ts.tv_nsec / 1000);
  pid_t pid = getpid(), ppid = getppid();
  size_t fl = strlen(dir) + 64;
  char *f = xmalloc(fl);
  snprintf(f, fl, "%s/%d-%lld%06ld", dir, (int)pid, (long long)ts.tv_sec, ts.tv_nsec / 1000);
  char *args_file = concat(f, ".args"), *tr_file = concat(f, ".tr");
  write_args(args_file, real, argc, argv);
  char *cwd = current_dir();

  const char *plugin = getenv("CMI_CC_PLUGIN");
  const char *cc1dir = getenv("CMI_CC_PLUGIN_CC1DIR");
  int use_plugin = 0;
  if (!clang && plugin && *plugin && cc1dir && stat(plugin, &st) == 0 && S_ISREG(st.st_mode)) {
    const char *slash = strrchr(real, '/');
    size_t dl = slash ? (size_t)(slash - real) : 0;
    use_plugin = strlen(cc1dir) == dl && strncmp(real, cc1dir, dl) == 0;
  }
  if (clang || use_plugin) {
    FILE *t = fopen(tr_file, "we");
    if (t) {
      write_header(t, pid, "", ppid, start, cwd);
      if (use_plugin) fputs("# plugin\n", t);
      fclose(t);
    }
    if (use_plugin) {
      setenv("CMI_CC_PASSES", concat(f, ".passes"), 1);
      exec_or_die(real, compiler_argv(real, argc, argv, concat("-fplugin=", plugin)));
    }
    exec_or_die(real, compiler_argv(real, argc, argv, compile ? "-ftime-trace" : NULL));
  }

  // -ftime-report: cc1's stderr through the filter, a forked child; cc1 keeps this pid.
  int p[2];
  pid_t child = -1;
  if (pipe(p) == 0) {
    child = fork();
    if (child == 0) {
      close(p[1]);
      if (p[0] != 0) {
        dup2(p[0], 0);
        close(p[0]);
      }
      // Hold nothing of the build's but its stderr: not cc1's stdout (a pipe to `as` under -pipe),
      // not make's jobserver.
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0 && null != 1) {
        dup2(null, 1);
        close(null);
      }
      close_from(3);
      run_filter(tr_file, pid, ppid, start, cwd);
    }
    if (child < 0) {
      close(p[0]);
      close(p[1]);
    }
  }
  if (child < 0) {
    // No filter: the compiler runs untouched (no report on the build's stderr), without a record.
    unlink(args_file);
    exec_or_die(real, compiler_argv(real, argc, argv, NULL));
  }
  close(p[0]);
  dup2(p[1], 2);
  close(p[1]);
  exec_or_die(real, compiler_argv(real, argc, argv, "-ftime-report"));
  return 1;
}
