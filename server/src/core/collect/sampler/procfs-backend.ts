// The procfs backend of the sampler (Linux): every tick reads each known process's
// /proc/<pid>/status through an fd held open for the process's lifetime (one pread per process per
// tick; the fd also pins the process's identity: once it exits, reads fail even if the pid is
// reused). New members are found through the pid counter: /proc/loadavg ends with the last pid the
// kernel handed out in this pid namespace (nested namespaces allocate in it too), so every task
// created since the last tick has a pid between the two readings. Most are threads (rustc and cargo
// start and end them all the time): already gone, or found under /proc/<member>/task/; the rest are
// read, and a process whose parent is a member joins the tree. A tick with no new pid costs a pread
// per process plus one. The first tick, and any tick after the counter wrapped or ran far ahead
// (other work on the machine), walks the tree from the root through /proc/<pid>/task/<tid>/children
// instead. VmHWM, the kernel's high-water mark, makes each process's own peak exact even between
// ticks.
//
// Its state, the files it holds open and what it knows of pids and zombies, is its own: the
// scheduler (process-tree-sampler.ts) sees the tracked processes only.

import * as fs from 'node:fs';
import type { Ms } from '../../model';
import { bytes, kib, kibToBytes } from '../../units';
import { readProcFd, readProcFile } from './proc-files';
import type { SamplerBackend } from './sampler-backend';
import { TrackedProcesses, type TrackedProcess } from './tracked-processes';

/** Fds held open at most. Past it, children files are opened at each tick (status files are always held). */
const MAX_HELD_FDS = 768;
/**
 * More new pids than this since the last tick (a machine busy with other work) and the tree is
 * walked instead of looking at each of them.
 */
const MAX_NEW_PIDS = 512;
/** The last pids handed out before a walk that the next tick looks at again if the walk did not meet them. */
const WALK_OVERLAP_PIDS = 4;

/** A process of the tree with the files procfs holds for it. */
interface ProcfsProcess extends TrackedProcess {
  /** fd of /proc/<pid>/status, -1 when closed. */
  statusFd: number;
  /** Threads at the last tick (`Threads:`). */
  threads: number;
  /** fds of /proc/<pid>/task/<tid>/children for each thread (-1: open it at each read); null until listed. */
  tasks: { tid: string; fd: number }[] | null;
  /**
   * Whether argv must be read again: the last read found an empty command line. An exec sets the
   * new command name before it lays out the new command line, so a read in between finds the new
   * name and nothing else.
   */
  argvPending: boolean;
}

export class ProcfsBackend implements SamplerBackend {
  readonly processes: TrackedProcesses<ProcfsProcess>;
  private heldFds = 0;
  /** /proc/loadavg, held open: its last field is the last pid handed out (-1: not readable). */
  private loadavgFd: number | undefined;
  /** That pid at the last tick: the tasks created since have later pids. */
  private lastPidSeen: number | null = null;
  /** Pids of the last tick's new ones that were not in /proc yet (ended, or a fork not yet done). */
  private retryPids: number[] = [];
  /**
   * Zombies of the tree (exited, not yet reaped: the process substitution of the rustc wrapper stays
   * one while rustc runs), by pid, with the tick that last found them in a children list: not read
   * again while listed. A pid is reused only after the pid counter wraps, which clears this.
   */
  private readonly zombies = new Map<number, number>();
  /** Whether the last failed readStatus found a zombie (rather than no process). */
  private sawZombie = false;

  constructor(rootPid: number, isInstrumentation?: (pid: number, argv: string[]) => boolean) {
    this.processes = new TrackedProcesses<ProcfsProcess>(rootPid, isInstrumentation);
  }

  close(): void {
    for (const p of this.processes.alive.values()) this.closeFiles(p);
    if (this.loadavgFd !== undefined) this.closeHeld(this.loadavgFd);
    this.loadavgFd = -1;
  }

