// The mutation operators. Each takes the fixture's text (the bytes inside any gzip/zstd wrapper) and a
// seeded generator, and returns the damaged bytes. The operator of mutant i is OPS[i % OPS.length],
// so every operator gets its share of a format's mutants; where it cuts or flips comes from the seed.

const NL = 0x0a;

function lineStarts(b) {
  const starts = [0];
  for (let i = b.indexOf(NL); i !== -1 && i + 1 < b.length; i = b.indexOf(NL, i + 1)) starts.push(i + 1);
  return starts;
}

/** [start, end) of a run of 1–5 whole lines at a random place. */
function lineRun(b, r) {
  const starts = lineStarts(b);
  const first = r.int(starts.length);
  const last = Math.min(starts.length, first + 1 + r.int(5));
  return [starts[first], last < starts.length ? starts[last] : b.length];
}

/** Offsets and lengths of the numbers in the text (at most 20,000, spread over the file). */
function numbers(b) {
  const text = b.toString('latin1');
  const out = [];
  const re = /-?\d+(\.\d+)?([eE][+-]?\d+)?/g;
  for (let m; (m = re.exec(text)) && out.length < 20000; ) out.push([m.index, m[0].length]);
  return out;
}

function replaceNumber(b, r, by) {
  const ns = numbers(b);
  if (!ns.length) return Buffer.concat([b, Buffer.from(by)]);
  const [at, len] = r.pick(ns);
  return Buffer.concat([b.subarray(0, at), Buffer.from(by), b.subarray(at + len)]);
}

const HUGE = [
  '1e305',
  '99999999999999999999999',
  '1e400',
  '340282366920938463463374607431768211456',
  '9007199254740993',
];
const NOT_A_NUMBER = ['NaN', 'Infinity', '-Infinity', 'nan', 'inf', '-0', '0x1f'];

/** Text-level operators: name → (bytes, rng, ctx) → bytes. */
export const TEXT_OPS = {
  truncate: (b, r) => b.subarray(0, r.int(Math.max(1, b.length))),
  'flip-bytes': (b, r) => {
    const out = Buffer.from(b);
    for (let k = 1 + r.int(8); k > 0 && out.length; k--) out[r.int(out.length)] ^= 1 + r.int(255);
    return out;
  },
  'delete-lines': (b, r) => {
    const [s, e] = lineRun(b, r);
    return Buffer.concat([b.subarray(0, s), b.subarray(e)]);
  },
  'repeat-lines': (b, r) => {
    const [s, e] = lineRun(b, r);
    return Buffer.concat([b.subarray(0, e), b.subarray(s, e), b.subarray(e)]);
  },
  'swap-lines': (b, r) => {
    const starts = lineStarts(b);
    if (starts.length < 2) return b;
    const lines = starts.map((s, i) => b.subarray(s, i + 1 < starts.length ? starts[i + 1] : b.length));
    const i = r.int(lines.length);
    const j = r.int(lines.length);
    [lines[i], lines[j]] = [lines[j], lines[i]];
    return Buffer.concat(lines);
  },
  'huge-number': (b, r) => replaceNumber(b, r, r.pick(HUGE)),
  'negative-number': (b, r) => replaceNumber(b, r, r.pick(['-1', '-4096', '-1e9', '-1e305'])),
  'nan-number': (b, r) => replaceNumber(b, r, r.pick(NOT_A_NUMBER)),
  empty: () => Buffer.alloc(0),
  'binary-garbage': (b, r) => {
    const out = Buffer.alloc(1 + r.int(64 << 10));
    for (let i = 0; i < out.length; i++) out[i] = r.int(256);
    // Half of them keep the file's first line, so the sniffer still takes it for its format.
    return r.int(2) ? out : Buffer.concat([b.subarray(0, lineRun(b, { int: () => 0 })[1]), out]);
  },
  bom: (b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]),
  crlf: (b) => Buffer.from(b.toString('latin1').replace(/\n/g, '\r\n'), 'latin1'),
  'utf-16': (b) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(b.toString('utf8'), 'utf16le')]),
  'deep-nesting': (b, r) => {
    const starts = lineStarts(b);
    const at = r.pick(starts);
    const open = r.int(2) ? '['.repeat(100_000) : '{"a":'.repeat(100_000);
    return Buffer.concat([b.subarray(0, at), Buffer.from(open), b.subarray(at)]);
  },
  /** A JSON-aware edit where the text is JSON: a value deleted, nulled, made absurd or retyped. */
  'json-edit': (b, r) => {
    let doc;
    try {
      doc = JSON.parse(b.toString('utf8'));
    } catch {
      return TEXT_OPS['huge-number'](b, r);
    }
    editJson(doc, r);
    return Buffer.from(JSON.stringify(doc));
  },
};

/** Operators of cmi's own profile JSON on top of the text ones: the structure the analyses walk. */
export const PROFILE_OPS = {
  'phase-parent': (b, r) => {
    const doc = JSON.parse(b.toString('utf8'));
    const n = doc.phases?.length ?? 0;
    if (!n) return TEXT_OPS['json-edit'](b, r);
    const i = r.int(n);
    const choices = [i, n, n + r.int(1000), -1, 1.5, '0', i + 1 < n ? i + 1 : 0];
    doc.phases[i].parent = r.pick(choices);
    // Half of the time a two-phase cycle: i → j → i.
    if (r.int(2) && n > 1) {
      const j = r.int(n);
      doc.phases[i].parent = j;
      doc.phases[j].parent = i;
    }
    return Buffer.from(JSON.stringify(doc));
  },
  'drop-field': (b, r) => {
    const doc = JSON.parse(b.toString('utf8'));
    const list = r.pick(['phases', 'series', 'arenas', 'markers', 'processes']);
    const items = doc[list] ?? [];
    if (!items.length) return TEXT_OPS['json-edit'](b, r);
    const item = r.pick(items);
    const keys = Object.keys(item);
    delete item[r.pick(keys)];
    return Buffer.from(JSON.stringify(doc));
  },
};

const BY = ['1e305', '-1e305', 1e305, -1, null, 'x', [], {}, true, 2 ** 53];

function editJson(doc, r) {
  // A random walk from the root to a value, then one edit of it.
  let parent = null;
  let key = null;
  let v = doc;
  for (let depth = 0; depth < 12 && typeof v === 'object' && v !== null; depth++) {
    const keys = Object.keys(v);
    if (!keys.length || (depth > 0 && r.int(4) === 0)) break;
    parent = v;
    key = Array.isArray(v) ? r.int(v.length) : r.pick(keys);
    v = v[key];
  }
  if (parent === null) return;
  const by = r.pick(BY);
  if (r.int(4) === 0) {
    if (Array.isArray(parent)) parent.splice(key, 1);
    else delete parent[key];
  } else parent[key] = typeof by === 'string' && by.startsWith('1e') ? Number(by) : by;
}
