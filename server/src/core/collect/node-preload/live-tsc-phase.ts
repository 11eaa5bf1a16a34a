// What tsc is doing now, for progress reports while the build runs: read from the preload's files as
// they grow, without waiting for collect().

import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { type MarkKind, classifyMark } from './tsc-mark-names';
import { LAZY_CHECK } from './tsc-passes';

interface FileState {
  offset: number;
  rest: string;
  tsc: boolean | undefined;
  names: string[];
  stack: MarkKind[];
  lastTop?: string;
  /** The program's emit has begun: a top-level Check is the emitter's (see tsc-passes.ts). */
  emitting?: boolean;
}

/**
 * What tsc is doing now, for progress reports ("Check", "Emit › printTime"): reads what the preload
 * has flushed so far (at most FLUSH_EVERY_MS old), incrementally, from tsc processes only.
 */
export class LiveTscPhase {
  private readonly files = new Map<string, FileState>();
  private lastPollMs = -Infinity;
  private current: string | undefined;

  poll(dir: string): string | undefined {
    const now = Date.now();
    if (now - this.lastPollMs < 200) return this.current;
    this.lastPollMs = now;
    try {
      for (const name of readdirSync(dir)) {
        let f = this.files.get(name);
        if (!f) this.files.set(name, (f = { offset: 0, rest: '', tsc: undefined, names: [], stack: [] }));
        if (f.tsc === false) continue;
        const file = path.join(dir, name);
        const size = statSync(file).size;
        if (size <= f.offset) continue;
        const buf = Buffer.alloc(size - f.offset);
        const fd = openSync(file, 'r');
        try {
          readSync(fd, buf, 0, buf.length, f.offset);
        } finally {
          closeSync(fd);
        }
        f.offset = size;
        const lines = (f.rest + buf.toString('utf8')).split('\n');
        f.rest = lines.pop()!;
        for (const line of lines) this.feed(f, line);
        if (f.tsc) this.current = f.stack.length ? f.stack.map((k) => k.measure).join(' › ') : f.lastTop;
      }
    } catch {
      // a file being written or gone: try again at the next poll
    }
    return this.current;
  }

  private feed(f: FileState, line: string): void {
    if (f.tsc === undefined) {
      const h = JSON.parse(line) as { t?: string; tsc?: { hooked?: boolean } };
      f.tsc = h.t === 'header' && h.tsc?.hooked !== false && !!h.tsc;
      return;
    }
    if (!f.tsc || !line.startsWith('{"t":"tscMarks"')) return;
    const rec = JSON.parse(line) as { newNames: string[]; mark: number[] };
    f.names.push(...rec.newNames);
    for (const id of rec.mark) {
      let k = classifyMark(f.names[id] ?? '');
      if (k.kind === 'begin') {
        if (k.measure === 'Program') f.emitting = false;
        else if (k.measure === 'Emit') f.emitting = true;
        else if (k.measure === 'Check' && f.emitting)
          k = { ...k, measure: f.stack.at(-1)?.measure === 'Emit' ? LAZY_CHECK : `Emit › ${LAZY_CHECK}` };
        if (!f.stack.length) f.lastTop = k.measure;
        f.stack.push(k);
      } else if (k.kind === 'end') {
        const j = f.stack.map((s) => s.key).lastIndexOf(k.key);
        if (j >= 0) f.stack.length = j;
      }
    }
  }
}
