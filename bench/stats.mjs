// What the benchmarks share: the median of paired ratios, and the line each prints for one.

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
