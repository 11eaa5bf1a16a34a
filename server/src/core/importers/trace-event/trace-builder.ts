// The semantics of a Trace Event file: TraceBuilder turns its events, one at a time and in file order,
// into phases, memory series, markers and arenas, and `finish` nests and rebases them.
//
// Events: X (complete), B/E (begin/end, matched per pid+tid stack), b/e and S/F (async, one track per
// pid+cat+id), n/i/I/R (instants → markers), C (counters → memory series when they measure bytes),
// M (process_name/thread_name → labels). Async b/n/e events of cat "arena" are the arena protocol
// (docs/instrumentation.md) and become arenas, not phases: see TraceBuilder.buildArenas. ts and dur
// are µs; the result is ms from the file's start (its `beginningOfTime` when it has one, which then
// gives originEpochMs; else its earliest event). Nesting is inferred per thread (or async track) in
// span-nesting.ts. clang's "Total <name>" summary events (ts 0, each on a fake thread) are no timeline
// phases: they become args `Total <name>` (ms) of the process's root phase.
//
// Phases are kept in per-track columns (span-columns.ts) and become objects once, in `finish`, in
// nesting order (an index sort, not a sort of objects).

import type { Arena, Bytes, Marker, MemorySeries, Ms, Phase, ProcessInfo, SeriesKind, Warning } from '../../model';
import { epochMs, type Us, usToMs } from '../../units';
import { SeriesBuilder } from '../../model';
import type { ImportResult } from '../importer';
import type { Args, RawEvent } from './event-fields';
import { argsOf, EventFields, isObject } from './event-fields';
import { NameTable, SpanColumns } from './span-columns';
import { nestSpans, spanOrder } from './span-nesting';

/** The format's name, as users pass it to `--format`; also the source of what it imports. */
export const FORMAT = 'chrome-trace';
/** At most this many warnings of one code are listed; the rest are counted in a last one. */
const WARNINGS_PER_CODE = 5;

const SERIES_KINDS: SeriesKind[] = [
  'rss-tree',
  'rss-process',
  'js-heap',
  'js-live-heap',
  'allocator-heap',
  'compiler-reported',
];

interface Track {
  pid: number;
  /** tid, or an async track's cat+id. */
  key: string;
  tid?: number;
  spans: SpanColumns;
  /** Open B events (or async b events), innermost last. */
  open: {
    name: string;
    nameId: number;
    cat?: string;
    catId: number;
    tsUs: number;
    args?: Args;
    byteOffset: number;
  }[];
}

/** One event of the arena protocol (cat "arena"), kept until `finish` orders them per arena. */
interface ArenaEvent {
  kind: 'create' | 'bytes' | 'use' | 'free';
  tsUs: number;
  name: string;
  category?: string;
  bytes?: number;
  phase?: string;
  byteOffset: number;
}

/** An arena being rebuilt from its events (times still µs on the file's clock). */
interface OpenArena {
  id: string;
  name: string;
  category: string;
  pid: number;
  startUs: number;
  endUs: number | null;
  tUs: number[];
  bytes: number[];
  uses: { tUs: number; phase?: string }[];
}

/**
 * A counter that measures memory, while the file is read: its samples in µs on the file's clock (they
 * become a MemorySeries in ms in `finish`).
 */
interface Counter {
  pid: number;
  name: string;
  key: string;
  kind: SeriesKind;
  scale: number;
  tUs: number[];
  bytes: number[];
  sorted: boolean;
  lastUs: number;
}

/** An instant event, while the file is read (a Marker, but its time still µs on the file's clock). */
interface PendingMarker {
  name: string;
  kind: string;
  tUs: number;
  pid: number;
  detail?: string;
}

/** Turns parsed events into phases, series, markers as they come; `finish` nests and rebases them. */
export class TraceBuilder {
  readonly warnings: Warning[] = [];
  private readonly warnCounts = new Map<string, number>();
  private readonly tracks = new Map<string, Track>();
  private readonly threadNames = new Map<string, string>();
  private readonly processNames = new Map<number, string>();
  private readonly counters = new Map<string, Counter>();
  private readonly skippedCounters = new Set<string>();
  private readonly markers: PendingMarker[] = [];
  private readonly totals = new Map<number, Args>();
  /** Arena protocol events per pid + id, in file order. */
  private readonly arenaEvents = new Map<string, { pid: number; id: string; events: ArenaEvent[] }>();
  private readonly interned = new Map<string, string>();
  /** The names and categories of events. */
  readonly names = new NameTable();
  private minUs = Infinity;
  private maxUs = -Infinity;
  events = 0;

