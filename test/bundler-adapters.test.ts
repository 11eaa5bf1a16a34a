// The bundler adapters (server/src/core/collect/bundlers.ts) on real builds: rollup's CLI (`npx rollup
// -c`) and rolldown's JS API on test/workspaces/rollup-small (rollup 4.68.7 and rolldown 1.3.2 from npm,
// installed by `npm install` there), esbuild's CLI (the project's own esbuild), and Voyd's perf line
// (no Voyd compiler here: its real stderr from test/fixtures/voyd is handed to collect()).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bundlerInstrumentations,
  findToolProcess,
  ROLLDOWN_RD_LOG,
  toolArgIndex,
} from '../server/src/core/collect/bundlers';
import type { CollectContext, InstrumentContext } from '../server/src/core/collect/instrumentation';
import { parseEsbuildTiming } from '../server/src/core/importers/esbuild-timing';
import { parseRollupPerf } from '../server/src/core/importers/rollup-perf';
import type { Phase, Profile, ProcessInfo } from '../server/src/core/model';
import { epochMs, ms } from '../server/src/core/units';
import { runBuild } from '../server/src/core/runner';
import { distDir, repoRoot } from './helpers';

const ws = path.join(__dirname, 'workspaces', 'rollup-small');
const installed = existsSync(path.join(ws, 'node_modules', 'rollup', 'package.json'));
const rolldownInstalled = existsSync(path.join(ws, 'node_modules', 'rolldown', 'package.json'));
const ROLLUP_BIN = /(^|\/)rollup\/dist\/bin\/rollup$|(^|\/)node_modules\/\.bin\/rollup$/;

function ictx(argv: string[], cwd = ws): InstrumentContext {
  return { argv: [...argv], env: {}, cwd, workDir: '/tmp', startEpochMs: epochMs(0), intervalMs: ms(10), distDir };
}

function children(phases: Phase[], parent: string | null): string[] {
  const idx = parent === null ? null : phases.findIndex((p) => p.name === parent);
  return phases.filter((p) => p.parent === idx).map((p) => p.name);
}

/** The phases of one source, with parents re-based to that subset. */
function phasesOf(p: Profile, category: RegExp): Phase[] {
  const keep = p.phases.map((ph, i) => (category.test(ph.category ?? '') ? i : -1)).filter((i) => i >= 0);
  return keep.map((i) => ({
    ...p.phases[i]!,
    parent:
      p.phases[i]!.parent === null
        ? null
        : keep.indexOf(p.phases[i]!.parent!) >= 0
          ? keep.indexOf(p.phases[i]!.parent!)
          : null,
  }));
}

describe('finding the tool in a command', () => {
  it('recognizes rollup run directly, through npx / npm exec, or as node <its bin script>', () => {
    expect(toolArgIndex(['rollup', '-c'], 'rollup', ROLLUP_BIN)).toBe(0);
    expect(toolArgIndex(['/x/node_modules/.bin/rollup', '-c'], 'rollup', ROLLUP_BIN)).toBe(0);
    expect(toolArgIndex(['npx', 'rollup', '-c'], 'rollup', ROLLUP_BIN)).toBe(1);
    expect(toolArgIndex(['npx', '--yes', 'rollup', '-c'], 'rollup', ROLLUP_BIN)).toBe(2);
    expect(toolArgIndex(['npm', 'exec', '--', 'rollup', '-c'], 'rollup', ROLLUP_BIN)).toBe(3);
    expect(toolArgIndex(['node', 'node_modules/rollup/dist/bin/rollup', '-c'], 'rollup', ROLLUP_BIN)).toBe(1);
    expect(
      toolArgIndex(
        ['node', '--max-old-space-size=4096', '/w/node_modules/rollup/dist/bin/rollup'],
        'rollup',
        ROLLUP_BIN,
      ),
    ).toBe(2);
    expect(toolArgIndex(['node', 'build.mjs'], 'rollup', ROLLUP_BIN)).toBe(-1);
    expect(toolArgIndex(['npx', 'tsc', '-p', '.'], 'rollup', ROLLUP_BIN)).toBe(-1);
    expect(toolArgIndex(['make', 'rollup'], 'rollup', ROLLUP_BIN)).toBe(-1);
  });

  it('prepare: --perf for rollup (once), --timing for esbuild, RD_LOG where rolldown is installed, VOYD_COMPILER_PERF=1', () => {
    const prepared = (argv: string[], cwd = ws, env: Record<string, string> = {}) => {
      const c = ictx(argv, cwd);
      Object.assign(c.env, env);
      for (const inst of bundlerInstrumentations()) void inst.prepare(c);
      return c;
    };
    expect(prepared(['npx', 'rollup', '-c']).argv).toEqual(['npx', 'rollup', '-c', '--perf']);
    expect(prepared(['rollup', '-c', '--perf']).argv).toEqual(['rollup', '-c', '--perf']);
    expect(prepared(['esbuild', 'a.js', '--bundle']).argv).toEqual(['esbuild', 'a.js', '--bundle', '--timing']);
    expect(prepared(['esbuild', '--version']).argv).toEqual(['esbuild', '--version']);
    expect(prepared(['make']).argv).toEqual(['make']);
    const env = prepared(['node', 'rolldown-build.mjs']).env;
    expect(env.RD_LOG).toBe(rolldownInstalled ? ROLLDOWN_RD_LOG : undefined);
    expect(env.VOYD_COMPILER_PERF).toBe('1');
    expect(prepared(['make'], '/').env.RD_LOG).toBeUndefined();
    expect(prepared(['make'], ws, { RD_LOG: 'debug', VOYD_COMPILER_PERF: '0' }).env).toMatchObject({
      RD_LOG: 'debug',
      VOYD_COMPILER_PERF: '0',
    });
  });
});

