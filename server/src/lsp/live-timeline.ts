// The live timeline of a running build (protocol/live.ts): the tree's RSS at every sampler tick into a
// bounded buffer, the phases the progress reports name, and at most one update every LIVE_EVERY_MS
// with what was added since the last one. The profile-build handler makes one per run and sends what
// it is handed as `compilerMemory/liveTimeline` notifications.
//
// Cheap per tick: sample() is an array push (or a comparison, for a value that did not change) and a
// clock read; the update is built at most four times a second and holds what was added since the
// previous one (25 points at 10 ms ticks). Bounded: at LIVE_MAX_POINTS the buffer is thinned to half
// (each pair becomes its higher point) and later ticks are taken in buckets twice as wide, so an hour
// of build costs the same memory as a minute, and the peak is never thinned away.
//
// While every tick has its own point (stride 1), runs of equal values are kept as their two ends, as
// the sampler's own series is (collect/sampler/step-recorder.ts): a build that never filled the buffer
// ends with as many points as its profile's `rss-tree` series.

import { performance } from 'node:perf_hooks';
import {
  LIVE_EVERY_MS,
  LIVE_MAX_PHASES,
  LIVE_MAX_POINTS,
  type LivePhase,
  type LiveTimelineUpdate,
} from '../../../protocol/live';

/** The tree's RSS over the run so far, bounded (see the header). */
export class LiveSeriesBuffer {
  readonly tMs: number[] = [];
  readonly bytes: number[] = [];
  /** Ticks per point from now on. */
  stride = 1;
  ticks = 0;
  /** How many times the buffer was thinned: points already sent are no longer where they were. */
  generation = 0;
  private heldMs = Number.NaN;
  private bucketTicks = 0;
  private bucketMs = 0;
  private bucketBytes = 0;

  constructor(readonly capacity = LIVE_MAX_POINTS) {
    if (capacity < 4 || capacity % 2) throw new Error(`a live buffer needs an even capacity ≥ 4, not ${capacity}`);
  }

  get length(): number {
    return this.tMs.length;
  }

  add(tMs: number, bytes: number): void {
    this.ticks++;
    if (this.stride === 1) {
      const n = this.tMs.length;
      if (n && bytes === this.bytes[n - 1]) {
        this.heldMs = tMs;
        return;
      }
      this.flushHeld();
      this.push(tMs, bytes);
      return;
    }
    if (this.bucketTicks === 0 || bytes > this.bucketBytes) {
      this.bucketMs = tMs;
      this.bucketBytes = bytes;
    }
    if (++this.bucketTicks >= this.stride) this.flushBucket();
  }

  /** Writes what waits (the held end of a run of equal values, a bucket not full yet): the run ended. */
  finish(): void {
    this.flushHeld();
    this.flushBucket();
  }

  private flushHeld(): void {
    if (Number.isNaN(this.heldMs)) return;
    const t = this.heldMs;
    this.heldMs = Number.NaN;
    this.push(t, this.bytes[this.bytes.length - 1]!);
  }

  private flushBucket(): void {
    if (!this.bucketTicks) return;
    this.bucketTicks = 0;
    this.push(this.bucketMs, this.bucketBytes);
  }

  private push(tMs: number, bytes: number): void {
    this.tMs.push(tMs);
    this.bytes.push(bytes);
    if (this.tMs.length >= this.capacity) this.thin();
  }

  /** Each pair of neighbours becomes the higher of the two (the earlier on a tie); buckets twice as wide from now on. */
  private thin(): void {
    const n = this.tMs.length;
    let w = 0;
    for (let r = 0; r + 1 < n; r += 2, w++) {
      const keep = this.bytes[r + 1]! > this.bytes[r]! ? r + 1 : r;
      this.tMs[w] = this.tMs[keep]!;
      this.bytes[w] = this.bytes[keep]!;
    }
    this.tMs.length = w;
    this.bytes.length = w;
    this.stride *= 2;
    this.generation++;
  }
}

/** What the runner's progress report says (core/runner.ts LiveProgress). */
export interface LiveProgressFigures {
  elapsedMs: number;
  treeRssBytes: number;
  peakTreeRssBytes: number;
  processCount: number;
  /** The innermost phase running, as a path: "Check", "Emit › printTime". */
  phase?: string;
}

export interface LiveTimelineOptions {
  runId: string;
  title: string;
  startedAt: string;
  run?: { run: number; runs: number };
  send(update: LiveTimelineUpdate): void;
  everyMs?: number;
  capacity?: number;
  maxPhases?: number;
  /** The clock the updates are spaced by (ms); performance.now() unless a test gives its own. */
  now?: () => number;
}

