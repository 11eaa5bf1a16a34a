// The timeline at the size of real builds, in a real browser (Debian chromium through playwright-core):
// the HTML reports of `make -B -j2` of test/workspaces/c-multi and `cargo build -j2` of cargo-std,
// profiled for real, at 1400×900, 1000×700 and 600×700. Checks what a user sees: the chart keeps at
// least 60 % of its height, no table cell wraps a word (a narrow panel wrapped one letter a line) and
// the tables scroll in their own box instead of widening the page, the peak label is inside the plot,
// the findings line at the top; "Show in Timeline" (`selectPhase`) zooms to the phase and selects it.
// Arenas: the report of a real producer of the arena protocol (504 arenas) has named, grouped lanes,
// the held arena first, a folded group that unfolds into one lane per arena and scrolls to the last.
// Screenshots go to test-artifacts/timeline-scale/.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../server/src/core/importers';
import type { Profile } from '../server/src/core/model';
import { readProfile } from '../server/src/core/profile-file';
import { reportHtml } from '../server/src/report/html';
import { buildTimelineModel } from '../server/src/report/timeline-model';
import { analyze } from '../server/src/core/analysis/analyze';
import { launchOfflineChromium } from './browser';
import { cliPath, repoRoot } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-timeline-scale-'));
const artifacts = path.join(repoRoot, 'test-artifacts', 'timeline-scale');
mkdirSync(artifacts, { recursive: true });
const env = { ...process.env, PATH: `${os.homedir()}/.cargo/bin:${process.env.PATH}` };
const hasCargo = spawnSync('cargo', ['-V'], { env }).status === 0;
const errors: string[] = [];
let context: BrowserContext;