  /** Samples the known processes and takes up the new ones (through the pid counter, or a walk). */
  tick(tick: number, nowMs: Ms): void {
    // Read first: a task created after this read has a later pid, which the next tick looks at.
    const lastPid = this.lastPid();
    const prev = this.lastPidSeen;
    this.lastPidSeen = lastPid;
    const wrapped = lastPid !== null && prev !== null && lastPid < prev;
    // No counter, or it wrapped: a zombie's pid may belong to a new process now.
    if (lastPid === null || wrapped) this.zombies.clear();
    if (lastPid === null || prev === null || wrapped || lastPid - prev > MAX_NEW_PIDS || !this.processes.alive.size) {
      this.walkTree(tick, nowMs);
      // A fork in flight when the counter was read holds its pid but is not in /proc yet: the last
      // few pids the walk did not meet are looked at next tick.
      this.retryPids = [];
      for (let pid = (lastPid ?? 0) - WALK_OVERLAP_PIDS + 1; pid <= (lastPid ?? 0); pid++) {
        if (pid > 0 && !this.processes.hadPid(pid) && !this.zombies.has(pid)) this.retryPids.push(pid);
      }
      return;
    }
    for (const p of [...this.processes.alive.values()]) {
      if (this.readStatus(p, tick, nowMs)) continue;
      this.retire(p, nowMs);
      // Its pid may be among the new ones (it started after the counter was read at the last walk).
      if (this.sawZombie) this.zombies.set(p.pid, tick);
    }
    this.processes.checkRoot(tick);
    if (lastPid > prev || this.retryPids.length) this.adoptNewPids(prev, lastPid, tick, nowMs);
  }

  /**
   * Looks at the pids handed out since the last tick, (from, to], and takes up each new process
   * whose parent is a member of the tree: every task created since then has one of them, so the
   * tree's new members are found without walking it. Most are threads (rustc and cargo start them
   * all the time), told apart by their path under a member, or else by their Tgid. A pid not in
   * /proc is a task that has already ended, or a fork not yet done: it is looked at once more next
   * tick.
   */
  private adoptNewPids(from: number, to: number, tick: number, nowMs: Ms): void {
    const pids = this.retryPids;
    const retry: number[] = [];
    for (let pid = from + 1; pid <= to; pid++) pids.push(pid);
    let owners: ProcfsProcess[] | undefined;
    for (let i = 0; i < pids.length; i++) {
      const pid = pids[i]!;
      if (this.processes.alive.has(pid) || this.zombies.has(pid)) continue; // known already
      if (!fs.existsSync(`/proc/${pid}`)) {
        if (pid > from) retry.push(pid);
        continue;
      }
      // A thread of a multi-threaded member (the usual case) is told by its path under the member.
      owners ??= [...this.processes.alive.values()].filter((p) => p.threads > 1);
      if (owners.some((p) => fs.existsSync(`/proc/${p.pid}/task/${pid}`))) continue;
      const fd = this.openHeld(`/proc/${pid}/status`, true);
      if (fd < 0) continue;
      const text = readProcFd(fd);
      const parent =
        text && statusField(text, '\nTgid:') === pid
          ? this.processes.alive.get(statusField(text, '\nPPid:'))
          : undefined;
      if (!parent) {
        this.closeHeld(fd);
        continue;
      }
      const p = this.processes.track(pid, nowMs, { statusFd: fd, threads: 0, tasks: null, argvPending: false });
      if (this.applyStatus(p, text, tick, nowMs)) continue;
      if (this.sawZombie) {
        // Ended before we could look at it alive: forget it, as a walk does.
        this.untrack(p);
        this.zombies.set(pid, tick);
      } else this.retire(p, nowMs);
    }
    this.retryPids = retry;
  }

  /** Walks the tree from its root through the children files of every thread. */
  private walkTree(tick: number, nowMs: Ms): void {
    const stack = this.processes.rootGone ? [] : [this.processes.rootPid];
    const walk = () => {
      while (stack.length) {
        const pid = stack.pop()!;
        const p = this.sampleProcfs(pid, tick, nowMs);
        if (p) this.pushChildren(p, stack);
      }
    };
    walk();
    this.processes.checkRoot(tick);
    // Processes seen before but not reached now: gone, or reparented when their parent exited
    // (then still part of the build, with their own descendants).
    for (const p of [...this.processes.alive.values()]) {
      if (p.tick === tick) continue;
      if (this.readStatus(p, tick, nowMs)) {
        this.pushChildren(p, stack);
        walk();
      } else this.retire(p, nowMs);
    }
    // Zombies no longer listed were reaped.
    for (const [pid, seen] of this.zombies) if (seen !== tick) this.zombies.delete(pid);
  }

