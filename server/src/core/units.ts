// Units that cannot be mixed up: milliseconds of the profile's clock, epoch milliseconds,
// microseconds (the Trace Event format's clock), bytes and KiB are distinct types, as perfetto's
// base/time.ts makes its time and duration. A plain number becomes one only through the named
// constructors and conversions below, so a column that holds milliseconds cannot be passed where
// microseconds are expected, and every conversion factor is written once, here.
//
// The brand exists only for the type checker: at run time each is a plain number, so typed arrays
// (Float64Array columns) and arithmetic cost nothing. Arithmetic on two values of a unit gives a
// plain number; wrap the result with its constructor (`ms(a - b)`) to say which unit it is.
//
// Beside them, the formatters for people (`formatBytes`, `formatMs` …), whose one implementation
// lives in common/format.ts, shared with the view. The model imports only the types from here.

declare const unit: unique symbol;
type Unit<Name extends string> = number & { readonly [unit]: Name };

/** Milliseconds on the profile's clock (since `run.startEpochMs`), or a duration in milliseconds. */
export type Ms = Unit<'ms'>;
/** Milliseconds since the Unix epoch (`Date.now()`, `performance.timeOrigin + performance.now()`). */
export type EpochMs = Unit<'epoch-ms'>;
/** Microseconds: the Trace Event format's `ts` and `dur`. */
export type Us = Unit<'us'>;
/** Bytes. */
export type Bytes = Unit<'bytes'>;
/** Kibibytes (1024 bytes): what /proc and `ps` report. */
export type KiB = Unit<'KiB'>;

export const ms = (n: number): Ms => n as Ms;
export const epochMs = (n: number): EpochMs => n as EpochMs;
export const us = (n: number): Us => n as Us;
export const bytes = (n: number): Bytes => n as Bytes;
export const kib = (n: number): KiB => n as KiB;

export const usToMs = (t: Us): Ms => (t / 1000) as Ms;
export const msToUs = (t: Ms): Us => (t * 1000) as Us;
export const secondsToMs = (s: number): Ms => (s * 1000) as Ms;
/** Seconds since the epoch (bash's `EPOCHREALTIME`, a wrapper's stamp) in epoch milliseconds. */
export const epochSecondsToMs = (s: number): EpochMs => (s * 1000) as EpochMs;
export const kibToBytes = (k: KiB): Bytes => (k * 1024) as Bytes;
/** An epoch time on the profile's clock, whose time 0 is `originEpochMs`. */
export const epochToProfileMs = (t: EpochMs, origin: EpochMs): Ms => (t - origin) as Ms;
export const profileToEpochMs = (t: Ms, origin: EpochMs): EpochMs => (t + origin) as EpochMs;

export { formatBytes, formatMs, formatPercent } from '../../../common/format';
