// `cmi report --html` in a real browser (Debian chromium through playwright-core), on reports of real
// profiles: a live profile of the real tsc, rustc's -Z time-passes JSON, and the arena protocol of a
// real producer. Checks what a user sees: the peak label and its phase, the phase and arena lanes (via
// the accessible lists mirroring what is in view), a tooltip, zoom, a range selection, and that trace
// strings cannot inject markup. Screenshots go to test-artifacts/report/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../server/src/core/importers';
import type { Profile } from '../server/src/core/model';
import { profileBuild } from '../server/src/core/profile-build';
import { writeProfile } from '../server/src/core/profile-file';
import { reportHtml } from '../server/src/report/html';
import { cliPath, repoRoot } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-report-test-'));
const artifacts = path.join(repoRoot, 'test-artifacts', 'report');
mkdirSync(artifacts, { recursive: true });
let context: BrowserContext;
const errors: string[] = [];

beforeAll(async () => {
  context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmp, 'chrome-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // A self-contained report makes no request but its own file.
  await context.route('**/*', (route) => (route.request().url().startsWith('file://') ? route.continue() : (errors.push(`request ${route.request().url()}`), route.abort())));
});
afterAll(async () => {
  await context?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function open(profile: Profile, name: string): Promise<Page> {
  const file = path.join(tmp, `${name}.html`);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, reportHtml(profile));
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`${name}: console: ${m.text()}`));
  await page.goto(`file://${file}`);
  await page.waitForSelector('.cmi-timeline[data-rendered="true"]');
  await page.waitForFunction(() => document.querySelectorAll('#cmi-visible-phases li').length > 0 || document.querySelectorAll('#cmi-visible-arenas li').length > 0);
  return page;
}

const xRange = (page: Page) => page.evaluate(() => {
  const d = (document.querySelector('.cmi-timeline') as HTMLElement).dataset;
  return [Number(d.xMin), Number(d.xMax)];
});
const visiblePhases = (page: Page) => page.locator('#cmi-visible-phases li').allTextContents();

describe('the HTML report of a live tsc profile', () => {
  let page: Page;
  let profile: Profile;
  beforeAll(async () => {
    profile = await profileBuild({
      argv: [process.execPath, path.join(repoRoot, 'node_modules/typescript/lib/tsc.js'), '-p', path.join(repoRoot, 'test/workspaces/tsc-small'), '--outDir', path.join(tmp, 'tsc-out')],
      cwd: repoRoot,
    });
    page = await open(profile, 'tsc');
  });
  afterAll(() => page?.close());

  it('labels the peak with its value and phase path', async () => {
    const label = await page.locator('#cmi-peak-label').textContent();
    expect(label).toMatch(/^Peak \d+\.\d MiB \(RSS of the process tree\) at [\d.]+ (ms|s) in tsc/);
    const annotation = await page.evaluate(() => {
      const chart = (window as unknown as { Chart?: unknown }).Chart;
      return chart === undefined;
    });
    expect(annotation).toBe(true); // nothing leaks into globals
    await page.screenshot({ path: path.join(artifacts, 'tsc.png'), fullPage: true });
  });

  it('shows tsc’s phases as lanes, and a tooltip on hovering one', async () => {
    const names = (await visiblePhases(page)).map((t) => t.split(' ')[0]);
    expect(names).toEqual(expect.arrayContaining(['tsc', 'Program', 'Check']));
    // Hover the middle of the Check span in the lanes.
    const check = profile.phases.find((p) => p.name === 'Check')!;
    const box = (await page.locator('.cmi-lanes').boundingBox())!;
    const v = await page.evaluate(() => {
      const c = document.querySelector('.cmi-chart-box canvas') as HTMLCanvasElement;
      return { w: c.getBoundingClientRect().width };
    });
    const [xMin, xMax] = await xRange(page);
    // Plot area: from the 150 px gutter to the right padding; find depth of Check by scanning rows.
    const tx = (t: number) => box.x + 150 + ((t - xMin!) / (xMax! - xMin!)) * (v.w - 150 - 8);
    let text = '';
    for (let y = 9; y < 80 && !text.startsWith('tsc › Check'); y += 18) {
      await page.mouse.move(tx((check.startMs + check.endMs) / 2), box.y + y);
      text = (await page.locator('#cmi-tooltip').textContent()) ?? '';
    }
    expect(text).toMatch(/^tsc › Check\n[\d.]+ (ms|s) /);
    expect(text).toMatch(/memory: .* peak in it [\d.]+ MiB/);
    await page.screenshot({ path: path.join(artifacts, 'tsc-tooltip.png') });
  });

  it('zooms with the keyboard and the wheel, keeping chart and lanes in step', async () => {
    const [a0, b0] = await xRange(page);
    await page.locator('.cmi-timeline').focus();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    const [a1, b1] = await xRange(page);
    expect(b1! - a1!).toBeLessThan((b0! - a0!) * 0.5);
    const chartRange = await page.evaluate(() => {
      const d = (document.querySelector('.cmi-timeline') as HTMLElement).dataset;
      return Number(d.xMax) - Number(d.xMin);
    });
    expect(chartRange).toBeCloseTo(b1! - a1!, 6);
    await page.keyboard.press('ArrowRight');
    const [a2] = await xRange(page);
    expect(a2!).toBeGreaterThan(a1!);
    await page.keyboard.press('0');
    expect(await xRange(page)).toEqual([a0, b0]);
    const box = (await page.locator('.cmi-chart-box canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction(([a, b]) => {
      const d = (document.querySelector('.cmi-timeline') as HTMLElement).dataset;
      return Number(d.xMax) - Number(d.xMin) < b! - a!;
    }, [a0, b0]);
    await page.keyboard.press('0');
  });
});

