// What one run of `cmi` on a mutant amounts to, and the oracles that catch an exit 0 that is wrong:
// a profile breaking the model's invariants, a truncated input imported as complete, a summary
// carrying absurd figures. The bounds are plausible.ts's (repeated here: this script runs without
// a TypeScript build step, and an oracle should not share the code it checks).

import * as path from 'node:path';

export const OUTCOMES = ['ok', 'clear-error', 'vague-error', 'crash', 'hang', 'silently-wrong'];
export const FAILING = new Set(['crash', 'hang', 'silently-wrong']);
const RANK = { ok: 0, 'clear-error': 1, 'vague-error': 2, 'silently-wrong': 3, hang: 4, crash: 5 };

const MAX_MS = 7 * 24 * 3600 * 1000;
const MAX_BYTES = 2 ** 46;
const MIN_EPOCH = Date.UTC(2000, 0, 1);
const MAX_EPOCH = Date.UTC(2100, 0, 1);

export function worst(a, b) {
  return RANK[b.outcome] > RANK[a.outcome] ? b : a;
}

/** A place in an input: `file:12`, `file:12:3`, `(byte 4096)`, a JSON path `phases[12]` or `"run"`, `line 12`. */
const PLACE = /:\d+(:\d+)?\b|\bbyte \d+|\[\d+\]|"[\w.]+"|\bline \d+|\boffset \d+/;
const STACK = /\n\s+at .+(:\d+:\d+\)?|<anonymous>\)?)$/m;

/** The outcome of one command from its exit alone. */
export function classifyExit(res, inputFile) {
  if (res.killedFor === 'time') return { outcome: 'hang', why: `no exit within the time bound (${res.ms} ms)` };
  if (res.killedFor === 'memory') return { outcome: 'crash', why: `RSS above the memory bound (${res.maxRssMb} MB)` };
  if (res.signal) return { outcome: 'crash', why: `killed by ${res.signal}` };
  if (res.code === 70 || res.code === 133 || res.code === 134 || STACK.test(res.stderr))
    return { outcome: 'crash', why: `exit ${res.code}: ${firstLines(res.stderr)}` };
  if (res.code === 3) {
    const names = res.stderr.includes(path.basename(inputFile));
    return names && PLACE.test(res.stderr)
      ? { outcome: 'clear-error', why: firstLines(res.stderr) }
      : { outcome: 'vague-error', why: firstLines(res.stderr) };
  }
  if (res.code === 0) return { outcome: 'ok', why: '' };
  return { outcome: 'crash', why: `unexpected exit ${res.code}: ${firstLines(res.stderr)}` };
}

function firstLines(s) {
  return s.split('\n').slice(0, 3).join(' | ').slice(0, 400);
}

function decode(samples) {
  const t = [];
  const b = [];
  let tu = 0;
  let bu = 0;
  const scale = samples?.bytesScale > 0 ? samples.bytesScale : 1;
  for (let i = 0; i < (samples?.tUs?.length ?? 0); i++) {
    tu += samples.tUs[i];
    bu += samples.bytes[i];
    t.push(tu / 1000);
    b.push(bu * scale);
  }
  return { t, b };
}

const okMs = (x) => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= MAX_MS;
const okBytes = (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= MAX_BYTES;

/** The first invariant of the model that a profile document breaks, or null. */
export function profileViolation(doc) {
  const e = doc.run?.startEpochMs;
  if (e !== 0 && !(e >= MIN_EPOCH && e <= MAX_EPOCH)) return `run.startEpochMs ${e} is not a plausible date`;
  if (!(doc.run?.wallMs >= 0 && doc.run.wallMs <= MAX_MS)) return `run.wallMs ${doc.run?.wallMs}`;
  const phases = doc.phases ?? [];
  for (let i = 0; i < phases.length; i++) {
    const ph = phases[i];
    if (ph.parent !== null && !(Number.isInteger(ph.parent) && ph.parent >= 0 && ph.parent < phases.length))
      return `phases[${i}].parent ${ph.parent} out of range`;
    if (!okMs(ph.startMs) || !okMs(ph.endMs)) return `phases[${i}] absurd time ${ph.startMs}…${ph.endMs}`;
    if (ph.endMs < ph.startMs) return `phases[${i}] negative duration ${ph.endMs - ph.startMs} ms`;
    for (const k of ['memStartBytes', 'memEndBytes'])
      if (ph[k] !== undefined && !okBytes(ph[k])) return `phases[${i}].${k} absurd ${ph[k]}`;
  }
  for (let i = 0; i < phases.length; i++) {
    const seen = new Set();
    for (let j = i; j !== null; j = phases[j].parent) {
      if (seen.has(j)) return `phases[${i}] is on a cycle of parents`;
      seen.add(j);
    }
  }
  for (const [list, items] of [
    ['series', doc.series ?? []],
    ['arenas', doc.arenas ?? []],
  ])
    for (let i = 0; i < items.length; i++) {
      const { t, b } = decode(items[i].samples);
      for (let k = 0; k < t.length; k++) {
        if (!okMs(t[k])) return `${list}[${i}] sample ${k} at an absurd time ${t[k]}`;
        if (!okBytes(b[k])) return `${list}[${i}] sample ${k} of absurd size ${b[k]}`;
        if (k && t[k] < t[k - 1]) return `${list}[${i}] sample ${k} goes back in time`;
      }
    }
  for (const [i, m] of (doc.markers ?? []).entries()) if (!okMs(m.tMs)) return `markers[${i}] absurd time ${m.tMs}`;
  return null;
}

/** The first absurd figure in `cmi summary --json` output, or null. */
export function summaryViolation(json, where = '') {
  if (typeof json === 'number')
    return Number.isFinite(json) && Math.abs(json) <= MAX_BYTES * 2 ? null : `${where} = ${json}`;
  if (typeof json !== 'object' || json === null) return null;
  for (const [k, v] of Object.entries(json)) {
    const bad = summaryViolation(v, `${where}.${k}`);
    if (bad) return bad;
  }
  return null;
}

const TRUNCATION_WORDS = /trunc|cut|incomplete|unexpected end|unterminated|unclosed|ends? (early|mid|before)|missing/i;

export function warnsOfTruncation(doc) {
  return (doc.warnings ?? []).some((w) => TRUNCATION_WORDS.test(`${w.code} ${w.message}`));
}

/** What a profile holds, to tell a truncation that removed data from one that removed none. */
export function fingerprint(doc) {
  let samples = 0;
  for (const s of [...(doc.series ?? []), ...(doc.arenas ?? [])]) samples += s.samples?.tUs?.length ?? 0;
  const lastEnd = Math.max(0, ...(doc.phases ?? []).map((p) => p.endMs));
  return `${doc.phases?.length}/${samples}/${doc.markers?.length}/${doc.arenas?.length}/${lastEnd}`;
}
