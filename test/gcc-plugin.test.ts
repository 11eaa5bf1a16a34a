// The GCC plugin (native/cmi-gcc-plugin.cc → dist/cmi_gcc.so) on a real gcc: one compile of a C file
// of many functions, with the plugin and -ftime-report at once, so that the plugin's times can be
// checked against gcc's own TOTAL; and the cc adapter when the plugin is built for another gcc.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccInstrumentation } from '../server/src/core/collect/cc';
import { type GccPluginRecord, parseGccPluginRecord } from '../server/src/core/collect/gcc-plugin-record';
import { parseGccTimeReport } from '../server/src/core/importers/gcc-time-report';
import { runBuild } from '../server/src/core/runner';
import { distDir, repoRoot } from './helpers';

const PLUGIN = path.join(distDir, 'cmi_gcc.so');
const hasPlugin = fs.existsSync(PLUGIN);

/** A C file of `n` functions, each with loops, a switch and calls, so that every stage of -O2 has work. */
function manyFunctions(n: number): string {
  const out = ['#include <string.h>', 'struct s { int a[64]; double d[32]; };', 'int sink;'];
  for (let i = 0; i < n; i++) {
    const callee = i > 0 ? `f${i - 1}(s, k - 1)` : 'k';
    out.push(`int f${i}(struct s *s, int k) {
  int t = 0;
  for (int j = 0; j < 64; j++) { s->a[j] = s->a[(j * ${i + 3}) & 63] + j * k; t += s->a[j] >> 1; }
  for (int j = 0; j < 32; j++) s->d[j] = s->d[j] * 0.5 + t;
  switch ((t + ${i}) & 7) {
  case 0: t ^= ${i * 7}; break;
  case 1: t += (int)s->d[3]; break;
  case 2: memset(s->a, t & 0xff, sizeof s->a); break;
  case 3: t -= k > 0 ? ${callee} : 1; break;
  default: t *= 3;
  }
  return t + (k > 2 ? ${callee} : 0);
}`);
  }
  out.push(`int main(void) { struct s s = {0}; sink = f${n - 1}(&s, 5); return sink & 1; }`);
  return `${out.join('\n')}\n`;
}