describe('the HTML report of rustc -Z time-passes (JSON), through the CLI', () => {
  let page: Page;
  beforeAll(async () => {
    const profile = await importFiles([path.join(repoRoot, 'test/fixtures/rustc/time-passes.regex-syntax.debug.json.txt')]);
    const json = path.join(tmp, 'rustc.json');
    await writeProfile(json, profile);
    const html = path.join(tmp, 'rustc-cli.html');
    execFileSync(process.execPath, [cliPath, 'report', json, '--html', html], { stdio: 'pipe' });
    expect(readFileSync(html, 'utf8')).toContain(`Content-Security-Policy" content="default-src 'none'; script-src 'nonce-`);
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`rustc: ${e.message}`));
    await page.goto(`file://${html}`);
    await page.waitForSelector('.cmi-timeline[data-rendered="true"]');
    await page.waitForFunction(() => document.querySelectorAll('#cmi-visible-phases li').length > 0);
  });
  afterAll(() => page?.close());

  it('shows rustc’s passes nested under the crate, and the peak in its pass', async () => {
    const label = (await page.locator('#cmi-peak-label').textContent())!;
    expect(label).toMatch(/^Peak [\d.]+ MiB \(.+\) at [\d.]+ (ms|s) in rustc #1 › codegen_crate › codegen_to_LLVM_IR$/);
    const names = (await visiblePhases(page)).map((t) => t.split(' ')[0]);
    expect(names).toEqual(expect.arrayContaining(['rustc', 'type_check_crate', 'MIR_borrow_checking', 'codegen_crate', 'codegen_to_LLVM_IR']));
    await page.screenshot({ path: path.join(artifacts, 'rustc.png'), fullPage: true });
  });

  it('sums up a range selection: max memory, phases and arenas in it', async () => {
    const box = (await page.locator('.cmi-chart-box canvas').boundingBox())!;
    await page.keyboard.down('Shift');
    await page.mouse.move(box.x + 150 + 20, box.y + 150);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + 150, { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await page.waitForSelector('#cmi-selection:not([hidden])');
    const text = (await page.locator('#cmi-selection').textContent())!;
    expect(text).toMatch(/^Selection [\d.]+ (ms|s) → [\d.]+ (ms|s) \(/);
    expect(text).toMatch(/\nmax [\d.]+ MiB · /);
    expect(text).toMatch(/\n\d+ phase spans; longest here: /);
    expect(text).toMatch(/\n0 arenas alive/);
    await page.screenshot({ path: path.join(artifacts, 'rustc-selection.png') });
  });
});

describe('the HTML report of arenas from a real producer', () => {
  let page: Page;
  beforeAll(async () => {
    const file = path.join(tmp, 'protocol.json');
    execFileSync(process.execPath, [path.join(repoRoot, 'test/fixtures/arenas/protocol-producer.js'), file]);
    page = await open(await importFiles([file]), 'arenas');
  });
  afterAll(() => page?.close());

  it('draws the arena lanes, the held one highlighted, and its tooltip', async () => {
    expect(await page.locator('#cmi-peak-label').textContent()).toBe('Peak 140.0 MiB (heap) at 9.00 ms in codegen');
    const arenas = page.locator('#cmi-visible-arenas li');
    expect(await arenas.count()).toBeGreaterThan(100);
    expect(await page.locator('#cmi-visible-arenas li[data-held="true"]').allTextContents()).toEqual(['ast: peak 80.0 MiB, held past its last use (saving 80.0 MiB)']);
    // Hundreds of overlapping arenas: the rows keep a readable height (capped, "… N more"), and the
    // held arena is packed into a drawn row.
    const heldItem = page.locator('#cmi-visible-arenas li[data-held="true"]');
    const drawnRows = Number(await page.locator('#cmi-visible-arenas').getAttribute('data-rows'));
    expect(drawnRows).toBeGreaterThan(0);
    expect(Number(await heldItem.getAttribute('data-row-h'))).toBeGreaterThanOrEqual(4);
    const heldRow = Number(await heldItem.getAttribute('data-row'));
    expect(heldRow).toBeGreaterThanOrEqual(0);
    expect(heldRow).toBeLessThan(drawnRows);
    expect(Number(await page.locator('#cmi-visible-arenas').getAttribute('data-hidden'))).toBeGreaterThan(0);
    const held = page.locator('.cmi-table tr.cmi-held');
    expect(await held.first().textContent()).toContain('ast [ast]');
    await page.screenshot({ path: path.join(artifacts, 'arenas.png'), fullPage: true });
  });
});

describe('strings from a trace are shown as text', () => {
  it('cannot break out of the data block nor inject markup', async () => {
    const evil1 = '<img src=x onerror="window.__xss=1">';
    const evil2 = '</script><script>window.__xss=2</script>';
    const profile: Profile = {
      run: { command: ['build', evil2], cwd: '/', startedAt: new Date(0).toISOString(), startEpochMs: 0, wallMs: 100, exitCode: 0, signal: null, status: 'ok', tools: {}, sources: [] },
      processes: [],
      series: [{ id: 'rss-tree', name: `RSS ${evil1}`, kind: 'rss-tree', source: 'test', unit: 'bytes', tMs: new Float64Array([0, 50, 100]), bytes: new Float64Array([1e6, 5e6, 2e6]) }],
      phases: [
        { name: evil1, parent: null, startMs: 0, endMs: 100 },
        { name: evil2, parent: 0, startMs: 10, endMs: 90 },
      ],
      markers: [],
      arenas: [],
      warnings: [],
    };
    const page = await open(profile, 'xss');
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('#cmi-peak-label').textContent()).toContain(`in ${evil1} › ${evil2}`);
    expect((await visiblePhases(page)).map((t) => t.replace(/ [\d.]+ ms.*$/, ''))).toEqual([evil1, evil2]);
    expect(await page.locator('img').count()).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'xss.png') });
    await page.close();
  });

  it('made no network request and raised no error in any page', () => {
    expect(errors).toEqual([]);
  });
});
