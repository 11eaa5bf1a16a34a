// What a real build can plausibly report. A value outside these bounds (1e305 ms, 1e29 bytes, a
// negative heap, NaN) comes from a damaged or hostile file, never from a compiler: importers and the
// profile reader drop it and count it in a warning, as Perfetto counts what it drops in its stats.

import type { Bytes, Ms } from './units';

/** A week: longer than any build this tool profiles, short enough to catch 1e305. */
export const MAX_PLAUSIBLE_MS = 7 * 24 * 3600 * 1000;
/** 64 TiB: above any machine's memory, far below 1e29. */
export const MAX_PLAUSIBLE_BYTES = 2 ** 46;
/** Epoch milliseconds from 2000 to 2100: what a trace's wall-clock stamp can be. */
export const MIN_PLAUSIBLE_EPOCH_MS = Date.UTC(2000, 0, 1);
export const MAX_PLAUSIBLE_EPOCH_MS = Date.UTC(2100, 0, 1);

/** A time on a profile's clock or a duration: finite, and within a week either side of 0. */
export function isPlausibleMs(t: number): t is Ms {
  return Number.isFinite(t) && Math.abs(t) <= MAX_PLAUSIBLE_MS;
}

/** A duration: finite, not negative, at most a week. */
export function isPlausibleDurationMs(d: number): d is Ms {
  return Number.isFinite(d) && d >= 0 && d <= MAX_PLAUSIBLE_MS;
}

/** An amount of memory: finite, not negative, at most 64 TiB. */
export function isPlausibleBytes(b: number): b is Bytes {
  return Number.isFinite(b) && b >= 0 && b <= MAX_PLAUSIBLE_BYTES;
}

/**
 * A process id: a whole number within 32 bits either side of 0 (Linux's limit is 2^22, Windows'
 * ids fit 32 bits; synthetic traces use small or negative ones). 1e305 is damage.
 */
export function isPlausiblePid(pid: number): boolean {
  return Number.isSafeInteger(pid) && Math.abs(pid) <= 2 ** 32;
}

/** An epoch time in milliseconds between 2000 and 2100 (so `new Date(t)` is always valid). */
export function isPlausibleEpochMs(t: number): boolean {
  return Number.isFinite(t) && t >= MIN_PLAUSIBLE_EPOCH_MS && t <= MAX_PLAUSIBLE_EPOCH_MS;
}
