// The arena API (server/src/arena-api → dist/arena.js) and what the Node preload and its collector make
// of it: the API and the preload are bundled here with esbuild as scripts/build.mjs does, prepare()
// sets up the environment, a real Node program calls the API, collect() reads what the preload wrote.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectContext, InstrumentContext } from '../server/src/core/collect/instrumentation';
import { nodePreloadInstrumentation } from '../server/src/core/collect/node-preload/instrumentation';
import type { Arena, Contribution } from '../server/src/core/model';
import { epochMs, epochToProfileMs, ms } from '../server/src/core/units';
import { ARENA_HOOK, createArena, isProfiling } from '../server/src/arena-api';
import { arenaSteps } from './dump';

const ROOT = path.resolve(__dirname, '..');
let tmp: string;
let distDir: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-arena-test-'));
  distDir = path.join(tmp, 'dist');
  const common = {
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    bundle: true,
    sourcemap: false,
    logLevel: 'error',
  } as const;
  await esbuild.build({
    ...common,
    entryPoints: [path.join(ROOT, 'server', 'src', 'core', 'collect', 'node-preload', 'writer', 'main.ts')],
    outfile: path.join(distDir, 'preload.js'),
  });
  await esbuild.build({
    ...common,
    entryPoints: [path.join(ROOT, 'server', 'src', 'arena-api', 'index.ts')],
    outfile: path.join(distDir, 'arena.js'),
  });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** prepare() → run `program` (a CommonJS script that can require('./arena.js')) → collect(). */
