#!/usr/bin/env node
// `npm run fuzz`: seeded mutants of every fixture, run through the built CLI (`dist/cli.js`) in child
// processes with a time and a memory bound, each classified ok / clear error / vague error / crash /
// hang / silently wrong. Exits 1 when any crashed, hung or was silently wrong.
//
// A plain Node script driving the CLI, not an in-process test: what users meet is the process
// (its exit code, a signal, an abort of V8, its RSS, a loop that never returns), and only a child
// process can be bounded in time and memory and killed. The pieces are in scripts/fuzz/.
//
//   node scripts/fuzz.mjs [--seed N] [--per-format N] [--formats a,b] [--jobs N] [--big] [--no-bomb]
//                         [--timeout-ms N] [--out DIR] [--no-build]
//   node scripts/fuzz.mjs --replay fuzz-out/failures/<format>-<index>.json

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { FAILING, OUTCOMES } from './fuzz/classify.mjs';
import { corpus, FORMATS } from './fuzz/corpus.mjs';
import { writeGzipBomb } from './fuzz/containers.mjs';
import { makeMutant } from './fuzz/mutant.mjs';
import { baselineOf, runMutant } from './fuzz/pipeline.mjs';

const root = path.resolve(import.meta.dirname, '..');
const { values: o } = parseArgs({
  options: {
    seed: { type: 'string', default: '17' },
    'per-format': { type: 'string', default: '300' },
    formats: { type: 'string' },
    jobs: { type: 'string', default: '2' },
    'timeout-ms': { type: 'string', default: '10000' },
    'heap-mb': { type: 'string', default: '512' },
    'rss-limit-mb': { type: 'string', default: '1024' },
    big: { type: 'boolean', default: false },
    'no-bomb': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'fuzz-out') },
    replay: { type: 'string' },
    cli: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

// --cli: a copy of dist/ to fuzz while the tree is rebuilt (a long run, tests running beside it).
const cli = path.resolve(o.cli ?? path.join(root, 'dist', 'cli.js'));
const bounds = {
  timeoutMs: Number(o['timeout-ms']),
  heapMb: Number(o['heap-mb']),
  rssLimitMb: Number(o['rss-limit-mb']),
};
if (!o['no-build'] && !o.cli)
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit' });

const work = mkdtempSync(path.join(os.tmpdir(), 'cmi-fuzz-'));
const cleanUp = () => rmSync(work, { recursive: true, force: true });
// The first Ctrl-C (or SIGTERM) ends the run early with the report of what ran; a second one at once.
let stopEarly = null;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
])
  process.on(signal, () => {
    if (stopEarly) {
      const stop = stopEarly;
      stopEarly = null;
      stop();
      return;
    }
    cleanUp();
    process.exit(code);
  });

try {
  process.exitCode = o.replay ? await replay(o.replay) : await fuzz();
} finally {
  cleanUp();
}

async function replay(file) {
  const meta = JSON.parse(readFileSync(file, 'utf8'));
  const mutantFile = path.join(path.dirname(file), meta.mutantFile);
  const base = meta.baseline ? await baselineOf(cli, meta.format, meta.fixture, work, bounds) : null;
  const r = await runMutant({
    cli,
    format: meta.format,
    op: meta.op,
    index: meta.index,
    mutantFile,
    base,
    work,
    bounds,
  });
  process.stdout.write(`${meta.format} #${meta.index} (${meta.op}, seed ${meta.seed}): ${r.outcome} ${r.why}\n`);
  for (const s of r.steps) process.stdout.write(`  ${s.step}: ${s.outcome} ${s.why} (${s.ms} ms, ${s.maxRssMb} MB)\n`);
  return FAILING.has(r.outcome) ? 1 : 0;
}