  /** The last pid handed out, as /proc/loadavg says (its last field), or null where it can't be read. */
  private lastPid(): number | null {
    this.loadavgFd ??= this.openHeld('/proc/loadavg', true);
    if (this.loadavgFd < 0) return null;
    const text = readProcFd(this.loadavgFd);
    const at = text ? text.lastIndexOf(' ') : -1;
    const pid = text && at > 0 ? parseInt(text.slice(at + 1), 10) : NaN;
    return Number.isFinite(pid) ? pid : null;
  }

  /** Samples a pid reached through the tree; returns its record, or null if it is gone. */
  private sampleProcfs(pid: number, tick: number, nowMs: Ms): ProcfsProcess | null {
    let p = this.processes.alive.get(pid);
    if (p?.tick === tick) return null; // already sampled (a cycle cannot happen, but be safe)
    if (p && this.readStatus(p, tick, nowMs)) return p;
    if (p) {
      this.retire(p, nowMs);
      // The root is not reached through a parent: a new process with its pid is not the build's.
      if (pid === this.processes.rootPid) return null;
      if (this.sawZombie) {
        this.zombies.set(pid, tick);
        return null;
      }
      // Otherwise a live member of the tree lists it as a child: a new process that reused the pid.
    } else if (this.zombies.has(pid)) {
      this.zombies.set(pid, tick); // still listed, still not reaped
      return null;
    }
    const fd = this.openHeld(`/proc/${pid}/status`, true);
    if (fd < 0) return null; // exited before we could look at it
    p = this.processes.track(pid, nowMs, { statusFd: fd, threads: 0, tasks: null, argvPending: false });
    if (this.readStatus(p, tick, nowMs)) return p;
    if (this.sawZombie) {
      // Never alive to us: forget it, and do not read it again while it stays a zombie.
      this.untrack(p);
      this.zombies.set(pid, tick);
    } else this.retire(p, nowMs);
    return null;
  }

  /**
   * Pushes the children of a process: those of every thread (cargo forks rustc from worker threads).
   * The children files stay open across ticks. The threads of a multi-threaded process are listed
   * again at every tick (one readdir): a thread that exits and another that starts between two ticks
   * leave the count unchanged, and a child of the new thread must not be missed.
   */
  private pushChildren(p: ProcfsProcess, out: number[]): void {
    if (!p.tasks || p.threads !== 1 || p.tasks.length !== 1) this.listTasks(p);
    for (const t of p.tasks!) {
      const text = t.fd >= 0 ? readProcFd(t.fd) : readProcFile(`/proc/${p.pid}/task/${t.tid}/children`);
      if (!text) continue;
      for (let i = 0, j; i < text.length; i = j + 1) {
        j = text.indexOf(' ', i);
        if (j < 0) j = text.length;
        if (j > i) out.push(Number(text.slice(i, j)));
      }
    }
  }

  /** Lists the threads of a process, keeping the children files of those already open. */
  private listTasks(p: ProcfsProcess): void {
    let tids: string[];
    try {
      tids = p.threads === 1 ? [String(p.pid)] : fs.readdirSync(`/proc/${p.pid}/task`);
    } catch {
      tids = [];
    }
    const old = this.closeTasks(p, true) ?? [];
    if (old.length === tids.length && old.every((t, i) => t.tid === tids[i])) {
      p.tasks = old;
      return;
    }
    const oldFds = new Map(old.map((t) => [t.tid, t.fd]));
    p.tasks = tids.map((tid) => {
      const fd = oldFds.get(tid) ?? this.openHeld(`/proc/${p.pid}/task/${tid}/children`);
      oldFds.delete(tid);
      return { tid, fd };
    });
    for (const fd of oldFds.values()) this.closeHeld(fd);
  }

  /** Forgets a process's thread list; `keep` returns it with the fds still open (for reuse). */
  private closeTasks(p: ProcfsProcess, keep = false): { tid: string; fd: number }[] | null {
    const tasks = p.tasks;
    p.tasks = null;
    if (tasks && !keep) for (const t of tasks) this.closeHeld(t.fd);
    return tasks;
  }

