// The process-tree sampler: the RSS of every process of a build over time, per process and summed.
//
// Linux (`procfs`): every tick reads each known process's /proc/<pid>/status through an fd held open
// for the process's lifetime (one pread per process per tick; the fd also pins the process's
// identity: once it exits, reads fail even if the pid is reused). New members are found through the
// pid counter: /proc/loadavg ends with the last pid the kernel handed out in this pid namespace
// (nested namespaces allocate in it too), so every task created since the last tick has a pid
// between the two readings. Most are threads (rustc and cargo start and end them all the time):
// already gone, or found under /proc/<member>/task/; the rest are read, and a process whose parent
// is a member joins the tree. A tick with no new pid costs a pread per process plus one. The first
// tick, and any tick after the counter wrapped or ran far ahead (other work on the machine), walks
// the tree from the root through /proc/<pid>/task/<tid>/children instead. VmHWM, the kernel's
// high-water mark, makes each process's own peak exact even between ticks; the tree sum is only
// known at ticks.
//
// Elsewhere: `ps` (Unix) or PowerShell/CIM (Windows) every 250/1000 ms at best, with a warning that
// short processes and short peaks may be missed. A tick never throws: a sampler that cannot read
// anything degrades to `none` with a warning, and the build runs on.
//
// RSS counts shared pages (libraries, copy-on-write pages after fork) in every process that maps them,
// so the tree sum can exceed the memory actually used; it is the figure `/usr/bin/time` and the OOM
// killer reason about, per process.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeriesBuilder, type Bytes, type MemorySeries, type Ms, type ProcessInfo, type SamplerFacts, type Warning } from '../model';
import { procAvailable, readProcFd, readProcFile } from './sampler/proc-files';
import { psTableQuery, windowsTableQueries, type ProcessRow, type ProcessTableQuery } from './sampler/process-table';

export type SamplerBackend = 'auto' | 'procfs' | 'ps' | 'none';

export interface ProcessTreeSamplerOptions {
  rootPid: number;
  /** Requested interval; `ps` uses at least 250 ms, PowerShell at least 1000 ms. */
  intervalMs: Ms;
  /** Epoch time (ms) that every time recorded is relative to. */
  startEpochMs: number;
  /** `auto`: procfs on Linux, PowerShell on Windows, ps elsewhere. `ps` also works on Linux. */
  backend?: SamplerBackend;
  /** Processes the profiler added (wrappers): recorded, but left out of the tree sum. */
  isInstrumentation?: (pid: number, argv: string[]) => boolean;
  /** Called after every tick, with the tick's time (ms since start). */
  onTick?: (nowMs: Ms) => void;
}

export interface SamplerResult {
  /** `rss-tree` first, then one `rss-process` series per process, in order of appearance. */
  series: MemorySeries[];
  processes: ProcessInfo[];
  facts: SamplerFacts;
  warnings: Warning[];
}

export interface SamplerLive {
  nowMs: Ms;
  treeRssBytes: Bytes;
  peakTreeRssBytes: Bytes;
  /** Build processes alive at the last tick. */
  processCount: number;
}

const PS_MIN_INTERVAL_MS = 250;
const POWERSHELL_MIN_INTERVAL_MS = 1000;
const TABLE_QUERY_TIMEOUT_MS = 10_000;
/** procfs: fds held open at most. Past it, children files are opened at each tick (status files are always held). */
const MAX_HELD_FDS = 768;
/**
 * procfs: more new pids than this since the last tick (a machine busy with other work) and the tree
 * is walked instead of looking at each of them.
 */
const MAX_NEW_PIDS = 512;
/** procfs: the last pids handed out before a walk that the next tick looks at again if the walk did not meet them. */
const WALK_OVERLAP_PIDS = 4;
/** Consecutive failed table queries before the sampler gives up. */
const MAX_QUERY_FAILURES = 3;

