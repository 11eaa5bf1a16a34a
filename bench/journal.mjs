// The run journal's cost (docs/journal.md): `cmi profile` with its journal against `--no-journal`,
// in alternated pairs (the order swapping every pair), on a build of about 10 s whose three
// processes change their RSS at every tick (the worst case for samples.txt: every tick writes every
// process). Printed per pair and as medians of the paired ratios:
//
//   cmi's own CPU   utime+stime of the cmi process alone (read from /proc/<pid>/stat every 50 ms until
//                   it exits; its children, the build, are not in it)          target ≤ 1.10
//   ticks/s         the sampler's ticks over the wall time, from the profile   target ≥ 0.98
//   journal bytes   the size samples.txt reached (its largest, read while it ran)
//
//   node bench/journal.mjs [--runs N]       (Linux: reads /proc; default 5 pairs)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pairRange, runWhenMain } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const TICKS_PER_S = 100; // USER_HZ on Linux

// Each process allocates and frees a varying amount every 5 ms for 10 s: RSS changes at every tick.
const CHURN = `const end=Date.now()+10000;let keep=[];const t=setInterval(()=>{if(Date.now()>end){clearInterval(t);return}keep=[];const n=1+Math.floor(Math.random()*64);for(let i=0;i<n;i++)keep.push(Buffer.alloc(65536,i))},5)`;
const BUILD = ['sh', '-c', `node -e '${CHURN}' & node -e '${CHURN}' & node -e '${CHURN}'; wait`];

function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** One `cmi profile`: cmi's own CPU (ms), the sampler's ticks per second, the journal's largest size. */
async function profileOnce(tmp, journal, i) {
  const out = path.join(tmp, `run-${i}-${journal ? 'journal' : 'plain'}.json`);
  const child = spawn(
    process.execPath,
    [cli, 'profile', '--quiet', '--json', '--out', out, ...(journal ? [] : ['--no-journal']), '--', ...BUILD],
    { stdio: 'ignore' },
  );
  let cpuMs = 0;
  let journalBytes = 0;
  const poll = setInterval(() => {
    cpuMs = cpuMsOf(child.pid) ?? cpuMs;
    try {
      journalBytes = Math.max(journalBytes, statSync(path.join(`${out}.journal`, 'samples.txt')).size);
    } catch {
      // not there (yet, or any more)
    }
  }, 50);
  const code = await new Promise((r) => child.once('exit', r));
  clearInterval(poll);
  if (code !== 0) throw new Error(`cmi profile exited ${code}`);
  const run = JSON.parse(readFileSync(out, 'utf8')).run;
  return { cpuMs, ticksPerS: run.sampler.ticks / (run.wallMs / 1000), journalBytes };
}

export async function benchJournal({ tmpDir, runs = 5 } = {}) {
  const tmp = mkdtempSync(path.join(tmpDir ?? os.tmpdir(), 'cmi-bench-journal-'));
  try {
    await pairs(tmp, runs);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function pairs(tmp, runs) {
  const withJ = [];
  const without = [];
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? [false, true] : [true, false];
    for (const journal of order) (journal ? withJ : without).push(await profileOnce(tmp, journal, i));
    const a = withJ[i];
    const b = without[i];
    console.log(
      `pair ${i + 1}: cmi CPU ${a.cpuMs.toFixed(0)} ms with the journal vs ${b.cpuMs.toFixed(0)} ms without; ` +
        `ticks/s ${a.ticksPerS.toFixed(1)} vs ${b.ticksPerS.toFixed(1)}; samples.txt ${(a.journalBytes / 1024).toFixed(0)} KiB`,
    );
  }
  const cpu = withJ.map((a, i) => a.cpuMs / without[i].cpuMs);
  const ticks = withJ.map((a, i) => a.ticksPerS / without[i].ticksPerS);
  console.log(
    `${"cmi's own CPU, journal vs none".padEnd(52)} ${median(cpu).toFixed(3)}×   (median ${median(withJ.map((a) => a.cpuMs)).toFixed(0)} ms vs ${median(without.map((a) => a.cpuMs)).toFixed(0)} ms; ${pairRange(cpu)}; target ≤ 1.10)`,
  );
  console.log(
    `${'sampler ticks/s, journal vs none'.padEnd(52)} ${median(ticks).toFixed(3)}×   (median ${median(withJ.map((a) => a.ticksPerS)).toFixed(1)} vs ${median(without.map((a) => a.ticksPerS)).toFixed(1)}; ${pairRange(ticks)}; target ≥ 0.98)`,
  );
  console.log(
    `${'samples.txt size'.padEnd(52)} ${(median(withJ.map((a) => a.journalBytes)) / 1024).toFixed(0)} KiB for ~10 s (bound: 64 MiB)`,
  );
}

await runWhenMain(import.meta.url, 5, benchJournal);
