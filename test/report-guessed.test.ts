// Untimed data in the HTML report (issue 18 item 2), in a real browser (Debian chromium through
// playwright-core): spans placed by guess are drawn hatched (told apart by their pixels) and say so in
// their tooltip; a phase's table of durations appears when the phase is clicked in the lanes and under
// its row in the phase table. The profile is real gcc -ftime-report output (g++ -O2 on better-sqlite3,
// test/fixtures/gcc) in the shape the gcc adapter gives it without the plugin: the compile's span, its
// `phase …` rows laid out by guess, and its timevars as the compile's table of durations.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../server/src/core/importers';
import { analyze } from '../server/src/core/analysis/analyze';
import type { Phase, PhaseDuration, Profile } from '../server/src/core/model';
import { emptyProfile } from '../server/src/core/model';
import { bytes, ms } from '../server/src/core/units';
import { reportHtml } from '../server/src/report/html';
import { buildTimelineModel } from '../server/src/report/timeline-model';
import { launchOfflineChromium } from './browser';
import { blankRunFacts, repoRoot } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-report-guessed-'));
const artifacts = path.join(repoRoot, 'test-artifacts', 'report');
mkdirSync(artifacts, { recursive: true });
const errors: string[] = [];
let context: BrowserContext;
let page: Page;
let profile: Profile;

/** gcc's report as the adapter gives it without the plugin: timevars become the compile's durations. */
async function gccWithoutPlugin(): Promise<Profile> {
  const p = await importFiles([path.join(repoRoot, 'test/fixtures/gcc/gxx.better_sqlite3.O2.ftime-report.txt')]);
  const num = (ph: Phase, k: string) => (typeof ph.args?.[k] === 'number' ? (ph.args[k] as number) : undefined);
  const durations: PhaseDuration[] = p.phases
    .filter((ph) => ph.category === 'gcc-timevar' || ph.category === 'gcc-timevar-detail')
    .map((ph) => {
      const ggc = num(ph, 'ggcAllocatedBytes');
      return {
        name: ph.name,
        ms: ms(num(ph, 'wallMs') ?? ph.endMs - ph.startMs),
        depth: ph.category === 'gcc-timevar' ? 0 : 1,
        ...(ggc !== undefined ? { bytes: bytes(ggc), bytesMeaning: 'GGC allocated' } : {}),
      };
    });
  // The compile (index 0) and its `phase …` rows (its children that come first), placed by guess.
  const phases = p.phases.filter((ph, i) => i === 0 || ph.category === 'gcc-phase');
  expect(phases.every((ph, i) => i === 0 || ph.parent === 0)).toBe(true);
  phases[0] = { ...phases[0]!, durations };
  return { ...p, phases };
}