/** Wall clock in epoch ms, with sub-ms resolution and without jumps from NTP adjustments. */
const epochNowMs = () => performance.timeOrigin + performance.now();

/**
 * A series that stores runs of equal values as their two ends: an idle parent (make, cargo, sh)
 * costs two samples instead of one per tick, and the line drawn through the samples is unchanged.
 */
class StepRecorder {
  readonly builder: SeriesBuilder;
  private heldMs = NaN;

  constructor(capacity: number) {
    this.builder = new SeriesBuilder(capacity);
  }

  sample(tMs: Ms, bytes: Bytes): void {
    if (this.builder.length && bytes === this.builder.lastBytes()) {
      this.heldMs = tMs;
      return;
    }
    this.flush();
    this.builder.push(tMs, bytes);
  }

  /** Writes the held end of a run of equal values. */
  flush(): void {
    if (Number.isNaN(this.heldMs)) return;
    this.builder.push(this.heldMs, this.builder.lastBytes()!);
    this.heldMs = NaN;
  }
}

/** A process of the tree as the sampler knows it. */
interface Tracked {
  pid: number;
  ppid: number | null;
  argv: string[];
  /** procfs: the command name (`Name:` in status); it changes when the process execs (or renames itself). */
  comm: string;
  role: 'build' | 'instrumentation';
  startMs: Ms;
  lastSeenMs: Ms;
  /** Set once the process is found gone. */
  endMs: Ms | null;
  /** procfs: fd of /proc/<pid>/status, -1 when closed. */
  statusFd: number;
  /** Threads at the last tick (procfs `Threads:`). */
  threads: number;
  /** procfs: fds of /proc/<pid>/task/<tid>/children for each thread (-1: open it at each read); null until listed. */
  tasks: { tid: string; fd: number }[] | null;
  /** The tick the process was last sampled at: each is sampled once per tick. */
  tick: number;
  rssBytes: Bytes;
  maxSampledBytes: Bytes;
  /** Highest VmHWM seen since the last exec (procfs). */
  hwmBytes: Bytes;
  rss: StepRecorder;
  /** `rss:<pid>`, or `rss:<pid>#<n>` for the n-th process seen with a reused pid. */
  seriesId: string;
}

export class ProcessTreeSampler {
  private readonly opts: ProcessTreeSamplerOptions;
  private kind: SamplerFacts['kind'];
  /** `source` of the series: the backend chosen at the start (kind may fall to `none` later). */
  private readonly source: string;
  private readonly intervalMs: Ms;
  private readonly requestedIntervalMs: Ms;
  private readonly warnings: Warning[] = [];
  /** Table queries to try in order (ps / PowerShell / wmic backends). */
  private queries: ProcessTableQuery[] = [];
  private queryFailures = 0;

  private readonly all: Tracked[] = [];
  private readonly alive = new Map<number, Tracked>();
  private readonly pidUses = new Map<number, number>();
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
  /** Set once the root has exited: its pid may then be reused by a process that is not the build's. */
  private rootGone = false;
  private readonly tree = new StepRecorder(4096);

  private ticks = 0;
  private nowMs: Ms = 0;
  /** The longest time between two consecutive ticks. */
  private maxGapMs: Ms = 0;
  private treeRssBytes: Bytes = 0;
  private peakTreeRssBytes: Bytes = 0;
  private processCount = 0;

  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() of the next scheduled tick. */
  private nextDueMs = 0;
  /** The tick in flight (table backends are asynchronous). */
  private inFlight: Promise<void> | undefined;
  private reportedTickError = false;