  /**
   * Opens a /proc file to hold across ticks, or -1 when it is gone. Past the fd budget, only status
   * files are held (one per process: they are what tells a process from a later one with its pid);
   * children files then get -1 and are opened at each read.
   */
  private openHeld(file: string, always = false): number {
    if (!always && this.heldFds >= MAX_HELD_FDS) return -1;
    try {
      const fd = fs.openSync(file, 'r');
      this.heldFds++;
      return fd;
    } catch {
      return -1;
    }
  }

  /** Reads a process's status; false when it is gone (exited, zombie). */
  private readStatus(p: ProcfsProcess, tick: number, nowMs: Ms): boolean {
    return this.applyStatus(p, p.statusFd >= 0 ? readProcFd(p.statusFd) : null, tick, nowMs);
  }

  /** Records what a process's status says (null: it could not be read); false when it is gone. */
  private applyStatus(p: ProcfsProcess, text: string | null, tick: number, nowMs: Ms): boolean {
    this.sawZombie = false;
    if (!text) return false;
    const rssKiB = statusField(text, '\nVmRSS:');
    // No memory lines: a zombie (or a kernel thread, never part of a build).
    if (Number.isNaN(rssKiB) && /\nState:\s*[ZX]/.test(text)) {
      this.sawZombie = true;
      return false;
    }
    const rssBytes = kibToBytes(kib(rssKiB || 0));
    const hwmBytes = kibToBytes(kib(statusField(text, '\nVmHWM:') || 0));
    p.threads = statusField(text, '\nThreads:') || 0;
    const comm = text.slice(6, text.indexOf('\n')); // "Name:\t<comm>"
    if (p.ppid === null) {
      const ppid = statusField(text, '\nPPid:');
      if (!Number.isNaN(ppid)) p.ppid = ppid;
    }
    // A new command name: the process exec'd (a child read between fork and exec shows its
    // parent's name and argv), or renamed itself (Node's process.title). Read argv again.
    if (comm !== p.comm) {
      const first = p.comm === '';
      p.comm = comm;
      this.readArgv(p);
      // After an exec the high-water mark starts again with the new address space: the peak is the
      // new program's, not that of the copy of its parent (a fork of a big Node process is big).
      // A drop alone proves nothing: since Linux 6.2 RSS counters are per-CPU and approximate, and
      // VmHWM (the larger of the recorded mark and the current RSS) wavers by a few hundred KiB.
      if (!first && hwmBytes < p.hwmBytes) {
        p.hwmBytes = bytes(0);
        p.maxSampledBytes = bytes(0);
      }
    } else if (p.argvPending) this.readArgv(p);
    if (hwmBytes > p.hwmBytes) p.hwmBytes = hwmBytes;
    this.processes.record(p, tick, nowMs, rssBytes);
    return true;
  }

  private readArgv(p: ProcfsProcess): void {
    let argv: string[] = [];
    try {
      // readFileSync: a linker's command line can be hundreds of KiB.
      const raw = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
      argv = raw.split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
    } catch {
      // Gone meanwhile: the next status read will say so.
    }
    // Until it can be read, the command name stands for it (the process may end before the next tick).
    p.argvPending = argv.length === 0;
    this.processes.setArgv(p, argv.length ? argv : [p.comm]);
  }

  /** Closes every file held for a process. */
  private closeFiles(p: ProcfsProcess): void {
    this.closeTasks(p);
    this.closeHeld(p.statusFd);
    p.statusFd = -1;
  }

  private closeHeld(fd: number): void {
    if (fd < 0) return;
    try {
      fs.closeSync(fd);
      this.heldFds--;
    } catch {
      // Already closed.
    }
  }

  /** The process is gone: closes its files and retires it from the tree. */
  private retire(p: ProcfsProcess, nowMs: Ms): void {
    this.closeFiles(p);
    this.processes.retire(p, nowMs);
  }

  /** Forgets the process tracked last, never sampled (a zombie when first seen). */
  private untrack(p: ProcfsProcess): void {
    this.closeFiles(p);
    this.processes.untrack(p);
  }
}

/** The number after a field of /proc/<pid>/status (`key` with the newline before it), NaN when absent. */
function statusField(text: string, key: string): number {
  const at = text.indexOf(key);
  return at < 0 ? NaN : parseInt(text.slice(at + key.length, at + key.length + 32), 10);
}