/** One run's live timeline: fed by the runner's ticks and progress reports, throttled to `everyMs`. */
export class LiveTimeline {
  readonly buffer: LiveSeriesBuffer;
  private readonly phases: LivePhase[] = [];
  private readonly changed = new Set<LivePhase>();
  /** The phase path now, and its phases (null where one was dropped at the bound). */
  private openPath: string[] = [];
  private openPhases: (LivePhase | null)[] = [];
  private phasesDropped = 0;
  private figures: LiveProgressFigures = { elapsedMs: 0, treeRssBytes: 0, peakTreeRssBytes: 0, processCount: 0 };
  private seq = 0;
  private sentGeneration = -1;
  private sentLength = 0;
  private lastSentMs = Number.NEGATIVE_INFINITY;
  private readonly everyMs: number;
  private readonly maxPhases: number;
  private readonly now: () => number;
  private finished = false;

  constructor(private readonly opts: LiveTimelineOptions) {
    this.buffer = new LiveSeriesBuffer(opts.capacity);
    this.everyMs = opts.everyMs ?? LIVE_EVERY_MS;
    this.maxPhases = opts.maxPhases ?? LIVE_MAX_PHASES;
    this.now = opts.now ?? (() => performance.now());
  }

  /** At every sampler tick: the tree's RSS. Sends an update when the last one is `everyMs` old. */
  sample(tMs: number, treeRssBytes: number): void {
    if (this.finished) return;
    this.buffer.add(tMs, treeRssBytes);
    if (tMs > this.figures.elapsedMs) this.figures.elapsedMs = tMs;
    this.figures.treeRssBytes = treeRssBytes;
    if (treeRssBytes > this.figures.peakTreeRssBytes) this.figures.peakTreeRssBytes = treeRssBytes;
    this.maybeSend();
  }

  /** At each progress report: the figures, and the phases begun and ended since the last one. */
  progress(p: LiveProgressFigures): void {
    if (this.finished) return;
    this.figures = { ...p, elapsedMs: Math.max(p.elapsedMs, this.figures.elapsedMs) };
    this.enterPath(p.phase ? p.phase.split(' › ') : [], p.elapsedMs);
    this.maybeSend();
  }

  /** The run ended at `endMs`: open phases end there, waiting points are written, the last update goes out. */
  finish(endMs?: number): void {
    if (this.finished) return;
    const end = Math.max(endMs ?? 0, this.figures.elapsedMs);
    this.enterPath([], end);
    this.buffer.finish();
    this.figures.elapsedMs = end;
    this.send();
    this.finished = true;
  }

  private enterPath(path: string[], atMs: number): void {
    let k = 0;
    while (k < path.length && k < this.openPath.length && path[k] === this.openPath[k]) k++;
    for (let d = this.openPhases.length - 1; d >= k; d--) {
      const ph = this.openPhases[d];
      if (ph) {
        ph.endMs = Math.max(ph.startMs, atMs);
        this.changed.add(ph);
      }
    }
    this.openPhases.length = k;
    for (let d = k; d < path.length; d++) {
      if (this.phases.length >= this.maxPhases) {
        this.phasesDropped++;
        this.openPhases.push(null);
        continue;
      }
      const ph: LivePhase = { id: this.phases.length, name: path[d]!, depth: d, startMs: atMs, endMs: null };
      this.phases.push(ph);
      this.openPhases.push(ph);
      this.changed.add(ph);
    }
    this.openPath = path;
  }

  private maybeSend(): void {
    const now = this.now();
    if (now - this.lastSentMs < this.everyMs) return;
    this.lastSentMs = now;
    this.send();
  }

  private send(): void {
    const b = this.buffer;
    const reset = b.generation !== this.sentGeneration;
    const from = reset ? 0 : this.sentLength;
    const phases = reset ? this.phases.map((p) => ({ ...p })) : [...this.changed].map((p) => ({ ...p }));
    this.changed.clear();
    this.sentGeneration = b.generation;
    this.sentLength = b.length;
    this.opts.send({
      runId: this.opts.runId,
      title: this.opts.title,
      startedAt: this.opts.startedAt,
      ...(this.opts.run ? { run: this.opts.run } : {}),
      seq: this.seq++,
      reset,
      from,
      tMs: b.tMs.slice(from),
      bytes: b.bytes.slice(from),
      stride: b.stride,
      ticks: b.ticks,
      phases,
      phasesDropped: this.phasesDropped,
      elapsedMs: this.figures.elapsedMs,
      treeRssBytes: this.figures.treeRssBytes,
      peakTreeRssBytes: this.figures.peakTreeRssBytes,
      processCount: this.figures.processCount,
    });
  }
}
