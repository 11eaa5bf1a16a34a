// The timeline at scale: a generated profile of one million samples (plus two smaller series), 50,000
// nested phases over several processes and 5,000 arenas (some held past their last use), made into a
// report by `cmi report --html` (dist/cli.js) and opened in headless chromium (Debian's, through
// playwright-core). Measures, in the page:
//   first render   navigation start → the view's `cmi:first-render` mark, vs the 0.5 s target
//   zoom/pan step  the input (wheel on the chart or the lanes, + / − / ← / → keys) → the view's
//                  `cmi:step` measure (the window fetched from the host, chart and lanes redrawn), vs
//                  16 ms (one frame) at the 90th percentile
// Printed as ratios value / target (≤ 1 meets the target).
//
// Alone: node bench/timeline.mjs [--keep] (builds dist/ first). From bench/run.mjs: benchTimeline({ report, tmpDir }).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './stats.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const cli = path.join(root, 'dist', 'cli.js');

const FIRST_RENDER_TARGET_MS = 500;
const STEP_TARGET_MS = 16;

/** A deterministic generator (same profile every run). */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The profile: 1 M samples of the tree's RSS at 10 ms, 50,000 phases in 4 processes, 5,000 arenas. */
export function generateProfile({ samples = 1_000_000, phases = 50_000, arenas = 5_000, processes = 4 } = {}) {
  const rnd = rng(7);
  const tickMs = 10;
  const wallMs = samples * tickMs;
  const peakAtMs = wallMs * 0.71;

  // The tree's RSS: a random walk in pages that grows, with a spike (the peak) at 71 % of the run.
  const tMs = new Float64Array(samples);
  const bytes = new Float64Array(samples);
  let pages = 60_000;
  const peakI = Math.round(peakAtMs / tickMs);
  for (let i = 0; i < samples; i++) {
    tMs[i] = i * tickMs + rnd() * 0.5;
    pages += Math.round((rnd() - 0.495) * 60);
    if (pages < 20_000) pages = 20_000;
    const bump = Math.abs(i - peakI) < 3000 ? Math.round(400_000 * (1 - Math.abs(i - peakI) / 3000)) : 0;
    bytes[i] = (pages + bump) * 4096;
  }
  const series = [
    {
      id: 'rss-tree',
      name: 'RSS of the process tree',
      kind: 'rss-tree',
      source: 'procfs sampler',
      unit: 'bytes',
      tMs,
      bytes,
    },
  ];
  // Two smaller series: a process's RSS (every 4th tick) and a V8 heap at 50 ms.
  const procT = new Float64Array(samples / 4);
  const procB = new Float64Array(samples / 4);
  for (let i = 0; i < procT.length; i++) {
    procT[i] = tMs[i * 4];
    procB[i] = Math.round((bytes[i * 4] * (0.35 + 0.05 * Math.sin(i / 5000))) / 4096) * 4096;
  }
  series.push({
    id: 'rss:1001',
    name: 'RSS of rustc (pid 1001)',
    kind: 'rss-process',
    source: 'procfs sampler',
    pid: 1001,
    unit: 'bytes',
    tMs: procT,
    bytes: procB,
  });
  const heapT = new Float64Array(samples / 5);
  const heapB = new Float64Array(samples / 5);
  let heap = 30e6;
  for (let i = 0; i < heapT.length; i++) {
    heapT[i] = i * 5 * tickMs;
    heap = Math.max(8e6, heap + (rnd() - 0.49) * 2e6);
    if (i % 400 === 399) heap *= 0.6; // a major GC
    heapB[i] = Math.round(heap);
  }
  series.push({
    id: 'js-heap:1000',
    name: 'V8 heap of node (pid 1000)',
    kind: 'js-heap',
    source: 'node preload',
    pid: 1000,
    unit: 'bytes',
    tMs: heapT,
    bytes: heapB,
  });

  // Phases: per process a root, crates, passes, sub-passes (depth 4), in time order, overlapping
  // across processes (like cargo -j).
  const ph = [];
  const procs = [];
  const perProc = Math.floor(phases / processes);
  for (let p = 0; p < processes; p++) {
    const pid = 1000 + p;
    const start = (wallMs * p) / (processes * 4);
    const end = wallMs - (wallMs * (processes - 1 - p)) / (processes * 6);
    procs.push({
      pid,
      ppid: p ? 1000 : null,
      argv: [p ? 'rustc' : 'cargo', '--crate-name', `crate${p}`],
      startMs: start,
      endMs: end,
      peakRssBytes: null,
      label: p ? `rustc crate${p}` : 'cargo',
    });
    const rootIdx = ph.length;
    ph.push({
      name: p ? `rustc crate${p}` : 'cargo build',
      parent: null,
      startMs: start,
      endMs: end,
      pid,
      category: 'process',
    });
    const crates = 40;
    const passesPerCrate = 12;
    // The sub-passes spread so that the process has exactly perProc phases.
    const subTotal = perProc - 1 - crates - crates * passesPerCrate;
    const passCount = crates * passesPerCrate;
    const subsOf = (j) => Math.floor(((j + 1) * subTotal) / passCount) - Math.floor((j * subTotal) / passCount);
    const crateLen = (end - start) / crates;
    for (let c = 0; c < crates; c++) {
      const cs = start + c * crateLen;
      const ci = ph.length;
      ph.push({
        name: `crate_${p}_${c}`,
        parent: rootIdx,
        startMs: cs,
        endMs: cs + crateLen * 0.98,
        pid,
        category: 'crate',
      });
      const passLen = (crateLen * 0.98) / passesPerCrate;
      for (let k = 0; k < passesPerCrate; k++) {
        const ps = cs + k * passLen;
        const pi = ph.length;
        ph.push({
          name: [
            'parse',
            'expand',
            'resolve',
            'type_check',
            'borrowck',
            'mir_opt',
            'monomorphize',
            'codegen',
            'LLVM_passes',
            'link',
            'metadata',
            'drop_ast',
          ][k],
          parent: ci,
          startMs: ps,
          endMs: ps + passLen * 0.97,
          pid,
          category: 'rustc-pass',
        });
        const subs = subsOf(c * passesPerCrate + k);
        const subLen = (passLen * 0.97) / Math.max(1, subs);
        for (let s = 0; s < subs; s++) {
          const ss = ps + s * subLen;
          ph.push({
            name: `item_${s}`,
            parent: pi,
            startMs: ss,
            endMs: ss + subLen * (0.3 + 0.6 * rnd()),
            pid,
            category: 'rustc-pass',
          });
        }
      }
    }
  }

  // Markers: GC of the node process.
  const markers = [];
  for (let i = 0; i < 2000; i++)
    markers.push({
      name: i % 10 ? 'minor GC' : 'major GC',
      kind: 'gc',
      tMs: (wallMs * i) / 2000 + rnd() * 100,
      durMs: 1 + rnd() * 20,
      pid: 1000,
    });

  // Arenas: short-lived ones all along the run, a few long ones, and some held past their last use
  // across the peak.
  const ar = [];
  for (let i = 0; i < arenas; i++) {
    const held = i % 250 === 0; // 20 of 5,000
    const long = i % 97 === 0;
    const pid = 1001 + (i % (processes - 1));
    let start;
    let end;
    let lastUse;
    if (held) {
      start = peakAtMs - wallMs * (0.02 + 0.2 * rnd());
      lastUse = start + (peakAtMs - start) * (0.2 + 0.5 * rnd());
      end = rnd() < 0.3 ? null : peakAtMs + wallMs * (0.01 + 0.1 * rnd());
    } else {
      start = rnd() * wallMs * 0.98;
      const len = long ? wallMs * (0.05 + 0.2 * rnd()) : wallMs * (0.0005 + 0.01 * rnd());
      end = Math.min(wallMs, start + len);
      // not held: used until close to the end, or not alive at the peak
      lastUse = end - (end - start) * 0.05 * rnd();
      if (start <= peakAtMs && end > peakAtMs) lastUse = Math.max(lastUse, peakAtMs + 1);
    }
    const stop = end ?? wallMs;
    const n = 6;
    const at = new Float64Array(n);
    const ab = new Float64Array(n);
    const size = (held ? 8 : 1) * 2 ** (12 + Math.floor(rnd() * 14));
    for (let k = 0; k < n; k++) {
      at[k] = start + ((stop - start) * k) / n;
      ab[k] = Math.round((size * (k + 1)) / n);
    }
    ar.push({
      id: `a${i}`,
      name: held ? `held_arena_${i}` : `arena_${i}`,
      category: held ? 'ast' : ['tokens', 'hir', 'mir', 'types', 'llvm'][i % 5],
      pid,
      startMs: start,
      endMs: end,
      tMs: at,
      bytes: ab,
      uses: [{ tMs: start + (lastUse - start) / 2 }, { tMs: lastUse }],
    });
  }
  return {
    run: {
      command: ['cargo', 'build', '(generated: bench/timeline.mjs)'],
      cwd: '/',
      startedAt: new Date(0).toISOString(),
      startEpochMs: 0,
      wallMs,
      exitCode: 0,
      signal: null,
      status: 'ok',
      tools: {},
      sources: ['sampler:procfs', 'bench'],
    },
    processes: procs,
    series,
    phases: ph,
    markers,
    arenas: ar,
    warnings: [],
  };
}