describe.runIf(hasPlugin)('GCC plugin: one compile with the plugin and -ftime-report', () => {
  let dir = '';
  let rec: GccPluginRecord;
  let lines = 0;
  let totalMs = 0;
  const FUNCTIONS = 300;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-gcc-plugin-'));
    fs.writeFileSync(path.join(dir, 'many.c'), manyFunctions(FUNCTIONS));
    const passes = path.join(dir, 'many.passes');
    const stderr = execFileSync(
      'sh',
      ['-c', `gcc -O2 -c many.c -o many.o -fplugin='${PLUGIN}' -ftime-report 2>&1 >/dev/null`],
      { cwd: dir, env: { ...process.env, CMI_CC_PASSES: passes }, encoding: 'utf8' },
    );
    const text = fs.readFileSync(passes, 'utf8');
    lines = text.split('\n').length;
    rec = parseGccPluginRecord(text);
    totalMs = parseGccTimeReport(stderr).blocks[0]!.total!.wallMs!;
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records every stage, one after the other, with start times that increase', () => {
    expect(rec.badLines).toBe(0);
    expect(rec.finishEpochMs).toBeDefined();
    const stages = rec.phases.filter((p) => p.kind === 'stage');
    expect(stages.map((p) => p.name)).toEqual([
      'setup',
      'parsing',
      'analysis and lowering',
      'IPA passes',
      'late IPA passes',
      'optimisation and expansion',
      'output',
    ]);
    for (let i = 1; i < rec.phases.length; i++)
      expect(rec.phases[i]!.startEpochMs).toBeGreaterThanOrEqual(rec.phases[i - 1]!.startEpochMs);
    for (let i = 1; i < stages.length; i++) expect(stages[i]!.startEpochMs).toBe(stages[i - 1]!.endEpochMs);
    expect(stages[0]!.startEpochMs).toBe(rec.firstEpochMs);
    expect(stages[stages.length - 1]!.endEpochMs).toBe(rec.finishEpochMs);
  });

  it("agrees with -ftime-report's TOTAL of the same compile within 2 %", () => {
    expect(totalMs).toBeGreaterThanOrEqual(250); // 10 ms of rounding is then within 2 %
    const stages = rec.phases.filter((p) => p.kind === 'stage');
    const sumMs = stages.reduce((t, p) => t + (p.endEpochMs! - p.startEpochMs), 0);
    expect(Math.abs(sumMs - totalMs) / totalMs, `stages ${sumMs} ms, TOTAL ${totalMs} ms`).toBeLessThan(0.02);
  });

  it('times the IPA passes as children of their stage, before any function is expanded', () => {
    const ipa = rec.phases.findIndex((p) => p.name === 'IPA passes');
    const expansion = rec.phases.find((p) => p.name === 'optimisation and expansion')!;
    const ipaPasses = rec.phases.filter((p) => p.parent === ipa);
    expect(ipaPasses.map((p) => p.name)).toEqual(expect.arrayContaining(['inline', 'opt_local_passes']));
    for (const p of ipaPasses) {
      expect(p.kind).toBe('pass');
      expect(p.endEpochMs!).toBeLessThanOrEqual(expansion.startEpochMs);
    }
    // Early optimisations run per function inside opt_local_passes: totals, one row per pass.
    const local = ipaPasses.find((p) => p.name === 'opt_local_passes')!;
    expect(local.rows.find((r) => r.name === 'einline')?.runs).toBeGreaterThanOrEqual(FUNCTIONS);
  });

  it('sums per-function passes per pass, so the record stays small', () => {
    const expansion = rec.phases.find((p) => p.name === 'optimisation and expansion')!;
    expect(expansion.counts.functions).toBeGreaterThan(FUNCTIONS / 2);
    expect(expansion.rows.find((r) => r.name === 'expand')?.runs).toBe(expansion.counts.functions);
    const rowsMs = expansion.rows.reduce((t, r) => t + r.ms, 0);
    expect(rowsMs).toBeLessThanOrEqual(expansion.endEpochMs! - expansion.startEpochMs + 1);
    expect(lines).toBeLessThan(2000);
    // GGC allocation: the running count only grows, and the stages add up to it.
    expect(rec.ggcTotalBytes).toBeGreaterThan(expansion.ggcStartBytes);
  });

  it('keeps the stages recorded so far when the record is cut', () => {
    const text = fs.readFileSync(path.join(dir, 'many.passes'), 'utf8');
    const cut = parseGccPluginRecord(text.slice(0, text.indexOf('stage optimisation and expansion') + 10));
    expect(cut.finishEpochMs).toBeUndefined();
    expect(cut.phases.filter((p) => p.endEpochMs !== undefined).map((p) => p.name)).toContain('IPA passes');
    expect(cut.phases.filter((p) => p.kind === 'stage').at(-1)!.name).toBe('late IPA passes');
  });
});

describe.runIf(hasPlugin)('GCC plugin: built for another gcc', () => {
  let ws = '';
  let dist = '';
  afterAll(() => {
    for (const d of [ws, dist]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it("is not loaded when its cc1Dir is not the compiler's: the passes are then listed, not timed", async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-gcc-plugin-ws-'));
    fs.cpSync(path.join(repoRoot, 'test', 'workspaces', 'c-multi', 'vm.c'), path.join(ws, 'vm.c'));
    fs.cpSync(path.join(repoRoot, 'test', 'workspaces', 'c-multi', 'minivm.h'), path.join(ws, 'minivm.h'));
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-gcc-plugin-dist-'));
    for (const f of ['cc-wrapper.sh', 'cmi_gcc.so']) fs.copyFileSync(path.join(distDir, f), path.join(dist, f));
    fs.writeFileSync(path.join(dist, 'cmi_gcc.json'), '{"gccVersion":"99.1.0","cc1Dir":"/opt/gcc-99/libexec"}\n');
    const r = await runBuild({
      argv: ['gcc', '-O2', '-c', 'vm.c', '-o', 'vm.o'],
      cwd: ws,
      distDir: dist,
      instrumentations: [ccInstrumentation()],
    });
    const tu = r.profile.phases.find((p) => p.category === 'translation-unit')!;
    expect(tu.name).toBe('vm.c');
    expect(tu.args!.gccPlugin).toBeUndefined();
    expect(tu.durations?.map((d) => d.name)).toContain('phase parsing');
    expect(r.profile.phases.filter((p) => p.parent === r.profile.phases.indexOf(tu))).toEqual([]);
    expect(r.profile.warnings.find((w) => w.code === 'cc-passes-not-timed')?.message).toMatch(/another gcc/);
    expect(fs.readdirSync(path.join(r.profile.run.cwd)).filter((f) => f.endsWith('.passes'))).toEqual([]);
  });
});