  constructor(private readonly file: string) {}

  warn(code: string, message: string, byteOffset?: number): void {
    const n = (this.warnCounts.get(code) ?? 0) + 1;
    this.warnCounts.set(code, n);
    if (n > WARNINGS_PER_CODE) return;
    this.warnings.push({ code, message, file: this.file, ...(byteOffset !== undefined ? { byteOffset } : {}) });
  }

  private intern(s: string): string {
    const known = this.interned.get(s);
    if (known !== undefined) return known;
    if (this.interned.size < 100_000) this.interned.set(s, s);
    return s;
  }

  private lastThread: Track | undefined;
  private lastThreadTid: number | string | undefined;

  /** The track of a thread (the last one is kept at hand: events of one thread come in runs). */
  private thread(pid: number, tid: number | string): Track {
    const last = this.lastThread;
    if (last && last.pid === pid && this.lastThreadTid === tid) return last;
    const t = this.track(pid, `t${tid}`, typeof tid === 'number' ? tid : undefined);
    this.lastThread = t;
    this.lastThreadTid = tid;
    return t;
  }

  private track(pid: number, key: string, tid?: number): Track {
    const k = `${pid}\u0000${key}`;
    let t = this.tracks.get(k);
    if (!t) {
      t = { pid, key, spans: new SpanColumns(), open: [], ...(tid !== undefined ? { tid } : {}) };
      this.tracks.set(k, t);
    }
    return t;
  }

  private see(tsUs: number): void {
    if (tsUs < this.minUs) this.minUs = tsUs;
    if (tsUs > this.maxUs) this.maxUs = tsUs;
  }

  private span(t: Track, nameId: number, catId: number, startUs: number, endUs: number, args: Args | undefined): void {
    const spans = t.spans;
    if (spans.full()) spans.grow(this.roomFor(spans.length));
    // Whether the args name a source file is found here, while they are fresh in the cache.
    const file = args !== undefined && sourceFileOf(this.names.list[nameId]!, args) !== undefined;
    spans.push(nameId, catId, startUs, endUs, args, file);
  }

  /**
   * The room to give a full track of n spans: double; or, once it is big enough for its pace through a
   * file of known size to tell, what it will hold at the end if its spans go on coming as they came so
   * far, with a margin (at least doubled, at most 8-fold): a big track is copied two or three times
   * rather than a dozen. Room never filled costs no memory (its pages are never touched: see
   * unzeroed in span-columns.ts).
   */
  private roomFor(n: number): number {
    if (n < 4096 || this.at <= 0 || this.fileBytes <= 0) return n * 2;
    const expected = Math.ceil(((n * this.fileBytes) / this.at) * 1.25);
    return Math.min(n * 8, Math.max(n * 2, expected));
  }

  private readonly jsonFields = new EventFields();

  /** An event as JSON.parse gives it. */
  add(e: RawEvent, byteOffset: number): void {
    this.jsonFields.fromJson(e);
    this.addFields(this.jsonFields, byteOffset);
  }

  /** The size of the file when known (a plain file), to size the columns; 0 otherwise. */
  fileBytes = 0;
  /** The byte offset of the event being added. */
  private at = 0;

