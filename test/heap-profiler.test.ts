// Opt-in heap profilers on a real program: test/programs/alloc.c mallocs 32 MiB, holds it, frees it.
// Run under valgrind massif and heaptrack through the runner, the allocator-heap series of the alloc
// process must peak at what it allocated (±10 %), on the alloc process's pid and within its life.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  heapProfilerArgv,
  heapProfilerFilePid,
  heapProfilerInstrumentation,
} from '../server/src/core/collect/heap-profiler';
import { importers } from '../server/src/core/importers/index';
import type { Profile } from '../server/src/core/model';
import { runBuild } from '../server/src/core/runner';
import { distDir, repoRoot } from './helpers';

const MIB = 1024 * 1024;
const ALLOC_MIB = 32;
let tmp = '';
let alloc = '';

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-heap-'));
  alloc = path.join(tmp, 'alloc');
  execFileSync('cc', ['-O0', '-g', '-o', alloc, path.join(repoRoot, 'test', 'programs', 'alloc.c')]);
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The process that ran alloc: under valgrind, the root itself (valgrind runs the tool inside the process); under heaptrack, its child. */
function allocProcess(profile: Profile, kind: 'valgrind' | 'heaptrack') {
  const root = profile.processes[0]!;
  const p = kind === 'valgrind' ? root : profile.processes.find((q) => path.basename(q.argv[0] ?? '') === 'alloc');
  expect(p, JSON.stringify(profile.processes.map((q) => [q.pid, q.ppid, q.argv.slice(0, 3)]))).toBeDefined();
  return p!;
}

function expectHeapPeak(profile: Profile, pid: number) {
  const heap = profile.series.filter((s) => s.kind === 'allocator-heap' && s.pid === pid);
  expect(
    heap.length,
    `${profile.series.map((s) => `${s.id}@${s.pid}`).join(', ')} ${JSON.stringify(profile.warnings)}`,
  ).toBeGreaterThan(0);
  const peak = Math.max(...heap.map((s) => Math.max(...s.bytes)));
  expect(peak / MIB).toBeGreaterThan(ALLOC_MIB * 0.9);
  expect(peak / MIB).toBeLessThan(ALLOC_MIB * 1.1);
  return heap;
}

describe('heap profilers', () => {
  it('builds the command lines', () => {
    expect(heapProfilerArgv('massif', ['make', '-j2'], '/w')).toEqual([
      'valgrind',
      '--tool=massif',
      '--time-unit=ms',
      '--trace-children=yes',
      '--massif-out-file=/w/massif.out.%p',
      'make',
      '-j2',
    ]);
    expect(heapProfilerArgv('heaptrack', ['./a'], '/w')).toEqual(['heaptrack', '-o', '/w/heaptrack.%p', './a']);
    expect(heapProfilerFilePid('heaptrack', 'heaptrack.4242.zst')).toBe(4242);
    expect(heapProfilerFilePid('massif', 'massif.out.17')).toBe(17);
    expect(heapProfilerFilePid('dhat', 'massif.out.17')).toBeUndefined();
  });

  it('massif: the heap of the allocating process peaks at what it allocated, on its clock', async () => {
    const { profile } = await runBuild({
      argv: [alloc, String(ALLOC_MIB), '300'],
      cwd: tmp,
      distDir,
      instrumentations: [heapProfilerInstrumentation('massif')],
    });
    expect(profile.run.status).toBe('ok');
    const proc = allocProcess(profile, 'valgrind');
    const [heap] = expectHeapPeak(profile, proc.pid);
    // massif's ms count from the process's start: the series lies within the process's life.
    expect(heap!.tMs[0]!).toBeGreaterThanOrEqual(proc.startMs - 1);
    expect(heap!.tMs[heap!.tMs.length - 1]!).toBeLessThanOrEqual((proc.endMs ?? profile.run.wallMs) + 50);
    expect(profile.warnings.map((w) => w.code)).toContain('heap-profiler-overhead');
    expect(profile.run.sources).toContain('massif');
  });

  it('heaptrack: the file is found and attributed to the traced process', async () => {
    const { profile } = await runBuild({
      argv: [alloc, String(ALLOC_MIB), '300'],
      cwd: tmp,
      distDir,
      instrumentations: [heapProfilerInstrumentation('heaptrack')],
    });
    expect(profile.run.status).toBe('ok');
    const proc = allocProcess(profile, 'heaptrack');
    // heaptrack's own script and interpreter are instrumentation, not the build.
    const counted = profile.processes.filter(
      (p) => p.argv.some((a) => path.basename(a) === 'heaptrack_interpret') && p.role !== 'instrumentation',
    );
    expect(counted.map((p) => `${p.pid} ${p.role} ${p.argv.join(' ')}`)).toEqual([]);
    if (importers.some((i) => i.format === 'heaptrack')) {
      expectHeapPeak(profile, proc.pid);
    } else {
      // Until the heaptrack importer is registered: the file of the right pid was found.
      expect(profile.warnings.find((w) => w.code === 'heap-profiler-unreadable')?.message).toContain(`pid ${proc.pid}`);
    }
  });

  it('dhat: the output is imported, its t-gmax a heap peak of the process, within its life', async () => {
    const { profile } = await runBuild({
      argv: [alloc, String(ALLOC_MIB), '50'],
      cwd: tmp,
      distDir,
      instrumentations: [heapProfilerInstrumentation('dhat')],
    });
    expect(profile.run.status).toBe('ok');
    const proc = allocProcess(profile, 'valgrind');
    if (importers.some((i) => i.format === 'dhat')) {
      expect(profile.warnings.filter((w) => w.code === 'heap-profiler-unreadable')).toEqual([]);
      expect(profile.run.sources).toContain('dhat');
      const [heap] = expectHeapPeak(profile, proc.pid);
      // Instructions stretched over the process's life: the peak lies inside it.
      const at = heap!.tMs[heap!.bytes.indexOf(Math.max(...heap!.bytes))]!;
      expect(at).toBeGreaterThanOrEqual(proc.startMs);
      expect(at).toBeLessThanOrEqual(proc.endMs ?? profile.run.wallMs);
    } else {
      expect(profile.warnings.find((w) => w.code === 'heap-profiler-unreadable')?.message).toContain(`pid ${proc.pid}`);
    }
  });
});
