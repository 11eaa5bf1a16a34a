// The fast path of the Trace Event reader: events of the common shape read straight from the bytes.
//
// JSON.parse of every event would build an object per event only to read six fields of it. Events
// whose keys and strings have no escapes and whose args are flat are read here instead, into the one
// EventFields the reader reuses, with the byte readers of json-scanner.ts; anything else (escapes,
// nested args, exponents, odd literals) returns NEED_JSON and goes through JSON.parse.

import type { Args, EventFields } from './event-fields';
import type { StringIds } from './json-scanner';
import {
  C,
  INCOMPLETE,
  NEED_JSON,
  numberValue,
  readLiteral,
  readNumber,
  readString,
  scanComposite,
  skipValue,
  skipWsAt,
  StringCache,
  stringId,
  valueEnd,
} from './json-scanner';

/** The caches of one import (the names' ids are the builder's: see NameTable). */
export class ReadCaches {
  /** Keys, names, categories: a few distinct ones, seen millions of times (as property names: keys). */
  readonly names: StringCache;
  /** String values of args: some repeat (pass names), many are seen once (symbols). */
  readonly values = new StringCache(12, undefined);
  /** A view of the buffer being read (for reads of four bytes at once). */
  view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  constructor(table: StringIds) {
    this.names = new StringCache(12, table);
  }
}

/** Whether all the values readArgs last read are primitive (strings, numbers, booleans), and how many. */
let argsFlat = true;
let argsCount = 0;
/** Where the args readArgs last read end. */
let argsEnd = 0;

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
    argsEnd = j + 1;
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
    let end: number;
    if (c === C.Quote) {
      v = readString(buf, caches.view, j, n, caches.values);
      if (typeof v === 'number') return v;
      end = valueEnd;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      end = readNumber(buf, j, n);
      if (end < 0) return end;
      v = numberValue[0];
    } else if (c === C.LBrace || c === C.LBracket) {
      end = scanComposite(buf, j, n);
      if (end < 0) return INCOMPLETE;
      try {
        v = JSON.parse(buf.toString('utf8', j, end));
      } catch {
        return NEED_JSON;
      }
      argsFlat = false;
    } else {
      v = readLiteral(buf, j, n);
      end = valueEnd;
      if (end < 0) return end;
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
    j = skipWsAt(buf, end, n);
    if (j >= n) return INCOMPLETE;
    if (buf[j] === C.Comma) {
      j = skipWsAt(buf, j + 1, n);
      if (j >= n) return INCOMPLETE;
      continue;
    }
    if (buf[j] === C.RBrace) {
      argsEnd = j + 1;
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
 * Each value is stored as EventFields.fromJson takes it from JSON.parse's object (a later duplicate
 * key wins).
 */
export function readEvent(buf: Buffer, i: number, n: number, e: EventFields, caches: ReadCaches): number {
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
    let end: number;
    if (field === Field.Other) {
      end = skipValue(buf, j, n);
      if (end < 0) return end;
    } else if (c === C.Quote) {
      const cache = field === Field.Ph || field === Field.Name || field === Field.Cat ? caches.names : undefined;
      const v = readString(buf, caches.view, j, n, cache);
      if (typeof v === 'number') return v;
      end = valueEnd;
      setString(e, field, v, stringId);
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      end = readNumber(buf, j, n);
      if (end < 0) return end;
      setNumber(e, field, numberValue[0]!);
    } else if (c === C.LBrace) {
      if (field !== Field.Args) return NEED_JSON;
      const v = readArgs(buf, j, n, caches);
      if (typeof v === 'number') return v;
      end = argsEnd;
      e.args = v;
      e.argsChecked = argsFlat;
      e.flatArgs = argsFlat && argsCount ? (v as Args) : undefined;
    } else {
      const v = readLiteral(buf, j, n);
      end = valueEnd;
      if (end < 0) return end;
      setOther(e, field, v);
    }
    j = skipWsAt(buf, end, n);
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
      e.tsUs = v;
      break;
    case Field.Dur:
      e.durUs = v;
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
      e.tsUs = NaN;
      break;
    case Field.Dur:
      e.durUs = NaN;
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
