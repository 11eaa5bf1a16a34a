// The processes of the build's tree as the sampler knows them: one record per process (a pid reused
// by a later process gets a record of its own), its series, and whether it is still alive.
//
// Both backends keep their tree here, through the same few steps (track a new member, record a
// sample, retire one that is gone), so that a process is told apart, counted and reported the same
// way whichever backend saw it. The scheduler (process-tree-sampler.ts) sums the live ones at each
// tick and reports them all at the end. A backend's own state per process (procfs: its open files)
// extends the record; what it holds, the backend releases itself.

import type { Bytes, Ms } from '../../model';
import { bytes, ms } from '../../units';
import { StepRecorder } from './step-recorder';

/** A process of the tree as the sampler knows it. */
export interface TrackedProcess {
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

export class TrackedProcesses<P extends TrackedProcess = TrackedProcess> {
  /** Every process tracked, in order of appearance. */
  readonly all: P[] = [];
  /** The processes alive at the last tick, by pid. */
  readonly alive = new Map<number, P>();
  private readonly pidUses = new Map<number, number>();
  /** Set once the root has exited: its pid may then be reused by a process that is not the build's. */
  rootGone = false;

  constructor(
    readonly rootPid: number,
    /** Processes the profiler added (wrappers): recorded, but left out of the tree sum. */
    private readonly isInstrumentation?: (pid: number, argv: string[]) => boolean,
  ) {}

  /** Whether a process with this pid was tracked during the run. */
  hadPid(pid: number): boolean {
    return this.pidUses.has(pid);
  }

  /** Starts the record of a new member; `own` holds the backend's fields of it. */
  track(pid: number, nowMs: Ms, own: Omit<P, keyof TrackedProcess>): P {
    const uses = (this.pidUses.get(pid) ?? 0) + 1;
    this.pidUses.set(pid, uses);
    const p = {
      pid,
      ppid: null,
      argv: [],
      comm: '',
      role: 'build',
      startMs: pid === this.rootPid && this.all.length === 0 ? ms(0) : nowMs,
      lastSeenMs: nowMs,
      endMs: null,
      tick: 0,
      rssBytes: bytes(0),
      maxSampledBytes: bytes(0),
      hwmBytes: bytes(0),
      rss: new StepRecorder(64),
      seriesId: uses === 1 ? `rss:${pid}` : `rss:${pid}#${uses}`,
      ...own,
    } as TrackedProcess as P;
    this.all.push(p);
    this.alive.set(pid, p);
    return p;
  }

  setArgv(p: P, argv: string[]): void {
    p.argv = argv;
    let instrumentation = false;
    try {
      instrumentation = this.isInstrumentation?.(p.pid, argv) ?? false;
    } catch {
      // A faulty predicate must not stop sampling: count the process as the build's.
    }
    p.role = instrumentation ? 'instrumentation' : 'build';
  }

  record(p: P, tick: number, nowMs: Ms, rssBytes: Bytes): void {
    p.tick = tick;
    p.lastSeenMs = nowMs;
    p.rssBytes = rssBytes;
    if (rssBytes > p.maxSampledBytes) p.maxSampledBytes = rssBytes;
    p.rss.sample(nowMs, rssBytes);
  }

  /** Marks the root gone when this tick did not sample it. */
  checkRoot(tick: number): void {
    this.rootGone ||= this.alive.get(this.rootPid)?.tick !== tick;
  }

  /** Forgets the process tracked last, never sampled (a zombie when first seen). */
  untrack(p: P): void {
    this.alive.delete(p.pid);
    if (this.all[this.all.length - 1] === p) this.all.pop();
    const uses = (this.pidUses.get(p.pid) ?? 1) - 1;
    if (uses > 0) this.pidUses.set(p.pid, uses);
    else this.pidUses.delete(p.pid);
  }

  /** The process is gone: its series drops to zero at this tick and it leaves the tree sum. */
  retire(p: P, nowMs: Ms): void {
    this.alive.delete(p.pid);
    p.endMs = p.lastSeenMs;
    p.rssBytes = bytes(0);
    p.rss.flush();
    if (p.rss.builder.length) p.rss.builder.push(ms(Math.max(nowMs, p.lastSeenMs)), bytes(0));
  }
}
