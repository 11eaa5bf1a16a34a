/*
 * cmi-contain: the parent of a profiled build, so that nothing the build starts outlives it or the
 * tool that profiles it (server/src/core/containment/, docs/processes.md).
 *
 *   cmi-contain [--parent PID] [--cgroup DIR] [--report-fd N] [--remove-dir DIR] [--grace-ms N]
 *               [--env NAME=VALUE]... -- argv...
 *
 * Why a separate process: the tool (Node) cannot be a subreaper nor learn of its own death. This one
 * - is a child subreaper (PR_SET_CHILD_SUBREAPER): daemons (setsid, double fork) are reparented to
 *   it instead of init, so every process the build started stays its descendant and is reaped by it;
 * - gets a signal when the tool dies (PR_SET_PDEATHSIG, even by SIGKILL), and then stops the build
 *   and removes the run's temporary folder itself;
 * - with --cgroup, moves itself into that (empty, cgroup v2) directory before it forks, so that every
 *   descendant is in it and the cgroup can be emptied at once with cgroup.kill.
 *
 * Report protocol: one line per write(2) on --report-fd (server/src/core/containment/report.ts):
 *   root <pid>            the build was exec'd (its process group is <pid>)
 *   exec-failed <errno>   the build could not be exec'd (this program then exits 127)
 *   cgroup-failed <errno> --cgroup could not be joined: subreaper only
 *   exit <code>           the build's root exited ...
 *   signal <n>            ... or was killed by signal n
 *   daemon <pid> <comm>   still running when the root ended: being stopped now
 * Then this program exits with the root's status (a signal death is raised again on itself).
 *
 * Signals: no handlers. Every signal it acts on is blocked and taken synchronously with
 * sigtimedwait(), so nothing runs asynchronously and nothing allocates in a handler.
 *   SIGTERM, SIGINT, SIGHUP  cancel: the signal goes to every process of the build, SIGKILL after grace
 *   SIGUSR1                  kill now: SIGKILL to every process of the build (a second Ctrl-C)
 *   SIGUSR2                  the parent died (pdeathsig): as a cancel, then --remove-dir is removed
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIG_KILL_NOW SIGUSR1
#define SIG_PARENT_DIED SIGUSR2
/* Processes listed per scan of /proc; a build with more alive at once is stopped over several scans. */
#define MAX_PROCS 32768
/* PID_MAX_LIMIT on 64-bit Linux: one byte per possible pid (untouched pages cost nothing). */
#define PID_LIMIT 4194304

static int report_fd = -1;
static const char *cgroup_dir;
static int in_cgroup;
static pid_t root_pid = -1;
static int root_status = -1; /* wait status once reaped */
static sigset_t handled;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* One line per write(2): the reader never sees half a line from us. Errors (the tool is gone) are ignored. */
static void report(const char *fmt, long a, const char *s) {
  char line[96];
  if (report_fd < 0) return;
  int n = s ? snprintf(line, sizeof line, fmt, a, s) : snprintf(line, sizeof line, fmt, a);
  if (n > 0) (void)!write(report_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static int write_file(const char *dir, const char *file, const char *text) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int err = errno;
  close(fd);
  errno = err;
  return n < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* The build's processes: our descendants. As a subreaper, an orphan of the build is reparented to
 * us, so "descendant of this process" is the whole build, daemons included. */

static pid_t procs[MAX_PROCS];
static pid_t parents[MAX_PROCS];
static char names[MAX_PROCS][17];
static unsigned char in_tree[PID_LIMIT];

/* Lists our living descendants into procs[0..n) (names[] their comm). */
static int list_descendants(void) {
  int n = 0;
  DIR *d = opendir("/proc");
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < MAX_PROCS) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0 || pid >= PID_LIMIT) continue;
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t len = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (len <= 0) continue;
    stat[len] = 0;
    /* "pid (comm) S ppid ...": comm may hold spaces and parentheses, so it ends at the last ')'. */
    char *open_paren = strchr(stat, '('), *close_paren = strrchr(stat, ')');
    if (!open_paren || !close_paren || close_paren[1] != ' ') continue;
    char state = close_paren[2];
    long ppid = strtol(close_paren + 4, NULL, 10);
    if (state == 'Z' || state == 'X') continue; /* exited: only waits to be reaped */
    procs[n] = (pid_t)pid;
    parents[n] = (pid_t)ppid;
    size_t clen = (size_t)(close_paren - open_paren - 1);
    if (clen > 16) clen = 16;
    memcpy(names[n], open_paren + 1, clen);
    names[n][clen] = 0;
    n++;
  }
  closedir(d);
  /* Mark the tree from ourselves down; /proc lists pids in ascending order and children mostly have
   * higher pids than their parents, so this rarely takes more than two passes. */
  for (int i = 0; i < n; i++) in_tree[procs[i]] = 0;
  pid_t self = getpid();
  int changed = 1, kept = 0;
  while (changed) {
    changed = 0;
    for (int i = 0; i < n; i++) {
      pid_t pp = parents[i];
      if (in_tree[procs[i]] || !(pp == self || (pp > 0 && pp < PID_LIMIT && in_tree[pp]))) continue;
      in_tree[procs[i]] = 1;
      changed = 1;
    }
  }
  for (int i = 0; i < n; i++) {
    if (!in_tree[procs[i]]) continue;
    in_tree[procs[i]] = 0;
    procs[kept] = procs[i];
    memcpy(names[kept], names[i], sizeof names[i]);
    kept++;
  }
  return kept;
}