  /** An event, its fields checked for type (see EventFields). */
  addFields(e: EventFields, byteOffset: number): void {
    this.events++;
    this.at = byteOffset;
    const ph = e.ph;
    const names = this.names;
    const nameId = e.nameId >= 0 ? e.nameId : names.id(e.name);
    const catId = e.catId >= 0 ? e.catId : names.id(e.cat);
    // The one string of each name (not one per event).
    const name = names.list[nameId]!;
    const cat = names.list[catId];
    const pid = e.pid;
    const tid = e.tid;
    const tsUs = e.tsUs;
    if (ph === 'M') {
      const label = isObject(e.args) && typeof e.args.name === 'string' ? e.args.name : undefined;
      if (label === undefined) return;
      if (name === 'process_name') this.processNames.set(pid, label);
      else if (name === 'thread_name') this.threadNames.set(`${pid}\u0000${tid}`, label);
      return;
    }
    if (!Number.isFinite(tsUs)) {
      if (ph !== '') {
        this.warn(
          'event-without-ts',
          `an "${ph}" event without a numeric ts (${JSON.stringify(name)}) was skipped`,
          byteOffset,
        );
      }
      return;
    }
    if (cat === 'arena' && (ph === 'b' || ph === 'n' || ph === 'e')) {
      this.see(tsUs);
      this.arenaEvent(ph, name, pid, tsUs, e, byteOffset);
      return;
    }
    switch (ph) {
      case 'X': {
        const durUs = Math.max(e.durUs, 0);
        if (tsUs === 0 && name.startsWith('Total ')) {
          // clang's per-name summaries: not a moment of the timeline.
          const totals = this.totals.get(pid) ?? {};
          totals[name] = durUs / 1000;
          this.totals.set(pid, totals);
          return;
        }
        this.see(tsUs);
        this.see(tsUs + durUs);
        this.span(this.thread(pid, tid), nameId, catId, tsUs, tsUs + durUs, argsOf(e));
        return;
      }
      case 'B': {
        this.see(tsUs);
        const args = argsOf(e);
        const open = this.thread(pid, tid).open;
        open.push({ name, nameId, catId, tsUs, byteOffset, ...(cat ? { cat } : {}), ...(args ? { args } : {}) });
        return;
      }
      case 'E': {
        this.see(tsUs);
        this.close(this.thread(pid, tid), name, tsUs, byteOffset, 'E');
        return;
      }
      case 'b':
      case 'S': {
        this.see(tsUs);
        const args = argsOf(e);
        const open = this.track(pid, asyncKey(cat, e)).open;
        open.push({ name, nameId, catId, tsUs, byteOffset, ...(cat ? { cat } : {}), ...(args ? { args } : {}) });
        return;
      }
      case 'e':
      case 'F': {
        this.see(tsUs);
        this.close(this.track(pid, asyncKey(cat, e)), name, tsUs, byteOffset, ph);
        return;
      }
      case 'i':
      case 'I':
      case 'n':
      case 'R': {
        this.see(tsUs);
        const args = argsOf(e);
        const m: PendingMarker = { name, kind: cat ?? 'instant', tUs: tsUs, pid };
        if (args) m.detail = JSON.stringify(args);
        this.markers.push(m);
        return;
      }
      case 'C': {
        this.see(tsUs);
        if (!isObject(e.args)) return;
        for (const key in e.args) {
          const v = e.args[key];
          if (typeof v !== 'number') continue;
          this.counter(pid, name, key, cat, tsUs, v, byteOffset);
        }
        return;
      }
      default:
        this.warn(
          'unknown-event',
          `events of phase type ${JSON.stringify(ph)} are not read (first: ${JSON.stringify(name)})`,
          byteOffset,
        );
    }
  }

  /** An event of the arena protocol (docs/instrumentation.md): kept per arena until `finish`. */
  private arenaEvent(
    ph: 'b' | 'n' | 'e',
    name: string,
    pid: number,
    tsUs: number,
    e: EventFields,
    byteOffset: number,
  ): void {
    const id = arenaId(e);
    if (id === undefined) {
      this.warn(
        'arena-without-id',
        `an arena "${ph}" event (${JSON.stringify(name)}) at ts ${tsUs} µs has no id; skipped`,
        byteOffset,
      );
      return;
    }
    const args = isObject(e.args) ? e.args : undefined;
    const bytes = typeof args?.bytes === 'number' && Number.isFinite(args.bytes) ? args.bytes : undefined;
    let ev: ArenaEvent;
    if (ph === 'b') {
      const category =
        typeof args?.category === 'string' && args.category !== '' ? this.intern(args.category) : undefined;
      ev = {
        kind: 'create',
        tsUs,
        name,
        byteOffset,
        ...(category !== undefined ? { category } : {}),
        ...(bytes !== undefined ? { bytes } : {}),
      };
    } else if (ph === 'e') ev = { kind: 'free', tsUs, name, byteOffset };
    else if (name === 'use') {
      const phase = typeof args?.phase === 'string' && args.phase !== '' ? this.intern(args.phase) : undefined;
      ev = { kind: 'use', tsUs, name, byteOffset, ...(phase !== undefined ? { phase } : {}) };
    } else if (bytes !== undefined) ev = { kind: 'bytes', tsUs, name, byteOffset, bytes };
    else {
      this.warn(
        'arena-bad-event',
        `an arena "n" event named ${JSON.stringify(name)} at ts ${tsUs} µs is neither "use" nor "bytes" with a numeric args.bytes; skipped`,
        byteOffset,
      );
      return;
    }
    const key = `${pid}\u0000${id}`;
    let a = this.arenaEvents.get(key);
    if (!a) {
      a = { pid, id, events: [] };
      this.arenaEvents.set(key, a);
    }
    a.events.push(ev);
  }

