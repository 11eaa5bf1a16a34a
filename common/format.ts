// Formatting of bytes and milliseconds for people, shared by the engine (CLI, language server) and
// the view: one formatter, so the status bar, the summaries and the timeline say the same thing.
// Binary units (KiB = 1024 B), because that is what RSS, heap profilers and allocators mean; inputs
// are always plain bytes and ms. Imports nothing.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `formatBytes(147324928)` → "140.5 MiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${sign}${u === 0 ? v.toFixed(0) : v.toFixed(1)} ${BYTE_UNITS[u]}`;
}

/** `formatMs(3204.2)` → "3.20 s", `formatMs(12.3)` → "12.3 ms", `formatMs(0.04)` → "40.0 µs". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a >= 60_000) return `${Math.floor(ms / 60_000)} min ${((a % 60_000) / 1000).toFixed(1)} s`;
  if (a >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (a >= 10) return `${ms.toFixed(1)} ms`;
  if (a >= 0.1 || a === 0) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

/** `formatPercent(0.6234)` → "62.3 %". */
export function formatPercent(fraction: number | null | undefined): string {
  return fraction === null || fraction === undefined || !Number.isFinite(fraction)
    ? '–'
    : `${(fraction * 100).toFixed(1)} %`;
}
