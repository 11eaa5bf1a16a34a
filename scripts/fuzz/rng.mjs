// A seeded generator (mulberry32): the same seed gives the same mutants on every machine, so a
// failing mutant is replayed from its seed alone.

/** A generator of floats in [0, 1) from a 32-bit seed. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [0, n). */
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

/** The seed of mutant `index` of `format` in a run seeded `seed`: stable, independent per mutant. */
export function mutantSeed(seed, format, index) {
  let h = 2166136261 ^ seed;
  for (const c of `${format}#${index}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}