  constructor(opts: ProcessTreeSamplerOptions) {
    this.opts = opts;
    this.requestedIntervalMs = Math.max(1, opts.intervalMs);
    const requested = opts.backend ?? 'auto';
    const platform = process.platform;

    if (requested === 'none') this.kind = 'none';
    else if ((requested === 'auto' || requested === 'procfs') && platform === 'linux' && procAvailable()) this.kind = 'procfs';
    else if (platform === 'win32') this.kind = 'powershell';
    else this.kind = 'ps';
    if (requested === 'procfs' && this.kind !== 'procfs') {
      this.warnings.push({ code: 'sampler-coarse', message: `The procfs sampler needs Linux /proc, which ${platform} lacks; using ${this.kind} instead.` });
    }

    this.source = `${this.kind} sampler`;
    const floorMs = this.kind === 'ps' ? PS_MIN_INTERVAL_MS : this.kind === 'powershell' ? POWERSHELL_MIN_INTERVAL_MS : 0;
    this.intervalMs = Math.max(this.requestedIntervalMs, floorMs);
    if (this.kind === 'ps' || this.kind === 'powershell') {
      this.queries = this.kind === 'ps' ? [psTableQuery('sample')] : windowsTableQueries();
      const tool = this.kind === 'ps' ? '`ps`' : 'PowerShell (Win32_Process)';
      this.warnings.push({
        code: 'sampler-coarse',
        message:
          `On ${platform} memory is sampled with ${tool} every ${this.intervalMs} ms` +
          (this.intervalMs > this.requestedIntervalMs ? ` (asked: ${this.requestedIntervalMs} ms)` : '') +
          ': processes shorter than that and peaks shorter than that may be missed, and per-process peaks are sampled maxima, not the kernel high-water mark.',
      });
    }
  }

