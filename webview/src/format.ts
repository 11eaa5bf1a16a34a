// Formatting for people, in the view (the view imports nothing from server/): binary byte units.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

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

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a >= 60_000) return `${Math.floor(ms / 60_000)} min ${((a % 60_000) / 1000).toFixed(1)} s`;
  if (a >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (a >= 10) return `${ms.toFixed(1)} ms`;
  if (a >= 0.1 || a === 0) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(1)} µs`;
}

export function formatPercent(f: number | null | undefined): string {
  return f === null || f === undefined || !Number.isFinite(f) ? '–' : `${(f * 100).toFixed(1)} %`;
}

/** Tick values for a bytes axis at round binary steps (e.g. every 32 MiB), from 0 to at least max. */
export function byteTicks(max: number, target = 6): number[] {
  if (!(max > 0)) return [0];
  const unit = max >= 2 ** 30 ? 2 ** 30 : max >= 2 ** 20 ? 2 ** 20 : max >= 2 ** 10 ? 2 ** 10 : 1;
  const raw = max / unit / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * pow >= raw) ?? 10) * pow * unit;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 0.001 && ticks.length < 50; v += step) ticks.push(v);
  if (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}