async function fuzz() {
  const t0 = Date.now();
  const seed = Number(o.seed);
  const perFormat = Number(o['per-format']);
  const formats = o.formats ? o.formats.split(',') : FORMATS;
  const unknown = formats.filter((f) => !FORMATS.includes(f));
  if (unknown.length) throw new Error(`fuzz: unknown format ${unknown.join(', ')} (known: ${FORMATS.join(', ')})`);
  const seeds = corpus(path.join(root, 'test', 'fixtures'), formats);
  // A run's failures replace the last run's.
  for (const d of ['failures', 'vague-errors']) rmSync(path.join(o.out, d), { recursive: true, force: true });
  const bomb = !o['no-bomb'];
  const bombs = bomb ? await prepareBombs() : {};

  // Each fixture's own import, once: what compare runs against and what truncation oracles measure.
  const baselines = new Map();
  for (const [format, files] of Object.entries(seeds))
    for (const f of files) baselines.set(f, await baselineOf(cli, format, f, work, bounds));

  // Round-robin over the formats: a run stopped early (Ctrl-C) has covered all of them evenly.
  const tasks = [];
  for (let index = 0; index < perFormat; index++) for (const format of formats) tasks.push({ format, index });
  const results = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const { format, index } = tasks[next++];
      let m;
      try {
        m = makeMutant({ format, fixtures: seeds[format], index, seed, big: o.big, bomb, bombs });
      } catch (e) {
        // A fault of the harness, not of cmi: said, and the run goes on.
        process.stderr.write(`fuzz: cannot make ${format} #${index}: ${e.message}\n`);
        continue;
      }
      const dir = path.join(work, `${format}-${index}`);
      mkdirSync(dir);
      const mutantFile = path.join(dir, m.name);
      if (m.file) copyFileSync(m.file, mutantFile);
      else writeFileSync(mutantFile, m.bytes);
      const base = baselines.get(m.fixture);
      const r = await runMutant({ cli, format, op: m.op, index, mutantFile, base, work: dir, bounds });
      const row = { format, index, seed, op: m.op, fixture: path.relative(root, m.fixture), ...r };
      if (FAILING.has(r.outcome) || r.outcome === 'vague-error') keepFailure(row, mutantFile);
      results.push(row);
      rmSync(dir, { recursive: true, force: true });
      if (!o.quiet && ++done % 100 === 0)
        process.stderr.write(`fuzz: ${done}/${tasks.length} (${Math.round((Date.now() - t0) / 1000)} s)\n`);
    }
  };
  stopEarly = () => {
    tasks.length = next; // the workers finish the mutants they hold and take no more
    process.stderr.write('fuzz: stopping; the report covers the mutants run so far\n');
  };
  await Promise.all(Array.from({ length: Number(o.jobs) }, worker));

  const table = tally(results, formats);
  const seconds = Math.round((Date.now() - t0) / 1000);
  printTable(table, seconds);
  mkdirSync(o.out, { recursive: true });
  const report = {
    seed,
    perFormat,
    stoppedEarly: results.length < formats.length * perFormat,
    jobs: Number(o.jobs),
    bounds,
    big: o.big,
    bomb,
    seconds,
    table,
    failures: results.filter((r) => FAILING.has(r.outcome)),
    vagueErrors: results.filter((r) => r.outcome === 'vague-error'),
  };
  writeFileSync(path.join(o.out, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
  process.stdout.write(`report: ${path.relative(process.cwd(), path.join(o.out, 'report.json'))}\n`);
  return report.failures.length ? 1 : 0;
}

/** The failing mutant and what replays it, in OUT/failures/. */
function keepFailure(row, mutantFile) {
  const dir = path.join(o.out, FAILING.has(row.outcome) ? 'failures' : 'vague-errors');
  mkdirSync(dir, { recursive: true });
  const stem = `${row.format}-${row.index}`;
  const kept = `${stem}.${path.basename(mutantFile)}`;
  // The bomb and 50 MB lines are regenerated by the same seed; not kept twice.
  if (row.op !== 'bomb') copyFileSync(mutantFile, path.join(dir, kept));
  const fixture = path.join(root, row.fixture);
  const meta = { ...row, fixture, mutantFile: kept, baseline: true };
  writeFileSync(path.join(dir, `${stem}.json`), `${JSON.stringify(meta, null, 1)}\n`);
}

async function prepareBombs() {
  const gz = path.join(work, 'bomb.gz');
  await writeGzipBomb(gz, 1 << 30);
  const zst = path.join(work, 'bomb.zst');
  execFileSync('sh', ['-c', `head -c 1073741824 /dev/zero | zstd -q -3 -o ${zst}`]);
  return { gz, zst };
}

function tally(results, formats) {
  const table = {};
  for (const f of formats) table[f] = Object.fromEntries([['tried', 0], ...OUTCOMES.map((k) => [k, 0])]);
  for (const r of results) {
    table[r.format].tried++;
    table[r.format][r.outcome]++;
  }
  return table;
}

function printTable(table, seconds) {
  const cols = ['tried', ...OUTCOMES];
  const w = Math.max(...Object.keys(table).map((f) => f.length), 6);
  const line = (name, cells) =>
    `${name.padEnd(w)}  ${cells.map((c, i) => String(c).padStart(cols[i].length)).join('  ')}`;
  const out = [line('format', cols)];
  const total = Object.fromEntries(cols.map((c) => [c, 0]));
  for (const [f, row] of Object.entries(table)) {
    out.push(
      line(
        f,
        cols.map((c) => row[c]),
      ),
    );
    for (const c of cols) total[c] += row[c];
  }
  out.push(
    line(
      'total',
      cols.map((c) => total[c]),
    ),
  );
  process.stdout.write(`${out.join('\n')}\n${seconds} s\n`);
}
