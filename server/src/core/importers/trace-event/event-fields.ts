// One Trace Event as the builder takes it (EventFields), filled by either of the two ways an event is
// read: from the bytes by fast-event-reader.ts, or from the object JSON.parse gives (RawEvent) by the
// reader for the events the fast one leaves to it. Declared here, once, for both sides and the builder,
// with the checks of an event's args.

/** An event's args, keeping only the primitive values. */
export type Args = Record<string, string | number | boolean>;

/** One event as JSON.parse gives it; only the fields used. */
export interface RawEvent {
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
export class EventFields {
  ph = '';
  name = '';
  /** The id of `name` in the builder's NameTable, known when it came from the reader's cache; else -1. */
  nameId = -1;
  cat: string | undefined = undefined;
  /** The id of `cat` (as nameId). */
  catId = -1;
  /** `ts`: NaN when missing or not a number. */
  tsUs = NaN;
  /** `dur`: NaN when missing or not a number. */
  durUs = NaN;
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
    this.tsUs = this.durUs = NaN;
    this.pid = this.tid = 0;
    this.id = this.id2 = this.args = this.flatArgs = undefined;
  }

  fromJson(e: RawEvent): void {
    this.clear();
    if (typeof e.ph === 'string') this.ph = e.ph;
    if (typeof e.name === 'string') this.name = e.name;
    if (typeof e.cat === 'string' && e.cat !== '') this.cat = e.cat;
    if (typeof e.ts === 'number') this.tsUs = e.ts;
    if (typeof e.dur === 'number') this.durUs = e.dur;
    if (typeof e.pid === 'number') this.pid = e.pid;
    if (typeof e.tid === 'number' || typeof e.tid === 'string') this.tid = e.tid;
    this.id = e.id;
    this.id2 = e.id2;
    this.args = e.args;
  }
}

/** The args of an event, keeping only primitive values; undefined when none. */
export function argsOf(e: EventFields): Args | undefined {
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

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