async function profileScript(program: string): Promise<{ c: Contribution; stdout: string; code: number | null }> {
  const script = path.join(distDir, `program-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(script, program);
  const inst = nodePreloadInstrumentation();
  const workDir = mkdtempSync(path.join(tmp, 'work-'));
  const ctx: InstrumentContext = {
    argv: [process.execPath, script],
    env: { ...process.env },
    cwd: distDir,
    workDir,
    startEpochMs: epochMs(0),
    intervalMs: ms(10),
    distDir,
  };
  await inst.prepare(ctx);
  ctx.startEpochMs = epochMs(performance.timeOrigin + performance.now());
  const child = spawn(ctx.argv[0]!, ctx.argv.slice(1), {
    cwd: ctx.cwd,
    env: ctx.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  const endMs = epochToProfileMs(epochMs(performance.timeOrigin + performance.now()), ctx.startEpochMs);
  const collectCtx: CollectContext = {
    ...ctx,
    processes: [{ pid: child.pid!, ppid: process.pid, argv: ctx.argv, startMs: ms(0), endMs, peakRssBytes: null }],
    endMs,
    stdout,
    stderr: '',
  };
  return { c: await inst.collect(collectCtx), stdout, code };
}

/** An arena as a user would check it: its bytes steps, its uses, its lifetime. */
const dump = arenaSteps;

describe('arena API without the profiler', () => {
  it('hands out one inert handle whose calls do nothing', () => {
    expect((globalThis as Record<symbol, unknown>)[ARENA_HOOK]).toBeUndefined();
    expect(isProfiling()).toBe(false);
    const a = createArena('ast:a', 'ast');
    const b = createArena('ast:b');
    expect(a).toBe(b);
    expect(a.recording).toBe(false);
    expect(() => {
      a.grow(100);
      a.add(50);
      a.use('link');
      a.use();
      a.free();
      a.free();
    }).not.toThrow();
  });

  it('finds a hook installed later, at call time, and forwards every call to it', () => {
    const calls: string[] = [];
    const hook = {
      v: 1,
      create: (name: string, category: string) => (calls.push(`create ${name} ${category}`), 7),
      bytes: (id: number, total: number) => void calls.push(`bytes ${id} ${total}`),
      use: (id: number, phase?: string) => void calls.push(`use ${id} ${phase ?? '-'}`),
      free: (id: number) => void calls.push(`free ${id}`),
    };
    Object.defineProperty(globalThis, ARENA_HOOK, { value: hook, configurable: true });
    try {
      const a = createArena('ast:m');
      a.grow(1000);
      a.add(24);
      a.use('parse');
      a.use();
      a.free();
      a.use(); // after the free: dropped by the handle
      a.free();
      expect(calls).toEqual(['create ast:m arena', 'bytes 7 1000', 'bytes 7 1024', 'use 7 parse', 'use 7 -', 'free 7']);
    } finally {
      delete (globalThis as Record<symbol, unknown>)[ARENA_HOOK];
    }
  });
});

describe('arena API under the Node preload', () => {
  it('gives one arena lane per handle: bytes over time, uses with their phase, frees; never freed → endMs null', async () => {
    const { c, stdout, code } = await profileScript(`
      const { createArena, isProfiling } = require('./arena.js');
      const { performance } = require('node:perf_hooks');
      const busy = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
      console.log('profiling ' + isProfiling());
      performance.mark('parse:start');
      const a = createArena('ast:main', 'ast');
      const b = createArena('ast:lib', 'ast');
      const scratch = createArena('scratch');
      for (let i = 1; i <= 3; i++) { a.grow(i * 4096); b.add(1000); busy(2); }
      scratch.grow(512);
      performance.mark('parse:end');
      performance.measure('parse', 'parse:start', 'parse:end');
      performance.mark('link:start');
      busy(3);
      a.use();              // inside the measure "link": the collector names it
      b.use('resolve');     // named by the program
      busy(3);
      performance.mark('link:end');
      performance.measure('link', 'link:start', 'link:end');
      a.free();
      scratch.free();
      busy(2);
      a.use();              // after the free: ignored by the handle
      console.log('done');
    `);
    expect(code).toBe(0);
    expect(stdout).toBe('profiling true\ndone\n');
    const arenas = c.arenas ?? [];
    expect(arenas.map(dump)).toEqual([
      'ast:main [ast] bytes 0 → 4096 → 8192 → 12288 → 0; uses: link; freed',
      'ast:lib [ast] bytes 0 → 1000 → 2000 → 3000; uses: resolve; never freed',
      'scratch [arena] bytes 0 → 512 → 0; uses: none; freed',
    ]);
    const [a, b, scratch] = arenas as [Arena, Arena, Arena];
    const parse = c.phases!.find((p) => p.name === 'parse')!;
    const link = c.phases!.find((p) => p.name === 'link')!;
    // Same clock as the phases: created inside parse, used inside link, freed after it.
    expect(a.startMs).toBeGreaterThanOrEqual(parse.startMs);
    expect(a.startMs).toBeLessThan(parse.endMs);
    expect(a.uses[0]!.tMs).toBeGreaterThan(link.startMs);
    expect(a.uses[0]!.tMs).toBeLessThan(link.endMs);
    expect(a.endMs).toBeGreaterThanOrEqual(link.endMs);
    expect(b.endMs).toBeNull();
    expect(scratch.endMs).not.toBeNull();
    expect(new Set(arenas.map((x) => x.id)).size).toBe(3);
    for (const x of arenas) {
      expect(x.pid).toBeGreaterThan(0);
      for (let i = 1; i < x.tMs.length; i++) expect(x.tMs[i]!).toBeGreaterThanOrEqual(x.tMs[i - 1]!);
    }
    // The hook reads the heap while the program blocks the event loop.
    expect(c.series!.find((s) => s.kind === 'js-heap')!.tMs.length).toBeGreaterThan(2);
  });

  it('records many events (beyond one buffer) and names phase-less uses by the innermost open measure', async () => {
    const { c, code } = await profileScript(`
      const { createArena } = require('./arena.js');
      const { performance } = require('node:perf_hooks');
      performance.mark('outer:start');
      performance.mark('inner:start');
      const arenas = [];
      for (let i = 0; i < 100; i++) arenas.push(createArena('m' + i, 'ast'));
      for (let r = 1; r <= 100; r++) for (const a of arenas) a.add(8);
      for (const a of arenas) a.use();
      performance.mark('inner:end');
      performance.measure('inner', 'inner:start', 'inner:end');
      performance.mark('outer:end');
      performance.measure('outer', 'outer:start', 'outer:end');
      for (const a of arenas.slice(0, 50)) a.free();
    `);
    expect(code).toBe(0);
    const arenas = c.arenas ?? [];
    expect(arenas).toHaveLength(100);
    expect(arenas.every((a) => a.bytes.length === 101 + (a.endMs === null ? 0 : 1))).toBe(true);
    expect(arenas.every((a) => a.uses.length === 1 && a.uses[0]!.phase === 'outer › inner')).toBe(true);
    expect(arenas.filter((a) => a.endMs === null)).toHaveLength(50);
    expect(Math.max(...arenas.map((a) => Math.max(...a.bytes)))).toBe(800);
  });
});