beforeAll(async () => {
  context = await launchOfflineChromium(tmp, { width: 1400, height: 900 }, errors);
});
afterAll(async () => {
  await context?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** `cmi profile` of a copy of a test workspace, and its HTML report. */
async function profileWorkspace(workspace: string, argv: string[]): Promise<{ profile: Profile; html: string }> {
  const ws = path.join(tmp, workspace);
  cpSync(path.join(repoRoot, 'test', 'workspaces', workspace), ws, { recursive: true });
  const out = path.join(tmp, `${workspace}.json`);
  const r = spawnSync(process.execPath, [cliPath, 'profile', '--out', out, '--', ...argv], {
    cwd: ws,
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`cmi profile ${argv.join(' ')}: ${r.stderr}`);
  const profile = await readProfile(out);
  const html = path.join(tmp, `${workspace}.html`);
  writeFileSync(html, reportHtml(profile));
  return { profile, html };
}

async function open(html: string, viewport: { width: number; height: number }): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  await page.setViewportSize(viewport);
  await page.goto(`file://${html}`);
  await page.waitForSelector('.cmi-timeline[data-rendered="true"]');
  await page.waitForSelector('.cmi-tables[data-ready="true"]');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page;
}

const boxOf = (page: Page, attr: 'plotBox' | 'peakLabelBox') =>
  page.evaluate(
    (a) => ((document.querySelector('.cmi-timeline') as HTMLElement).dataset[a] ?? '').split(' ').map(Number),
    attr,
  );

/** What a user sees of the layout: the chart's height, the cells whose text runs over more than one line, the page's overflow. */
const layout = (page: Page) =>
  page.evaluate(() => {
    const wrapped: string[] = [];
    for (const cell of document.querySelectorAll<HTMLElement>('.cmi-table th, .cmi-table td')) {
      const range = document.createRange();
      range.selectNodeContents(cell);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (tops.size > 1) wrapped.push(cell.textContent ?? '');
    }
    const wraps = [...document.querySelectorAll<HTMLElement>('.cmi-table-wrap')].map((w) => ({
      right: w.getBoundingClientRect().right,
      overflowX: getComputedStyle(w).overflowX,
      scrolls: w.scrollWidth > w.clientWidth,
    }));
    return {
      chartHeight: document.querySelector('.cmi-chart-box canvas')!.getBoundingClientRect().height,
      cells: document.querySelectorAll('.cmi-table td').length,
      wrapped,
      wraps,
      pageWidth: document.documentElement.scrollWidth,
      viewportWidth: window.innerWidth,
      findings: document.querySelector('#cmi-findings')?.textContent ?? null,
    };
  });

const VIEWPORTS = [
  { width: 1400, height: 900 },
  { width: 1000, height: 700 },
  { width: 600, height: 700 },
];

describe.each([
  { name: 'make', workspace: 'c-multi', argv: ['make', '-B', '-j2'], skip: false },
  { name: 'cargo', workspace: 'cargo-std', argv: ['cargo', 'build', '-j2'], skip: !hasCargo },
])('the report of $name at three panel sizes', ({ name, workspace, argv, skip }) => {
  let html = '';
  let profile: Profile;
  beforeAll(async () => {
    if (skip) return;
    ({ profile, html } = await profileWorkspace(workspace, argv));
  }, 300_000);

  it.skipIf(skip)('keeps the chart, unwrapped table cells and the peak label inside the plot', async () => {
    let fullHeight = 0;
    for (const vp of VIEWPORTS) {
      const page = await open(html, vp);
      try {
        const l = await layout(page);
        if (!fullHeight) fullHeight = l.chartHeight;
        expect(l.chartHeight, `${vp.width}×${vp.height}`).toBeGreaterThanOrEqual(0.6 * fullHeight);
        expect(l.cells).toBeGreaterThan(20);
        expect(l.wrapped, `${vp.width}×${vp.height}`).toEqual([]);
        // The page is no wider than the panel: a wide table scrolls in its own box.
        expect(l.pageWidth).toBeLessThanOrEqual(l.viewportWidth);
        for (const w of l.wraps) {
          expect(w.right).toBeLessThanOrEqual(l.viewportWidth);
          expect(w.overflowX).toBe('auto');
        }
        if (vp.width === 600) expect(l.wraps.some((w) => w.scrolls)).toBe(true);
        expect(l.findings).toMatch(/^(live-heap peak|peak) \d+\.\d MiB (in |at exit, after )/);
        await page.waitForFunction(() => (document.querySelector('.cmi-timeline') as HTMLElement).dataset.peakLabelBox);
        const [pl, pt, pr, pb] = await boxOf(page, 'plotBox');
        const [x, y, x2, y2] = await boxOf(page, 'peakLabelBox');
        expect(x2! - x!).toBeGreaterThan(40);
        expect(x).toBeGreaterThanOrEqual(pl!);
        expect(x2).toBeLessThanOrEqual(pr!);
        expect(y).toBeGreaterThanOrEqual(pt!);
        expect(y2).toBeLessThanOrEqual(pb!);
        await page.screenshot({ path: path.join(artifacts, `${name}-${vp.width}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    }
    expect(errors).toEqual([]);
  });

  it.skipIf(skip)('zooms to a phase and selects it when the host asks (selectPhase), by path', async () => {
    const model = buildTimelineModel(profile, analyze(profile));
    // The longest phase below a root: a crate or a translation unit's pass.
    const rows = model.phaseRows;
    const pathOf = (i: number): string[] => {
      const out: string[] = [];
      for (let r: number | null = i; r !== null; r = rows[r]!.parentRow) out.unshift(rows[r]!.name);
      return out;
    };
    const candidates = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.parentRow !== null && r.count === 1);
    expect(candidates.length).toBeGreaterThan(0);
    const { r: target, i: row } = candidates.reduce((a, b) => (b.r.durationMs > a.r.durationMs ? b : a));
    const span = model.phases.find((p) => p.row === row)!;
    const page = await open(html, { width: 1000, height: 700 });
    try {
      // A path the profile does not have changes nothing.
      await page.evaluate(() => window.postMessage({ type: 'selectPhase', path: ['no such phase'] }, '*'));
      await page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
      expect(await page.locator('.cmi-timeline').getAttribute('data-selected-phase')).toBeNull();
      await page.evaluate((p) => window.postMessage({ type: 'selectPhase', path: p }, '*'), pathOf(row));
      await page.waitForFunction(
        (r) => (document.querySelector('.cmi-timeline') as HTMLElement).dataset.selectedPhase === String(r),
        row,
      );
      await page.waitForFunction(
        ([a, b]) => {
          const d = (document.querySelector('.cmi-timeline') as HTMLElement).dataset;
          return Number(d.xMin) <= a! && Number(d.xMax) >= b! && Number(d.xMax) - Number(d.xMin) < (b! - a!) * 1.5;
        },
        [span.startMs, span.endMs],
      );
      const selection = await page.locator('#cmi-selection').textContent();
      expect(selection).toMatch(/^Selection /);
      const marked = await page.locator('#cmi-phases tr.cmi-selected td').first().textContent();
      expect(marked).toContain(target.name);
      await page.screenshot({ path: path.join(artifacts, `${name}-select-phase.png`) });
    } finally {
      await page.close();
    }
    expect(errors).toEqual([]);
  });
});

describe('the arena lanes of 504 arenas from a real producer', () => {
  let page: Page;
  beforeAll(async () => {
    const file = path.join(tmp, 'protocol.json');
    execFileSync(process.execPath, [path.join(repoRoot, 'test/fixtures/arenas/protocol-producer.js'), file]);
    const html = path.join(tmp, 'arenas.html');
    writeFileSync(html, reportHtml(await importFiles([file])));
    page = await open(html, { width: 1000, height: 700 });
  });
  afterAll(() => page?.close());

  const laneNames = () =>
    page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('#cmi-arena-lane-names li')].map((li) => ({
        lane: Number(li.dataset.lane),
        kind: li.dataset.kind,
        held: li.dataset.held === 'true',
        name: li.textContent,
      })),
    );

  it('says the finding in words at the top', async () => {
    expect(await page.locator('#cmi-findings').textContent()).toBe(
      'live-heap peak 140.0 MiB in codegen; 1 arena held past its last use in link, freeing it there lowers the peak by 23.8 MiB (it holds 80.0 MiB at the peak)',
    );
  });

  it('names every lane, the held arena first, the 500 modules folded into one group', async () => {
    const names = await laneNames();
    expect(names[0]).toEqual({ lane: 0, kind: 'arena', held: true, name: 'ast' });
    expect(names.map((n) => n.name)).toEqual(['ast', 'symbols', 'tokens', '▸ 500× module # [module]', 'ghost']);
    expect(await page.locator('#cmi-visible-arenas li').first().getAttribute('data-lane')).toBe('0');
    await page.locator('.cmi-arenas').screenshot({ path: path.join(artifacts, 'arenas-folded.png') });
  });

  it('unfolds a group into one named lane per arena, and scrolls to the last', async () => {
    const group = (await laneNames()).find((n) => n.kind === 'group')!;
    const box = (await page.locator('.cmi-arena-canvas').boundingBox())!;
    await page.mouse.click(box.x + 30, box.y + group.lane * 16 + 8);
    await page.waitForFunction(() => (document.querySelector('.cmi-arenas') as HTMLElement).dataset.rows === '505');
    let names = await laneNames();
    expect(names[group.lane]!.name).toBe('▾ 500× module # [module]');
    expect(names[group.lane + 1]!.name).toMatch(/^module \d+$/);
    // The box stays at most 15 lanes high; the rest scroll.
    expect((await page.locator('.cmi-arena-box').boundingBox())!.height).toBeLessThanOrEqual(15 * 16 + 1);
    await page.locator('.cmi-arena-box').evaluate((b) => (b.scrollTop = b.scrollHeight));
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#cmi-arena-lane-names li')].some((li) => li.getAttribute('data-lane') === '504'),
    );
    names = await laneNames();
    expect(names.at(-1)).toMatchObject({ lane: 504, kind: 'arena' });
    expect(names.at(-1)!.name).toMatch(/^(module \d+|ghost)$/);
    await page.locator('.cmi-arenas').screenshot({ path: path.join(artifacts, 'arenas-unfolded-end.png') });
    expect(errors).toEqual([]);
  });
});
