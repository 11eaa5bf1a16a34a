// Importer of the Trace Event Format (Chrome/Perfetto JSON): clang -ftime-trace, tsc --generateTrace,
// rustc -Z llvm-time-trace, the trace protocol compilers speak to this tool, and our own exports.
//
//   array form:  [ {event}, {event}, ... ]            (tsc: written incrementally, the "]" comes last
//                                                      and is missing when tsc is killed)
//   object form: { "traceEvents": [ ... ], "beginningOfTime": <µs epoch>, "otherData": {...}, ... }
//
// Events: X (complete), B/E (begin/end, matched per pid+tid stack), b/e and S/F (async, one track per
// pid+cat+id), n/i/I/R (instants → markers), C (counters → memory series when they measure bytes),
// M (process_name/thread_name → labels). Async b/n/e events of cat "arena" are the arena protocol
// (docs/instrumentation.md) and become arenas, not phases: see TraceBuilder.buildArenas. ts and dur are µs; the result is ms from the file's start
// (its `beginningOfTime` when it has one, which then gives originEpochMs; else its earliest event).
// Events may come in any order (clang and tsc write X events when they end): nesting is inferred per
// thread (or async track) from interval containment, parents before children.
// clang's "Total <name>" summary events (ts 0, each on a fake thread) are no timeline phases: they
// become args `Total <name>` (ms) of the process's root phase.
//
// Big files: the input is read in ~1 MiB chunks (gunzipped when gzip; a plain file into two buffers in
// turn, the next chunk read while one is parsed) and never held whole (files beyond V8's longest string
// import). Events of the common shape (no escapes in keys or in the fields used, flat args) are read
// straight from the bytes (readEvent, four bytes at a time where it can) with no object per event,
// repeated names coming from a cache keyed by their bytes; the others are delimited by a byte scanner
// (strings, escapes, depth) and JSON.parsed a chunk at a time. Phases are kept in per-track columns
// (typed arrays for the times, names and categories as ids) and become objects once, in `finish`, in
// nesting order (an index sort, not a sort of objects). Memory is in proportion to the phases kept;
// bench/chrome-trace-import.mjs measures both.
//
// Damage: a file cut short (writer killed) keeps its events, with a warning giving the byte; an event
// that is not valid JSON is skipped with a warning (when its quotes don't balance, up to the next line
// or "},{"); a file that starts as something else is 'not-this-format'; a top-level array whose first
// element is no event is 'broken' at its byte. Byte offsets are in the gunzipped data for gzip files.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Arena, Marker, MemorySeries, Phase, ProcessInfo, RunFacts, SeriesKind, Warning } from '../model';
import { SeriesBuilder } from '../model';
import type { ImportOptions, ImportResult, Importer } from './importer';
import { ImportError } from './importer';

const FORMAT = 'chrome-trace';
const CHUNK_BYTES = 1 << 20;
/** Intervals that differ by less than this are treated as equal when nesting (float noise in tsc's µs). */
const NEST_EPS_MS = 0.0005;
/** At most this many warnings of one code are listed; the rest are counted in a last one. */
const WARNINGS_PER_CODE = 5;
/** A top-level member other than traceEvents bigger than this is skipped rather than kept. */
const MAX_MEMBER_BYTES = 16 << 20;
/** An event longer than this is taken for one whose quotes or braces do not balance. */
const MAX_EVENT_BYTES = 16 << 20;

const SERIES_KINDS: SeriesKind[] = ['rss-tree', 'rss-process', 'js-heap', 'allocator-heap', 'compiler-reported'];