async function launch(tmpDir) {
  const { chromium } = require('playwright-core');
  return chromium.launchPersistentContext(mkdtempSync(path.join(tmpDir, 'chrome-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** One page load: the first render (ms since navigation start), then the zoom/pan steps (ms each). */
async function measurePage(context, html, { trace = false } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`file://${html}`, { timeout: 120_000 });
    await page.waitForSelector('.cmi-timeline[data-rendered="true"]', { timeout: 120_000 });
    const firstRender = await page.evaluate(
      () => performance.getEntriesByName('cmi:first-render')[0]?.startTime ?? NaN,
    );
    const marks = trace
      ? await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0];
          const navMarks = nav
            ? ['responseEnd', 'domInteractive', 'domContentLoadedEventEnd', 'loadEventEnd'].map(
                (k) => `${k} ${nav[k].toFixed(0)}`,
              )
            : [];
          return navMarks.concat(
            performance
              .getEntriesByType('mark')
              .concat(performance.getEntriesByType('measure'))
              .map((e) => `${e.name} ${e.startTime.toFixed(0)}+${e.duration.toFixed(0)}`),
          );
        })
      : [];
    await page.waitForTimeout(200);
    const steps = [];
    const step = async (label, act) => {
      await page.evaluate(() => performance.clearMeasures('cmi:step'));
      await act();
      const ms = await page
        .waitForFunction(() => performance.getEntriesByName('cmi:step')[0]?.duration, undefined, { timeout: 30_000 })
        .then((h) => h.jsonValue());
      steps.push({ label, ms });
      await page.waitForTimeout(120); // let the accessible lists update, as a user would
    };
    const chartBox = await page.locator('.cmi-chart-box canvas').boundingBox();
    const lanesBox = await page.locator('.cmi-lanes').boundingBox();
    await page.locator('.cmi-timeline').focus();
    for (let i = 0; i < 4; i++) {
      await page.mouse.move(chartBox.x + chartBox.width * (0.55 + 0.05 * i), chartBox.y + chartBox.height / 2);
      await step('wheel zoom in (chart)', () => page.mouse.wheel(0, -300));
    }
    await page.mouse.move(lanesBox.x + lanesBox.width * 0.6, lanesBox.y + 30);
    await step('wheel zoom in (lanes)', () => page.mouse.wheel(0, -300));
    await step('wheel zoom out (lanes)', () => page.mouse.wheel(0, 300));
    await page.locator('.cmi-timeline').focus();
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowLeft', '-', '-', '+', 'ArrowLeft', '-', '-', '-', '-'])
      await step(`key ${key}`, () => page.keyboard.press(key));
    if (errors.length) throw new Error(`errors in the page: ${errors.join('; ')}`);
    return { firstRender, steps, marks };
  } finally {
    await page.close();
  }
}

