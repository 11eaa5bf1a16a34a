// `cmi report --html` in a real browser (Debian chromium through playwright-core), on reports of real
// profiles: a live profile of the real tsc, rustc's -Z time-passes JSON, and the arena protocol of a
// real producer. Checks what a user sees: the peak label and its phase, the phase and arena lanes (via
// the accessible lists mirroring what is in view), a tooltip, zoom, a range selection, and that trace
// strings cannot inject markup; that it follows VS Code's theme (light, dark, high contrast, switched
// at run time) and keeps its view (window, sort order, hidden series) across a reload. Screenshots go
// to test-artifacts/report/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decimate } from '../server/src/core/analysis/decimate';
import { importFiles } from '../server/src/core/importers';
import type { Profile } from '../server/src/core/model';
import { epochMs, ms } from '../server/src/core/units';
import { profileBuild } from '../server/src/core/profile-build';
import { writeProfile } from '../server/src/core/profile-file';
import { DecimationIndex } from '../server/src/report/decimate-index';
import { decodeSeries, encodeSeries } from '../server/src/report/embedded-series';
import { reportHtml } from '../server/src/report/html';
import { launchOfflineChromium } from './browser';
import { cliPath, repoRoot } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-report-test-'));
const artifacts = path.join(repoRoot, 'test-artifacts', 'report');
mkdirSync(artifacts, { recursive: true });
let context: BrowserContext;
const errors: string[] = [];

beforeAll(async () => {
  context = await launchOfflineChromium(tmp, { width: 1400, height: 1000 }, errors);
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
  await page.waitForFunction(
    () =>
      document.querySelectorAll('#cmi-visible-phases li').length > 0 ||
      document.querySelectorAll('#cmi-visible-arenas li').length > 0,
  );
  return page;
}

const xRange = (page: Page) =>
  page.evaluate(() => {
    const d = (document.querySelector('.cmi-timeline') as HTMLElement).dataset;
    return [Number(d.xMin), Number(d.xMax)];
  });
/** Waits until a step is drawn: its samples arrive within a frame or it is drawn with those at hand. */
const settled = (page: Page) =>
  page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
/** Presses keys on the focused timeline, each step drawn before the next key. */
async function press(page: Page, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    await page.keyboard.press(k);
    await settled(page);
  }
}
const visiblePhases = (page: Page) => page.locator('#cmi-visible-phases li').allTextContents();

