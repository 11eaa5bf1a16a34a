// Formatting for people in the view: the shared formatters (common/format.ts) and the axis ticks.

export { formatBytes, formatMs, formatPercent } from '../../common/format';

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