  /** Starts sampling: the first tick runs now. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.nextDueMs = performance.now();
    this.runTick();
  }

  /** Stops, takes a last sample, and returns everything recorded. Never throws. */
  async stop(): Promise<SamplerResult> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      await this.inFlight;
      if (this.started) await this.tick(); // so that every series reaches the end of the run
      for (const p of this.alive.values()) this.closeFiles(p);
      if (this.loadavgFd !== undefined) this.closeHeld(this.loadavgFd);
      this.loadavgFd = -1;
    }
    return this.result();
  }

  live(): SamplerLive {
    return { nowMs: this.nowMs, treeRssBytes: this.treeRssBytes, peakTreeRssBytes: this.peakTreeRssBytes, processCount: this.processCount };
  }

  /**
   * The processes of the tree (build and instrumentation) alive at the last tick, including those
   * that were reparented after their parent exited: what is left to stop.
   */
  knownPids(): number[] {
    return [...this.alive.keys()];
  }

  // -------------------------------------------------------------------------------------------
  // Scheduling: a self-rescheduling timer on a fixed grid (start + k·interval), so a late tick does
  // not push every later tick back; ticks missed while the event loop was busy are skipped, not
  // run in a burst.

  private runTick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const done = () => {
      this.inFlight = undefined;
      this.schedule();
    };
    const pending = this.tick();
    if (pending) this.inFlight = pending.then(done);
    else done();
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = performance.now();
    this.nextDueMs += this.intervalMs;
    if (this.nextDueMs <= now) this.nextDueMs += Math.ceil((now - this.nextDueMs) / this.intervalMs + 1e-9) * this.intervalMs;
    this.timer = setTimeout(() => this.runTick(), this.nextDueMs - now);
    this.timer.unref(); // the sampler alone never keeps the process alive
  }

  /** One tick: synchronous for procfs and none, a promise for the table backends. */
  private tick(): Promise<void> | undefined {
    const nowMs = epochNowMs() - this.opts.startEpochMs;
    if (this.kind === 'ps' || this.kind === 'powershell') return this.tickTable(nowMs);
    this.guarded(() => {
      if (this.kind === 'procfs') this.tickProcfs(nowMs);
      this.endTick(nowMs);
    });
    return undefined;
  }

  private guarded(f: () => void): void {
    try {
      f();
    } catch (e) {
      if (this.reportedTickError) return;
      this.reportedTickError = true;
      this.warnings.push({ code: 'sampler-error', message: `A sampler tick failed (${(e as Error).message}); later samples may be missing.` });
    }
  }

  /** Sums the tree, records it, and calls onTick. */
  private endTick(nowMs: Ms): void {
    let treeBytes = 0;
    let count = 0;
    for (const p of this.alive.values()) {
      if (p.role !== 'build') continue;
      treeBytes += p.rssBytes;
      count++;
    }
    if (this.ticks && nowMs - this.nowMs > this.maxGapMs) this.maxGapMs = nowMs - this.nowMs;
    this.ticks++;
    this.nowMs = nowMs;
    this.treeRssBytes = treeBytes;
    this.processCount = count;
    if (treeBytes > this.peakTreeRssBytes) this.peakTreeRssBytes = treeBytes;
    this.tree.sample(nowMs, treeBytes);
    if (this.opts.onTick) {
      try {
        this.opts.onTick(nowMs);
      } catch {
        // The caller's tick is the caller's business; sampling goes on.
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // procfs

  private tickProcfs(nowMs: Ms): void {
    const tick = this.ticks + 1;
    // Read first: a task created after this read has a later pid, which the next tick looks at.
    const lastPid = this.lastPid();
    const prev = this.lastPidSeen;
    this.lastPidSeen = lastPid;
    const wrapped = lastPid !== null && prev !== null && lastPid < prev;
    // No counter, or it wrapped: a zombie's pid may belong to a new process now.
    if (lastPid === null || wrapped) this.zombies.clear();
    if (lastPid === null || prev === null || wrapped || lastPid - prev > MAX_NEW_PIDS || !this.alive.size) {
      this.walkTree(tick, nowMs);
      // A fork in flight when the counter was read holds its pid but is not in /proc yet: the last
      // few pids the walk did not meet are looked at next tick.
      this.retryPids = [];
      for (let pid = (lastPid ?? 0) - WALK_OVERLAP_PIDS + 1; pid <= (lastPid ?? 0); pid++) {
        if (pid > 0 && !this.pidUses.has(pid) && !this.zombies.has(pid)) this.retryPids.push(pid);
      }
      return;
    }
    for (const p of [...this.alive.values()]) {
      if (this.readStatus(p, tick, nowMs)) continue;
      this.retire(p, nowMs);
      // Its pid may be among the new ones (it started after the counter was read at the last walk).
      if (this.sawZombie) this.zombies.set(p.pid, tick);
    }
    this.rootGone ||= this.alive.get(this.opts.rootPid)?.tick !== tick;
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
    let owners: Tracked[] | undefined;
    for (let i = 0; i < pids.length; i++) {
      const pid = pids[i]!;
      if (this.alive.has(pid) || this.zombies.has(pid)) continue; // known already
      if (!fs.existsSync(`/proc/${pid}`)) {
        if (pid > from) retry.push(pid);
        continue;
      }
      // A thread of a multi-threaded member (the usual case) is told by its path under the member.
      owners ??= [...this.alive.values()].filter((p) => p.threads > 1);
      if (owners.some((p) => fs.existsSync(`/proc/${p.pid}/task/${pid}`))) continue;
      const fd = this.openHeld(`/proc/${pid}/status`, true);
      if (fd < 0) continue;
      const text = readProcFd(fd);
      const parent = text && statusField(text, '\nTgid:') === pid ? this.alive.get(statusField(text, '\nPPid:')) : undefined;
      if (!parent) {
        this.closeHeld(fd);
        continue;
      }
      const p = this.track(pid, nowMs, fd);
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
    const stack = this.rootGone ? [] : [this.opts.rootPid];
    const walk = () => {
      while (stack.length) {
        const pid = stack.pop()!;
        const p = this.sampleProcfs(pid, tick, nowMs);
        if (p) this.pushChildren(p, stack);
      }
    };
    walk();
    this.rootGone ||= this.alive.get(this.opts.rootPid)?.tick !== tick;
    // Processes seen before but not reached now: gone, or reparented when their parent exited
    // (then still part of the build, with their own descendants).
    for (const p of [...this.alive.values()]) {
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
  private sampleProcfs(pid: number, tick: number, nowMs: Ms): Tracked | null {
    let p = this.alive.get(pid);
    if (p?.tick === tick) return null; // already sampled (a cycle cannot happen, but be safe)
    if (p && this.readStatus(p, tick, nowMs)) return p;
    if (p) {
      this.retire(p, nowMs);
      // The root is not reached through a parent: a new process with its pid is not the build's.
      if (pid === this.opts.rootPid) return null;
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
    p = this.track(pid, nowMs, fd);
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
  private pushChildren(p: Tracked, out: number[]): void {
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
  private listTasks(p: Tracked): void {
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
  private closeTasks(p: Tracked, keep = false): { tid: string; fd: number }[] | null {
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
  private readStatus(p: Tracked, tick: number, nowMs: Ms): boolean {
    return this.applyStatus(p, p.statusFd >= 0 ? readProcFd(p.statusFd) : null, tick, nowMs);
  }

  /** Records what a process's status says (null: it could not be read); false when it is gone. */
  private applyStatus(p: Tracked, text: string | null, tick: number, nowMs: Ms): boolean {
    this.sawZombie = false;
    if (!text) return false;
    const rssKiB = statusField(text, '\nVmRSS:');
    // No memory lines: a zombie (or a kernel thread, never part of a build).
    if (Number.isNaN(rssKiB) && /\nState:\s*[ZX]/.test(text)) {
      this.sawZombie = true;
      return false;
    }
    const rssBytes = (rssKiB || 0) * 1024;
    const hwmBytes = (statusField(text, '\nVmHWM:') || 0) * 1024;
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
        p.hwmBytes = 0;
        p.maxSampledBytes = 0;
      }
    }
    if (hwmBytes > p.hwmBytes) p.hwmBytes = hwmBytes;
    this.record(p, tick, nowMs, rssBytes);
    return true;
  }

  private readArgv(p: Tracked): void {
    let argv: string[] = [];
    try {
      // readFileSync: a linker's command line can be hundreds of KiB.
      const raw = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8');
      argv = raw.split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
    } catch {
      // Gone meanwhile: the next status read will say so.
    }
    this.setArgv(p, argv.length ? argv : [p.comm]);
  }

  // -------------------------------------------------------------------------------------------
  // ps / PowerShell / wmic

  private async tickTable(nowMs: Ms): Promise<void> {
    const rows = await this.queryTable();
    this.guarded(() => {
      if (rows) this.applyTable(rows, nowMs);
      this.endTick(nowMs);
    });
  }

  /** Runs the first table query that works; null when this tick could not read the table. */
  private async queryTable(): Promise<Map<number, ProcessRow> | null> {
    while (this.queries.length) {
      const q = this.queries[0]!;
      try {
        const { stdout, childPid } = await run(q.file, q.args);
        const rows = q.parse(stdout);
        rows.delete(childPid); // the query itself, when the tree root is this process
        this.queryFailures = 0;
        return rows;
      } catch (e) {
        const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        if (!missing && ++this.queryFailures < MAX_QUERY_FAILURES) return null; // transient: retry next tick
        this.queries.shift();
        this.queryFailures = 0;
        if (this.queries.length) continue;
        this.kind = 'none';
        this.warnings.push({
          code: 'sampler-unavailable',
          message: `Memory sampling stopped: \`${q.file}\` failed (${(e as Error).message.split('\n')[0]}); the profile has no RSS after ${Math.round(this.nowMs)} ms.`,
        });
        return null;
      }
    }
    return null;
  }

  private applyTable(rows: Map<number, ProcessRow>, nowMs: Ms): void {
    const tick = this.ticks + 1;
    const children = new Map<number, number[]>();
    for (const r of rows.values()) {
      if (r.ppid === r.pid) continue;
      const list = children.get(r.ppid);
      if (list) list.push(r.pid);
      else children.set(r.ppid, [r.pid]);
    }
    const visit = (pid: number) => {
      const stack = [pid];
      while (stack.length) {
        const cur = stack.pop()!;
        const row = rows.get(cur);
        if (!row || row.zombie) continue;
        let p = this.alive.get(cur);
        if (p?.tick === tick) continue;
        if (!p) p = this.track(cur, nowMs, -1);
        if (p.ppid === null) p.ppid = row.ppid;
        const argv = row.argv ?? [];
        if (argv.join(' ') !== p.argv.join(' ')) {
          if (p.argv.length) p.maxSampledBytes = 0; // exec'd (or, unknowable here, a reused pid)
          this.setArgv(p, argv);
        }
        this.record(p, tick, nowMs, row.rssBytes ?? 0);
        for (const c of children.get(cur) ?? []) stack.push(c);
      }
    };
    if (!this.rootGone) visit(this.opts.rootPid);
    this.rootGone ||= this.alive.get(this.opts.rootPid)?.tick !== tick;
    for (const p of [...this.alive.values()]) {
      if (p.tick === tick) continue;
      const row = rows.get(p.pid);
      if (row && !row.zombie) visit(p.pid); // reparented
      else this.retire(p, nowMs);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Bookkeeping shared by the backends

  private track(pid: number, nowMs: Ms, statusFd: number): Tracked {
    const uses = (this.pidUses.get(pid) ?? 0) + 1;
    this.pidUses.set(pid, uses);
    const p: Tracked = {
      pid,
      ppid: null,
      argv: [],
      comm: '',
      role: 'build',
      startMs: pid === this.opts.rootPid && this.all.length === 0 ? 0 : nowMs,
      lastSeenMs: nowMs,
      endMs: null,
      statusFd,
      threads: 0,
      tasks: null,
      tick: 0,
      rssBytes: 0,
      maxSampledBytes: 0,
      hwmBytes: 0,
      rss: new StepRecorder(64),
      seriesId: uses === 1 ? `rss:${pid}` : `rss:${pid}#${uses}`,
    };
    this.all.push(p);
    this.alive.set(pid, p);
    return p;
  }

  private setArgv(p: Tracked, argv: string[]): void {
    p.argv = argv;
    let instrumentation = false;
    try {
      instrumentation = this.opts.isInstrumentation?.(p.pid, argv) ?? false;
    } catch {
      // A faulty predicate must not stop sampling: count the process as the build's.
    }
    p.role = instrumentation ? 'instrumentation' : 'build';
  }

  private record(p: Tracked, tick: number, nowMs: Ms, rssBytes: Bytes): void {
    p.tick = tick;
    p.lastSeenMs = nowMs;
    p.rssBytes = rssBytes;
    if (rssBytes > p.maxSampledBytes) p.maxSampledBytes = rssBytes;
    p.rss.sample(nowMs, rssBytes);
  }

  /** Forgets the process tracked last, never sampled (a zombie when first seen). */
  private untrack(p: Tracked): void {
    this.closeFiles(p);
    this.alive.delete(p.pid);
    if (this.all[this.all.length - 1] === p) this.all.pop();
    const uses = (this.pidUses.get(p.pid) ?? 1) - 1;
    if (uses > 0) this.pidUses.set(p.pid, uses);
    else this.pidUses.delete(p.pid);
  }

  /** The process is gone: its series drops to zero at this tick and it leaves the tree sum. */
  private retire(p: Tracked, nowMs: Ms): void {
    this.closeFiles(p);
    this.alive.delete(p.pid);
    p.endMs = p.lastSeenMs;
    p.rssBytes = 0;
    p.rss.flush();
    if (p.rss.builder.length) p.rss.builder.push(Math.max(nowMs, p.lastSeenMs), 0);
  }

  /** Closes every file held for a process. */
  private closeFiles(p: Tracked): void {
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

  private result(): SamplerResult {
    const source = this.source;
    this.tree.flush();
    const series: MemorySeries[] = [this.tree.builder.build({ id: 'rss-tree', name: 'RSS of the process tree', kind: 'rss-tree', source })];
    const processes: ProcessInfo[] = [];
    for (const p of this.all) {
      if (p.tick === 0) continue; // never sampled: nothing to say about it
      p.rss.flush();
      const label = processLabel(p.argv, p.comm);
      series.push(p.rss.builder.build({ id: p.seriesId, name: `RSS of ${label} (pid ${p.pid})`, kind: 'rss-process', source, pid: p.pid }));
      const fromHwm = p.hwmBytes > 0 && p.hwmBytes >= p.maxSampledBytes;
      processes.push({
        pid: p.pid,
        ppid: p.ppid,
        argv: p.argv,
        startMs: p.startMs,
        endMs: this.alive.get(p.pid) === p ? null : p.endMs,
        peakRssBytes: fromHwm ? p.hwmBytes : p.maxSampledBytes,
        peakRssSource: fromHwm ? 'vmhwm' : 'sampled',
        role: p.role,
        label,
      });
    }
    const facts: SamplerFacts = { kind: this.kind, intervalMs: this.intervalMs, ticks: this.ticks };
    if (this.ticks > 1) facts.maxGapMs = this.maxGapMs;
    if (this.intervalMs > this.requestedIntervalMs) facts.requestedIntervalMs = this.requestedIntervalMs;
    return { series, processes, facts, warnings: [...this.warnings] };
  }
}

/** The number after a field of /proc/<pid>/status (`key` with the newline before it), NaN when absent. */
function statusField(text: string, key: string): number {
  const at = text.indexOf(key);
  return at < 0 ? NaN : parseInt(text.slice(at + key.length, at + key.length + 32), 10);
}

/** Runs a command; resolves with its output and pid. */
function run(file: string, args: string[]): Promise<{ stdout: string; childPid: number }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { encoding: 'utf8', maxBuffer: 64 << 20, timeout: TABLE_QUERY_TIMEOUT_MS, windowsHide: true },
      (err, stdout) => (err ? reject(err) : resolve({ stdout, childPid: child.pid ?? -1 })),
    );
  });
}

const C_SOURCE = /\.(c|cc|cpp|cxx|c\+\+|m|mm|cu|s|S)$/;
const C_COMPILERS = /^(cc|c\+\+|gcc|g\+\+|clang|clang\+\+|cc1|cc1plus|cc1obj|as)(-\d+)?$/;

/**
 * A short label for a process: the program's name, plus what it works on when that is cheap to
 * tell: `rustc regex_syntax`, `node tsc`, `cc1 parser.c`.
 */
export function processLabel(argv: string[], fallbackName = '?'): string {
  // Programs that set their process title (npm: "npm exec tsc -p .") leave one space-separated string.
  if (argv.length === 1 && /\s/.test(argv[0]!)) argv = argv[0]!.trim().split(/\s+/);
  const exe = argv[0] ? path.basename(argv[0].replace(/\\/g, '/')).replace(/\.exe$/i, '') : '';
  if (!exe) return fallbackName || '?';
  const rest = argv.slice(1);
  if (exe === 'rustc' || exe === 'clippy-driver') {
    const i = rest.indexOf('--crate-name');
    if (i >= 0 && rest[i + 1]) return `${exe} ${rest[i + 1]}`;
  }
  if (exe === 'node' || exe === 'nodejs' || exe === 'bun' || exe === 'deno') {
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') return `${exe} ${a}`;
      if (a === '-r' || a === '--require' || a === '--import' || a === '--loader') {
        i++;
        continue;
      }
      if (a.startsWith('-')) continue;
      return `${exe} ${path.basename(a).replace(/\.(c|m)?js$/, '')}`;
    }
  }
  if (C_COMPILERS.test(exe)) {
    const src = rest.find((a) => !a.startsWith('-') && C_SOURCE.test(a));
    if (src) return `${exe} ${path.basename(src)}`;
  }
  return exe;
}