beforeAll(async () => {
  profile = await gccWithoutPlugin();
  context = await launchOfflineChromium(tmp, { width: 1400, height: 1000 }, errors);
  const file = path.join(tmp, 'gcc.html');
  writeFileSync(file, reportHtml(profile));
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  await page.goto(`file://${file}`);
  await page.waitForSelector('.cmi-timeline[data-rendered="true"]');
  await page.waitForFunction(() => document.querySelectorAll('#cmi-visible-phases li').length > 0);
});
afterAll(async () => {
  await page?.close();
  await context?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The lanes' x of a time on the profile's clock, and the y of a lane's top (CSS px, page coordinates). */
async function geometry(): Promise<{ x: (t: number) => number; laneTop: (depth: number) => number }> {
  const box = (await page.locator('.cmi-lanes').boundingBox())!;
  const { w, xMin, xMax } = await page.evaluate(() => {
    const d = (document.querySelector('.cmi-timeline') as HTMLElement).dataset;
    const c = document.querySelector('.cmi-chart-box canvas') as HTMLCanvasElement;
    return { w: c.getBoundingClientRect().width, xMin: Number(d.xMin), xMax: Number(d.xMax) };
  });
  return {
    x: (t) => box.x + 150 + ((t - xMin) / (xMax - xMin)) * (w - 150 - 8),
    laneTop: (depth) => box.y + depth * 18,
  };
}

const phase = (name: string) => profile.phases.find((ph) => ph.name === name)!;
const mid = (ph: Phase) => (ph.startMs + ph.endMs) / 2;

/** How often the colour changes along a horizontal line of the lanes' canvas, between two page x's. */
async function colourChanges(y: number, x0: number, x1: number): Promise<number> {
  const box = (await page.locator('.cmi-lanes').boundingBox())!;
  return page.evaluate(
    ([cy, a, b]) => {
      const canvas = document.querySelector('.cmi-lanes') as HTMLCanvasElement;
      const dpr = canvas.width / canvas.getBoundingClientRect().width;
      const px = canvas
        .getContext('2d')!
        .getImageData(Math.round(a! * dpr), Math.round(cy! * dpr), Math.round((b! - a!) * dpr), 1).data;
      let changes = 0;
      for (let i = 4; i < px.length; i += 4)
        if (Math.abs(px[i]! - px[i - 4]!) + Math.abs(px[i + 1]! - px[i - 3]!) + Math.abs(px[i + 2]! - px[i - 2]!) > 24)
          changes++;
      return changes;
    },
    [y - box.y, x0 - box.x, x1 - box.x],
  );
}

describe('gcc without the plugin in the HTML report', () => {
  it('draws the passes placed by guess hatched, the measured compile plain', async () => {
    const g = await geometry();
    const parsing = phase('phase parsing');
    const root = profile.phases[0]!;
    // 2 px below each lane's top, clear of the labels: 100 px inside each span.
    const a = g.x(parsing.startMs + (parsing.endMs - parsing.startMs) * 0.2);
    const guessed = await colourChanges(g.laneTop(1) + 3, a, a + 100);
    const timed = await colourChanges(g.laneTop(0) + 3, a, a + 100);
    expect(timed).toBeLessThanOrEqual(1);
    // Hatching every 6 px: about 16 lines over 100 px, each an edge in and out.
    expect(guessed).toBeGreaterThan(10);
    expect(root.args?.reconstructed).toBeUndefined();
    await page.screenshot({ path: path.join(artifacts, 'gcc-guessed.png') });
  });

  it('says in the tooltip of a guessed span where its duration comes from', async () => {
    const g = await geometry();
    await page.mouse.move(g.x(mid(phase('phase opt and generate'))), g.laneTop(1) + 9);
    const text = (await page.locator('#cmi-tooltip').textContent()) ?? '';
    expect(text).toMatch(/^cc1plus #1 › phase opt and generate\n3\.00 s /);
    expect(text).toContain('placed by guess: gcc -ftime-report gives durations only');
    await page.mouse.move(g.x(mid(phase('phase opt and generate'))), g.laneTop(0) + 9);
    const rootText = (await page.locator('#cmi-tooltip').textContent()) ?? '';
    expect(rootText).toMatch(/^cc1plus #1\n/);
    expect(rootText).not.toContain('placed by guess');
    expect(rootText).toMatch(/\d+ parts timed by total only \(click for the table\)/);
  });

  it('shows the compile’s table of durations when it is clicked', async () => {
    expect(await page.locator('#cmi-phase-details').isHidden()).toBe(true);
    const g = await geometry();
    await page.mouse.click(g.x(mid(phase('phase parsing'))), g.laneTop(0) + 9);
    const details = page.locator('#cmi-phase-details');
    await details.waitFor({ state: 'visible' });
    expect(await details.locator('h2').textContent()).toBe('cc1plus #1');
    const rows = await details
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    // Sorted by time: gcc's longest timevar first, its share of the 7.48 s compile, GGC bytes.
    expect(rows[0]).toEqual(['callgraph functions expansion', '1.94 s', '25.9 %', '–', '40.0 MiB GGC allocated']);
    expect(rows.length).toBe(profile.phases[0]!.durations!.length);
    await page.screenshot({ path: path.join(artifacts, 'gcc-durations.png'), fullPage: true });
    // A guessed span's details say it was placed by guess, with no table.
    await page.mouse.click(g.x(mid(phase('phase parsing'))), g.laneTop(1) + 9);
    await page.waitForFunction(
      () => document.querySelector('#cmi-phase-details')?.getAttribute('data-phase') === 'cc1plus #1 › phase parsing',
    );
    expect(await details.textContent()).toContain('placed by guess: gcc -ftime-report gives durations only');
    expect(await details.locator('table').count()).toBe(0);
  });

  it('lists the table under the compile’s row of the phase table, and marks the guessed rows', async () => {
    await page.waitForSelector('.cmi-tables[data-ready="true"]');
    const table = page.locator('.cmi-tables table').first();
    const guessedRow = table.locator('tbody tr', { hasText: 'cc1plus #1 › phase parsing' });
    expect(await guessedRow.getAttribute('class')).toContain('cmi-guessed');
    expect(await guessedRow.locator('td').first().textContent()).toBe('cc1plus #1 › phase parsing (placed by guess)');
    const summary = table.locator('details.cmi-durations summary');
    expect(await summary.count()).toBe(1);
    const n = profile.phases[0]!.durations!.length;
    expect(await summary.textContent()).toBe(`${n} parts timed by total only`);
    await summary.click();
    // The table is built on the details' toggle event, which fires after the click returns.
    const inner = table.locator('details.cmi-durations table tbody tr');
    await inner.first().waitFor();
    expect(await inner.count()).toBe(n);
    expect(errors).toEqual([]);
  });
});

describe('the timeline model of a peak inside passes placed by guess', () => {
  it('names the compile as the phase of the peak, says the passes were not timed, and marks the guessed span', () => {
    const p = emptyProfile(blankRunFacts({ command: ['gcc', '-c', 'sqlite3.c'], cwd: '/', wallMs: ms(100) }));
    p.phases = [
      { name: 'sqlite3.c', parent: null, startMs: ms(0), endMs: ms(100), pid: 7 },
      {
        name: 'phase parsing',
        parent: 0,
        startMs: ms(0),
        endMs: ms(60),
        pid: 7,
        category: 'gcc-phase',
        args: { reconstructed: true },
      },
    ];
    p.series = [
      {
        id: 'rss-tree',
        name: 'RSS of the process tree',
        kind: 'rss-tree',
        source: 'test',
        unit: 'bytes',
        tMs: Float64Array.from([0, 30, 90]),
        bytes: Float64Array.from([1e6, 9e6, 2e6]),
      },
    ];
    const m = buildTimelineModel(p, analyze(p));
    expect(m.peak).toMatchObject({ phasePath: ['sqlite3.c'], untimedInside: 'passes' });
    const parsing = m.phases.find((ph) => ph.name === 'phase parsing')!;
    expect(parsing.guessedBy).toBe('gcc -ftime-report');
    expect(m.phases.find((ph) => ph.name === 'sqlite3.c')!.guessedBy).toBeUndefined();
    expect(m.phaseRows[parsing.row]!.placedByGuess).toBe(true);
  });
});
