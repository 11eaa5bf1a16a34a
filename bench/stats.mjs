// What the benchmarks share: the median of paired ratios, the line each prints for one, and how a
// benchmark file runs on its own (`node bench/x.mjs --runs N`).

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One figure: its name, the median of its ratios, how they were obtained, and the target. */
export function defaultReport(name, ratios, details, target) {
  console.log(`${name.padEnd(52)} ${median(ratios).toFixed(3)}×   (${details}; target ${target})`);
}

/** "pair ratios 0.981–1.034": the spread of the paired ratios a median stands for. */
export function pairRange(ratios) {
  return `pair ratios ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`;
}

/**
 * Runs `bench({ runs })` when the file at `metaUrl` is the script node was started with (not when
 * bench/run.mjs imports it); `--runs N` overrides `defaultRuns`.
 */
export async function runWhenMain(metaUrl, defaultRuns, bench) {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(metaUrl)) return;
  const args = process.argv.slice(2);
  const at = args.indexOf('--runs');
  await bench({ runs: (at >= 0 && Number(args[at + 1])) || defaultRuns });
}
