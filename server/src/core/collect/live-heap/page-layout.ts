// The page libcmi-heap.so shares with the profiler, as the profiler reads it: one file per program
// image, `$CMI_LIVE_HEAP_DIR/<pid>-<startNs>`, one page long, native byte order (little-endian on
// every Linux the library is built for here). The C side is native/cmi-heap-page.h; the test
// compiles a program printing that struct's offsets and compares them with these.
//
// Imports nothing: the reader and the tests both use it.

/** The directory the library publishes into. */
export const LIVE_HEAP_DIR_ENV = 'CMI_LIVE_HEAP_DIR';

export const PAGE_MAGIC = 0x48494d43; // "CMIH"
export const PAGE_VERSION = 1;
export const PAGE_BYTES = 4096;
/** The fixed fields, before the command line. */
export const PAGE_HEADER_BYTES = 64;

export const PAGE_OFFSETS = {
  magic: 0,
  version: 4,
  pid: 8,
  flags: 12,
  live: 16,
  peak: 24,
  allocs: 32,
  peakNs: 40,
  startNs: 48,
  argvLen: 56,
  argv: 64,
} as const;

export const FLAG_EXITED = 1;
export const FLAG_FORKED = 2;

export interface PageHeader {
  pid: number;
  /** exit(), _exit() or _Exit() ran (a signal leaves it unset). */
  exited: boolean;
  /** A fork's child: its live bytes started as its parent's. */
  forked: boolean;
  /** Usable bytes live now (never below 0: a free of a block counted elsewhere may dip it). */
  liveBytes: number;
  peakBytes: number;
  allocs: number;
  /** CLOCK_MONOTONIC ns when the peak last rose (0: never). */
  peakNs: bigint;
  /** CLOCK_MONOTONIC ns when this image's page was made. */
  startNs: bigint;
  argvBytes: number;
}

/**
 * The fixed fields of a page, or undefined while the page is not ready (a file just created,
 * zeroed, or of another version). `buf` holds at least PAGE_HEADER_BYTES from offset 0.
 */
export function readPageHeader(buf: Buffer, length: number): PageHeader | undefined {
  if (length < PAGE_HEADER_BYTES) return undefined;
  if (buf.readUInt32LE(PAGE_OFFSETS.magic) !== PAGE_MAGIC) return undefined;
  if (buf.readUInt32LE(PAGE_OFFSETS.version) !== PAGE_VERSION) return undefined;
  const flags = buf.readUInt32LE(PAGE_OFFSETS.flags);
  return {
    pid: buf.readInt32LE(PAGE_OFFSETS.pid),
    exited: (flags & FLAG_EXITED) !== 0,
    forked: (flags & FLAG_FORKED) !== 0,
    liveBytes: Math.max(0, Number(buf.readBigInt64LE(PAGE_OFFSETS.live))),
    peakBytes: Math.max(0, Number(buf.readBigInt64LE(PAGE_OFFSETS.peak))),
    allocs: Number(buf.readBigUInt64LE(PAGE_OFFSETS.allocs)),
    peakNs: buf.readBigUInt64LE(PAGE_OFFSETS.peakNs),
    startNs: buf.readBigUInt64LE(PAGE_OFFSETS.startNs),
    argvBytes: Math.min(buf.readUInt32LE(PAGE_OFFSETS.argvLen), PAGE_BYTES - PAGE_OFFSETS.argv),
  };
}

/** The command line stored after the header (NUL-separated, possibly cut). */
export function readPageArgv(buf: Buffer, argvBytes: number): string[] {
  const raw = buf.toString('utf8', PAGE_OFFSETS.argv, PAGE_OFFSETS.argv + argvBytes);
  const parts = raw.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** The file name of an image's page: `<pid>-<startNs>`; undefined for anything else. */
export function parsePageFileName(name: string): { pid: number; startNs: bigint } | undefined {
  const m = /^(\d+)-(\d+)$/.exec(name);
  return m ? { pid: Number(m[1]), startNs: BigInt(m[2]!) } : undefined;
}