/* Reaps every child that has exited (orphans of the build come to us); 1 once we have no child left. */
static int reap(void) {
  for (;;) {
    int status;
    pid_t p = waitpid(-1, &status, WNOHANG);
    if (p == root_pid) root_status = status;
    if (p > 0) continue;
    return p < 0 && errno == ECHILD;
  }
}

/* Leaves the cgroup (back to its parent directory) so that cgroup.kill spares us. */
static void leave_cgroup(void) {
  if (!in_cgroup) return;
  char parent[4096], pid[24];
  snprintf(parent, sizeof parent, "%s", cgroup_dir);
  char *slash = strrchr(parent, '/');
  if (!slash) return;
  *slash = 0;
  snprintf(pid, sizeof pid, "%d", (int)getpid());
  if (write_file(parent, "cgroup.procs", pid) == 0) in_cgroup = 0;
}

/* Takes the signals that arrive while stopping; returns 1 when the stop must become SIGKILL at once. */
static int take_signals(long wait_ms, int *parent_died) {
  struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
  int kill_now = 0;
  for (;;) {
    siginfo_t si;
    int sig = sigtimedwait(&handled, &si, &ts);
    if (sig < 0) break;
    if (sig == SIG_KILL_NOW) kill_now = 1;
    if (sig == SIG_PARENT_DIED) *parent_died = 1;
    ts.tv_sec = ts.tv_nsec = 0; /* then drain what else is pending, without waiting */
  }
  return kill_now;
}

/*
 * Stops every process of the build: `polite` (SIGTERM) to each, then after grace_ms SIGKILL to what
 * is left (cgroup.kill in a cgroup: atomic, so even a fork bomb cannot outrun it), and reaps them all.
 * With `report_daemons`, each process still there is reported first. polite 0: SIGKILL at once.
 */
static void stop_all(int polite, long grace_ms, int report_daemons, int *parent_died) {
  int n = list_descendants();
  if (report_daemons)
    for (int i = 0; i < n; i++) report("daemon %ld %s\n", procs[i], names[i]);
  if (polite && n) {
    if (root_status < 0) kill(-root_pid, polite); /* the root's group first, as a terminal would */
    for (int i = 0; i < n; i++) {
      kill(procs[i], polite);
      kill(procs[i], SIGCONT); /* a stopped process must run to act on it */
    }
    long end = now_ms() + grace_ms;
    while (!reap() && now_ms() < end)
      if (take_signals(10, parent_died)) break;
  }
  if (reap()) return;
  if (cgroup_dir && in_cgroup) {
    leave_cgroup();
    if (!in_cgroup) write_file(cgroup_dir, "cgroup.kill", "1");
  }
  /* Each round kills what it finds; a child forked meanwhile is found by the next round. A process in
   * uninterruptible sleep may take long to die: after 10 s we give up rather than hang. */
  long end = now_ms() + 10000;
  while (!reap() && now_ms() < end) {
    n = list_descendants();
    for (int i = 0; i < n; i++) kill(procs[i], SIGKILL);
    take_signals(5, parent_died);
  }
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
  (void)sb;
  (void)ftw;
  if (type == FTW_DP) rmdir(path);
  else unlink(path);
  return 0;
}