describe.skipIf(!installed)('live: rollup CLI on test/workspaces/rollup-small', () => {
  let profile: Profile;
  let stdout: string;
  beforeAll(async () => {
    rmSync(path.join(ws, 'out'), { recursive: true, force: true });
    const r = await runBuild({
      argv: ['npx', 'rollup', '-c'],
      cwd: ws,
      distDir,
      env: { NO_UPDATE_NOTIFIER: '1' },
      instrumentations: bundlerInstrumentations(),
    });
    profile = r.profile;
    stdout = r.stdout;
  });

  it('builds the bundle, tree-shaken', () => {
    expect(profile.run.status).toBe('ok');
    const bundle = readFileSync(path.join(ws, 'out', 'bundle.js'), 'utf8');
    expect(bundle).toContain('function tokenize');
    expect(bundle).not.toContain('tree-shaken away');
  });

  it("puts rollup's phases under the rollup process, within its life, with rollup's own durations", () => {
    const rollupProc = findToolProcess(profile.processes, 'rollup', ROLLUP_BIN)!;
    expect(rollupProc).toBeDefined();
    expect(rollupProc.label).toBe('rollup');
    expect(rollupProc.argv.at(-1)).toBe('--perf');
    const phases = phasesOf(profile, /^rollup/);
    expect(children(phases, null)).toEqual(['BUILD', 'GENERATE', 'WRITE']);
    expect(children(phases, 'BUILD')).toEqual([
      'initialize',
      'generate module graph',
      'sort and bind modules',
      'mark included statements',
    ]);
    expect(children(phases, 'mark included statements')[0]).toBe('treeshaking pass 1');
    // From before the sampler first saw the process (by at most a gap between its ticks) to its last sight.
    const lateMs = Math.max(10, profile.run.sampler!.maxGapMs!);
    for (const p of phases) {
      expect(p.pid).toBe(rollupProc.pid);
      expect(p.startMs).toBeGreaterThanOrEqual(rollupProc.startMs - lateMs - 1e-6);
      expect(p.endMs).toBeLessThanOrEqual((rollupProc.endMs ?? profile.run.wallMs) + 1e-6);
    }
    const [report] = parseRollupPerf(stdout);
    const build = phases.find((p) => p.name === 'BUILD')!;
    expect(build.endMs - build.startMs).toBeCloseTo(report!.timings.find((t) => t.label === '# BUILD')!.ms, 6);
    // The heap figures: a js-heap series of this process, its max equal to the largest max heapUsed printed.
    const heap = profile.series.find((s) => s.id === `js-heap:rollup-perf:${rollupProc.pid}`)!;
    expect(heap.pid).toBe(rollupProc.pid);
    expect(Math.max(...heap.bytes)).toBe(
      Math.max(...report!.timings.filter((t) => t.level <= 2).map((t) => t.maxHeapUsedBytes)),
    );
    expect(profile.run.tools.rollup).toBe('4.68.7');
    expect(profile.run.sources).toContain('rollup-perf');
    expect(profile.warnings.map((w) => w.code)).toEqual(
      expect.arrayContaining(['flag-added', 'rollup-phases-reconstructed']),
    );
    expect(profile.run.command).toEqual(['npx', 'rollup', '-c']);
  });
});

