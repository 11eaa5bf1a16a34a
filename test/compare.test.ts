// Comparing real profiles (protocol/compare.ts, server/src/core/compare/): the example compiler
// tinyc with and without --free-asts, a rolldown bundle of three.js with and without minification,
// and tsc on one project with and without --declaration. Every profile is a real run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareProfiles, significant } from '../server/src/core/compare/compare';
import { comparisonMarkdown, comparisonText, summaryMarkdown } from '../server/src/core/compare/markdown';
import type { Profile } from '../server/src/core/model';
import { profileBuild } from '../server/src/core/profile-build';
import { profileTinycBothWays, repoRoot } from './helpers';

const ROLLDOWN_THREE = path.join(repoRoot, 'test', 'workspaces', 'rolldown-three');
const TSC_SMALL = path.join(repoRoot, 'test', 'workspaces', 'tsc-small');
const TSC = path.join(repoRoot, 'node_modules', 'typescript', 'lib', 'tsc.js');
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-compare-'));
  if (!existsSync(path.join(repoRoot, 'dist', 'preload.js')))
    execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: repoRoot, stdio: 'inherit' });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The Markdown table row whose metric cell starts with `label`. */
const mdRow = (md: string, label: string) => md.split('\n').find((l) => l.startsWith(`| ${label}`));

describe('tinyc with and without --free-asts', () => {
  let held: Profile;
  let freed: Profile;
  beforeAll(async () => {
    ({ held, freed } = await profileTinycBothWays(tmp));
  }, 300_000);

  it('the peak drops, on RSS and on the V8 heap side by side', () => {
    expect(held.run.status).toBe('ok');
    expect(freed.run.status).toBe('ok');
    const c = compareProfiles(held, freed);
    // tinyc's full GCs (--expose-gc: at every phase boundary) give its live heap: the comparison leads with it.
    const primary = c.peaks[0]!;
    expect(primary.kind).toBe('js-live-heap');
    expect(primary.peak.delta).toBeLessThan(0);
    expect(c.peaks.find((p) => p.kind === 'rss-tree')!.peak.delta).toBeLessThan(0);
    const heap = c.peaks.find((p) => p.kind === 'js-heap')!;
    expect(heap.key).toMatch(/^js-heap:/);
    expect(heap.key).not.toMatch(/\d{3,}/); // no pid in the key
    expect(heap.peak.delta).toBeLessThan(0);
    expect(c.warnings.join('\n')).toMatch(/noise can't be judged/);
    expect(c.envDifferences.find((d) => d.fact === 'flags')?.head).toContain('--free-asts');
  });

  it('names the phases the peak moved between', () => {
    const c = compareProfiles(held, freed);
    expect(c.peakMove.moved).toBe(true);
    const { base, head } = c.peakMove;
    expect(base!.phasePath.length).toBeGreaterThan(0);
    expect(head!.phasePath.length).toBeGreaterThan(0);
    expect(head!.bytes).toBeLessThan(base!.bytes);
    const md = comparisonMarkdown(c);
    expect(md).toContain(`**The peak moved**: \`${base!.phasePath.join(' › ')}\``);
    expect(md).toContain(`→ \`${head!.phasePath.join(' › ')}\``);
  });

  it('groups the 300 module arenas and reports them changed: held past their last use before, not after', () => {
    const c = compareProfiles(held, freed);
    expect(c.arenas.length).toBeLessThan(10);
    expect(c.arenas.reduce((n, a) => n + a.count.base, 0)).toBe(300);
    const changed = c.arenas.filter((a) => a.change === 'changed');
    expect(changed.length).toBeGreaterThan(0);
    for (const a of changed) {
      expect(a.heldPastLastUse.base).toBeGreaterThan(0);
      expect(a.heldPastLastUse.head).toBe(0);
    }
    const md = comparisonMarkdown(c);
    expect(md).toMatch(new RegExp(`\\| \`${changed[0]!.name.replace(/[#*]/g, '\\$&')}\` \\(ast\\) \\| changed \\|`));
  });

  it('puts the drop of the peak in bold in the Markdown table, with the commands and run counts under it', () => {
    const c = compareProfiles(held, freed, { baseSource: 'held.json', headSource: 'free.json' });
    const md = comparisonMarkdown(c);
    expect(md.split('\n')[0]).toBe('| metric | base | head | Δ | Δ % |');
    const row = mdRow(md, `peak · ${c.peaks[0]!.name}`)!;
    expect(row).toMatch(/\| \*\*-[\d.]+ MiB\*\* \| \*\*-[\d.]+ %\*\* \|$/);
    expect(mdRow(md, 'peak · V8 heap')).toBeDefined();
    expect(md).toContain('Base: `node --expose-gc out/main.js --out');
    expect(md).toContain('— 1 run (ok) · held.json');
    expect(md).toContain('--free-asts');
    expect(comparisonText(c)).toContain('The peak moved');
  });

  it('summarises one profile as Markdown without a baseline', () => {
    const md = summaryMarkdown(held);
    expect(md).toMatch(/\*\*Peak\*\*: [\d.]+ MiB \(live V8 heap of main \(pid \d+\) \(after full GC\)\)/);
    expect(md).toMatch(/\*\*Arenas held past their last use\*\*: 300 of 300/);
  });
});

describe('rolldown bundling three.js with and without minification', () => {
  let plain: Profile;
  let minified: Profile;
  beforeAll(async () => {
    if (!existsSync(path.join(ROLLDOWN_THREE, 'node_modules', 'three')))
      execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error'], {
        cwd: ROLLDOWN_THREE,
        stdio: 'inherit',
      });
    const run = (extra: string[]) =>
      profileBuild({
        argv: ['node', 'build.mjs', ...extra, '--out-dir', path.join(tmp, 'three')],
        cwd: ROLLDOWN_THREE,
        noTraceFile: true,
      });
    plain = await run([]);
    minified = await run(['--minify']);
  }, 300_000);

  it('bundles both ways, the minified bundle smaller', () => {
    expect(plain.run.status).toBe('ok');
    expect(minified.run.status).toBe('ok');
    expect(statSync(path.join(tmp, 'three', 'three.min.js')).size).toBeLessThan(
      statSync(path.join(tmp, 'three', 'three.js')).size / 2,
    );
  });

  it("matches rolldown's stages by path and shows the time minification costs", () => {
    const c = compareProfiles(plain, minified);
    expect(c.phases.length).toBeGreaterThan(3);
    expect(c.phases.some((p) => p.path.includes('scan_modules'))).toBe(true);
    // The minifier's stage: only in the minified build, or present in both and much longer there.
    const minify = [
      ...c.phases.filter((p) => p.path.at(-1)!.includes('minify')),
      ...c.unmatched.headOnly.filter((p) => p.at(-1)!.includes('minify')).map((p) => ({ path: p, time: null })),
    ];
    expect(minify.length).toBeGreaterThan(0);
    for (const m of minify) if (m.time) expect(m.time.delta!).toBeGreaterThan(0);
    expect(c.peaks[0]!.peak.base!.median).toBeGreaterThan(0);
    expect(c.peaks[0]!.peak.head!.median).toBeGreaterThan(0);
    const md = comparisonMarkdown(c);
    expect(md).toContain('Head: `node build.mjs --minify');
    expect(md).toMatch(/> ⚠ the flags differ: .* → --minify/);
  });
});