/* What the tool would have cleaned up had it not died: the run's temporary folder, the cgroup. */
static void clean_up_after_parent(const char *remove_dir) {
  /* Only a run's folder (cmi-run-*): a wrong argument must not delete anything else. */
  const char *base = remove_dir ? strrchr(remove_dir, '/') : NULL;
  if (base && strncmp(base + 1, "cmi-run-", 8) == 0) nftw(remove_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (cgroup_dir) {
    leave_cgroup();
    for (int i = 0; i < 100 && rmdir(cgroup_dir) < 0 && errno == EBUSY; i++) take_signals(10, &(int){0});
  }
}

static void usage(void) {
  static const char text[] = "usage: cmi-contain [--parent PID] [--cgroup DIR] [--report-fd N] "
                             "[--remove-dir DIR] [--grace-ms N] [--env NAME=VALUE]... -- argv...\n";
  (void)!write(2, text, sizeof text - 1);
  exit(2);
}

int main(int argc, char **argv) {
  pid_t parent = 0;
  const char *remove_dir = NULL;
  long grace_ms = 2000;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (i + 1 >= argc) usage();
    const char *opt = argv[i], *val = argv[++i];
    if (!strcmp(opt, "--parent")) parent = (pid_t)atol(val);
    else if (!strcmp(opt, "--cgroup")) cgroup_dir = val;
    else if (!strcmp(opt, "--report-fd")) report_fd = atoi(val);
    else if (!strcmp(opt, "--remove-dir")) remove_dir = val;
    else if (!strcmp(opt, "--grace-ms")) grace_ms = atol(val);
    /* Variables for the build only (LD_PRELOAD): set here, after our own exec, they load nothing into us. */
    else if (!strcmp(opt, "--env")) putenv((char *)val);
    else usage();
  }
  if (i + 1 >= argc) usage();
  char **build_argv = argv + i + 1;
  /* The report fd is ours, not the build's. */
  if (report_fd >= 0) fcntl(report_fd, F_SETFD, FD_CLOEXEC);

  /* Take our signals synchronously (see the header); the child gets the original mask back. */
  sigset_t original;
  sigemptyset(&handled);
  int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIG_KILL_NOW, SIG_PARENT_DIED};
  for (size_t k = 0; k < sizeof sigs / sizeof *sigs; k++) sigaddset(&handled, sigs[k]);
  sigprocmask(SIG_BLOCK, &handled, &original);
  /* A report to a tool that died must not kill us (EPIPE instead). */
  struct sigaction ignore = {.sa_handler = SIG_IGN}, pipe_before;
  sigaction(SIGPIPE, &ignore, &pipe_before);

  int parent_died = 0;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_PDEATHSIG, SIG_PARENT_DIED);
  /* The parent may have died before prctl: then we were already reparented and no signal will come. */
  if (parent && getppid() != parent) {
    clean_up_after_parent(remove_dir);
    return 125;
  }
  if (cgroup_dir) {
    char pid[24];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (write_file(cgroup_dir, "cgroup.procs", pid) == 0) in_cgroup = 1;
    else report("cgroup-failed %ld\n", errno, NULL);
  }

  /* exec's failure comes back through a close-on-exec pipe: EOF means the exec succeeded. */
  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) < 0) return 126;
  root_pid = fork();
  if (root_pid < 0) return 126;
  if (root_pid == 0) {
    setpgid(0, 0); /* a group of its own: a cancel signals the group as a terminal would */
    sigaction(SIGPIPE, &pipe_before, NULL);
    sigprocmask(SIG_SETMASK, &original, NULL);
    execvp(build_argv[0], build_argv);
    int err = errno;
    (void)!write(exec_pipe[1], &err, sizeof err);
    _exit(127);
  }
  setpgid(root_pid, root_pid); /* also here: whichever of the two runs first */
  close(exec_pipe[1]);
  int exec_errno = 0;
  ssize_t got;
  while ((got = read(exec_pipe[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  close(exec_pipe[0]);
  if (got == (ssize_t)sizeof exec_errno) {
    report("exec-failed %ld\n", exec_errno, NULL);
    waitpid(root_pid, NULL, 0);
    if (cgroup_dir) leave_cgroup();
    return 127;
  }
  report("root %ld\n", root_pid, NULL);

  /* Wait for the root's end, a cancel, or the parent's death. */
  int cancel = 0, kill_now = 0;
  while (root_status < 0 && !cancel && !kill_now && !parent_died) {
    siginfo_t si;
    int sig = sigwaitinfo(&handled, &si);
    if (sig == SIGCHLD) reap();
    else if (sig == SIG_KILL_NOW) kill_now = 1;
    else if (sig == SIG_PARENT_DIED) parent_died = 1;
    else if (sig > 0) cancel = sig;
  }
  if (root_status >= 0) {
    /* The root ended by itself: tell its status at once (the run's end), then stop the daemons. */
    if (WIFSIGNALED(root_status)) report("signal %ld\n", WTERMSIG(root_status), NULL);
    else report("exit %ld\n", WEXITSTATUS(root_status), NULL);
    stop_all(SIGTERM, grace_ms, 1, &parent_died);
  } else {
    stop_all(kill_now ? 0 : cancel ? cancel : SIGTERM, grace_ms, 0, &parent_died);
    if (root_status >= 0 && WIFSIGNALED(root_status)) report("signal %ld\n", WTERMSIG(root_status), NULL);
    else if (root_status >= 0) report("exit %ld\n", WEXITSTATUS(root_status), NULL);
  }
  if (parent_died) clean_up_after_parent(remove_dir);

  if (root_status >= 0 && WIFSIGNALED(root_status)) {
    /* Die of the same signal, so a parent without the report still tells "killed by SIGSEGV";
     * without a core dump: the build's own was already written. */
    int sig = WTERMSIG(root_status);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(sig);
    return 128 + sig;
  }
  return root_status >= 0 ? WEXITSTATUS(root_status) : 125;
}
