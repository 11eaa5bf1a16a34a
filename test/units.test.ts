// The branded units (server/src/core/units.ts): the conversions give the numbers a user reads, and a
// value of one unit cannot be passed where another is expected. The `@ts-expect-error` lines are
// checked by the type check of the test command (tsc --noEmit): if a brand stopped separating two
// units, the directive would be unused and the type check would fail.
import { describe, expect, it } from 'vitest';
import {
  type Bytes,
  bytes,
  epochMs,
  epochSecondsToMs,
  epochToProfileMs,
  kib,
  kibToBytes,
  type Ms,
  ms,
  msToUs,
  profileToEpochMs,
  secondsToMs,
  us,
  usToMs,
} from '../server/src/core/units';

const durationOf = (startMs: Ms, endMs: Ms): Ms => ms(endMs - startMs);
const sizeOf = (b: Bytes): Bytes => b;

describe('units', () => {
  it('converts with the factors a user expects', () => {
    expect(usToMs(us(1500))).toBe(1.5);
    expect(msToUs(ms(1.5))).toBe(1500);
    expect(secondsToMs(0.063)).toBeCloseTo(63, 9);
    expect(kibToBytes(kib(4))).toBe(4096);
    expect(epochSecondsToMs(1_765_000_000.25)).toBe(1_765_000_000_250);
    expect(epochToProfileMs(epochMs(1_000_250), epochMs(1_000_000))).toBe(250);
    expect(profileToEpochMs(ms(250), epochMs(1_000_000))).toBe(1_000_250);
  });

  it('keeps units apart for the type checker, and costs nothing at run time', () => {
    expect(durationOf(ms(10), ms(25))).toBe(15);
    // @ts-expect-error microseconds are not milliseconds
    durationOf(us(10), ms(25));
    // @ts-expect-error epoch milliseconds are not on the profile's clock
    durationOf(epochMs(10), ms(25));
    // @ts-expect-error a plain number has no unit until a constructor gives it one
    durationOf(10, ms(25));
    // @ts-expect-error KiB are not bytes
    sizeOf(kib(4));
    expect(sizeOf(bytes(4096))).toBe(4096);
  });
});
