// CLOCK_MONOTONIC, the clock of the live-heap library's peak times, onto the profile's clock.
//
// Node's process.hrtime() reads CLOCK_MONOTONIC (libuv's uv_hrtime), and performance.now() is the
// same clock from performance.timeOrigin: the runner's time 0 (`startEpochMs`) is taken on it. One
// reading of both, back to back, ties the two: the error is the time between them (microseconds),
// and no wall-clock step can move it.

import type { EpochMs, Ms } from '../../model';
import { ms } from '../../units';

/** A function from CLOCK_MONOTONIC ns to ms since `startEpochMs` on the profile's clock. */
export function monotonicToProfileMs(startEpochMs: EpochMs): (ns: bigint) => Ms {
  const hrNs = process.hrtime.bigint();
  const epochNowMs = performance.timeOrigin + performance.now();
  const nowProfileMs = epochNowMs - startEpochMs;
  // In bigint first: ns since boot outgrow a double's exact integers after 104 days of uptime.
  return (ns) => ms(nowProfileMs + Number(ns - hrNs) / 1e6);
}
