// Many processes on the memory chart: a real `make -B -j2` of test/workspaces/c-multi under the
// profiler (gcc, its cc1 compiles through the cc shims, as, collect2, ld, the live-heap library in
// every process), then its HTML report in a real browser (Debian chromium). Checks what a user sees:
// series named after what each process became (cc1, not the shell it started as); a legend above the
// chart with the totals and the top processes by kind, the rest folded into "other processes (N)";
// the chart at its full height; colours that differ; the peak's label inside the plot, also near the
// right edge and in a 600 px panel. Screenshots go to test-artifacts/legend/.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import type { Profile } from '../server/src/core/model';
import { profileBuild } from '../server/src/core/profile-build';
import { reportHtml } from '../server/src/report/html';
import { buildTimelineModel } from '../server/src/report/timeline-model';
import { launchOfflineChromium } from './browser';
import { repoRoot } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-legend-test-'));
const artifacts = path.join(repoRoot, 'test-artifacts', 'legend');
mkdirSync(artifacts, { recursive: true });
let context: BrowserContext;
let profile: Profile;
let reportFile = '';
const errors: string[] = [];

beforeAll(async () => {
  const ws = path.join(tmp, 'c-multi');
  cpSync(path.join(repoRoot, 'test', 'workspaces', 'c-multi'), ws, { recursive: true });
  profile = await profileBuild({ argv: ['make', '-B', '-j2'], cwd: ws });
  reportFile = path.join(tmp, 'make.html');
  writeFileSync(reportFile, reportHtml(profile));
  context = await launchOfflineChromium(tmp, { width: 1400, height: 900 }, errors);
}, 120_000);
afterAll(async () => {
  await context?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Opens the report, with the view state's visible window when given (as a reload would restore it). */
async function open(window?: [number, number]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  let hash = '';
  if (window) {
    const run = buildTimelineModel(profile, analyze(profile)).run;
    const key = `${run.title}|${run.startedAt}|${run.startMs}|${run.endMs}`;
    hash = `#view=${encodeURIComponent(JSON.stringify({ key, window }))}`;
  }
  await page.goto(`file://${reportFile}${hash}`);
  await page.waitForSelector('.cmi-timeline[data-rendered="true"]');
  return page;
}

const boxOf = (page: Page, attr: 'plotBox' | 'peakLabelBox') =>
  page.evaluate(
    (a) => ((document.querySelector('.cmi-timeline') as HTMLElement).dataset[a] ?? '').split(' ').map(Number),
    attr,
  );

/** The peak label's box lies inside the plot area (canvas pixels). */
async function expectPeakLabelInside(page: Page): Promise<void> {
  await page.waitForFunction(() => (document.querySelector('.cmi-timeline') as HTMLElement).dataset.peakLabelBox);
  const [l, t, r, b] = await boxOf(page, 'plotBox');
  const [x, y, x2, y2] = await boxOf(page, 'peakLabelBox');
  expect(x2! - x!).toBeGreaterThan(40); // a real label, with its text
  expect(x).toBeGreaterThanOrEqual(l!);
  expect(x2).toBeLessThanOrEqual(r!);
  expect(y).toBeGreaterThanOrEqual(t!);
  expect(y2).toBeLessThanOrEqual(b!);
}

describe('a make -j2 build of gcc under the profiler', () => {
  it('names every series of a process that became cc1 after cc1, never after sh or bash', () => {
    expect(profile.run.status).toBe('ok');
    // The compilers, as the cc collector labels them (a shim's short-lived child can be seen with its argv).
    const cc1 = profile.processes.filter((p) => path.basename(p.argv[0] ?? '') === 'cc1' && p.role === 'build');
    expect(cc1.length).toBe(6);
    for (const proc of cc1) {
      const names = profile.series.filter((s) => s.pid === proc.pid).map((s) => s.name);
      expect(names.length, proc.label).toBeGreaterThan(0);
      for (const n of names) {
        expect(n).toMatch(new RegExp(`of cc1 \\w+\\.c \\(pid ${proc.pid}[,)]`));
        expect(n).not.toMatch(/of (sh|bash) /);
      }
    }
  });
});

describe('its report: the legend of 30 processes', () => {
  let page: Page;
  beforeAll(async () => {
    page = await open();
  });
  afterAll(() => page?.close());

  it('keeps the chart at its height, with the totals and the top processes by kind, the rest folded', async () => {
    const processes = new Set(profile.series.filter((s) => s.pid !== undefined).map((s) => s.pid)).size;
    expect(processes).toBeGreaterThanOrEqual(20);
    const legend = await page.evaluate(() => {
      const rows = [...document.querySelectorAll('.cmi-legend > .cmi-legend-rows > .cmi-legend-row')];
      return {
        rows: rows.map((r) => ({
          kind: (r as HTMLElement).dataset.kind,
          title: r.querySelector('.cmi-legend-kind')!.textContent,
        })),
        other: document.querySelector('.cmi-legend-other > summary')?.textContent ?? '',
        chartHeight: document.querySelector('.cmi-chart-box canvas')!.getBoundingClientRect().height,
      };
    });
    expect(legend.rows.length).toBeLessThanOrEqual(10);
    expect(legend.rows[0]!.kind).toBe('tree');
    expect(legend.rows[1]).toEqual({ kind: 'compiler', title: 'compilers' });
    expect(legend.rows.map((r) => r.kind)).not.toContain('helper');
    const folded = Number(/^other processes \((\d+)\)$/.exec(legend.other)?.[1]);
    expect(folded + legend.rows.length - 1).toBe(processes);
    // The chart box is 300 px whatever the legend holds.
    expect(legend.chartHeight).toBeGreaterThanOrEqual(299);
    await page.screenshot({ path: path.join(artifacts, 'make-1400.png') });
  });

  it('draws the series in view in colours that differ, and a folded one when turned on', async () => {
    const chips = () =>
      page.evaluate(() =>
        [...document.querySelectorAll<HTMLElement>('.cmi-legend-item[aria-pressed="true"]')].map((b) => {
          const sw = getComputedStyle(b.querySelector('.cmi-swatch')!);
          const row = b.closest('.cmi-legend-row')!;
          return { id: b.dataset.series!, row: row.textContent, colour: sw.borderTopColor, dash: sw.borderTopStyle };
        }),
      );
    const shown = await chips();
    const drawn = (await page.locator('.cmi-timeline').getAttribute('data-drawn-series'))!.split(' ');
    expect(shown.map((c) => c.id).sort()).toEqual([...drawn].sort());
    // One colour per row (process); the measures of a row differ by dash.
    const rowColour = new Map<string, Set<string>>();
    for (const c of shown) rowColour.set(c.row!, (rowColour.get(c.row!) ?? new Set()).add(c.colour));
    for (const colours of rowColour.values()) expect(colours.size).toBe(1);
    const colours = [...rowColour.values()].map((s) => [...s][0]);
    expect(new Set(colours).size).toBe(colours.length);
    expect(new Set(shown.map((c) => `${c.colour} ${c.dash}`)).size).toBe(shown.length);

    await page.locator('.cmi-legend-other > summary').click();
    const first = page.locator('.cmi-legend-other .cmi-legend-item').first();
    expect(await first.getAttribute('aria-pressed')).toBe('false');
    await first.click();
    const id = (await first.getAttribute('data-series'))!;
    await page.waitForFunction(
      (s) => (document.querySelector('.cmi-timeline') as HTMLElement).dataset.drawnSeries!.split(' ').includes(s),
      id,
    );
    const after = await chips();
    const added = after.find((c) => c.id === id)!;
    expect(colours).not.toContain(added.colour);
    await page.screenshot({ path: path.join(artifacts, 'make-other-expanded.png') });
    expect(errors).toEqual([]);
  });

  it('keeps the peak label inside the plot', async () => {
    await expectPeakLabelInside(page);
  });
});

describe('the peak label near the edges', () => {
  it('flips to the left of the peak near the right edge, and stays inside a 600 px panel', async () => {
    const peak = analyze(profile).peak!;
    const span = profile.run.wallMs / 4;
    // The peak at 99 % of the window: right at the right edge.
    let page = await open([peak.atMs - span * 0.99, peak.atMs + span * 0.01]);
    try {
      await expectPeakLabelInside(page);
      const [, , right] = await boxOf(page, 'plotBox');
      const [, , x2] = await boxOf(page, 'peakLabelBox');
      expect(x2).toBeLessThan(right!);
      await page.screenshot({ path: path.join(artifacts, 'peak-right-edge.png') });
      await page.setViewportSize({ width: 600, height: 700 });
      await page.waitForFunction(() => document.querySelector('.cmi-chart-box canvas')!.clientWidth < 600);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await expectPeakLabelInside(page);
      await page.screenshot({ path: path.join(artifacts, 'peak-600.png') });
    } finally {
      await page.close();
    }
    // At the left edge too.
    page = await open([peak.atMs - span * 0.01, peak.atMs + span * 0.99]);
    try {
      await expectPeakLabelInside(page);
    } finally {
      await page.close();
    }
    expect(errors).toEqual([]);
  });
});
