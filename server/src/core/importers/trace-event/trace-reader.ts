// Reads a Trace Event file into a TraceBuilder, streaming: the state machine over the top-level JSON
// (the array form or the object form, see chrome-trace-importer.ts) and the file's IO.
//
// Big files: the input is read in ~1 MiB chunks (gunzipped when gzip; a plain file into two buffers in
// turn, the next chunk read while one is parsed) and never held whole (files beyond V8's longest string
// import). Events of the common shape (no escapes in keys or in the fields used, flat args) are read
// straight from the bytes (fast-event-reader.ts, four bytes at a time where it can) with no object per
// event, repeated names coming from a cache keyed by their bytes; the others are delimited by the byte
// scanner (json-scanner.ts: strings, escapes, depth) and JSON.parsed a chunk at a time.
// bench/chrome-trace-import.mjs measures speed and memory.
//
// Damage: a file cut short (writer killed) keeps its events, with a warning giving the byte; an event
// that is not valid JSON is skipped with a warning (when its quotes don't balance, up to the next line
// or "},{"); a file that starts as something else is 'not-this-format'; a top-level array whose first
// element is no event is 'broken' at its byte. Byte offsets are in the gunzipped data for gzip files.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { ImportOptions } from '../importer';
import { ImportError } from '../import-error';
import type { RawEvent } from './event-fields';
import { EventFields, isObject } from './event-fields';
import { ReadCaches, readEvent } from './fast-event-reader';
import { C, describeByte, isWs, scanComposite, scanScalar, scanString } from './json-scanner';
import type { TraceBuilder } from './trace-builder';

const CHUNK_BYTES = 1 << 20;
/** A top-level member other than traceEvents bigger than this is skipped rather than kept. */
const MAX_MEMBER_BYTES = 16 << 20;
/** An event longer than this is taken for one whose quotes or braces do not balance. */
const MAX_EVENT_BYTES = 16 << 20;

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
export class TraceReader {
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
          // A UTF-8 byte order mark (an editor's) before the JSON is skipped.
          if (c === 0xef && this.base + i === 0 && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) {
            i += 3;
            break;
          }
          if (c === C.LBracket) {
            this.form = 'array';
            this.state = 'events';
            this.sawEvents = true;
          } else if (c === C.LBrace) {
            this.form = 'object';
            this.state = 'key';
          } else
            throw new ImportError(
              'not-this-format',
              `not a Trace Event file: it starts with ${describeByte(buf, i)}, not "[" or "{"`,
              this.file,
              undefined,
              this.base + i,
            );
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
            if (this.builder.events === 0)
              this.broken(`expected an event object, found ${describeByte(buf, i)}`, this.base + i);
            this.builder.warn(
              'garbage',
              `unexpected ${describeByte(buf, i)} between events at byte ${this.base + i}; the rest of the file is ignored`,
              this.base + i,
            );
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
          if (c !== C.Quote)
            this.broken(`expected a member name in the top-level object, found ${describeByte(buf, i)}`, this.base + i);
          const end = scanString(buf, i, n);
          if (end < 0) return this.keep(buf, i);
          this.key = JSON.parse(buf.toString('utf8', i, end)) as string;
          this.state = 'colon';
          i = end;
          break;
        }
        case 'colon':
          if (c !== C.Colon)
            this.broken(`expected ":" after ${JSON.stringify(this.key)}, found ${describeByte(buf, i)}`, this.base + i);
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
          const end =
            c === C.LBrace || c === C.LBracket
              ? scanComposite(buf, i, n)
              : c === C.Quote
                ? scanString(buf, i, n)
                : scanScalar(buf, i, n);
          if (end < 0) {
            if (n - i > MAX_MEMBER_BYTES)
              this.broken(
                `the top-level member ${JSON.stringify(this.key)} is bigger than ${MAX_MEMBER_BYTES} bytes`,
                this.base + i,
              );
            return this.keep(buf, i);
          }
          if (
            this.key !== 'traceEvents' &&
            this.key !== 'stackFrames' &&
            this.key !== 'samples' &&
            this.key !== 'systemTraceEvents'
          ) {
            try {
              this.members[this.key] = JSON.parse(buf.toString('utf8', i, end));
            } catch (e) {
              this.builder.warn(
                'bad-member',
                `the top-level member ${JSON.stringify(this.key)} is not valid JSON (${(e as Error).message}); ignored`,
                this.base + i,
              );
            }
          }
          this.state = 'key';
          i = end;
          break;
        }
        case 'after-array':
        case 'done':
          this.builder.warn(
            'trailing-data',
            `unexpected ${describeByte(buf, i)} after the end of the trace at byte ${this.base + i}; ignored`,
            this.base + i,
          );
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
    this.builder.warn(
      'bad-event',
      `the event at byte ${this.base + i} is not valid JSON (its quotes or braces do not balance); skipped to byte ${this.base + next}`,
      this.base + i,
    );
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
          this.builder.warn(
            'bad-event',
            `the event at byte ${this.base + starts[k]!} is not valid JSON (${(e as Error).message}); skipped`,
            this.base + starts[k]!,
          );
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
          this.builder.warn(
            'truncated',
            `the trace is cut off at byte ${at + this.carry.length} inside the event starting at byte ${at}, and has no closing "]" (was the writer killed?); the ${this.builder.events} events before it are kept`,
            at,
          );
        } else
          this.builder.warn(
            'truncated',
            `the trace ends at byte ${at} without its closing "]" (was the writer killed?); its ${this.builder.events} events are kept`,
            at,
          );
        break;
      case 'key':
      case 'colon':
      case 'value':
        if (!this.sawEvents)
          throw new ImportError(
            'not-this-format',
            'not a Trace Event file: a JSON object without a "traceEvents" array',
            this.file,
          );
        this.builder.warn(
          'truncated',
          `the trace ends at byte ${at + (this.carry?.length ?? 0)} before the end of its top-level object; its ${this.builder.events} events are kept`,
          at,
        );
        break;
      default:
        if (!this.sawEvents)
          throw new ImportError(
            'not-this-format',
            'not a Trace Event file: a JSON object without a "traceEvents" array',
            this.file,
          );
    }
  }

  beginningOfTimeUs(): number | undefined {
    const b = this.members.beginningOfTime;
    return typeof b === 'number' && Number.isFinite(b) ? b : undefined;
  }
}

/**
 * Reads `file` (plain or gzip, told by its first bytes) into the reader, then ends it. Throws
 * ImportError.
 */
export async function readTraceFile(file: string, reader: TraceReader, opts: ImportOptions): Promise<void> {
  const builder = reader.builder;
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
    if (builder.events === 0)
      throw new ImportError(
        'broken',
        `cannot gunzip (${(e as Error).message}) near compressed byte ${raw.bytesRead}: no event could be read`,
        file,
        undefined,
        raw.bytesRead,
      );
    builder.warn('gzip', `the gzip data is broken (${(e as Error).message}); the events before it are kept`);
  } finally {
    raw.destroy();
  }
}
