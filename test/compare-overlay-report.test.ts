// `cmi compare BASE HEAD --html OUT` in a real browser (Debian chromium through playwright-core), on
// real profiles of the example compiler tinyc with and without --free-asts: both curves drawn over
// phase-aligned time, the matched phases labelled, both peaks labelled with their value and phase, a
// tooltip naming the phase and each run's real time, and the per-phase delta table. A phase named like
// markup (a real profile's phase renamed in memory) stays text, and no dialog opens. Screenshot in
// test-artifacts/compare/overlay.png (and overlay-tooltip.png).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../common/format';
import type { OverlayModel } from '../protocol/overlay';
import { compareHtml } from '../server/src/compare-report/compare-html';
import { compareProfiles } from '../server/src/core/compare/compare';
import { buildOverlayModel } from '../server/src/core/compare/overlay';
import type { Profile } from '../server/src/core/model';
import { writeProfile } from '../server/src/core/profile-file';
import { launchOfflineChromium } from './browser';
import { cliPath, profileTinycBothWays, repoRoot } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-overlay-report-'));
const artifacts = path.join(repoRoot, 'test-artifacts', 'compare');
mkdirSync(artifacts, { recursive: true });
let context: BrowserContext;
let held: Profile;
let freed: Profile;
const errors: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: repoRoot, stdio: 'inherit' });
  ({ held, freed } = await profileTinycBothWays(tmp));
  context = await launchOfflineChromium(tmp, { width: 1300, height: 1100 }, errors);
}, 300_000);
afterAll(async () => {
  await context?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function open(file: string, name: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`${name}: console: ${m.text()}`));
  page.on('dialog', (d) => {
    dialogs.push(`${name}: ${d.type()} ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-rendered="true"]');
  return page;
}

const overlayState = (page: Page) =>
  page.evaluate(() => {
    const o = window.__cmiOverlay!;
    return {
      datasets: o.chart.data.datasets.map((d) => ({ label: d.label, n: d.data.length })),
      segmentLabels: o.segmentLabels,
      peakLabels: o.peakLabels,
    };
  });

describe('cmi compare --html on tinyc with and without --free-asts', () => {
  let page: Page;
  let model: OverlayModel;
  beforeAll(async () => {
    const a = path.join(tmp, 'held.json');
    const b = path.join(tmp, 'freed.json');
    await writeProfile(a, held);
    await writeProfile(b, freed);
    const out = path.join(tmp, 'overlay.html');
    execFileSync(process.execPath, [cliPath, 'compare', a, b, '--html', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`default-src 'none'`);
    model = JSON.parse(
      html.match(/<script type="application\/json" id="cmi-overlay-model">([^<]*)<\/script>/)![1]!,
    ) as OverlayModel;
    page = await open(out, 'tinyc');
  }, 120_000);

  it('draws both curves over phase-aligned time', async () => {
    const s = await overlayState(page);
    expect(s.datasets).toHaveLength(2);
    expect(s.datasets[0]!.label).toMatch(/^base — RSS of the process tree/);
    expect(s.datasets[1]!.label).toMatch(/^head — RSS of the process tree/);
    for (const d of s.datasets) expect(d.n).toBeGreaterThan(50);
    expect(await page.locator('.ov-side').first().textContent()).toContain('out/main.js');
  });

  it('labels the matched phases, instantiate_chunks among them', async () => {
    const s = await overlayState(page);
    expect(s.segmentLabels).toEqual(
      expect.arrayContaining(['parse', 'link', 'generate', 'instantiate_chunks', 'render_chunks']),
    );
  });

  it('labels both peaks with their value and phase', async () => {
    const s = await overlayState(page);
    expect(s.peakLabels).toHaveLength(2);
    expect(s.peakLabels[0]).toContain(`base peak ${formatBytes(model.base.peak!.bytes)}`);
    expect(s.peakLabels[0]).toContain(model.base.peak!.phasePath.join(' › '));
    expect(s.peakLabels[1]).toContain(`head peak ${formatBytes(model.head.peak!.bytes)}`);
    expect(s.peakLabels[1]).toContain(model.head.peak!.phasePath.join(' › '));
  });

  it("shows the phase and each run's real time in the tooltip", async () => {
    await page.screenshot({ path: path.join(artifacts, 'overlay.png'), fullPage: true });
    const seg = model.segments.find((x) => x.name === 'instantiate_chunks')!;
    const { left, top } = await page.evaluate(
      (xPct) => {
        const c = window.__cmiOverlay!.chart;
        const r = c.canvas.getBoundingClientRect();
        return {
          left: r.left + c.scales.x!.getPixelForValue(xPct),
          top: r.top + (c.chartArea.top + c.chartArea.bottom) / 2,
        };
      },
      ((seg.startX + seg.endX) / 2) * 100,
    );
    await page.mouse.move(left, top);
    await page.waitForFunction(() => (window.__cmiOverlay!.chart.tooltip?.opacity ?? 0) > 0);
    const tip = await page.evaluate(() => {
      const t = window.__cmiOverlay!.chart.tooltip!;
      return { title: t.title, footer: t.afterBody };
    });
    expect(tip.title.join('\n')).toContain('main › generate › instantiate_chunks');
    expect(tip.footer[0]).toMatch(/^base: [\d.]+ MiB at [\d.]+ s$/);
    expect(tip.footer[1]).toMatch(/^head: [\d.]+ MiB at [\d.]+ s$/);
    // Each run's own time, inside its own span of the phase (the spans differ between the runs).
    const t = (l: string) => Number(l.match(/at ([\d.]+) s$/)![1]) * 1000;
    expect(t(tip.footer[0]!)).toBeGreaterThanOrEqual(seg.baseMs[0] - 10);
    expect(t(tip.footer[0]!)).toBeLessThanOrEqual(seg.baseMs[1] + 10);
    expect(t(tip.footer[1]!)).toBeGreaterThanOrEqual(seg.headMs[0] - 10);
    expect(t(tip.footer[1]!)).toBeLessThanOrEqual(seg.headMs[1] + 10);
    await page.screenshot({
      path: path.join(artifacts, 'overlay-tooltip.png'),
      clip: { x: 0, y: 0, width: 1300, height: 560 },
    });
  });

  it('has a delta table row for generate › instantiate_chunks with its Δ', async () => {
    const row = page.locator('#cmi-overlay-phases tr[data-path="main › generate › instantiate_chunks"]');
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toBe('main › generate › instantiate_chunks');
    // Δ time: its sign is the runs' (one run each: a busy machine can make the freed run the slower).
    const time = compareProfiles(held, freed).phases.find(
      (p) => p.path.join(' › ') === 'main › generate › instantiate_chunks',
    )!.time.delta!;
    expect(cells[3]).toMatch(time < 0 ? /^-[\d.]+ (ms|s)$/ : /^\+[\d.]+ (ms|s)$/);
    expect(cells[7]).toMatch(/^-[\d.]+ MiB$/); // Δ peak inside: lower
    expect(cells[8]).toMatch(/^-[\d.]+ %$/);
    expect(await row.locator('td.sig').count()).toBeGreaterThan(0); // one run each: nothing is noise
  });

  it('made no request and raised no error', () => {
    expect(errors).toEqual([]);
  });
});

describe('a phase named like markup', () => {
  it('shows as text, and no dialog opens', async () => {
    // A real profile pair with the `write` phase renamed in memory, on both sides (so it is matched).
    const evil = '<img src=x onerror=alert(1)>';
    const rename = (p: Profile): Profile => ({
      ...p,
      phases: p.phases.map((ph) => (ph.name === 'write' ? { ...ph, name: evil } : ph)),
    });
    const base = rename(held);
    const head = rename(freed);
    const model = buildOverlayModel(base, head, compareProfiles(base, head));
    expect(model.segments.some((s) => s.name === evil)).toBe(true);
    const file = path.join(tmp, 'evil.html');
    writeFileSync(file, compareHtml(model));
    expect(readFileSync(file, 'utf8')).not.toContain(evil);
    const page = await open(file, 'evil');
    await page.waitForTimeout(300);
    expect(await page.locator('img').count()).toBe(0);
    const cell = page.locator(`#cmi-overlay-phases tr[data-path="main › ${evil}"] td`).first();
    expect(await cell.textContent()).toBe(`main › ${evil}`);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
  });
});