  /**
   * The arenas, from their events ordered by time. Damage is warned about and the rest kept: a free,
   * growth or use with no create before it starts the arena at the file's first event; a create while
   * the same id is alive frees the earlier arena there; growth after the free is dropped; a use after
   * the free is kept; an arena never freed is alive at the end (endMs null).
   */
  private buildArenas(toMs: (tUs: number) => Ms): Arena[] {
    const out: Arena[] = [];
    const fileStartUs = Number.isFinite(this.minUs) ? this.minUs : 0;
    for (const { pid, id, events } of this.arenaEvents.values()) {
      events.sort((a, b) => a.tsUs - b.tsUs);
      let cur: OpenArena | undefined;
      let generation = 0;
      const finishArena = (a: OpenArena) =>
        out.push({
          id: a.id,
          name: a.name,
          category: a.category,
          pid: a.pid,
          startMs: toMs(a.startUs),
          endMs: a.endUs === null ? null : toMs(a.endUs),
          tMs: Float64Array.from(a.tUs, toMs),
          bytes: Float64Array.from(a.bytes),
          uses: a.uses.map((u) =>
            u.phase !== undefined ? { tMs: toMs(u.tUs), phase: u.phase } : { tMs: toMs(u.tUs) },
          ),
        });
      const open = (startUs: number, name: string, category: string): OpenArena => {
        if (cur) finishArena(cur);
        generation++;
        const genId = generation > 1 ? `${id}#${generation}` : id;
        cur = { id: genId, name, category, pid, startUs, endUs: null, tUs: [], bytes: [], uses: [] };
        return cur;
      };
      const describe = (a: OpenArena) => `arena ${JSON.stringify(a.name)} (id ${JSON.stringify(id)}, pid ${pid})`;
      for (const ev of events) {
        if (ev.kind === 'create') {
          if (cur && cur.endUs === null) {
            this.warn(
              'arena-created-twice',
              `${describe(cur)} is created again at ts ${ev.tsUs} µs while alive; the earlier one is taken as freed there`,
              ev.byteOffset,
            );
            cur.endUs = ev.tsUs;
            cur.tUs.push(ev.tsUs);
            cur.bytes.push(0);
          }
          const a = open(ev.tsUs, ev.name || `arena ${id}`, ev.category ?? 'arena');
          a.tUs.push(ev.tsUs);
          a.bytes.push(ev.bytes ?? 0);
          continue;
        }
        if (!cur) {
          const name = ev.kind === 'free' && ev.name ? ev.name : `arena ${id}`;
          this.warn(
            'arena-unmatched',
            `the ${ev.kind} of arena ${JSON.stringify(name)} (id ${JSON.stringify(id)}, pid ${pid}) at ts ${ev.tsUs} µs has no create before it; the arena is taken to exist from the start of the file`,
            ev.byteOffset,
          );
          const a = open(fileStartUs, name, 'arena');
          a.tUs.push(fileStartUs);
          a.bytes.push(0); // its bytes before are unknown
        }
        const a: OpenArena = cur!;
        switch (ev.kind) {
          case 'bytes':
            if (a.endUs !== null) {
              this.warn(
                'arena-bytes-after-free',
                `bytes recorded for ${describe(a)} at ts ${ev.tsUs} µs, after its free at ${a.endUs} µs; ignored`,
                ev.byteOffset,
              );
              break;
            }
            a.tUs.push(ev.tsUs);
            a.bytes.push(ev.bytes!);
            break;
          case 'use':
            if (a.endUs !== null)
              this.warn(
                'arena-use-after-free',
                `${describe(a)} is used at ts ${ev.tsUs} µs, after its free at ${a.endUs} µs (the use is kept)`,
                ev.byteOffset,
              );
            a.uses.push(ev.phase !== undefined ? { tUs: ev.tsUs, phase: ev.phase } : { tUs: ev.tsUs });
            break;
          case 'free':
            if (a.endUs !== null) {
              this.warn(
                'arena-double-free',
                `${describe(a)} is freed again at ts ${ev.tsUs} µs (first at ${a.endUs} µs); ignored`,
                ev.byteOffset,
              );
              break;
            }
            a.endUs = ev.tsUs;
            a.tUs.push(ev.tsUs);
            a.bytes.push(0);
            break;
        }
      }
      if (cur) finishArena(cur);
    }
    return out;
  }

