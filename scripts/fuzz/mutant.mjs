// One mutant: which fixture, which operator, the damaged bytes, all from (seed, format, index).

import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { containerOf, unwrap, wrap } from './containers.mjs';
import { PROFILE_OPS, TEXT_OPS } from './mutators.mjs';
import { PROFILE_FORMAT } from './corpus.mjs';
import { mutantSeed, rng } from './rng.mjs';

const cache = new Map();
function load(file) {
  if (!cache.has(file)) {
    const raw = readFileSync(file);
    const kind = containerOf(raw);
    cache.set(file, { raw, kind, inner: unwrap(kind, raw) });
  }
  return cache.get(file);
}

/** The operator names of a format, in the order mutants cycle through them. */
export function operators(format, { big }) {
  const ops = [...Object.keys(TEXT_OPS), 'broken-container'];
  if (format === PROFILE_FORMAT) ops.push(...Object.keys(PROFILE_OPS), ...Object.keys(PROFILE_OPS));
  if (big) ops.push('huge-line');
  return ops;
}

/** The bomb is one mutant per format (mutant 1): each one runs to the memory bound. */
const BOMB_INDEX = 1;

/**
 * Mutant `index` of `format`: { op, fixture, name, bytes } or, for the bomb, { op, fixture, name,
 * file } (one prepared file per run, `bombs.gz` / `bombs.zst`).
 */
export function makeMutant({ format, fixtures, index, seed, big, bomb, bombs }) {
  const r = rng(mutantSeed(seed, format, index));
  const ops = operators(format, { big });
  const op = bomb && index === BOMB_INDEX ? 'bomb' : ops[index % ops.length];
  const fixture = r.pick(fixtures);
  const { raw, kind, inner } = load(fixture);
  const base = path.basename(fixture);
  if (op === 'bomb') {
    const k = kind === 'zst' ? 'zst' : 'gz';
    return { op, fixture, name: kind ? base : `${base}.gz`, file: bombs[k] };
  }
  if (op === 'broken-container') {
    const packed = kind ? Buffer.from(raw) : wrap('gz', inner);
    const bytes = r.int(2) ? packed.subarray(0, 1 + r.int(packed.length - 1)) : TEXT_OPS['flip-bytes'](packed, r);
    return { op, fixture, name: kind ? base : `${base}.gz`, bytes };
  }
  let text;
  if (op === 'huge-line') {
    const starts = [0, ...[...inner.toString('latin1').matchAll(/\n/g)].map((m) => m.index + 1)];
    const at = r.pick(starts);
    const line = Buffer.alloc(50 << 20, r.int(2) ? '7' : 'x');
    text = Buffer.concat([inner.subarray(0, at), line, inner.subarray(at)]);
  } else text = (PROFILE_OPS[op] ?? TEXT_OPS[op])(inner, r);
  return { op, fixture, name: base, bytes: wrap(kind, text) };
}
