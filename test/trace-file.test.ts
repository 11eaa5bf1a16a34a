// The trace protocol: a real Node program writes Trace Event JSON to $CMI_TRACE_FILE (object form,
// with beginningOfTime and its own pid) and another to $CMI_TRACE_DIR (bare array, a pid that is no
// process of the build, no beginningOfTime). Both are imported after the run and attached to processes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceFileInstrumentation } from '../server/src/core/collect/trace-file';
import type { Profile } from '../server/src/core/model';
import { runBuild } from '../server/src/core/runner';
import { distDir } from './helpers';

// A compiler-like program: three phases of real work, timed with the wall clock, then the trace.
const WRITER = `
const fs = require('node:fs');
const path = require('node:path');
const mode = process.argv[2];
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
const t0 = nowUs();
const events = [];
function phase(name, fn) {
  const s = nowUs();
  fn();
  events.push({ name, cat: 'phase', ph: 'X', pid: mode === 'file' ? process.pid : 1, tid: 1, ts: s - t0, dur: nowUs() - s });
}
let keep = [];
phase('parse', () => { for (let i = 0; i < 200000; i++) keep.push({ i, s: 'x' + i }); });
phase('check', () => { let n = 0; for (const k of keep) n += k.s.length; keep.n = n; });
phase('emit', () => { keep = keep.map((k) => k.i * 2); });
if (mode === 'file') fs.writeFileSync(process.env.CMI_TRACE_FILE, JSON.stringify({ traceEvents: events, beginningOfTime: Math.round(t0) }));
else fs.writeFileSync(path.join(process.env.CMI_TRACE_DIR, 'worker.json'), JSON.stringify(events));
`;

describe('trace-file adapter (CMI_TRACE_FILE, CMI_TRACE_DIR)', () => {
  let tmp = '';
  let profile: Profile;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-trace-'));
    fs.writeFileSync(path.join(tmp, 'writer.js'), WRITER);
    const node = process.execPath;
    ({ profile } = await runBuild({
      argv: ['/bin/sh', '-c', `"${node}" writer.js file && "${node}" writer.js dir`],
      cwd: tmp,
      distDir,
      instrumentations: [traceFileInstrumentation()],
    }));
  });
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('imports the file at CMI_TRACE_FILE onto the writer process, on the run clock', () => {
    expect(profile.run.status).toBe('ok');
    const writer = profile.processes.find((p) => p.argv.includes('file'))!;
    expect(writer).toBeDefined();
    const phases = profile.phases.filter((p) => p.pid === writer.pid && p.category !== 'process');
    expect(phases.map((p) => p.name)).toEqual(['parse', 'check', 'emit']);
    // beginningOfTime puts them on the run's clock: inside the writer's life as the sampler saw it.
    for (const p of phases) {
      expect(p.startMs).toBeGreaterThanOrEqual(writer.startMs - 1);
      expect(p.endMs).toBeLessThanOrEqual((writer.endMs ?? profile.run.wallMs) + profile.run.sampler!.intervalMs + 1);
    }
    expect(profile.run.sources).toContain('chrome-trace');
  });

  it('attaches a file in CMI_TRACE_DIR with an unknown pid to the root, aligned to the root', () => {
    const root = profile.processes[0]!;
    const phases = profile.phases.filter((p) => p.pid === root.pid && p.category !== 'process');
    expect(phases.map((p) => p.name)).toEqual(['parse', 'check', 'emit']);
    const codes = profile.warnings.map((w) => w.code);
    expect(codes).toContain('trace-pid-unknown');
    expect(codes).toContain('trace-clock-aligned');
    for (const p of phases) {
      expect(p.startMs).toBeGreaterThanOrEqual(root.startMs - 1);
      expect(p.endMs).toBeLessThanOrEqual(profile.run.wallMs + 1);
    }
  });

  it('sets nothing when no file is written', async () => {
    const { profile: p } = await runBuild({
      argv: ['/bin/true'],
      cwd: tmp,
      distDir,
      instrumentations: [traceFileInstrumentation()],
    });
    expect(p.phases).toEqual([]);
    expect(p.warnings.filter((w) => w.code.startsWith('trace-'))).toEqual([]);
  });
});