  private close(t: Track, name: string, tsUs: number, byteOffset: number, ph: string): void {
    const open = t.open;
    let i = open.length - 1;
    // An end names its begin (or names nothing: then the innermost open one).
    if (name !== '' && i >= 0 && open[i]!.name !== name) {
      let j = i - 1;
      while (j >= 0 && open[j]!.name !== name) j--;
      if (j < 0) {
        this.warn(
          'unbalanced-end',
          `an "${ph}" event for ${JSON.stringify(name)} at ts ${tsUs} µs has no open begin on its thread; skipped`,
          byteOffset,
        );
        return;
      }
      for (let k = i; k > j; k--) {
        const b = open[k]!;
        this.warn(
          'unbalanced-begin',
          `the begin of ${JSON.stringify(b.name)} (byte ${b.byteOffset}) is closed by the end of its enclosing ${JSON.stringify(name)}`,
          b.byteOffset,
        );
        this.span(t, b.nameId, b.catId, b.tsUs, tsUs, b.args);
      }
      open.length = j + 1;
      i = j;
    }
    if (i < 0) {
      this.warn(
        'unbalanced-end',
        `an "${ph}" event at ts ${tsUs} µs has no open begin on its thread; skipped`,
        byteOffset,
      );
      return;
    }
    const b = open.pop()!;
    this.span(t, b.nameId, b.catId, b.tsUs, tsUs, b.args);
  }

  private counter(
    pid: number,
    name: string,
    key: string,
    cat: string | undefined,
    tsUs: number,
    value: number,
    byteOffset: number,
  ): void {
    const id = `${pid}\u0000${name}\u0000${key}`;
    let c = this.counters.get(id);
    if (!c) {
      const what = `${name} ${key} ${cat ?? ''}`;
      if (!/mem|heap|rss|byte|alloc/i.test(what)) {
        if (!this.skippedCounters.has(name)) {
          this.skippedCounters.add(name);
          this.warn(
            'counter-not-memory',
            `counter ${JSON.stringify(name)} does not look like memory (no mem/heap/rss/bytes in its name or keys); skipped`,
            byteOffset,
          );
        }
        return;
      }
      const kind: SeriesKind =
        cat && (SERIES_KINDS as string[]).includes(cat)
          ? (cat as SeriesKind)
          : /js.?heap|v8/i.test(what)
            ? 'js-heap'
            : /heap|alloc|malloc/i.test(what)
              ? 'allocator-heap'
              : 'compiler-reported';
      const scale = unitScale(`${name} ${key}`);
      c = { pid, name, key, kind, scale, tUs: [], bytes: [], sorted: true, lastUs: -Infinity };
      this.counters.set(id, c);
    }
    if (tsUs < c.lastUs) c.sorted = false;
    c.lastUs = tsUs;
    c.tUs.push(tsUs);
    c.bytes.push(value * c.scale);
  }