/** Is this the start of a Trace Event file? */
export function isChromeTrace(head: string): boolean {
  const t = head.trimStart();
  if (t.startsWith('[')) return /^\[\s*(\{\s*"[^"]*"\s*:[^]*?)?"ph"\s*:\s*"/.test(t.slice(0, 4096)) || /^\[\s*\]\s*$/.test(t);
  if (t.startsWith('{')) return /"traceEvents"\s*:\s*\[/.test(t);
  return false;
}

type Args = Record<string, string | number | boolean>;

/** One event as JSON.parse gives it; only the fields used. */
interface RawEvent {
  ph?: unknown;
  name?: unknown;
  cat?: unknown;
  ts?: unknown;
  dur?: unknown;
  pid?: unknown;
  tid?: unknown;
  id?: unknown;
  id2?: unknown;
  args?: unknown;
}

/**
 * One event's fields as TraceBuilder reads them, already checked for type. One instance is reused for
 * every event: the fast reader fills it from the bytes, `fromJson` from JSON.parse's object. Numbers
 * have fields of their own (double fields are updated in place; a field that also held strings would
 * box every double in a new heap object, millions of them).
 */
class EventFields {
  ph = '';
  name = '';
  /** The id of `name` in the reader's NameTable, known when it came from its cache; else -1. */
  nameId = -1;
  cat: string | undefined = undefined;
  /** The id of `cat` (as nameId). */
  catId = -1;
  /** µs; NaN when missing or not a number. */
  ts = NaN;
  /** µs; NaN when missing or not a number. */
  dur = NaN;
  pid = 0;
  tid: number | string = 0;
  id: unknown = undefined;
  id2: unknown = undefined;
  args: unknown = undefined;
  /** True when `flatArgs` is `primitiveArgs(args)` already (the fast reader knows it as it reads). */
  argsChecked = false;
  flatArgs: Args | undefined = undefined;

  clear(): void {
    this.ph = this.name = '';
    this.nameId = this.catId = -1;
    this.argsChecked = false;
    this.cat = undefined;
    this.ts = this.dur = NaN;
    this.pid = this.tid = 0;
    this.id = this.id2 = this.args = this.flatArgs = undefined;
  }

  fromJson(e: RawEvent): void {
    this.clear();
    if (typeof e.ph === 'string') this.ph = e.ph;
    if (typeof e.name === 'string') this.name = e.name;
    if (typeof e.cat === 'string' && e.cat !== '') this.cat = e.cat;
    if (typeof e.ts === 'number') this.ts = e.ts;
    if (typeof e.dur === 'number') this.dur = e.dur;
    if (typeof e.pid === 'number') this.pid = e.pid;
    if (typeof e.tid === 'number' || typeof e.tid === 'string') this.tid = e.tid;
    this.id = e.id;
    this.id2 = e.id2;
    this.args = e.args;
  }
}

/**
 * Names and categories as small ints (the span columns keep ids, not strings). Id 0 is no category.
 * Distinct strings beyond a limit get an id each time (as they would a slot in a column of strings).
 */
class NameTable {
  readonly list: (string | undefined)[] = [undefined];
  private readonly ids = new Map<string, number>();

  id(s: string | undefined): number {
    if (s === undefined) return 0;
    const known = this.ids.get(s);
    if (known !== undefined) return known;
    const id = this.list.length;
    this.list.push(s);
    if (this.ids.size < 100_000) this.ids.set(s, id);
    return id;
  }
}

/**
 * The phases of one track while the file is read, column by column and in file order: no object per
 * phase until `finish` (which creates each once, with its final times and parent, in nesting order).
 * Times are µs on the file's clock; names and categories are ids in the builder's NameTable.
 */
class SpanColumns {
  length = 0;
  startUs = new Float64Array(64);
  endUs = new Float64Array(64);
  nameIds = new Int32Array(64);
  catIds = new Int32Array(64);
  /** 1 where the args name the phase's source file (see `sourceFileOf`). */
  hasFile = new Uint8Array(64);
  readonly args: (Args | undefined)[] = [];

  /** Whether it has no room for one more span (then `grow` first). */
  full(): boolean {
    return this.length === this.startUs.length;
  }

  /** Adds a span (there must be room: see `full`). `file`: whether the args name a source file. */
  push(nameId: number, catId: number, startUs: number, endUs: number, args: Args | undefined, file: boolean): void {
    const n = this.length;
    this.startUs[n] = startUs;
    this.endUs[n] = endUs;
    this.nameIds[n] = nameId;
    this.catIds[n] = catId;
    this.hasFile[n] = file ? 1 : 0;
    this.args.push(args);
    this.length = n + 1;
  }

  /** Room for `capacity` spans (more than `length`); the new room is not zeroed: it is written before it is read. */
  grow(capacity: number): void {
    const n = this.length;
    const start = unzeroed(Float64Array, capacity);
    const end = unzeroed(Float64Array, capacity);
    const names = unzeroed(Int32Array, capacity);
    const cats = unzeroed(Int32Array, capacity);
    const files = unzeroed(Uint8Array, capacity);
    start.set(this.startUs.subarray(0, n));
    end.set(this.endUs.subarray(0, n));
    names.set(this.nameIds.subarray(0, n));
    cats.set(this.catIds.subarray(0, n));
    files.set(this.hasFile.subarray(0, n));
    this.startUs = start;
    this.endUs = end;
    this.nameIds = names;
    this.catIds = cats;
    this.hasFile = files;
  }
}

/**
 * A typed array whose memory is not zeroed first (Buffer.allocUnsafeSlow: malloc rather than calloc),
 * so that its pages are touched only as it fills: the columns of a big trace are grown to hundreds of
 * MB, and zeroing would write all of it once more.
 */
function unzeroed<T extends Float64Array | Int32Array | Uint8Array>(kind: { new (b: ArrayBufferLike, at: number, n: number): T; BYTES_PER_ELEMENT: number }, n: number): T {
  const b = Buffer.allocUnsafeSlow(n * kind.BYTES_PER_ELEMENT);
  return new kind(b.buffer, b.byteOffset, n);
}

interface Track {
  pid: number;
  /** tid, or an async track's cat+id. */
  key: string;
  tid?: number;
  spans: SpanColumns;
  /** Open B events (or async b events), innermost last. */
  open: { name: string; nameId: number; cat?: string; catId: number; tsUs: number; args?: Args; byteOffset: number }[];
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
  t: number[];
  v: number[];
  uses: { tUs: number; phase?: string }[];
}

/** Turns parsed events into phases, series, markers as they come; `finish` nests and rebases them. */
class TraceBuilder {
  readonly warnings: Warning[] = [];
  private readonly warnCounts = new Map<string, number>();
  private readonly tracks = new Map<string, Track>();
  private readonly threadNames = new Map<string, string>();
  private readonly processNames = new Map<number, string>();
  private readonly counters = new Map<string, { pid: number; name: string; key: string; kind: SeriesKind; scale: number; builder: SeriesBuilder; sorted: boolean; lastUs: number }>();
  private readonly skippedCounters = new Set<string>();
  private readonly markers: Marker[] = [];
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
    spans.push(nameId, catId, startUs, endUs, args, args !== undefined && sourceFileOf(this.names.list[nameId]!, args) !== undefined);
  }

  /**
   * The room to give a full track of n spans: double; or, once it is big enough for its pace through a
   * file of known size to tell, what it will hold at the end if its spans go on coming as they came so
   * far, with a margin (at least doubled, at most 8-fold): a big track is copied two or three times
   * rather than a dozen. Room never filled costs no memory (its pages are never touched, see `unzeroed`).
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
    const ts = e.ts;
    if (ph === 'M') {
      const label = isObject(e.args) && typeof e.args.name === 'string' ? e.args.name : undefined;
      if (label === undefined) return;
      if (name === 'process_name') this.processNames.set(pid, label);
      else if (name === 'thread_name') this.threadNames.set(`${pid}\u0000${tid}`, label);
      return;
    }
    if (!Number.isFinite(ts)) {
      if (ph !== '') this.warn('event-without-ts', `an "${ph}" event without a numeric ts (${JSON.stringify(name)}) was skipped`, byteOffset);
      return;
    }
    if (cat === 'arena' && (ph === 'b' || ph === 'n' || ph === 'e')) {
      this.see(ts);
      this.arenaEvent(ph, name, pid, ts, e, byteOffset);
      return;
    }
    switch (ph) {
      case 'X': {
        const dur = e.dur >= 0 ? e.dur : 0;
        if (ts === 0 && name.startsWith('Total ')) {
          // clang's per-name summaries: not a moment of the timeline.
          const totals = this.totals.get(pid) ?? {};
          totals[name] = dur / 1000;
          this.totals.set(pid, totals);
          return;
        }
        this.see(ts);
        this.see(ts + dur);
        this.span(this.thread(pid, tid), nameId, catId, ts, ts + dur, argsOf(e));
        return;
      }
      case 'B': {
        this.see(ts);
        const args = argsOf(e);
        this.thread(pid, tid).open.push({ name, nameId, catId, tsUs: ts, byteOffset, ...(cat ? { cat } : {}), ...(args ? { args } : {}) });
        return;
      }
      case 'E': {
        this.see(ts);
        this.close(this.thread(pid, tid), name, ts, byteOffset, 'E');
        return;
      }
      case 'b':
      case 'S': {
        this.see(ts);
        const args = argsOf(e);
        this.track(pid, asyncKey(cat, e)).open.push({ name, nameId, catId, tsUs: ts, byteOffset, ...(cat ? { cat } : {}), ...(args ? { args } : {}) });
        return;
      }
      case 'e':
      case 'F': {
        this.see(ts);
        this.close(this.track(pid, asyncKey(cat, e)), name, ts, byteOffset, ph);
        return;
      }
      case 'i':
      case 'I':
      case 'n':
      case 'R': {
        this.see(ts);
        const args = argsOf(e);
        const m: Marker = { name, kind: cat ?? 'instant', tMs: ts, pid };
        if (args) m.detail = JSON.stringify(args);
        this.markers.push(m);
        return;
      }
      case 'C': {
        this.see(ts);
        if (!isObject(e.args)) return;
        for (const key in e.args) {
          const v = e.args[key];
          if (typeof v !== 'number') continue;
          this.counter(pid, name, key, cat, ts, v, byteOffset);
        }
        return;
      }
      default:
        this.warn('unknown-event', `events of phase type ${JSON.stringify(ph)} are not read (first: ${JSON.stringify(name)})`, byteOffset);
    }
  }

  /** An event of the arena protocol (docs/instrumentation.md): kept per arena until `finish`. */
  private arenaEvent(ph: 'b' | 'n' | 'e', name: string, pid: number, tsUs: number, e: EventFields, byteOffset: number): void {
    const id = arenaId(e);
    if (id === undefined) {
      this.warn('arena-without-id', `an arena "${ph}" event (${JSON.stringify(name)}) at ts ${tsUs} µs has no id; skipped`, byteOffset);
      return;
    }
    const args = isObject(e.args) ? e.args : undefined;
    const bytes = typeof args?.bytes === 'number' && Number.isFinite(args.bytes) ? args.bytes : undefined;
    let ev: ArenaEvent;
    if (ph === 'b') {
      const category = typeof args?.category === 'string' && args.category !== '' ? this.intern(args.category) : undefined;
      ev = { kind: 'create', tsUs, name, byteOffset, ...(category !== undefined ? { category } : {}), ...(bytes !== undefined ? { bytes } : {}) };
    } else if (ph === 'e') ev = { kind: 'free', tsUs, name, byteOffset };
    else if (name === 'use') {
      const phase = typeof args?.phase === 'string' && args.phase !== '' ? this.intern(args.phase) : undefined;
      ev = { kind: 'use', tsUs, name, byteOffset, ...(phase !== undefined ? { phase } : {}) };
    } else if (bytes !== undefined) ev = { kind: 'bytes', tsUs, name, byteOffset, bytes };
    else {
      this.warn('arena-bad-event', `an arena "n" event named ${JSON.stringify(name)} at ts ${tsUs} µs is neither "use" nor "bytes" with a numeric args.bytes; skipped`, byteOffset);
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
  private buildArenas(toMs: (us: number) => number): Arena[] {
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
          tMs: Float64Array.from(a.t, toMs),
          bytes: Float64Array.from(a.v),
          uses: a.uses.map((u) => (u.phase !== undefined ? { tMs: toMs(u.tUs), phase: u.phase } : { tMs: toMs(u.tUs) })),
        });
      const open = (startUs: number, name: string, category: string): OpenArena => {
        if (cur) finishArena(cur);
        generation++;
        cur = { id: generation > 1 ? `${id}#${generation}` : id, name, category, pid, startUs, endUs: null, t: [], v: [], uses: [] };
        return cur;
      };
      const describe = (a: OpenArena) => `arena ${JSON.stringify(a.name)} (id ${JSON.stringify(id)}, pid ${pid})`;
      for (const ev of events) {
        if (ev.kind === 'create') {
          if (cur && cur.endUs === null) {
            this.warn('arena-created-twice', `${describe(cur)} is created again at ts ${ev.tsUs} µs while alive; the earlier one is taken as freed there`, ev.byteOffset);
            cur.endUs = ev.tsUs;
            cur.t.push(ev.tsUs);
            cur.v.push(0);
          }
          const a = open(ev.tsUs, ev.name || `arena ${id}`, ev.category ?? 'arena');
          a.t.push(ev.tsUs);
          a.v.push(ev.bytes ?? 0);
          continue;
        }
        if (!cur) {
          const name = ev.kind === 'free' && ev.name ? ev.name : `arena ${id}`;
          this.warn('arena-unmatched', `the ${ev.kind} of arena ${JSON.stringify(name)} (id ${JSON.stringify(id)}, pid ${pid}) at ts ${ev.tsUs} µs has no create before it; the arena is taken to exist from the start of the file`, ev.byteOffset);
          const a = open(fileStartUs, name, 'arena');
          a.t.push(fileStartUs);
          a.v.push(0); // its bytes before are unknown
        }
        const a: OpenArena = cur!;
        switch (ev.kind) {
          case 'bytes':
            if (a.endUs !== null) {
              this.warn('arena-bytes-after-free', `bytes recorded for ${describe(a)} at ts ${ev.tsUs} µs, after its free at ${a.endUs} µs; ignored`, ev.byteOffset);
              break;
            }
            a.t.push(ev.tsUs);
            a.v.push(ev.bytes!);
            break;
          case 'use':
            if (a.endUs !== null) this.warn('arena-use-after-free', `${describe(a)} is used at ts ${ev.tsUs} µs, after its free at ${a.endUs} µs (the use is kept)`, ev.byteOffset);
            a.uses.push(ev.phase !== undefined ? { tUs: ev.tsUs, phase: ev.phase } : { tUs: ev.tsUs });
            break;
          case 'free':
            if (a.endUs !== null) {
              this.warn('arena-double-free', `${describe(a)} is freed again at ts ${ev.tsUs} µs (first at ${a.endUs} µs); ignored`, ev.byteOffset);
              break;
            }
            a.endUs = ev.tsUs;
            a.t.push(ev.tsUs);
            a.v.push(0);
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
        this.warn('unbalanced-end', `an "${ph}" event for ${JSON.stringify(name)} at ts ${tsUs} µs has no open begin on its thread; skipped`, byteOffset);
        return;
      }
      for (let k = i; k > j; k--) {
        const b = open[k]!;
        this.warn('unbalanced-begin', `the begin of ${JSON.stringify(b.name)} (byte ${b.byteOffset}) is closed by the end of its enclosing ${JSON.stringify(name)}`, b.byteOffset);
        this.span(t, b.nameId, b.catId, b.tsUs, tsUs, b.args);
      }
      open.length = j + 1;
      i = j;
    }
    if (i < 0) {
      this.warn('unbalanced-end', `an "${ph}" event at ts ${tsUs} µs has no open begin on its thread; skipped`, byteOffset);
      return;
    }
    const b = open.pop()!;
    this.span(t, b.nameId, b.catId, b.tsUs, tsUs, b.args);
  }

  private counter(pid: number, name: string, key: string, cat: string | undefined, tsUs: number, value: number, byteOffset: number): void {
    const id = `${pid}\u0000${name}\u0000${key}`;
    let c = this.counters.get(id);
    if (!c) {
      const what = `${name} ${key} ${cat ?? ''}`;
      if (!/mem|heap|rss|byte|alloc/i.test(what)) {
        if (!this.skippedCounters.has(name)) {
          this.skippedCounters.add(name);
          this.warn('counter-not-memory', `counter ${JSON.stringify(name)} does not look like memory (no mem/heap/rss/bytes in its name or keys); skipped`, byteOffset);
        }
        return;
      }
      const kind: SeriesKind =
        cat && (SERIES_KINDS as string[]).includes(cat) ? (cat as SeriesKind) : /js.?heap|v8/i.test(what) ? 'js-heap' : /heap|alloc|malloc/i.test(what) ? 'allocator-heap' : 'compiler-reported';
      c = { pid, name, key, kind, scale: unitScale(`${name} ${key}`), builder: new SeriesBuilder(64), sorted: true, lastUs: -Infinity };
      this.counters.set(id, c);
    }
    if (tsUs < c.lastUs) c.sorted = false;
    c.lastUs = tsUs;
    c.builder.push(tsUs, value * c.scale);
  }

  /** Unclosed begins at the end of the file: they run to its last event. */
  private closeOpen(): void {
    for (const t of this.tracks.values()) {
      if (!t.open.length) continue;
      this.warn('unclosed-phase', `${t.open.length} phase(s) never ended on ${t.key.startsWith('t') ? `pid ${t.pid} tid ${t.tid ?? t.key.slice(1)}` : `async track ${t.key.slice(2)}`} (innermost ${JSON.stringify(t.open[t.open.length - 1]!.name)}); they are ended at the last event of the trace`, t.open[0]!.byteOffset);
      while (t.open.length) {
        const b = t.open.pop()!;
        this.span(t, b.nameId, b.catId, b.tsUs, Math.max(b.tsUs, this.maxUs), b.args);
      }
    }
  }

  finish(beginningOfTimeUs: number | undefined): Omit<ImportResult, 'run'> {
    this.closeOpen();
    const originUs = beginningOfTimeUs !== undefined ? 0 : Number.isFinite(this.minUs) ? this.minUs : 0;
    const toMs = (us: number) => (us - originUs) / 1000;
    const originMs = originUs / 1000;
    const arenas = this.buildArenas(toMs);
    for (const [code, n] of this.warnCounts) {
      if (n > WARNINGS_PER_CODE) this.warnings.push({ code, message: `${n - WARNINGS_PER_CODE} more "${code}" warnings like the above`, file: this.file });
    }

    // Phases: per track, sorted by start (longer first), nested by containment.
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
      // The times in ms from the origin, in place (computed as startUs / 1000 - originMs, always so).
      const startMs = spans.startUs;
      const endMs = spans.endUs;
      const nameIds = spans.nameIds;
      const catIds = spans.catIds;
      const hasFile = spans.hasFile;
      for (let i = 0; i < n; i++) {
        startMs[i] = startMs[i]! / 1000 - originMs;
        endMs[i] = endMs[i]! / 1000 - originMs;
      }
      const order = spanOrder(startMs, endMs, n);
      const base = phaseAt;
      const pid = t.pid;
      const label = t.key.startsWith('t') ? this.threadNames.get(`${t.pid}\u0000${t.key.slice(1)}`) ?? `tid ${t.key.slice(1)}` : `async ${t.key.slice(2)}`;
      const labelRoots = (threadsPerPid.get(t.pid) ?? 0) > 1;
      // The open phases, innermost last: their index in this track's sorted order.
      const stack = new Uint32Array(n);
      let depth = 0;
      for (let k = 0; k < n; k++) {
        const i = order[k]!;
        const start = startMs[i]!;
        const end = endMs[i]!;
        // Of no length where a span of the same name begins: it came just before it (sorted longer
        // first, it comes after it here), its sibling, and holds nothing.
        let before = false;
        while (depth) {
          const top = order[stack[depth - 1]!]!;
          // Inside the top one; but a span of the same name beginning where the top one ends is its
          // next sibling: the same work done item after item (tsc checks file after file, LLVM runs a
          // pass function after function), one of them too short for the clock. Zero-length passes
          // of other names at the end of their parent stay inside it.
          // (Names compared by id, and only where it matters: a name has one id.)
          if (start >= startMs[top]! - NEST_EPS_MS && end <= endMs[top]! + NEST_EPS_MS) {
            if (start < endMs[top]! - NEST_EPS_MS) {
              before = end - start <= NEST_EPS_MS && start <= startMs[top]! + NEST_EPS_MS && nameIds[i] === nameIds[top];
              break;
            }
            if (nameIds[i] !== nameIds[top]) break;
          }
          if (start < endMs[top]! - NEST_EPS_MS) overlaps++;
          depth--;
        }
        let parent: number | null;
        if (before) parent = depth > 1 ? base + stack[depth - 2]! : null;
        else {
          parent = depth ? base + stack[depth - 1]! : null;
          stack[depth++] = k;
        }
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
          if (file) phase = cat ? { name, parent, startMs: start, endMs: end, pid, category: cat, args, source: { file } } : { name, parent, startMs: start, endMs: end, pid, args, source: { file } };
          else phase = cat ? { name, parent, startMs: start, endMs: end, pid, category: cat, args } : { name, parent, startMs: start, endMs: end, pid, args };
        } else phase = cat ? { name, parent, startMs: start, endMs: end, pid, category: cat } : { name, parent, startMs: start, endMs: end, pid };
        phases[phaseAt++] = phase;
      }
      t.spans = new SpanColumns(); // its columns can go now
    }
    if (overlaps) this.warnings.push({ code: 'overlapping-phases', message: `${overlaps} phase(s) overlap a phase of their thread without nesting in it; they are placed beside it`, file: this.file });

    // clang's totals: args of the longest root phase of their process.
    for (const [pid, totals] of this.totals) {
      let root: Phase | undefined;
      for (const p of phases) if (p.parent === null && p.pid === pid && (!root || p.endMs - p.startMs > root.endMs - root.startMs)) root = p;
      if (root) root.args = { ...root.args, ...totals };
    }

    const series: MemorySeries[] = [];
    for (const c of this.counters.values()) {
      const s = c.builder.build({
        id: `${FORMAT}:${c.pid}:${c.name}${c.key === 'bytes' || c.key === 'value' ? '' : `.${c.key}`}`,
        name: c.name.replace(/\s*\[bytes\]$/, '') + (c.key === 'bytes' || c.key === 'value' ? '' : ` ${c.key}`),
        kind: c.kind,
        source: 'trace events',
        pid: c.pid,
      });
      for (let i = 0; i < s.tMs.length; i++) s.tMs[i] = toMs(s.tMs[i]!);
      if (!c.sorted) sortSeries(s);
      series.push(s);
    }
    for (const m of this.markers) m.tMs = toMs(m.tMs);

    // The phases' pids are their tracks' (taken in the same order, so that 0 and -0 keep the same one).
    const pids = new Set<number>([...tracks.map((t) => t.pid), ...series.map((s) => s.pid!), ...arenas.map((a) => a.pid!), ...this.processNames.keys()]);
    const processes: (Partial<ProcessInfo> & { pid: number })[] = [...pids].sort((a, b) => a - b).map((pid) => {
      const label = this.processNames.get(pid);
      return label !== undefined ? { pid, label } : { pid };
    });
    if (this.events === 0) this.warnings.push({ code: 'empty-trace', message: 'the trace holds no events', file: this.file });
    return {
      phases,
      series,
      markers: this.markers,
      ...(arenas.length ? { arenas } : {}),
      processes,
      warnings: this.warnings,
      sources: [FORMAT],
      ...(beginningOfTimeUs !== undefined ? { originEpochMs: beginningOfTimeUs / 1000 } : {}),
    };
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The args of an event, keeping only primitive values; undefined when none. */
function argsOf(e: EventFields): Args | undefined {
  return e.argsChecked ? e.flatArgs : primitiveArgs(e.args);
}

/** The args an event carries, keeping only primitive values; undefined when none. */
function primitiveArgs(args: unknown): Args | undefined {
  if (!isObject(args)) return undefined;
  let n = 0;
  let nested = false;
  for (const k in args) {
    const t = typeof args[k];
    if (t === 'string' || t === 'number' || t === 'boolean') n++;
    else nested = true;
  }
  if (n === 0) return undefined;
  if (!nested) return args as Args;
  const out: Args = {};
  for (const k in args) {
    const v = args[k];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
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

/**
 * Whether span `a` comes before span `b` in nesting order: earlier start first, then the longer one,
 * then file order (the order a stable sort by start and end gives).
 */
function spanBefore(startMs: Float64Array, endMs: Float64Array, a: number, b: number): boolean {
  const sa = startMs[a]!;
  const sb = startMs[b]!;
  if (sa !== sb) return sa < sb;
  const ea = endMs[a]!;
  const eb = endMs[b]!;
  if (ea !== eb) return ea > eb;
  return a < b;
}

/** Runs this long are sorted by insertion before they are merged. */
const SORT_RUN = 32;

/**
 * The spans' indices in nesting order. A merge sort of indices with the keys in typed arrays (rather
 * than Array.prototype.sort with a comparator over millions of objects); it is nearly linear on the
 * usual input, nearly sorted already (clang writes children just before their parent).
 */
function spanOrder(startMs: Float64Array, endMs: Float64Array, n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = !spanBefore(startMs, endMs, i, i - 1);
  if (sorted) return order;
  for (let lo = 0; lo < n; lo += SORT_RUN) {
    const hi = Math.min(lo + SORT_RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const x = order[i]!;
      let j = i - 1;
      while (j >= lo && spanBefore(startMs, endMs, x, order[j]!)) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = x;
    }
  }
  const tmp = new Uint32Array(n);
  for (let width = SORT_RUN; width < n; width *= 2) {
    for (let lo = 0; lo + width < n; lo += 2 * width) mergeRuns(order, tmp, lo, lo + width, Math.min(lo + 2 * width, n), startMs, endMs);
  }
  return order;
}

/** Merges the sorted runs order[lo, mid) and order[mid, hi), moving only the part where they overlap. */
function mergeRuns(order: Uint32Array, tmp: Uint32Array, lo: number, mid: number, hi: number, startMs: Float64Array, endMs: Float64Array): void {
  const firstRight = order[mid]!;
  const lastLeft = order[mid - 1]!;
  if (!spanBefore(startMs, endMs, firstRight, lastLeft)) return; // in order already
  // The left run's elements before the right run's first stay where they are ...
  let a = lo;
  let b = mid;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (spanBefore(startMs, endMs, firstRight, order[m]!)) b = m;
    else a = m + 1;
  }
  const from = a;
  // ... and so do the right run's elements after the left run's last.
  a = mid;
  b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (spanBefore(startMs, endMs, order[m]!, lastLeft)) a = m + 1;
    else b = m;
  }
  const to = a;
  const leftLen = mid - from;
  for (let k = 0; k < leftLen; k++) tmp[k] = order[from + k]!;
  let i = 0;
  let j = mid;
  let k = from;
  while (i < leftLen && j < to) {
    if (spanBefore(startMs, endMs, order[j]!, tmp[i]!)) order[k++] = order[j++]!;
    else order[k++] = tmp[i++]!;
  }
  while (i < leftLen) order[k++] = tmp[i++]!;
}

function sortSeries(s: MemorySeries): void {
  const order = Array.from(s.tMs.keys()).sort((a, b) => s.tMs[a]! - s.tMs[b]! || a - b);
  const t = Float64Array.from(order, (i) => s.tMs[i]!);
  const v = Float64Array.from(order, (i) => s.bytes[i]!);
  s.tMs.set(t);
  s.bytes.set(v);
}

// --- the streaming scanner ----------------------------------------------------------------------

const enum C {
  Quote = 0x22,
  Backslash = 0x5c,
  LBrace = 0x7b,
  RBrace = 0x7d,
  LBracket = 0x5b,
  RBracket = 0x5d,
  Comma = 0x2c,
  Colon = 0x3a,
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** End (exclusive) of the JSON object or array starting at `i`, or -1 when `buf` ends first. */
function scanComposite(buf: Buffer, i: number, n: number): number {
  let depth = 0;
  while (i < n) {
    const c = buf[i]!;
    if (c === C.Quote) {
      i++;
      for (;;) {
        if (i >= n) return -1;
        const d = buf[i]!;
        if (d === C.Quote) break;
        i += d === C.Backslash ? 2 : 1;
      }
    } else if (c === C.LBrace || c === C.LBracket) depth++;
    else if (c === C.RBrace || c === C.RBracket) {
      if (--depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** End (exclusive) of the string starting at `i` (a quote), or -1. */
function scanString(buf: Buffer, i: number, n: number): number {
  i++;
  while (i < n) {
    const d = buf[i]!;
    if (d === C.Quote) return i + 1;
    i += d === C.Backslash ? 2 : 1;
  }
  return -1;
}

/** End (exclusive) of a scalar (number, true, false, null) starting at `i`, or -1. */
function scanScalar(buf: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = buf[i]!;
    if (c === C.Comma || c === C.RBrace || c === C.RBracket || isWs(c)) return i;
    i++;
  }
  return -1;
}

function describeByte(buf: Buffer, i: number): string {
  const s = buf.toString('utf8', i, Math.min(buf.length, i + 12)).split('\n')[0]!;
  return JSON.stringify(s);
}

// --- the fast path: events of the common shape read straight from the bytes ----------------------
//
// JSON.parse of every event would build an object per event only to read six fields of it. Events
// whose keys and strings have no escapes and whose args are flat are read here instead; anything
// else (escapes, nested args, exponents, odd literals) returns NEED_JSON and goes through JSON.parse.

const INCOMPLETE = -1;
const NEED_JSON = -2;
const POW10 = Float64Array.from({ length: 23 }, (_, k) => 10 ** k);
const ONE_CHAR = Array.from({ length: 128 }, (_, k) => String.fromCharCode(k));
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Buffer, a: number, b: number) => string }).latin1Slice;
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (this: Buffer, a: number, b: number) => string }).utf8Slice;

function decode(buf: Buffer, a: number, b: number, ascii: boolean): string {
  if (b - a === 1 && ascii) return ONE_CHAR[buf[a]!]!;
  if (ascii) return latin1Slice ? latin1Slice.call(buf, a, b) : buf.toString('latin1', a, b);
  return utf8Slice ? utf8Slice.call(buf, a, b) : buf.toString('utf8', a, b);
}

/** Where parsing a value ended (set by the value readers). */
let valueEnd = 0;

function skipWsAt(buf: Buffer, i: number, n: number): number {
  while (i < n) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/**
 * Short ASCII strings by a hash of their bytes, so that bytes seen before give the same string again
 * without decoding them (nor keeping one more copy). Direct-mapped: a slot keeps the last string whose
 * hash falls in it, so that strings seen once (symbols in args) cost no more than a slot. With a
 * NameTable (keys, names, categories) a slot also keeps the string's id there, and its strings are
 * internalized (see `internalized`).
 */
class StringCache {
  private readonly hashes: Int32Array;
  private readonly strings: string[];
  private readonly ids: Int32Array;
  /** Each slot's string as little-endian words of 4 bytes (compared four bytes at a time). */
  private readonly words: Int32Array;
  private readonly mask: number;

  constructor(
    bits: number,
    private readonly table: NameTable | undefined,
  ) {
    this.hashes = new Int32Array(1 << bits);
    this.strings = new Array<string>(1 << bits).fill('');
    this.ids = new Int32Array(1 << bits).fill(-1);
    this.words = new Int32Array((1 << bits) * WORDS_PER_SLOT);
    this.mask = (1 << bits) - 1;
  }

  /**
   * The string of the ASCII bytes a..b (at most MAX_CACHED_CHARS), whose hash (see readString) is
   * `h`; its id in stringId. `dv` views `buf`.
   */
  get(buf: Buffer, dv: DataView, a: number, b: number, h: number): string {
    const slot = h & this.mask;
    const len = b - a;
    const w = slot * WORDS_PER_SLOT;
    const words = this.words;
    if (this.hashes[slot] === h) {
      const known = this.strings[slot]!;
      if (known.length === len) {
        let k = 0;
        while (k + 4 <= len && dv.getInt32(a + k, true) === words[w + (k >> 2)]) k += 4;
        if (k + 4 > len) {
          while (k < len && known.charCodeAt(k) === buf[a + k]) k++;
          if (k === len) {
            stringId = this.ids[slot]!;
            return known;
          }
        }
      }
    }
    const table = this.table;
    const s = table ? internalized(decode(buf, a, b, true)) : decode(buf, a, b, true);
    this.hashes[slot] = h;
    this.strings[slot] = s;
    for (let k = 0; k + 4 <= len; k += 4) words[w + (k >> 2)] = dv.getInt32(a + k, true);
    stringId = this.ids[slot] = table ? table.id(s) : -1;
    return s;
  }
}

/** The caches of one import (the names' ids are its NameTable's). */
class ReadCaches {
  /** Keys, names, categories: a few distinct ones, seen millions of times (as property names: keys). */
  readonly names: StringCache;
  /** String values of args: some repeat (pass names), many are seen once (symbols). */
  readonly values = new StringCache(12, undefined);
  /** A view of the buffer being read (for reads of four bytes at once). */
  view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(table: NameTable) {
    this.names = new StringCache(12, table);
  }
}

/**
 * The copy of `s` V8 keeps as a property name. An object literal or a store with a key that is not one
 * has V8 look the name up first (at every store: args keys come millions of times).
 */
function internalized(s: string): string {
  for (const k in { [s]: 0 }) return k;
  return s;
}

/** Strings up to this long are looked up in a cache. */
const MAX_CACHED_CHARS = 64;
const WORDS_PER_SLOT = MAX_CACHED_CHARS / 4;

/** The id of the last string readString gave, when it came from a cache with a NameTable; else -1. */
let stringId = -1;

/** A string without escapes at `i` (a quote): its value, or INCOMPLETE / NEED_JSON. `dv` views `buf`. */
function readString(buf: Buffer, dv: DataView, i: number, n: number, cache: StringCache | undefined): string | number {
  let j = i + 1;
  let h = 0;
  // Four bytes at a time while none of them is a quote, a backslash or beyond ASCII (the word has a
  // zero byte after an xor with the quote's or the backslash's: the usual bit trick, exact for "any").
  // Where this stops depends on the string's bytes only (a string ending in the buffer never reaches
  // its end here), so that the same bytes always hash the same.
  while (j + 4 <= n) {
    const x = dv.getInt32(j, true);
    const q = x ^ 0x22222222;
    const b = x ^ 0x5c5c5c5c;
    if ((((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b) | x) & 0x80808080) break;
    h = Math.imul(h ^ x, 0x01000193);
    j += 4;
  }
  // The bytes or-ed together: below 0x80 when they are all ASCII.
  let bits = 0;
  for (;;) {
    if (j >= n) return INCOMPLETE;
    const c = buf[j]!;
    if (c === C.Quote) break;
    if (c === C.Backslash) return NEED_JSON;
    bits |= c;
    h = (Math.imul(h, 31) + c) | 0;
    j++;
  }
  valueEnd = j + 1;
  const len = j - i - 1;
  stringId = -1;
  if (bits >= 0x80) return decode(buf, i + 1, j, false);
  if (len <= 1) return len ? ONE_CHAR[buf[i + 1]!]! : '';
  if (cache !== undefined && len <= MAX_CACHED_CHARS) {
    // Mixed, so that the cache's slot (the low bits) depends on every byte.
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    return cache.get(buf, dv, i + 1, j, h ^ (h >>> 16));
  }
  return decode(buf, i + 1, j, true);
}

/**
 * The value of the number readNumber read last. A number returned from a function that is not inlined
 * is boxed in a new heap object; one stored here is not (and the readers return Smi offsets only).
 */
const numberValue = new Float64Array(1);

/** A number at `i`: its end (its value in numberValue[0]), or INCOMPLETE / NEED_JSON. */
function readNumber(buf: Buffer, i: number, n: number): number {
  let j = i;
  const neg = buf[j] === 0x2d;
  if (neg) j++;
  let m = 0;
  let digits = 0;
  let frac = 0;
  let d = 0;
  while (j < n && (d = buf[j]! - 0x30) >= 0 && d <= 9) {
    m = m * 10 + d;
    digits++;
    j++;
  }
  if (j < n && buf[j] === 0x2e) {
    j++;
    while (j < n && (d = buf[j]! - 0x30) >= 0 && d <= 9) {
      m = m * 10 + d;
      digits++;
      frac++;
      j++;
    }
  }
  if (j >= n) return INCOMPLETE;
  const c = buf[j]!;
  if (digits === 0 || c === 0x65 || c === 0x45) return NEED_JSON;
  // Up to 15 digits the mantissa is exact and one division by an exact power of ten rounds correctly;
  // longer ones (float noise such as 23.000000000000004) are left to V8's own conversion.
  if (digits > 15) numberValue[0] = Number(decode(buf, i, j, true));
  else {
    const v = frac ? m / POW10[frac]! : m;
    numberValue[0] = neg ? -v : v;
  }
  return j;
}

/** A literal (true, false, null) at `i`; undefined with valueEnd set when not readable. */
function readLiteral(buf: Buffer, i: number, n: number): boolean | null | undefined {
  const c = buf[i];
  const len = c === 0x74 ? 4 : c === 0x66 ? 5 : c === 0x6e ? 4 : 0;
  if (len === 0) {
    valueEnd = NEED_JSON;
    return undefined;
  }
  if (i + len > n) {
    valueEnd = INCOMPLETE;
    return undefined;
  }
  const word = buf.toString('latin1', i, i + len);
  valueEnd = i + len;
  if (word === 'true') return true;
  if (word === 'false') return false;
  if (word === 'null') return null;
  valueEnd = NEED_JSON;
  return undefined;
}

/** The end of any value at `i` (skipped), or INCOMPLETE / NEED_JSON. */
function skipValue(buf: Buffer, i: number, n: number): number {
  const c = buf[i]!;
  if (c === C.LBrace || c === C.LBracket) return scanComposite(buf, i, n);
  if (c === C.Quote) {
    const end = scanString(buf, i, n);
    return end;
  }
  const end = scanScalar(buf, i, n);
  return end < 0 ? INCOMPLETE : end;
}

/** Whether all the values readArgs last read are primitive (strings, numbers, booleans), and how many. */
let argsFlat = true;
let argsCount = 0;

/** A flat object of strings, numbers and literals at `i`; nested ones are JSON.parsed. */
function readArgs(buf: Buffer, i: number, n: number, caches: ReadCaches): Record<string, unknown> | number {
  // Made when its first member is read: the usual first keys (clang's and LLVM's {detail}, tsc's
  // {path}) by an object literal, whose objects V8 makes in the old generation once it sees them all
  // live on (an empty object, filled key by key, is made young and copied out by each scavenge: the
  // args are millions of objects). A computed key ({ [key]: v }) is slower still than a store.
  let out: Record<string, unknown> | undefined;
  argsFlat = true;
  argsCount = 0;
  let j = skipWsAt(buf, i + 1, n);
  if (j >= n) return INCOMPLETE;
  if (buf[j] === C.RBrace) {
    valueEnd = j + 1;
    return {};
  }
  for (;;) {
    if (buf[j] !== C.Quote) return NEED_JSON;
    const key = readString(buf, caches.view, j, n, caches.names);
    if (typeof key === 'number') return key;
    if (key === '__proto__') return NEED_JSON;
    j = skipWsAt(buf, valueEnd, n);
    if (j >= n) return INCOMPLETE;
    if (buf[j] !== C.Colon) return NEED_JSON;
    j = skipWsAt(buf, j + 1, n);
    if (j >= n) return INCOMPLETE;
    const c = buf[j]!;
    let v: unknown;
    if (c === C.Quote) {
      v = readString(buf, caches.view, j, n, caches.values);
      if (typeof v === 'number') return v;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const end = readNumber(buf, j, n);
      if (end < 0) return end;
      valueEnd = end;
      v = numberValue[0];
    } else if (c === C.LBrace || c === C.LBracket) {
      const end = scanComposite(buf, j, n);
      if (end < 0) return INCOMPLETE;
      try {
        v = JSON.parse(buf.toString('utf8', j, end));
      } catch {
        return NEED_JSON;
      }
      valueEnd = end;
      argsFlat = false;
    } else {
      v = readLiteral(buf, j, n);
      if (valueEnd < 0) return valueEnd;
      if (v === null) argsFlat = false;
    }
    if (out !== undefined) out[key] = v;
    else if (key === 'detail') out = { detail: v };
    else if (key === 'path') out = { path: v };
    else {
      out = {};
      out[key] = v;
    }
    argsCount++;
    j = skipWsAt(buf, valueEnd, n);
    if (j >= n) return INCOMPLETE;
    if (buf[j] === C.Comma) {
      j = skipWsAt(buf, j + 1, n);
      if (j >= n) return INCOMPLETE;
      continue;
    }
    if (buf[j] === C.RBrace) {
      valueEnd = j + 1;
      return out;
    }
    return NEED_JSON;
  }
}

const enum Field {
  Other,
  Ph,
  Name,
  Cat,
  Ts,
  Dur,
  Pid,
  Tid,
  Id,
  Args,
  /** Rare, structured: left to JSON.parse. */
  Id2,
}

/** Which field a key (bytes a..b, no escapes) names. */
function fieldOf(buf: Buffer, a: number, b: number): Field {
  const len = b - a;
  const c0 = buf[a]!;
  const c1 = buf[a + 1];
  if (len === 2) {
    if (c0 === 0x70 && c1 === 0x68) return Field.Ph; // ph
    if (c0 === 0x74 && c1 === 0x73) return Field.Ts; // ts
    if (c0 === 0x69 && c1 === 0x64) return Field.Id; // id
  } else if (len === 3) {
    const c2 = buf[a + 2];
    if (c1 === 0x69 && c2 === 0x64) return c0 === 0x70 ? Field.Pid : c0 === 0x74 ? Field.Tid : Field.Other; // pid tid
    if (c0 === 0x69 && c1 === 0x64 && c2 === 0x32) return Field.Id2; // id2
    if (c0 === 0x64 && c1 === 0x75 && c2 === 0x72) return Field.Dur; // dur
    if (c0 === 0x63 && c1 === 0x61 && c2 === 0x74) return Field.Cat; // cat
  } else if (len === 4) {
    const c2 = buf[a + 2];
    const c3 = buf[a + 3];
    if (c0 === 0x6e && c1 === 0x61 && c2 === 0x6d && c3 === 0x65) return Field.Name; // name
    if (c0 === 0x61 && c1 === 0x72 && c2 === 0x67 && c3 === 0x73) return Field.Args; // args
  }
  return Field.Other;
}

/**
 * Reads the event object at `i` into `e`. Returns its end, INCOMPLETE when `buf` ends first, or
 * NEED_JSON when it has something this reader leaves to JSON.parse (escapes, id2, exponents ...).
 * Each value is stored as `add` would take it from JSON.parse's object (a later duplicate key wins).
 */
function readEvent(buf: Buffer, i: number, n: number, e: EventFields, caches: ReadCaches): number {
  e.clear();
  let j = skipWsAt(buf, i + 1, n);
  if (j >= n) return INCOMPLETE;
  if (buf[j] === C.RBrace) return j + 1;
  const dv = caches.view;
  for (;;) {
    if (buf[j] !== C.Quote) return NEED_JSON;
    // The key's closing quote, and the field it names. The usual keys are told by the four bytes after
    // the quote (and the quote that ends the short ones), rather than scanned then compared.
    let k: number;
    let field: Field;
    const w = j + 8 <= n ? dv.getInt32(j + 1, true) : 0;
    if ((w & 0xffffff) === KEY_PH) {
      field = Field.Ph;
      k = j + 3;
    } else if ((w & 0xffffff) === KEY_TS) {
      field = Field.Ts;
      k = j + 3;
    } else if (w === KEY_PID) {
      field = Field.Pid;
      k = j + 4;
    } else if (w === KEY_TID) {
      field = Field.Tid;
      k = j + 4;
    } else if (w === KEY_DUR) {
      field = Field.Dur;
      k = j + 4;
    } else if (w === KEY_NAME && buf[j + 5] === C.Quote) {
      field = Field.Name;
      k = j + 5;
    } else if (w === KEY_ARGS && buf[j + 5] === C.Quote) {
      field = Field.Args;
      k = j + 5;
    } else {
      k = j + 1;
      let d = 0;
      while (k < n && (d = buf[k]!) !== C.Quote) {
        if (d === C.Backslash) return NEED_JSON;
        k++;
      }
      if (k >= n) return INCOMPLETE;
      field = fieldOf(buf, j + 1, k);
      if (field === Field.Id2) return NEED_JSON;
    }
    j = k + 1;
    if (buf[j] !== C.Colon) {
      j = skipWsAt(buf, j, n);
      if (j >= n) return INCOMPLETE;
      if (buf[j] !== C.Colon) return NEED_JSON;
    }
    j = skipWsAt(buf, j + 1, n);
    if (j >= n) return INCOMPLETE;
    const c = buf[j]!;
    if (field === Field.Other) {
      const end = skipValue(buf, j, n);
      if (end < 0) return end;
      valueEnd = end;
    } else if (c === C.Quote) {
      const v = readString(buf, caches.view, j, n, field === Field.Ph || field === Field.Name || field === Field.Cat ? caches.names : undefined);
      if (typeof v === 'number') return v;
      setString(e, field, v, stringId);
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const end = readNumber(buf, j, n);
      if (end < 0) return end;
      valueEnd = end;
      setNumber(e, field, numberValue[0]!);
    } else if (c === C.LBrace) {
      if (field !== Field.Args) return NEED_JSON;
      const v = readArgs(buf, j, n, caches);
      if (typeof v === 'number') return v;
      e.args = v;
      e.argsChecked = argsFlat;
      e.flatArgs = argsFlat && argsCount ? (v as Args) : undefined;
    } else {
      const v = readLiteral(buf, j, n);
      if (valueEnd < 0) return valueEnd;
      setOther(e, field, v);
    }
    j = skipWsAt(buf, valueEnd, n);
    if (j >= n) return INCOMPLETE;
    if (buf[j] === C.Comma) {
      j = skipWsAt(buf, j + 1, n);
      if (j >= n) return INCOMPLETE;
      continue;
    }
    if (buf[j] === C.RBrace) return j + 1;
    return NEED_JSON;
  }
}

/** Bytes as the little-endian word DataView.getInt32 reads them. */
function word(s: string): number {
  let w = 0;
  for (let k = s.length - 1; k >= 0; k--) w = (w << 8) | s.charCodeAt(k);
  return w;
}
const KEY_PH = word('ph"');
const KEY_TS = word('ts"');
const KEY_PID = word('pid"');
const KEY_TID = word('tid"');
const KEY_DUR = word('dur"');
const KEY_NAME = word('name');
const KEY_ARGS = word('args');

/** A string value of `field` into `e`, as EventFields.fromJson takes it. */
function setString(e: EventFields, field: Field, v: string, id: number): void {
  switch (field) {
    case Field.Ph:
      e.ph = v;
      break;
    case Field.Name:
      e.name = v;
      e.nameId = id;
      break;
    case Field.Cat:
      e.cat = v === '' ? undefined : v;
      e.catId = v === '' ? 0 : id;
      break;
    case Field.Tid:
      e.tid = v;
      break;
    default:
      // ts, dur and pid as strings are not numbers: setOther clears them as for any other type.
      setOther(e, field, v);
  }
}

/** A number value of `field` into `e`, as EventFields.fromJson takes it. */
function setNumber(e: EventFields, field: Field, v: number): void {
  switch (field) {
    case Field.Ts:
      e.ts = v;
      break;
    case Field.Dur:
      e.dur = v;
      break;
    case Field.Pid:
      e.pid = v;
      break;
    case Field.Tid:
      e.tid = v;
      break;
    default:
      setOther(e, field, v);
  }
}

/** Any other value of `field` into `e` (what is not a string or a number, or a field kept as is). */
function setOther(e: EventFields, field: Field, v: unknown): void {
  switch (field) {
    case Field.Ph:
      e.ph = '';
      break;
    case Field.Name:
      e.name = '';
      e.nameId = -1;
      break;
    case Field.Cat:
      e.cat = undefined;
      e.catId = 0;
      break;
    case Field.Ts:
      e.ts = NaN;
      break;
    case Field.Dur:
      e.dur = NaN;
      break;
    case Field.Pid:
      e.pid = 0;
      break;
    case Field.Tid:
      e.tid = 0;
      break;
    case Field.Id:
      e.id = v;
      break;
    case Field.Args:
      e.args = v;
      e.argsChecked = false;
      e.flatArgs = undefined;
      break;
  }
}

type State =
  | 'start' // before the top-level value
  | 'events' // inside the events array, before a value, a comma or the closing bracket
  | 'key' // inside the top-level object, before a key, a comma or the closing brace
  | 'colon' // after a key
  | 'value' // after a key's colon
  | 'after-array' // after the closing bracket of the array form
  | 'done' // after the top-level object
  | 'ignored'; // after garbage: the rest is not read

/** Reads a trace from a stream of chunks. */
class TraceReader {
  private state: State = 'start';
  private form: 'array' | 'object' | undefined;
  private carry: Buffer | undefined;
  /** Offset in the (gunzipped) input of the first byte of the current buffer. */
  private base = 0;
  private key = '';
  /** Top-level members other than traceEvents, parsed. */
  readonly members: Record<string, unknown> = {};
  private sawEvents = false;
  private readonly scratch = new EventFields();
  private readonly caches: ReadCaches;

  constructor(
    readonly file: string,
    readonly builder: TraceBuilder,
  ) {
    this.caches = new ReadCaches(builder.names);
  }

  private broken(reason: string, offset: number): never {
    throw new ImportError('broken', reason, this.file, undefined, offset);
  }

  push(chunk: Buffer): void {
    if (this.state === 'ignored') return;
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    const n = buf.length;
    this.caches.view = new DataView(buf.buffer, buf.byteOffset, n);
    let i = 0;
    // Event objects found in this buffer: parsed together in one JSON.parse.
    let firstStart = -1;
    let lastEnd = -1;
    const starts: number[] = [];
    const ends: number[] = [];
    const flush = () => {
      if (firstStart < 0) return;
      this.parseEvents(buf, firstStart, lastEnd, starts, ends);
      firstStart = -1;
      starts.length = 0;
      ends.length = 0;
    };
    while (i < n) {
      const c = buf[i]!;
      if (isWs(c)) {
        i++;
        continue;
      }
      switch (this.state) {
        case 'start':
          if (c === C.LBracket) {
            this.form = 'array';
            this.state = 'events';
            this.sawEvents = true;
          } else if (c === C.LBrace) {
            this.form = 'object';
            this.state = 'key';
          } else throw new ImportError('not-this-format', `not a Trace Event file: it starts with ${describeByte(buf, i)}, not "[" or "{"`, this.file, undefined, this.base + i);
          i++;
          break;
        case 'events': {
          if (c === C.LBrace) {
            const fastEnd = readEvent(buf, i, n, this.scratch, this.caches);
            if (fastEnd > 0) {
              flush(); // keep the file's order
              this.builder.addFields(this.scratch, this.base + i);
              i = fastEnd;
              break;
            }
            const end = scanComposite(buf, i, n);
            if (end < 0) {
              flush();
              // An event bigger than any real one: its quotes or braces are unbalanced.
              if (n - i > MAX_EVENT_BYTES) {
                const next = this.skipBroken(buf, i);
                if (next > i) {
                  i = next;
                  break;
                }
              }
              this.carry = buf.subarray(i);
              this.base += i;
              return;
            }
            if (firstStart < 0) firstStart = i;
            starts.push(i);
            ends.push(end);
            lastEnd = end;
            i = end;
          } else if (c === C.Comma) i++;
          else if (c === C.RBracket) {
            flush();
            this.state = this.form === 'array' ? 'after-array' : 'key';
            i++;
          } else {
            flush();
            if (this.builder.events === 0) this.broken(`expected an event object, found ${describeByte(buf, i)}`, this.base + i);
            this.builder.warn('garbage', `unexpected ${describeByte(buf, i)} between events at byte ${this.base + i}; the rest of the file is ignored`, this.base + i);
            this.state = 'ignored';
            return;
          }
          break;
        }
        case 'key': {
          if (c === C.Comma) {
            i++;
            break;
          }
          if (c === C.RBrace) {
            this.state = 'done';
            i++;
            break;
          }
          if (c !== C.Quote) this.broken(`expected a member name in the top-level object, found ${describeByte(buf, i)}`, this.base + i);
          const end = scanString(buf, i, n);
          if (end < 0) return this.keep(buf, i);
          this.key = JSON.parse(buf.toString('utf8', i, end)) as string;
          this.state = 'colon';
          i = end;
          break;
        }
        case 'colon':
          if (c !== C.Colon) this.broken(`expected ":" after ${JSON.stringify(this.key)}, found ${describeByte(buf, i)}`, this.base + i);
          this.state = 'value';
          i++;
          break;
        case 'value': {
          if (this.key === 'traceEvents' && c === C.LBracket) {
            this.state = 'events';
            this.sawEvents = true;
            i++;
            break;
          }
          const end = c === C.LBrace || c === C.LBracket ? scanComposite(buf, i, n) : c === C.Quote ? scanString(buf, i, n) : scanScalar(buf, i, n);
          if (end < 0) {
            if (n - i > MAX_MEMBER_BYTES) this.broken(`the top-level member ${JSON.stringify(this.key)} is bigger than ${MAX_MEMBER_BYTES} bytes`, this.base + i);
            return this.keep(buf, i);
          }
          if (this.key !== 'traceEvents' && this.key !== 'stackFrames' && this.key !== 'samples' && this.key !== 'systemTraceEvents') {
            try {
              this.members[this.key] = JSON.parse(buf.toString('utf8', i, end));
            } catch (e) {
              this.builder.warn('bad-member', `the top-level member ${JSON.stringify(this.key)} is not valid JSON (${(e as Error).message}); ignored`, this.base + i);
            }
          }
          this.state = 'key';
          i = end;
          break;
        }
        case 'after-array':
        case 'done':
          this.builder.warn('trailing-data', `unexpected ${describeByte(buf, i)} after the end of the trace at byte ${this.base + i}; ignored`, this.base + i);
          this.state = 'ignored';
          this.base += n;
          return;
      }
    }
    flush();
    this.base += n;
  }

  /**
   * The event at `i` never closes (an unbalanced quote or brace): skip it, with a warning, to the next
   * line or "},{" that starts an event. Returns where to go on, or `i` when there is no such place.
   */
  private skipBroken(buf: Buffer, i: number): number {
    const a = buf.indexOf('\n{', i + 1);
    const b = buf.indexOf('},{', i + 1);
    const next = a < 0 ? (b < 0 ? -1 : b + 2) : b < 0 ? a + 1 : Math.min(a + 1, b + 2);
    if (next < 0) return i;
    this.builder.warn('bad-event', `the event at byte ${this.base + i} is not valid JSON (its quotes or braces do not balance); skipped to byte ${this.base + next}`, this.base + i);
    return next;
  }

  /**
   * What the last push left unread (a view of its buffer), handed to the caller, who places it before
   * the next chunk: see readPlain.
   */
  takeCarry(): Buffer | undefined {
    const carry = this.carry;
    this.carry = undefined;
    return carry;
  }

  private keep(buf: Buffer, i: number): void {
    this.carry = buf.subarray(i);
    this.base += i;
  }

  private parseEvents(buf: Buffer, from: number, to: number, starts: number[], ends: number[]): void {
    let events: unknown;
    try {
      events = JSON.parse(`[${buf.toString('utf8', from, to)}]`);
    } catch {
      // Find the broken ones: one at a time.
      for (let k = 0; k < starts.length; k++) {
        try {
          this.addEvent(JSON.parse(buf.toString('utf8', starts[k], ends[k])), this.base + starts[k]!);
        } catch (e) {
          this.builder.warn('bad-event', `the event at byte ${this.base + starts[k]!} is not valid JSON (${(e as Error).message}); skipped`, this.base + starts[k]!);
        }
      }
      return;
    }
    const list = events as unknown[];
    for (let k = 0; k < list.length; k++) this.addEvent(list[k], this.base + starts[k]!);
  }

  private addEvent(e: unknown, byteOffset: number): void {
    if (isObject(e)) this.builder.add(e as RawEvent, byteOffset);
  }

  /** At the end of the input: what was left unfinished. */
  end(): void {
    // What is left of the events array may be a broken event followed by good ones.
    while (this.state === 'events' && this.carry?.length) {
      const carry = this.carry;
      const next = this.skipBroken(carry, 0);
      if (next === 0) break;
      this.carry = undefined;
      this.base += next;
      this.push(carry.subarray(next));
    }
    const at = this.base;
    switch (this.state) {
      case 'start':
        throw new ImportError('not-this-format', 'not a Trace Event file: it is empty', this.file);
      case 'events':
        if (this.carry?.length) {
          this.builder.warn('truncated', `the trace is cut off at byte ${at + this.carry.length} inside the event starting at byte ${at}, and has no closing "]" (was the writer killed?); the ${this.builder.events} events before it are kept`, at);
        } else this.builder.warn('truncated', `the trace ends at byte ${at} without its closing "]" (was the writer killed?); its ${this.builder.events} events are kept`, at);
        break;
      case 'key':
      case 'colon':
      case 'value':
        if (!this.sawEvents) throw new ImportError('not-this-format', 'not a Trace Event file: a JSON object without a "traceEvents" array', this.file);
        this.builder.warn('truncated', `the trace ends at byte ${at + (this.carry?.length ?? 0)} before the end of its top-level object; its ${this.builder.events} events are kept`, at);
        break;
      default:
        if (!this.sawEvents) throw new ImportError('not-this-format', 'not a Trace Event file: a JSON object without a "traceEvents" array', this.file);
    }
  }

  beginningOfTimeUs(): number | undefined {
    const b = this.members.beginningOfTime;
    return typeof b === 'number' && Number.isFinite(b) ? b : undefined;
  }
}

/** Run facts from our own exports' `otherData` (see export/chrome-trace.ts). */
function runFacts(members: Record<string, unknown>): Partial<RunFacts> | undefined {
  const other = members.otherData;
  if (!isObject(other) || typeof other['cmi.run'] !== 'string') return undefined;
  try {
    const r = JSON.parse(other['cmi.run']) as Partial<RunFacts>;
    const out: Partial<RunFacts> = {};
    if (Array.isArray(r.command)) out.command = r.command.map(String);
    if (typeof r.status === 'string') out.status = r.status;
    if (typeof r.statusReason === 'string') out.statusReason = r.statusReason;
    if (typeof r.exitCode === 'number' || r.exitCode === null) out.exitCode = r.exitCode;
    if (typeof r.signal === 'string' || r.signal === null) out.signal = r.signal;
    if (typeof r.wallMs === 'number') out.wallMs = r.wallMs;
    if (isObject(r.tools)) out.tools = Object.fromEntries(Object.entries(r.tools).map(([k, v]) => [k, String(v)]));
    if (typeof r.cwd === 'string') out.cwd = r.cwd;
    const h = r.host as unknown;
    if (isObject(h) && typeof h.platform === 'string' && typeof h.arch === 'string' && typeof h.cpus === 'number' && typeof h.totalMemoryBytes === 'number' && typeof h.node === 'string') {
      out.host = { platform: h.platform, arch: h.arch, cpus: h.cpus, totalMemoryBytes: h.totalMemoryBytes, node: h.node };
    }
    const sf = r.sampler as unknown;
    if (isObject(sf) && (sf.kind === 'procfs' || sf.kind === 'ps' || sf.kind === 'powershell' || sf.kind === 'none') && typeof sf.intervalMs === 'number' && typeof sf.ticks === 'number') {
      out.sampler = { kind: sf.kind, intervalMs: sf.intervalMs, ticks: sf.ticks };
      if (typeof sf.requestedIntervalMs === 'number') out.sampler.requestedIntervalMs = sf.requestedIntervalMs;
      if (typeof sf.maxGapMs === 'number') out.sampler.maxGapMs = sf.maxGapMs;
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Imports a Trace Event file (plain or gzip), streaming. Throws ImportError. */
export async function importChromeTrace(file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const builder = new TraceBuilder(file);
  const reader = new TraceReader(file, builder);
  let gzip: boolean;
  try {
    const fh = await open(file, 'r');
    try {
      const magic = Buffer.alloc(2);
      const { bytesRead } = await fh.read(magic, 0, 2, 0);
      gzip = bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImportError('broken', code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`, file);
  }
  if (gzip) await readGzip(file, reader, builder, opts);
  else await readPlain(file, reader, builder, opts);
  reader.end();
  const result: ImportResult = builder.finish(reader.beginningOfTimeUs());
  const run = runFacts(reader.members);
  if (run) result.run = run;
  return result;
}

/** Room before each chunk of readPlain's for what the last one left unread (an event cut in two). */
const CARRY_ROOM = 64 << 10;

/**
 * A plain file, in two buffers used in turn: the next chunk is read into one while the other is
 * parsed (no new buffer per chunk, nor a concatenation). The bytes the last chunk left unread are
 * copied into the room before the chunk; when they do not fit (an event or member longer than that),
 * the two are concatenated.
 */
async function readPlain(file: string, reader: TraceReader, builder: TraceBuilder, opts: ImportOptions): Promise<void> {
  let fh;
  try {
    fh = await open(file, 'r');
    builder.fileBytes = (await fh.stat()).size;
  } catch (e) {
    await fh?.close().catch(() => undefined);
    throw new ImportError('broken', `cannot read: ${(e as Error).message}`, file);
  }
  const bufs = [Buffer.allocUnsafe(CARRY_ROOM + CHUNK_BYTES), Buffer.allocUnsafe(CARRY_ROOM + CHUNK_BYTES)];
  const read = (buf: Buffer) => fh.read(buf, CARRY_ROOM, CHUNK_BYTES, null).then(({ bytesRead }) => bytesRead);
  let pending: Promise<number> | undefined = read(bufs[0]!);
  try {
    for (let cur = 0; ; cur ^= 1) {
      let bytesRead: number;
      try {
        bytesRead = await pending;
      } catch (e) {
        throw new ImportError('broken', `cannot read: ${(e as Error).message}`, file);
      } finally {
        pending = undefined;
      }
      if (bytesRead === 0) break;
      opts.signal?.throwIfAborted();
      const buf = bufs[cur]!;
      const carry = reader.takeCarry(); // a view of the other buffer: placed here before it is read into
      let view: Buffer;
      if (!carry) view = buf.subarray(CARRY_ROOM, CARRY_ROOM + bytesRead);
      else if (carry.length <= CARRY_ROOM) {
        carry.copy(buf, CARRY_ROOM - carry.length);
        view = buf.subarray(CARRY_ROOM - carry.length, CARRY_ROOM + bytesRead);
      } else view = Buffer.concat([carry, buf.subarray(CARRY_ROOM, CARRY_ROOM + bytesRead)]);
      pending = read(bufs[cur ^ 1]!);
      reader.push(view);
    }
  } finally {
    // A read still under way (when parsing threw) ends before the file is closed, its error unheard.
    if (pending) await pending.catch(() => 0);
    await fh.close();
  }
}

/** A gzip file, streamed through gunzip. */
async function readGzip(file: string, reader: TraceReader, builder: TraceBuilder, opts: ImportOptions): Promise<void> {
  const raw = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const stream: NodeJS.ReadableStream = raw.pipe(createGunzip({ chunkSize: CHUNK_BYTES }));
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      opts.signal?.throwIfAborted();
      reader.push(chunk);
    }
  } catch (e) {
    if (e instanceof ImportError || (e as Error).name === 'AbortError') throw e;
    if (builder.events === 0) throw new ImportError('broken', `cannot gunzip: ${(e as Error).message}`, file);
    builder.warn('gzip', `the gzip data is broken (${(e as Error).message}); the events before it are kept`);
  } finally {
    raw.destroy();
  }
}

export const chromeTraceImporter: Importer = {
  format: FORMAT,
  description: 'Trace Event Format JSON (Chrome/Perfetto): clang -ftime-trace, tsc --generateTrace, rustc -Z llvm-time-trace, our exports; plain or gzip, any size',
  sniff: (head) => isChromeTrace(head),
  importFile: importChromeTrace,
};
