// The C/C++ adapter on a real build: `make -j2` of test/workspaces/c-multi with the real gcc, through
// the runner. Each .c file becomes a phase attached to the cc1 process that compiled it, with the
// stages the GCC plugin timed nested under it; without the plugin, with gcc's -ftime-report as a table.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, peakOf } from '../server/src/core/analysis/analyze';
import { peakPlaceText } from '../server/src/core/analysis/summary';
import { ccCommandKind, ccInstrumentation, ccSourceOf } from '../server/src/core/collect/cc';
import type { Profile } from '../server/src/core/model';
import { runBuild } from '../server/src/core/runner';
import { distDir, repoRoot } from './helpers';

const SOURCES = ['hashtab.c', 'lexer.c', 'main.c', 'parser.c', 'strbuf.c', 'vm.c'];

function copyWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-c-multi-'));
  fs.cpSync(path.join(repoRoot, 'test', 'workspaces', 'c-multi'), dir, { recursive: true });
  return dir;
}

function tuPhases(profile: Profile) {
  return profile.phases.filter((p) => p.category === 'translation-unit');
}

describe('C/C++ adapter (gcc, make -j2)', () => {
  let ws = '';
  let profile: Profile;
  let stderr = '';
  let objectsBefore: Map<string, Buffer>;

  beforeAll(async () => {
    ws = copyWorkspace();
    // The same objects without the profiler, to check -ftime-report changes nothing in them.
    execFileSync('make', ['-j2'], { cwd: ws, stdio: 'ignore' });
    objectsBefore = new Map(SOURCES.map((s) => [s, fs.readFileSync(path.join(ws, s.replace(/\.c$/, '.o')))]));
    execFileSync('make', ['clean'], { cwd: ws, stdio: 'ignore' });
    const r = await runBuild({ argv: ['make', '-j2'], cwd: ws, distDir, instrumentations: [ccInstrumentation()] });
    profile = r.profile;
    stderr = r.stderr;
  });
  afterAll(() => {
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it('builds, with one phase per .c file', () => {
    expect(profile.run.status).toBe('ok');
    expect(fs.existsSync(path.join(ws, 'minivm'))).toBe(true);
    expect(
      tuPhases(profile)
        .map((p) => p.name)
        .sort(),
    ).toEqual(SOURCES);
    expect(profile.run.tools.gcc).toMatch(/^\d+\./);
  });

  it('attaches each file to the cc1 process that compiled it', () => {
    for (const tu of tuPhases(profile)) {
      const proc = profile.processes.find((p) => p.pid === tu.pid)!;
      expect(proc, tu.name).toBeDefined();
      expect(path.basename(proc.argv[0]!)).toBe('cc1');
      expect(proc.argv).toContain(tu.name);
      expect(proc.role).toBe('build');
      expect(proc.label).toBe(`cc1 ${tu.name}`);
      // The driver (gcc) is its parent and wrote the object the phase names.
      const driver = profile.processes.find((p) => p.pid === tu.args!.driverPid)!;
      expect(path.basename(driver.argv[0]!)).toBe('gcc');
      expect(tu.args!.object).toBe(path.join(ws, tu.name.replace(/\.c$/, '.o')));
      // Within the process's life: from the wrapper's start stamp (the process starts there, however
      // late the sampler first saw it) to its last sight by the sampler plus one gap between ticks
      // (10 ms, longer when the machine was too busy to tick on time), plus half of TOTAL's rounding
      // to 10 ms (the span is gcc's TOTAL from the start on, when the process lived about that long).
      expect(tu.startMs).toBeGreaterThanOrEqual(proc.startMs);
      const gapMs = profile.run.sampler!.maxGapMs!;
      expect(gapMs).toBeGreaterThanOrEqual(9);
      if (proc.endMs !== null) expect(tu.endMs).toBeLessThanOrEqual(proc.endMs + Math.max(10, gapMs) + 5 + 1e-6);
    }
    // Compiled two at a time: at least two TUs overlap.
    const tus = tuPhases(profile).sort((a, b) => a.startMs - b.startMs);
    expect(tus.some((t, i) => i > 0 && t.startMs < tus[i - 1]!.endMs) || tus.length < 2).toBe(true);
  });

  it("nests gcc's stages as timed by the plugin, in order, inside the file's span", () => {
    for (const tu of tuPhases(profile)) {
      const idx = profile.phases.indexOf(tu);
      expect(tu.args!.gccPlugin, tu.name).toBe(true);
      const stages = profile.phases.filter((p) => p.parent === idx);
      expect(stages.map((p) => p.name)).toEqual(
        expect.arrayContaining(['setup', 'parsing', 'IPA passes', 'optimisation and expansion', 'output']),
      );
      for (const [i, p] of stages.entries()) {
        expect(p.category).toBe('gcc-stage');
        expect(p.pid).toBe(tu.pid);
        expect(p.args?.reconstructed).toBeUndefined();
        expect(p.startMs).toBeGreaterThanOrEqual(tu.startMs - 1e-6);
        expect(p.endMs).toBeLessThanOrEqual(tu.endMs + 1e-6);
        if (i > 0) expect(p.startMs).toBeGreaterThanOrEqual(stages[i - 1]!.endMs - 1e-6);
      }
      // Per-function passes are totals inside their stage, with the GGC bytes they allocated.
      const expansion = stages.find((p) => p.name === 'optimisation and expansion')!;
      const expand = expansion.durations?.find((d) => d.name === 'expand');
      expect(expand?.count, tu.name).toBe(expansion.args!.functions);
      expect(expand?.bytesMeaning).toBe('GGC allocated');
    }
    expect(profile.warnings.map((w) => w.code)).not.toContain('cc-passes-not-timed');
  });

  it("gives a compiler's peak to a phase the plugin timed, of that compiler", () => {
    let inside = 0;
    for (const tu of tuPhases(profile)) {
      const rss = profile.series.find((s) => s.kind === 'rss-process' && s.pid === tu.pid);
      if (!rss?.tMs.length) continue;
      const peak = peakOf(profile, rss)!;
      const path = peak.afterPhasePath ?? peak.phasePath;
      expect(path, `${tu.name}: ${path.join(' › ')}`).toContain(tu.name);
      if (peak.phaseIndex !== undefined) {
        inside++;
        const at = profile.phases[peak.phaseIndex]!;
        expect(at.pid).toBe(tu.pid);
        expect(at.args?.reconstructed).toBeUndefined();
      }
    }
    expect(inside).toBeGreaterThan(0);
    const head = analyze(profile).peak!;
    const at = head.phaseIndex === undefined ? undefined : profile.phases[head.phaseIndex]!;
    if (at?.pid !== undefined && head.pid !== undefined) expect(at.pid).toBe(head.pid);
  });

  it("keeps the build's output and objects as without the profiler", () => {
    expect(stderr).not.toMatch(/Time variable|TOTAL/);
    for (const s of SOURCES)
      expect(fs.readFileSync(path.join(ws, s.replace(/\.c$/, '.o'))).equals(objectsBefore.get(s)!), s).toBe(true);
  });

  it('says so when everything was up to date', async () => {
    const r = await runBuild({ argv: ['make', '-j2'], cwd: ws, distDir, instrumentations: [ccInstrumentation()] });
    expect(tuPhases(r.profile)).toHaveLength(0);
    expect(r.profile.warnings.find((w) => w.code === 'cc-nothing-compiled')?.message).toMatch(/make -B/);
  });

  it('passes warnings through and profiles a direct gcc call', async () => {
    fs.writeFileSync(path.join(ws, 'warn.c'), 'int f(void) { int x; return x; }\n');
    const r = await runBuild({
      argv: ['gcc', '-O2', '-Wall', '-c', 'warn.c', '-o', 'warn.o'],
      cwd: ws,
      distDir,
      instrumentations: [ccInstrumentation()],
    });
    expect(r.stderr).toMatch(/warn\.c:1:.*uninitialized/);
    expect(r.stderr).not.toMatch(/Time variable/);
    expect(tuPhases(r.profile).map((p) => p.name)).toEqual(['warn.c']);
  });
});

describe('C/C++ adapter without the GCC plugin (CMI_CC_NO_PLUGIN=1, make -j2)', () => {
  let ws = '';
  let profile: Profile;

  beforeAll(async () => {
    ws = copyWorkspace();
    const r = await runBuild({
      argv: ['make', '-j2'],
      cwd: ws,
      distDir,
      env: { CMI_CC_NO_PLUGIN: '1' },
      instrumentations: [ccInstrumentation()],
    });
    profile = r.profile;
  });
  afterAll(() => {
    if (ws) fs.rmSync(ws, { recursive: true, force: true });
  });

  it("lists gcc's report inside each file, placing nothing in time; the file's span is gcc's TOTAL", () => {
    expect(
      tuPhases(profile)
        .map((p) => p.name)
        .sort(),
    ).toEqual(SOURCES);
    for (const tu of tuPhases(profile)) {
      const idx = profile.phases.indexOf(tu);
      expect(
        profile.phases.filter((p) => p.parent === idx),
        tu.name,
      ).toEqual([]);
      const names = (tu.durations ?? []).map((d) => d.name);
      expect(names).toEqual(expect.arrayContaining(['phase setup', 'phase parsing', 'phase opt and generate']));
      const parsing = tu.durations!.find((d) => d.name === 'phase parsing')!;
      expect(parsing.bytesMeaning).toBe('GGC allocated');
      expect(parsing.bytes).toBeGreaterThan(0);
      // gcc's TOTAL (wall, in the report's 10 ms resolution) is the file's span.
      expect(typeof tu.args!.wallMs).toBe('number');
      expect(tu.endMs - tu.startMs).toBeCloseTo(tu.args!.wallMs as number, 6);
    }
    expect(profile.warnings.find((w) => w.code === 'cc-passes-not-timed')?.message).toMatch(/turned off/);
  });

  it("gives a compiler's peak to its translation unit, never to a pass gcc did not time", () => {
    let inside = 0;
    for (const tu of tuPhases(profile)) {
      const rss = profile.series.find((s) => s.kind === 'rss-process' && s.pid === tu.pid);
      if (!rss?.tMs.length) continue;
      const peak = peakOf(profile, rss)!;
      const path = peak.afterPhasePath ?? peak.phasePath;
      expect(path[path.length - 1], `${tu.name}: ${path.join(' › ')}`).toBe(tu.name);
      if (!peak.afterPhasePath) {
        inside++;
        expect(peak.untimedInside).toBe('passes');
        expect(peakPlaceText(peak).endsWith(`${tu.name} (passes not timed)`), peakPlaceText(peak)).toBe(true);
      }
    }
    expect(inside).toBeGreaterThan(0);
  });
});

describe('C/C++ adapter: command and argv parsing', () => {
  it('knows build tools and compilers', () => {
    expect(ccCommandKind(['make', '-j2'])).toBe('build-tool');
    expect(ccCommandKind(['cmake', '--build', 'build'])).toBe('build-tool');
    expect(ccCommandKind(['cmake', '-S', '.', '-B', 'build'])).toBe('cmake-configure');
    expect(ccCommandKind(['/usr/bin/x86_64-linux-gnu-gcc-12', '-c', 'a.c'])).toBe('gcc');
    expect(ccCommandKind(['clang++-14'])).toBe('clang');
    expect(ccCommandKind(['cargo', 'build'])).toBeUndefined();
  });
  it('finds the source of a cc1 command line', () => {
    const argv = [
      '/usr/lib/gcc/x86_64-linux-gnu/12/cc1',
      '-quiet',
      '-imultiarch',
      'x86_64-linux-gnu',
      'src/a.c',
      '-quiet',
      '-dumpbase',
      'a.c',
      '-dumpbase-ext',
      '.c',
      '-O2',
      '-o',
      '/tmp/cc1.s',
    ];
    expect(ccSourceOf(argv)).toEqual({ source: 'src/a.c', output: '/tmp/cc1.s', compileOnly: false });
  });
});
