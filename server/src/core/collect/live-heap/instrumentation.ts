// The live-heap collector: every process of the build runs with libcmi-heap.so preloaded
// (native/cmi-heap.c), which counts the bytes it holds through malloc and publishes them in a page;
// this collector reads the pages at every tick and makes one `allocator-heap` series per program
// image (`live-heap:<pid>`, then `live-heap:<pid>#2` … after an exec), the exact high-water mark
// placed at its time, and their sum over the tree (`live-heap-tree`) when several processes published.
//
// Blind spots (docs/live-heap.md): an allocator linked into the executable (its malloc wins over
// the preloaded one: the process publishes nothing, so it gets no series rather than a wrong one),
// memory mmap'd directly, node processes (V8's heap: the Node preload's series), static binaries.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Contribution, MemorySeries, Ms, Warning } from '../../model';
import { SeriesBuilder } from '../../model';
import { bytes, ms } from '../../units';
import type { CollectContext, InstrumentContext, Instrumentation } from '../instrumentation';
import { processLabel } from '../sampler/process-label';
import { monotonicToProfileMs } from './monotonic-clock';
import { LIVE_HEAP_DIR_ENV } from './page-layout';
import type { LiveHeapImage } from './page-reader';
import { LivePageReader } from './page-reader';
import { findLiveHeapLibrary, withPreload } from './preload-library';

export const LIVE_HEAP_SOURCE = 'cmi heap library';

export function liveHeapInstrumentation(): Instrumentation {
  return new LiveHeapInstrumentation();
}

class LiveHeapInstrumentation implements Instrumentation {
  readonly name = 'live-heap';
  private ctx: InstrumentContext | undefined;
  private dir = '';
  private reader: LivePageReader | undefined;
  private toProfileMs: ((ns: bigint) => Ms) | undefined;
  private readonly warnings: Warning[] = [];
  /** Our own helper scripts (the cc and rustc wrappers) are not the build's memory, as for RSS. */
  private isInstrumentation: (argv: string[]) => boolean = () => false;

  prepare(ctx: InstrumentContext): void {
    const lib = findLiveHeapLibrary(ctx.distDir);
    if ('reason' in lib) {
      this.warnings.push({
        code: 'live-heap-unavailable',
        message: `No live heap: ${lib.reason}. The profile has RSS only, which hides what allocators free.`,
      });
      return;
    }
    this.dir = path.join(ctx.workDir, 'live-heap');
    fs.mkdirSync(this.dir, { recursive: true });
    ctx.env.LD_PRELOAD = withPreload(ctx.env.LD_PRELOAD, lib.path);
    ctx.env[LIVE_HEAP_DIR_ENV] = this.dir;
    const distPrefix = ctx.distDir + path.sep;
    this.isInstrumentation = (argv) => argv.some((a) => a.startsWith(distPrefix));
    this.ctx = ctx; // the runner sets ctx.startEpochMs after prepare(): read at the first tick
  }

  onTick(nowMs: Ms): void {
    if (!this.ctx) return;
    this.toProfileMs ??= monotonicToProfileMs(this.ctx.startEpochMs);
    this.reader ??= new LivePageReader(this.dir, this.toProfileMs, this.isInstrumentation);
    this.reader.tick(nowMs);
  }

  async collect(ctx: CollectContext): Promise<Contribution> {
    if (!this.ctx) return { warnings: this.warnings };
    this.toProfileMs ??= monotonicToProfileMs(ctx.startEpochMs);
    this.reader ??= new LivePageReader(this.dir, this.toProfileMs, this.isInstrumentation);
    this.reader.close(ctx.endMs);
    // A page without allocations: the process's malloc is not ours (an allocator in the executable).
    const images = this.reader.images.filter(
      (img) => img.last && img.last.allocs > 0 && !this.isInstrumentation(img.argv),
    );
    const series: MemorySeries[] = [];
    const uses = new Map<number, number>();
    for (const img of images) {
      const n = (uses.get(img.pid) ?? 0) + 1;
      uses.set(img.pid, n);
      series.push(this.imageSeries(img, n, ctx));
    }
    if (uses.size > 1) {
      series.unshift(
        this.reader.tree.builder.build({
          id: 'live-heap-tree',
          name: 'Live heap of the process tree (allocator)',
          kind: 'allocator-heap',
          source: LIVE_HEAP_SOURCE,
        }),
      );
    }
    return {
      series,
      warnings: this.warnings,
      ...(series.length ? { sources: ['live-heap'] } : {}),
    };
  }

  /** One image's ticks, with its exact peak inserted at its time. */
  private imageSeries(img: LiveHeapImage, n: number, ctx: CollectContext): MemorySeries {
    const last = img.last!;
    const ticks = img.samples.builder.build({ id: '', name: '', kind: 'allocator-heap', source: '' });
    const label = processLabel(img.argv, '?');
    const id = n === 1 ? `live-heap:${img.pid}` : `live-heap:${img.pid}#${n}`;
    // The peak at its own time; its life on the profile's clock bounds it (and the run does).
    const startMs = Math.max(0, this.toProfileMs!(img.startNs));
    const endMs = Math.min(ctx.endMs, img.endMs ?? ctx.endMs);
    let peakMs: number = this.toProfileMs!(last.peakNs);
    if (last.peakNs === 0n || peakMs < startMs - 1 || peakMs > endMs + 1) {
      const clamped = Math.min(Math.max(peakMs, startMs), Math.max(startMs, endMs));
      this.warnings.push({
        code: 'live-heap-peak-clamped',
        message: `The live-heap peak of ${label} (pid ${img.pid}) was stamped at ${peakMs.toFixed(1)} ms, outside its life (${startMs.toFixed(1)}–${endMs.toFixed(1)} ms); it is shown at ${clamped.toFixed(1)} ms.`,
      });
      peakMs = clamped;
    }
    const out = new SeriesBuilder(ticks.tMs.length + 1);
    let placed = false;
    for (let i = 0; i < ticks.tMs.length; i++) {
      const t = ticks.tMs[i]!;
      if (!placed && peakMs <= t) {
        out.push(ms(peakMs), bytes(last.peakBytes));
        placed = true;
      }
      out.push(ms(t), bytes(ticks.bytes[i]!));
    }
    if (!placed) out.push(ms(peakMs), bytes(last.peakBytes));
    return out.build({
      id,
      name: `live heap of ${label} (pid ${img.pid}) (allocator)`,
      kind: 'allocator-heap',
      source: LIVE_HEAP_SOURCE,
      pid: img.pid,
    });
  }
}