export async function benchTimeline({ report, tmpDir, loads = 3, log = console.log }) {
  const dir = path.join(tmpDir, 'timeline');
  mkdirSync(dir, { recursive: true });
  // The core's file writer, bundled alone (as bench/run.mjs does for the file benchmark).
  const bundle = path.join(dir, 'profile-file.js');
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'esbuild'),
    [
      'server/src/core/profile-file.ts',
      '--bundle',
      '--platform=node',
      '--format=cjs',
      '--log-level=error',
      `--outfile=${bundle}`,
    ],
    { cwd: root },
  );
  const { writeProfile } = require(bundle);
  let t0 = performance.now();
  const profile = generateProfile();
  const genMs = performance.now() - t0;
  const json = path.join(dir, 'timeline.json');
  await writeProfile(json, profile);
  const html = path.join(dir, 'timeline.html');
  t0 = performance.now();
  execFileSync(process.execPath, [cli, 'report', json, '--html', html], { stdio: 'pipe' });
  const reportMs = performance.now() - t0;
  log(
    `timeline: profile of ${profile.series[0].tMs.length.toLocaleString('en')} samples (+${(profile.series[1].tMs.length + profile.series[2].tMs.length).toLocaleString('en')}), ${profile.phases.length.toLocaleString('en')} phases, ${profile.arenas.length.toLocaleString('en')} arenas: generated in ${genMs.toFixed(0)} ms, file ${(statSync(json).size / 2 ** 20).toFixed(1)} MiB; cmi report ${reportMs.toFixed(0)} ms, HTML ${(statSync(html).size / 2 ** 20).toFixed(1)} MiB`,
  );

  const context = await launch(dir);
  const firsts = [];
  const steps = [];
  try {
    for (let i = 0; i < loads; i++) {
      const r = await measurePage(context, html, { trace: i === 0 && process.env.CMI_BENCH_TRACE === '1' });
      firsts.push(r.firstRender);
      steps.push(...r.steps);
      if (r.marks.length) log(`  marks: ${r.marks.join(', ')}`);
    }
  } finally {
    await context.close();
  }
  const stepMs = steps.map((s) => s.ms);
  const worst = steps.reduce((w, s) => (s.ms > w.ms ? s : w), steps[0]);
  report(
    `timeline: first render (median of ${loads} loads)`,
    median(firsts),
    FIRST_RENDER_TARGET_MS,
    'ms',
    `≤ 1 (${FIRST_RENDER_TARGET_MS} ms)`,
  );
  log(`${''.padEnd(52)}          loads: ${firsts.map((x) => x.toFixed(0)).join(', ')} ms`);
  report(
    `timeline: zoom/pan step (median of ${stepMs.length})`,
    median(stepMs),
    STEP_TARGET_MS,
    'ms',
    `≤ 1 (${STEP_TARGET_MS} ms)`,
  );
  const sorted = [...stepMs].sort((a, b) => a - b);
  const p90 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))];
  report(
    'timeline: zoom/pan step (90th percentile)',
    p90,
    STEP_TARGET_MS,
    'ms',
    `≤ 1 (${STEP_TARGET_MS} ms); worst ${worst.ms.toFixed(0)} ms (${worst.label})`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'cmi-bench-timeline-'));
  const report = (name, value, reference, unit, target) => {
    const ratio = value / reference;
    console.log(
      `${name.padEnd(52)} ${ratio.toFixed(3)}×   (${value.toFixed(unit === 'ms' ? 0 : 2)} ${unit} vs ${reference.toFixed(unit === 'ms' ? 0 : 2)} ${unit}; target ${target})`,
    );
  };
  try {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root });
    await benchTimeline({ report, tmpDir });
  } finally {
    if (!process.argv.includes('--keep')) rmSync(tmpDir, { recursive: true, force: true });
    else console.log(`kept ${tmpDir}`);
  }
}