  /** Unclosed begins at the end of the file: they run to its last event. */
  private closeOpen(): void {
    for (const t of this.tracks.values()) {
      if (!t.open.length) continue;
      this.warn(
        'unclosed-phase',
        `${t.open.length} phase(s) never ended on ${t.key.startsWith('t') ? `pid ${t.pid} tid ${t.tid ?? t.key.slice(1)}` : `async track ${t.key.slice(2)}`} (innermost ${JSON.stringify(t.open[t.open.length - 1]!.name)}); they are ended at the last event of the trace`,
        t.open[0]!.byteOffset,
      );
      while (t.open.length) {
        const b = t.open.pop()!;
        this.span(t, b.nameId, b.catId, b.tsUs, Math.max(b.tsUs, this.maxUs), b.args);
      }
    }
  }

  finish(beginningOfTimeUs: number | undefined): Omit<ImportResult, 'run'> {
    this.closeOpen();
    const originUs = beginningOfTimeUs !== undefined ? 0 : Number.isFinite(this.minUs) ? this.minUs : 0;
    // A time of the file (µs) on the profile's clock (ms since the origin).
    const toMs = (tUs: number): Ms => usToMs((tUs - originUs) as Us);
    const originMs = originUs / 1000;
    const arenas = this.buildArenas(toMs);
    for (const [code, n] of this.warnCounts) {
      if (n > WARNINGS_PER_CODE)
        this.warnings.push({
          code,
          message: `${n - WARNINGS_PER_CODE} more "${code}" warnings like the above`,
          file: this.file,
        });
    }

    // Phases: per track, sorted by start (longer first), nested by containment (span-nesting.ts).
    const tracks = [...this.tracks.values()].filter((t) => t.spans.length).sort((a, b) => a.pid - b.pid);
    const threadsPerPid = new Map<number, number>();
    for (const t of tracks) threadsPerPid.set(t.pid, (threadsPerPid.get(t.pid) ?? 0) + 1);
    // Sized once: a million phases pushed one by one would copy the array over and over.
    let phaseCount = 0;
    for (const t of tracks) phaseCount += t.spans.length;
    const phases = new Array<Phase>(phaseCount);
    let phaseAt = 0;
    const nameList = this.names.list;
    let overlaps = 0;
    for (const t of tracks) {
      const spans = t.spans;
      const n = spans.length;
      const nameIds = spans.nameIds;
      const catIds = spans.catIds;
      const hasFile = spans.hasFile;
      const { startMs, endMs } = spans.takeTimesMs(originMs);
      const order = spanOrder(startMs, endMs, n);
      const parents = new Int32Array(n);
      overlaps += nestSpans(startMs, endMs, nameIds, order, parents);
      const base = phaseAt;
      const pid = t.pid;
      const label = t.key.startsWith('t')
        ? (this.threadNames.get(`${t.pid}\u0000${t.key.slice(1)}`) ?? `tid ${t.key.slice(1)}`)
        : `async ${t.key.slice(2)}`;
      const labelRoots = (threadsPerPid.get(t.pid) ?? 0) > 1;
      for (let k = 0; k < n; k++) {
        const i = order[k]!;
        // Plain casts, not calls: this loop runs once per span (millions).
        const start = startMs[i]! as Ms;
        const end = endMs[i]! as Ms;
        const up = parents[k]!;
        const parent = up < 0 ? null : base + up;
        const name = nameList[nameIds[i]!]!;
        const cat = nameList[catIds[i]!];
        let args = spans.args[i];
        const file = hasFile[i] ? sourceFileOf(name, args!) : undefined;
        if (parent === null && labelRoots) {
          // Each span has its own args object (one per event read), so it can take the label itself.
          if (args) args.thread = label;
          else args = { thread: label };
        }
        // One literal per shape, so that no object needs a second property store (millions of them).
        let phase: Phase;
        if (args) {
          if (file)
            phase = cat
              ? { name, parent, startMs: start, endMs: end, pid, category: cat, args, source: { file } }
              : { name, parent, startMs: start, endMs: end, pid, args, source: { file } };
          else
            phase = cat
              ? { name, parent, startMs: start, endMs: end, pid, category: cat, args }
              : { name, parent, startMs: start, endMs: end, pid, args };
        } else
          phase = cat
            ? { name, parent, startMs: start, endMs: end, pid, category: cat }
            : { name, parent, startMs: start, endMs: end, pid };
        phases[phaseAt++] = phase;
      }
      t.spans = new SpanColumns(); // its columns can go now
    }
    if (overlaps)
      this.warnings.push({
        code: 'overlapping-phases',
        message: `${overlaps} phase(s) overlap a phase of their thread without nesting in it; they are placed beside it`,
        file: this.file,
      });

    // clang's totals: args of the longest root phase of their process.
    for (const [pid, totals] of this.totals) {
      let root: Phase | undefined;
      for (const p of phases)
        if (p.parent === null && p.pid === pid && (!root || p.endMs - p.startMs > root.endMs - root.startMs)) root = p;
      if (root) root.args = { ...root.args, ...totals };
    }

    const series: MemorySeries[] = [];
    for (const c of this.counters.values()) {
      const n = c.tUs.length;
      const builder = new SeriesBuilder(n);
      for (let i = 0; i < n; i++) builder.push(toMs(c.tUs[i]!), c.bytes[i]! as Bytes);
      const s = builder.build({
        id: `${FORMAT}:${c.pid}:${c.name}${c.key === 'bytes' || c.key === 'value' ? '' : `.${c.key}`}`,
        name: c.name.replace(/\s*\[bytes\]$/, '') + (c.key === 'bytes' || c.key === 'value' ? '' : ` ${c.key}`),
        kind: c.kind,
        source: 'trace events',
        pid: c.pid,
      });
      if (!c.sorted) sortSeries(s);
      series.push(s);
    }
    const markers = this.markers.map((p) => {
      const m: Marker = { name: p.name, kind: p.kind, tMs: toMs(p.tUs), pid: p.pid };
      if (p.detail !== undefined) m.detail = p.detail;
      return m;
    });

    // The phases' pids are their tracks' (taken in the same order, so that 0 and -0 keep the same one).
    const pids = new Set<number>([
      ...tracks.map((t) => t.pid),
      ...series.map((s) => s.pid!),
      ...arenas.map((a) => a.pid!),
      ...this.processNames.keys(),
    ]);
    const processes: (Partial<ProcessInfo> & { pid: number })[] = [...pids]
      .sort((a, b) => a - b)
      .map((pid) => {
        const label = this.processNames.get(pid);
        return label !== undefined ? { pid, label } : { pid };
      });
    if (this.events === 0)
      this.warnings.push({ code: 'empty-trace', message: 'the trace holds no events', file: this.file });
    return {
      phases,
      series,
      markers,
      ...(arenas.length ? { arenas } : {}),
      processes,
      warnings: this.warnings,
      sources: [FORMAT],
      ...(beginningOfTimeUs !== undefined ? { originEpochMs: epochMs(usToMs(beginningOfTimeUs as Us)) } : {}),
    };
  }
}