describe('the HTML report of a live tsc profile', () => {
  let page: Page;
  let profile: Profile;
  beforeAll(async () => {
    profile = await profileBuild({
      argv: [
        process.execPath,
        path.join(repoRoot, 'node_modules/typescript/lib/tsc.js'),
        '-p',
        path.join(repoRoot, 'test/workspaces/tsc-small'),
        '--outDir',
        path.join(tmp, 'tsc-out'),
      ],
      cwd: repoRoot,
    });
    page = await open(profile, 'tsc');
  });
  afterAll(() => page?.close());

  it('labels the peak with its value and phase path', async () => {
    const label = await page.locator('#cmi-peak-label').textContent();
    // tsc's RSS peaks in its last phases or after them, as it writes its output and exits.
    // tsc's live V8 heap where a full GC saw it, else RSS; in its phases, or after them as it exits.
    expect(label).toMatch(
      /^(Peak of the live heap \d+\.\d MiB \(live V8 heap of tsc \(pid \d+\) \(after full GC\)\)|Peak \d+\.\d MiB \(RSS of the process tree\)) at [\d.]+ (ms|s) (in tsc|at exit, after tsc)/,
    );
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
    await press(page, '+', '+');
    const [a1, b1] = await xRange(page);
    expect(b1! - a1!).toBeLessThan((b0! - a0!) * 0.5);
    const chartRange = await page.evaluate(() => {
      const d = (document.querySelector('.cmi-timeline') as HTMLElement).dataset;
      return Number(d.xMax) - Number(d.xMin);
    });
    expect(chartRange).toBeCloseTo(b1! - a1!, 6);
    await press(page, 'ArrowRight');
    const [a2] = await xRange(page);
    expect(a2!).toBeGreaterThan(a1!);
    await press(page, '0');
    expect(await xRange(page)).toEqual([a0, b0]);
    const box = (await page.locator('.cmi-chart-box canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction(
      ([a, b]) => {
        const d = (document.querySelector('.cmi-timeline') as HTMLElement).dataset;
        return Number(d.xMax) - Number(d.xMin) < b! - a!;
      },
      [a0, b0],
    );
    await press(page, '0');
  });
});

describe('the HTML report of rustc -Z time-passes (JSON), through the CLI', () => {
  let page: Page;
  beforeAll(async () => {
    const profile = await importFiles([
      path.join(repoRoot, 'test/fixtures/rustc/time-passes.regex-syntax.debug.json.txt'),
    ]);
    const json = path.join(tmp, 'rustc.json');
    await writeProfile(json, profile);
    const html = path.join(tmp, 'rustc-cli.html');
    execFileSync(process.execPath, [cliPath, 'report', json, '--html', html], { stdio: 'pipe' });
    expect(readFileSync(html, 'utf8')).toContain(
      `Content-Security-Policy" content="default-src 'none'; script-src 'nonce-`,
    );
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
    expect(names).toEqual(
      expect.arrayContaining([
        'rustc',
        'type_check_crate',
        'MIR_borrow_checking',
        'codegen_crate',
        'codegen_to_LLVM_IR',
      ]),
    );
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
    expect(await page.locator('#cmi-peak-label').textContent()).toBe(
      'Peak of the live heap 140.0 MiB (heap) at 9.00 ms in codegen',
    );
    const arenas = page.locator('#cmi-visible-arenas li');
    expect(await arenas.count()).toBeGreaterThan(100);
    expect(await page.locator('#cmi-visible-arenas li[data-held="true"]').allTextContents()).toEqual([
      'ast: peak 80.0 MiB, held past its last use (saving 80.0 MiB)',
    ]);
    // Hundreds of overlapping arenas: every one has a lane (they scroll), the held arena in the first.
    const heldItem = page.locator('#cmi-visible-arenas li[data-held="true"]');
    expect(Number(await page.locator('#cmi-visible-arenas').getAttribute('data-lanes'))).toBeGreaterThan(0);
    expect(await heldItem.getAttribute('data-lane')).toBe('0');
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
      run: {
        command: ['build', evil2],
        cwd: '/',
        startedAt: new Date(0).toISOString(),
        startEpochMs: epochMs(0),
        wallMs: ms(100),
        exitCode: 0,
        signal: null,
        status: 'ok',
        tools: {},
        sources: [],
      },
      processes: [],
      series: [
        {
          id: 'rss-tree',
          name: `RSS ${evil1}`,
          kind: 'rss-tree',
          source: 'test',
          unit: 'bytes',
          tMs: new Float64Array([0, 50, 100]),
          bytes: new Float64Array([1e6, 5e6, 2e6]),
        },
      ],
      phases: [
        { name: evil1, parent: null, startMs: ms(0), endMs: ms(100) },
        { name: evil2, parent: 0, startMs: ms(10), endMs: ms(90) },
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

describe('the report host’s indexed decimation', () => {
  it('gives the points decimate() gives, at every zoom', () => {
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const n = 300_000;
    const tMs = new Float64Array(n);
    const bytes = new Float64Array(n);
    let t = 0;
    let b = 5e7;
    for (let i = 0; i < n; i++) {
      t += rand() < 0.05 ? 0 : rand() * 3; // ties in time
      b = Math.max(0, b + Math.round((rand() - 0.5) * 8) * 4096); // ties in value
      tMs[i] = t;
      bytes[i] = b;
    }
    const index = new DecimationIndex(tMs, bytes);
    const windows: [number, number, number][] = [
      [0, t, 1200],
      [0, t, 1],
      [t * 0.1, t * 0.9, 700],
      [t * 0.3, t * 0.3001, 500],
      [-5, t + 5, 3],
      [t * 0.5, t * 0.5, 10],
    ];
    for (let k = 0; k < 20; k++) {
      const a = rand() * t;
      windows.push([a, a + rand() * (t - a), 1 + Math.floor(rand() * 2000)]);
    }
    for (const [a, z, cols] of windows)
      expect(index.decimate(a, z, cols), `${a}..${z} in ${cols}`).toEqual(decimate(tMs, bytes, a, z, cols));
  });
});

describe('the samples embedded in the report', () => {
  it('decode to the samples encoded: times to the microsecond, bytes exact, past 2^31 and falling', () => {
    const tMs = Float64Array.from([0, 0.001, 10.5, 10.5, 3_600_000.25, 86_400_000]);
    const bytes = Float64Array.from([4096, 2 ** 33, 12_288, 0, 2 ** 45 + 4096, 8192]);
    const e = encodeSeries('rss-tree', tMs, bytes);
    expect(e.bytesScale).toBe(4096);
    const d = decodeSeries(JSON.parse(JSON.stringify(e)));
    expect(d.id).toBe('rss-tree');
    expect([...d.tMs]).toEqual([...tMs]);
    expect([...d.bytes]).toEqual([...bytes]);
    // Odd byte counts (a compiler's own figures) keep their scale of 1.
    const odd = decodeSeries(encodeSeries('heap', [1, 2, 3], [1001, 7, 123_456_789_013]));
    expect([...odd.bytes]).toEqual([1001, 7, 123_456_789_013]);
  });

  it('say which series ends early when the data is cut', () => {
    const e = encodeSeries('rss:42', [1, 2, 3], [4096, 8192, 4096]);
    expect(() => decodeSeries({ ...e, n: 5 })).toThrow(/the samples of series "rss:42" end early \(byte \d+ of \d+\)/);
  });
});

/** Pixels of a canvas (opaque enough to show their colour) within 8 levels of one of `colors` (#rrggbb). */
function countPixels(page: Page, selector: string, colors: string[]): Promise<number> {
  return page.evaluate(
    ([sel, cols]) => {
      const c = document.querySelector(sel) as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const rgb = cols.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
      let n = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! < 200) continue;
        if (
          rgb.some(
            ([r, g, b]) => Math.abs(d[i]! - r!) <= 8 && Math.abs(d[i + 1]! - g!) <= 8 && Math.abs(d[i + 2]! - b!) <= 8,
          )
        )
          n++;
      }
      return n;
    },
    [selector, colors] as const,
  );
}

/** A VS Code theme as a webview gets it: a class on body, the theme's variables on <html>. */
async function setTheme(page: Page, cls: string, vars: Record<string, string>): Promise<void> {
  await page.evaluate(
    ([c, v]) => {
      document.body.classList.remove(
        'vscode-light',
        'vscode-dark',
        'vscode-high-contrast',
        'vscode-high-contrast-light',
      );
      document.documentElement.removeAttribute('style');
      for (const [k, x] of Object.entries(v)) document.documentElement.style.setProperty(k, x);
      if (c) document.body.classList.add(c);
    },
    [cls, vars] as const,
  );
  await page.waitForFunction(
    (c) =>
      (document.querySelector('.cmi-timeline') as HTMLElement).dataset.theme ===
      (
        { 'vscode-dark': 'dark', 'vscode-high-contrast': 'high-contrast', 'vscode-light': 'light' } as Record<
          string,
          string
        >
      )[c],
    cls,
  );
  await settled(page);
}

describe('the report follows the VS Code theme', () => {
  let page: Page;
  // The phase fills of the light and the dark palettes (view.css).
  const lightPhases = ['#a8c7fa', '#b4e3bf', '#d8c4f8', '#fbd2a8', '#f5e3a3', '#f6c3d8'];
  const darkPhases = ['#264f8a', '#1f5b34', '#4b3482', '#7a3f12', '#6b5312', '#7a2a52'];
  const dark = {
    '--vscode-editor-background': '#1f1f1f',
    '--vscode-editor-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-red': '#f14c4c',
    '--vscode-panel-border': '#2b2b2b',
  };
  const highContrast = {
    '--vscode-editor-background': '#000000',
    '--vscode-editor-foreground': '#ffffff',
    '--vscode-descriptionForeground': '#e0e0e0',
    '--vscode-charts-blue': '#40a6ff',
    '--vscode-charts-red': '#ff6464',
    '--vscode-contrastBorder': '#6fc3df',
  };
  beforeAll(async () => {
    page = await open(
      await importFiles([path.join(repoRoot, 'test/fixtures/rustc/time-passes.regex-syntax.debug.json.txt')]),
      'theme',
    );
  });
  afterAll(() => page?.close());

  it('draws chart and lanes in the colours of a dark and a high-contrast theme, switched at run time', async () => {
    await setTheme(page, 'vscode-light', {});
    expect(await countPixels(page, '.cmi-lanes', lightPhases)).toBeGreaterThan(500);
    expect(await countPixels(page, '.cmi-lanes', darkPhases)).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'theme-light.png'), fullPage: true });

    await setTheme(page, 'vscode-dark', dark);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(31, 31, 31)');
    expect(await countPixels(page, '.cmi-lanes', darkPhases)).toBeGreaterThan(500);
    expect(await countPixels(page, '.cmi-lanes', lightPhases)).toBe(0);
    // The memory line in the theme's blue, the axis labels in its description colour, none left in the light ones.
    expect(await countPixels(page, '.cmi-chart-box canvas', ['#3794ff'])).toBeGreaterThan(100);
    expect(await countPixels(page, '.cmi-chart-box canvas', ['#9d9d9d'])).toBeGreaterThan(50);
    expect(await countPixels(page, '.cmi-chart-box canvas', ['#0969da', '#59636e'])).toBe(0);
    await page.screenshot({ path: path.join(artifacts, 'theme-dark.png'), fullPage: true });

    await setTheme(page, 'vscode-high-contrast', highContrast);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(0, 0, 0)');
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('.cmi-timeline')!).borderTopColor)).toBe(
      'rgb(111, 195, 223)',
    );
    expect(await countPixels(page, '.cmi-chart-box canvas', ['#40a6ff'])).toBeGreaterThan(100);
    expect(await countPixels(page, '.cmi-chart-box canvas', ['#e0e0e0'])).toBeGreaterThan(50);
    expect(await countPixels(page, '.cmi-chart-box canvas', ['#3794ff', '#9d9d9d'])).toBe(0);
    expect(await countPixels(page, '.cmi-lanes', darkPhases)).toBeGreaterThan(500);
    await page.screenshot({ path: path.join(artifacts, 'theme-high-contrast.png'), fullPage: true });

    await setTheme(page, 'vscode-light', {});
    expect(await countPixels(page, '.cmi-lanes', lightPhases)).toBeGreaterThan(500);
    expect(await countPixels(page, '.cmi-chart-box canvas', ['#40a6ff', '#e0e0e0'])).toBe(0);
    expect(errors).toEqual([]);
  });
});