describe('tsc on one project with and without --declaration', () => {
  let plain: Profile;
  let decl: Profile;
  beforeAll(async () => {
    const run = (extra: string[]) =>
      profileBuild({
        argv: ['node', TSC, '-p', '.', '--outDir', path.join(tmp, `tsc${extra.join('')}`), ...extra],
        cwd: TSC_SMALL,
        noTraceFile: true,
      });
    plain = await run([]);
    decl = await run(['--declaration']);
  }, 300_000);

  it("matches tsc's phases by path and lists the flags that differ", () => {
    expect(plain.run.status).toBe('ok');
    expect(decl.run.status).toBe('ok');
    expect(existsSync(path.join(tmp, 'tsc--declaration'))).toBe(true);
    const c = compareProfiles(plain, decl);
    const names = c.phases.map((p) => p.path.at(-1));
    for (const n of ['Parse', 'Bind', 'Check', 'Emit']) expect(names).toContain(n);
    const emit = c.phases.find((p) => p.path.at(-1) === 'Emit')!;
    expect(emit.time.base!.median).toBeGreaterThan(0);
    expect(emit.time.head!.median).toBeGreaterThan(0);
    expect(c.envDifferences.find((d) => d.fact === 'flags')!.head).toContain('--declaration');
    expect(c.envDifferences.some((d) => d.fact.startsWith('tool:'))).toBe(false);
    const md = comparisonMarkdown(c);
    expect(md).toContain('| wall time |');
    expect(md).toMatch(/Head: `node .*--declaration`/);
    // every bold cell is a difference beyond noise
    for (const line of md.split('\n').filter((l) => l.includes('**') && l.startsWith('| ') && !l.startsWith('| `'))) {
      const label = line.split(' | ')[0]!.slice(2);
      const p = c.phases.find((x) => label.startsWith(x.path.join(' › ')));
      if (p) expect(significant(label.endsWith('time') ? p.time : p.memPeak)).toBe(true);
    }
  });
});