/** The id of an arena event: `id`, else `id2`'s local or global id (a number or a string). */
function arenaId(e: EventFields): string | undefined {
  const id = e.id ?? (isObject(e.id2) ? (e.id2.local ?? e.id2.global) : undefined);
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

function asyncKey(cat: string | undefined, e: EventFields): string {
  const id = e.id2 !== undefined ? JSON.stringify(e.id2) : String(e.id ?? '');
  return `a:${cat ?? ''}:${id}`;
}

/** The source file a phase's args name: `path` (tsc, our exports), or clang's `detail` of a Source phase. */
function sourceFileOf(name: string, args: Args): string | undefined {
  if (typeof args.path === 'string') return args.path;
  return name === 'Source' && typeof args.detail === 'string' ? args.detail : undefined;
}

/** Counters whose name gives a unit other than bytes. */
function unitScale(what: string): number {
  if (/\b(KiB|KB|kB)\b/.test(what)) return 1024;
  if (/\b(MiB|MB)\b/.test(what)) return 1024 * 1024;
  return 1;
}

function sortSeries(s: MemorySeries): void {
  const order = Array.from(s.tMs.keys()).sort((a, b) => s.tMs[a]! - s.tMs[b]! || a - b);
  const t = Float64Array.from(order, (i) => s.tMs[i]!);
  const v = Float64Array.from(order, (i) => s.bytes[i]!);
  s.tMs.set(t);
  s.bytes.set(v);
}
