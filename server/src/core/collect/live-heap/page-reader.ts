// Reads the pages libcmi-heap.so publishes, at every sampler tick: one image per file (a process,
// or what it became after an exec), each with its live bytes over time.
//
// Cost per tick: one stat of the directory, a readdir only when its mtime moved (and once more on
// the tick after, since the mtime's granularity is coarser than a tick: a file made in the same
// clock tick as the last readdir would be missed otherwise), and one pread of 64 bytes per image
// still running. An image is done when its page says it exited, when a newer image of its pid
// appears (it exec'd; its file keeps its final figures), or when its pid is gone (killed by a
// signal): then it gets one last read and its fd is closed, so a build of thousands of processes
// does not hold thousands of fds.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ms } from '../../model';
import { bytes, ms } from '../../units';
import { StepRecorder } from '../sampler/step-recorder';
import type { PageHeader } from './page-layout';
import { PAGE_BYTES, PAGE_HEADER_BYTES, parsePageFileName, readPageArgv, readPageHeader } from './page-layout';

export interface LiveHeapImage {
  pid: number;
  /** CLOCK_MONOTONIC ns when the image's page was made (from the file name). */
  startNs: bigint;
  file: string;
  /** The command line the page holds; empty until the page was first read. */
  argv: string[];
  /** The last header read; undefined until the page was ready. */
  last: PageHeader | undefined;
  /** Live bytes at each tick the image was running. */
  readonly samples: StepRecorder;
  /** The tick at which it was found done; undefined while running. */
  endMs: Ms | undefined;
  fd: number | undefined;
}

/** Is the process still there? (A zombie counts as there until it is reaped.) */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LivePageReader {
  /** Every image seen, in order of discovery. */
  readonly images: LiveHeapImage[] = [];
  private readonly byName = new Map<string, LiveHeapImage>();
  /** The newest image of each pid. */
  private readonly newest = new Map<number, LiveHeapImage>();
  private readonly buf = Buffer.alloc(PAGE_BYTES);
  private dirMtimeMs = -1;
  private rescanNext = false;
  /** Sum of the running images' live bytes at each tick. */
  readonly tree = new StepRecorder(4096);

  constructor(
    private readonly dir: string,
    /** CLOCK_MONOTONIC ns → ms on the profile's clock. */
    private readonly toProfileMs: (ns: bigint) => Ms,
    /** Images left out of the tree's sum (the profiler's own helper scripts), by their command line. */
    private readonly isInstrumentation: (argv: string[]) => boolean = () => false,
  ) {}

  /** One tick: find new pages, read the running ones, record each and their sum. */
  tick(nowMs: Ms): void {
    this.discover();
    let sum = 0;
    for (const img of this.images) {
      if (img.endMs !== undefined) continue;
      this.read(img);
      const successor = this.newest.get(img.pid);
      if (successor !== img && successor) {
        // It exec'd (or its pid was reused): its page holds its final figures, as of the new image's start.
        this.finish(img, this.clampedEnd(img, this.toProfileMs(successor.startNs), nowMs));
        continue;
      }
      if (img.last?.exited || !pidAlive(img.pid)) {
        this.finish(img, nowMs);
        continue;
      }
      if (!img.last) continue;
      img.samples.sample(nowMs, bytes(img.last.liveBytes));
      if (!this.isInstrumentation(img.argv)) sum += img.last.liveBytes;
    }
    this.tree.sample(nowMs, bytes(sum));
  }

  /** The end: every page read a last time (including those made since the last tick), every fd closed. */
  close(nowMs: Ms): void {
    this.dirMtimeMs = -1;
    this.discover();
    for (const img of this.images) {
      if (img.endMs !== undefined) continue;
      this.read(img);
      const successor = this.newest.get(img.pid);
      this.finish(
        img,
        successor !== img && successor ? this.clampedEnd(img, this.toProfileMs(successor.startNs), nowMs) : nowMs,
      );
    }
    this.tree.flush();
  }

  /** An end time no earlier than the image's last sample and no later than now. */
  private clampedEnd(img: LiveHeapImage, endMs: Ms, nowMs: Ms): Ms {
    const lastMs = img.samples.builder.length ? img.samples.lastMs() : -Infinity;
    return ms(Math.min(nowMs, Math.max(endMs, lastMs)));
  }

  private discover(): void {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(this.dir).mtimeMs;
    } catch {
      return;
    }
    if (mtimeMs === this.dirMtimeMs && !this.rescanNext) return;
    this.rescanNext = mtimeMs !== this.dirMtimeMs;
    this.dirMtimeMs = mtimeMs;
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    const found: LiveHeapImage[] = [];
    for (const name of names) {
      if (this.byName.has(name)) continue;
      const id = parsePageFileName(name);
      if (!id) continue;
      const img: LiveHeapImage = {
        pid: id.pid,
        startNs: id.startNs,
        file: path.join(this.dir, name),
        argv: [],
        last: undefined,
        samples: new StepRecorder(64),
        endMs: undefined,
        fd: undefined,
      };
      try {
        img.fd = fs.openSync(img.file, 'r');
      } catch {
        continue; // removed already: nothing to read
      }
      this.byName.set(name, img);
      found.push(img);
    }
    // Images of one pid in the order they started, whatever order readdir listed them in.
    found.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
    for (const img of found) {
      this.images.push(img);
      const prev = this.newest.get(img.pid);
      if (!prev || prev.startNs < img.startNs) this.newest.set(img.pid, img);
    }
  }

  private read(img: LiveHeapImage): void {
    if (img.fd === undefined) return;
    let n: number;
    try {
      // The command line once, with the first complete header; then the header alone.
      n = fs.readSync(img.fd, this.buf, 0, img.last ? PAGE_HEADER_BYTES : PAGE_BYTES, 0);
    } catch {
      return;
    }
    const header = readPageHeader(this.buf, n);
    if (!header) return;
    if (!img.last) img.argv = readPageArgv(this.buf, Math.min(header.argvBytes, n - PAGE_HEADER_BYTES));
    img.last = header;
  }

  /** Records the image's final figure (read last) at endMs, and lets its page go. */
  private finish(img: LiveHeapImage, endMs: Ms): void {
    img.endMs = endMs;
    if (img.last) img.samples.sample(endMs, bytes(img.last.liveBytes));
    img.samples.flush();
    if (img.fd !== undefined) {
      try {
        fs.closeSync(img.fd);
      } catch {
        // already closed: nothing to release
      }
      img.fd = undefined;
    }
  }
}