describe.skipIf(!rolldownInstalled)("live: rolldown's JS API with RD_LOG on test/workspaces/rollup-small", () => {
  it('places the stage spans on the real clock inside the node process that ran them', async () => {
    rmSync(path.join(ws, 'out', 'rolldown-bundle.js'), { force: true });
    const r = await runBuild({
      argv: ['node', 'rolldown-build.mjs'],
      cwd: ws,
      distDir,
      instrumentations: bundlerInstrumentations(),
    });
    const p = r.profile;
    expect(p.run.status).toBe('ok');
    expect(existsSync(path.join(ws, 'out', 'rolldown-bundle.js'))).toBe(true);
    const phases = phasesOf(p, /^rolldown-span$/);
    expect(children(phases, null)).toEqual(['build']);
    expect(children(phases, 'bundle_write')).toEqual(['link', 'generate']);
    expect(children(phases, 'generate')).toContain('instantiate_chunks');
    const node = p.processes.find((q) => q.pid === phases[0]!.pid)!;
    expect(node.argv).toContain('rolldown-build.mjs');
    // The sampler sees a process start and end up to a gap between ticks late (10 ms, or longer on a busy machine).
    const slackMs = Math.max(10, p.run.sampler!.maxGapMs!) + 5;
    for (const ph of phases) {
      expect(ph.startMs).toBeGreaterThanOrEqual(node.startMs - slackMs);
      expect(ph.endMs).toBeLessThanOrEqual((node.endMs ?? p.run.wallMs) + slackMs);
    }
    expect(p.run.tools.rolldown).toBe('1.3.2');
    expect(p.warnings.filter((w) => w.code.startsWith('rolldown')).map((w) => w.message)).toEqual([]);
  });
});

describe('live: esbuild CLI with --timing', () => {
  const esbuild = path.join(repoRoot, 'node_modules', '.bin', 'esbuild');
  it.skipIf(!existsSync(esbuild))('adds --timing and lays the tree out at the end of the esbuild process', async () => {
    const r = await runBuild({
      argv: [esbuild, 'src/main.js', '--bundle', '--format=esm', '--outfile=out/esbuild-bundle.js'],
      cwd: ws,
      distDir,
      instrumentations: bundlerInstrumentations(),
    });
    expect(r.profile.run.status).toBe('ok');
    const phases = phasesOf(r.profile, /^esbuild$/);
    expect(children(phases, null)).toEqual(
      parseEsbuildTiming(r.stderr)
        .timings.filter((t) => t.depth === 0)
        .map((t) => t.name),
    );
    expect(children(phases, null)).toContain('Scan phase');
    const proc = r.profile.processes.find((q) => q.pid === phases[0]!.pid)!;
    expect(proc.label).toBe('esbuild');
    const roots = phases.filter((ph) => ph.parent === null);
    // The tree ends when the process ended, unless the sampler saw the process for less time than
    // esbuild's own total (a build of a few ms falls between two ticks): then it starts at its start.
    if (r.profile.warnings.some((w) => w.code === 'esbuild-report-longer-than-process'))
      expect(roots[0]!.startMs).toBeCloseTo(proc.startMs, 6);
    else expect(roots.at(-1)!.endMs).toBeCloseTo(proc.endMs ?? r.profile.run.wallMs, 6);
  });
});

describe('Voyd adapter', () => {
  it('reads the real perf line from stderr and ends the compile when the Voyd process ended', async () => {
    const stderr = readFileSync(
      path.join(__dirname, 'fixtures', 'voyd', 'markdown.emit-wasm.node22.stderr+time-v.txt'),
      'utf8',
    );
    const argv = [
      '/usr/bin/node',
      '--import',
      'tsx',
      '--conditions=development',
      'apps/cli/src/cli.ts',
      '--emit-wasm',
      'examples/markdown.voyd',
    ];
    const proc: ProcessInfo = { pid: 4242, ppid: 1, argv, startMs: ms(100), endMs: ms(14_000), peakRssBytes: null };
    const voyd = bundlerInstrumentations().find((i) => i.name === 'voyd')!;
    const c = ictx(argv);
    await voyd.prepare(c);
    const ctx: CollectContext = { ...c, processes: [proc], endMs: ms(14_100), stdout: '', stderr };
    const out = await voyd.collect(ctx);
    const total = out.phases!.find((p) => p.name === 'total')!;
    expect(total).toMatchObject({ pid: 4242, endMs: 14_000 });
    expect(total.startMs).toBeCloseTo(14_000 - 12460.068, 6);
    expect(out.processes).toEqual([{ pid: 4242, label: 'voyd' }]);
    expect(out.warnings!.map((w) => w.code)).toEqual([
      'voyd-phases-reconstructed',
      'voyd-children-exceed-parent',
      'env-added',
    ]);
    // Nothing to say for builds that printed no perf line.
    expect(await voyd.collect({ ...ctx, stderr: 'error: something\n' })).toEqual({});
  });
});