describe('the report keeps its view across a reload', () => {
  it('restores the zoom window, the sort order and the hidden series', async () => {
    const page = await open(
      await importFiles([path.join(repoRoot, 'test/fixtures/rustc/time-passes.regex-syntax.debug.json.txt')]),
      'state',
    );
    try {
      await page.locator('.cmi-timeline').focus();
      await press(page, '+', '+', 'ArrowRight');
      const zoomed = await xRange(page);
      const timeHeader = page
        .locator('.cmi-table')
        .first()
        .locator('th', { hasText: /^Time$/ });
      await timeHeader.locator('button').click();
      expect(await timeHeader.getAttribute('aria-sort')).toBe('descending');
      // The first legend item (above the chart) hides its series.
      await page.locator('.cmi-legend-item').first().click();
      await page.waitForFunction(
        () => (document.querySelector('.cmi-timeline') as HTMLElement).dataset.hiddenSeries !== '',
      );
      const hidden = await page.locator('.cmi-timeline').getAttribute('data-hidden-series');
      await page.waitForFunction(() => location.hash.startsWith('#view='));
      await page.waitForTimeout(400); // the state is saved at most every 250 ms
      await page.reload();
      await page.waitForSelector('.cmi-timeline[data-rendered="true"]');
      await settled(page);
      const [a, b] = await xRange(page);
      expect(a).toBeCloseTo(zoomed[0]!, 6);
      expect(b).toBeCloseTo(zoomed[1]!, 6);
      expect(await timeHeader.getAttribute('aria-sort')).toBe('descending');
      expect(await page.locator('.cmi-timeline').getAttribute('data-hidden-series')).toBe(hidden);
      await page.screenshot({ path: path.join(artifacts, 'state-restored.png') });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
