// `cmi` end to end on real compilers: what a user runs and what they read.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTscDiagnostics } from '../server/src/core/importers/tsc-diagnostics';
import { readProfile } from '../server/src/core/profile-file';
import { cliPath, isAlive, repoRoot } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { ...process.env, PATH: `${os.homedir()}/.cargo/bin:${process.env.PATH}` };

interface SummaryJson {
  profile: string;
  status: string;
  exitCode: number | null;
  peak: {
    bytes: number;
    atMs: number;
    series: string;
    measure: string;
    seriesName: string;
    phasePath: string[];
    afterPhasePath: string[] | null;
    pid: number | null;
  } | null;
  liveHeapPartial: string | null;
  phases: {
    name: string;
    path: string[];
    count: number;
    durationMs: number;
    selfMs: number;
    startMs: number;
    memStartBytes: number | null;
    memEndBytes: number | null;
    memPeakBytes: number | null;
  }[];
  series: { id: string; kind: string; samples: number; maxBytes: number | null; pid: number | null }[];
  warnings: { code: string; message: string }[];
}

function cmi(args: string[], cwd = repoRoot) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cmi profile: TypeScript 6 (the real tsc)', () => {
  const out = path.join(tmp, 'tsc.json');
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'lib', 'tsc.js');
  let run: ReturnType<typeof cmi>;
  let summary: SummaryJson;
  beforeAll(() => {
    run = cmi([
      'profile',
      '--json',
      '--out',
      out,
      '--',
      process.execPath,
      tsc,
      '-p',
      'test/workspaces/tsc-small',
      '--extendedDiagnostics',
      '--outDir',
      path.join(tmp, 'tsc-out'),
    ]);
    summary = JSON.parse(run.stdout) as SummaryJson;
  });

  it('succeeds and writes the profile', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(summary.status).toBe('ok');
    expect(existsSync(out)).toBe(true);
  });

  it('has the Parse, Bind, Check and Emit phases, and their durations agree with what tsc printed in the same run', () => {
    // The build's own output is echoed on stderr; tsc's statistics table is in it.
    const printed = parseTscDiagnostics(run.stderr);
    for (const name of ['Parse', 'Bind', 'Check', 'Emit']) {
      const rows = summary.phases.filter((r) => r.name === name);
      expect(rows.length, `phase ${name}`).toBeGreaterThan(0);
      const oursMs = rows.reduce((s, r) => s + r.durationMs, 0);
      const tscMs = printed.timesMs[name];
      expect(tscMs, `tsc printed "${name} time"`).toBeDefined();
      // tsc prints seconds with two decimals. Bind and Check are one phase per pass, which also covers
      // the moments between two files that tsc does not time (0.3 % of Check here, more on a busy machine).
      const between = name === 'Bind' || name === 'Check' ? 0.01 * tscMs! : 0;
      expect(oursMs - tscMs!, `${name}: ours ${oursMs} ms, tsc ${tscMs} ms`).toBeGreaterThanOrEqual(-15);
      expect(oursMs - tscMs!, `${name}: ours ${oursMs} ms, tsc ${tscMs} ms`).toBeLessThanOrEqual(15 + between);
    }
  });

  it('records a V8 heap series of the tsc process', () => {
    const heap = summary.series.filter((s) => s.kind === 'js-heap');
    expect(heap.length).toBeGreaterThan(0);
    expect(heap[0]!.samples).toBeGreaterThan(2);
    expect(heap[0]!.maxBytes).toBeGreaterThan(10 * 2 ** 20);
  });

  it('puts the peak inside a phase, and no sample of its series exceeds it', async () => {
    expect(summary.peak).not.toBeNull();
    expect(summary.peak!.phasePath.length).toBeGreaterThan(0);
    const profile = await readProfile(out);
    const s = profile.series.find((x) => x.id === summary.peak!.series)!;
    expect(Math.max(...s.bytes)).toBe(summary.peak!.bytes);
    const inner = summary.peak!.phasePath.at(-1)!;
    const spans = profile.phases.filter((p) => p.name === inner);
    // Sample times are kept to the microsecond in the file.
    expect(spans.some((p) => p.startMs - 0.001 <= summary.peak!.atMs && summary.peak!.atMs <= p.endMs + 0.001)).toBe(
      true,
    );
  });

  it('exports a Trace Event file that imports back with the same phases', () => {
    const trace = path.join(tmp, 'tsc.trace.json');
    const e = cmi(['export', out, '--chrome-trace', trace]);
    expect(e.code, e.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { ph: string; name: string }[] };
    expect(doc.traceEvents.some((ev) => ev.ph === 'X' && ev.name === 'Check')).toBe(true);
    expect(doc.traceEvents.some((ev) => ev.ph === 'C' && /\[bytes\]/.test(ev.name))).toBe(true);
    const back = cmi(['import', trace, '--json', '--out', path.join(tmp, 'tsc.reimported.json')]);
    expect(back.code, back.stderr).toBe(0);
    const names = (JSON.parse(back.stdout) as SummaryJson).phases.map((r) => r.name);
    for (const n of ['Parse', 'Bind', 'Check', 'Emit']) expect(names).toContain(n);
  });

  it('prints a readable summary with the peak and its phase', () => {
    const text = cmi(['summary', out]);
    expect(text.code).toBe(0);
    // tsc's live V8 heap leads where a full GC saw it (else RSS), placed in a phase or, when it falls
    // while tsc writes its output or exits, after its last phase.
    const { phasePath, afterPhasePath, measure, seriesName } = summary.peak!;
    const place = afterPhasePath ? `at exit, after ${afterPhasePath.join(' › ')}` : `in ${phasePath.join(' › ')}`;
    const label = measure === 'live-heap' ? 'Peak of the live heap' : 'Peak';
    const literal = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(text.stdout).toMatch(
      new RegExp(`^${label}: [\\d.]+ MiB \\(${literal(seriesName)}\\) at [\\d.]+ m?s ${literal(place)}`, 'm'),
    );
    expect(text.stdout).toContain('Top phases by self time');
  });
});

describe('cmi profile: Cargo workspace of std-only crates', () => {
  const ws = path.join(repoRoot, 'test', 'workspaces', 'cargo-std');
  const out = path.join(tmp, 'cargo.json');
  let run: ReturnType<typeof cmi>;
  let summary: SummaryJson;
  beforeAll(() => {
    run = cmi(['profile', '--json', '--out', out, '--', 'cargo', 'build', '-j2'], ws);
    summary = JSON.parse(run.stdout) as SummaryJson;
  });
  const crates = readFileSync(path.join(ws, 'Cargo.toml'), 'utf8')
    .match(/members\s*=\s*\[([^\]]*)\]/)![1]!
    .match(/"([^"]+)"/g)!
    .map((m) => path.basename(m.slice(1, -1)).replace(/-/g, '_'));

  it('has one phase per crate, with rustc passes nested under it', async () => {
    expect(run.code, run.stderr).toBe(0);
    const profile = await readProfile(out);
    const cratePhases = profile.phases.filter((p) => p.category === 'crate');
    for (const c of crates)
      expect(
        cratePhases.map((p) => p.name),
        `crate ${c}`,
      ).toContain(c);
    for (const c of crates) {
      expect(
        summary.phases.some((r) => r.path[0] === c && r.path.includes('type_check_crate')),
        `${c} › … › type_check_crate`,
      ).toBe(true);
    }
  });

  it('has an RSS series for each rustc process', async () => {
    const profile = await readProfile(out);
    for (const p of profile.phases.filter((x) => x.category === 'crate' && crates.includes(x.name))) {
      const s = profile.series.find((x) => x.kind === 'rss-process' && x.pid === p.pid);
      expect(s, `RSS series of ${p.name} (pid ${p.pid})`).toBeDefined();
      expect(s!.tMs.length).toBeGreaterThan(0);
      expect(profile.processes.find((x) => x.pid === p.pid)?.label).toContain('rustc');
    }
  });

  it("leads with RSS, saying why: rustc's allocator is its own, so the live heap misses the compilers", () => {
    // The live-heap library sees cargo, the linkers and the build scripts, not rustc (jemalloc).
    expect(summary.peak).toMatchObject({ measure: 'retained', series: 'rss-tree' });
    expect(summary.liveHeapPartial).toMatch(/^the live heap was not seen in rustc /);
    expect(cmi(['summary', out]).stdout).toMatch(
      /^ {2}\(the live heap was not seen in rustc .*: the peak is of RSS\)$/m,
    );
  });

  it("leaves the workspace's own target/ alone", () => {
    expect(existsSync(path.join(ws, 'target'))).toBe(false);
  });
});

describe('cmi profile: how builds end', () => {
  it('a failing build: exit code 1, the profile is written and marked failed with the exit code', async () => {
    const out = path.join(tmp, 'fail.json');
    const r = cmi(['profile', '--quiet', '--out', out, '--', 'sh', '-c', 'exit 3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Status: FAILED (exit code 3)');
    expect((await readProfile(out)).run).toMatchObject({ status: 'failed', exitCode: 3 });
  });

  it('returns once the profile is written: no timer of its own keeps it alive after a build', async () => {
    const out = path.join(tmp, 'quick.json');
    const t0 = performance.now();
    const r = cmi(['profile', '--quiet', '--out', out, '--', 'true']);
    const elapsed = performance.now() - t0;
    expect(r.code, r.stderr).toBe(0);
    // A leftover 2 s wait for the build's pipes once kept every `cmi profile` alive 2 s longer.
    expect(elapsed - (await readProfile(out)).run.wallMs).toBeLessThan(1500);
  });

  it('a reader that closes the pipe early (`| head -c0`) loses the summary, not the profile: exit code 0, no error', async () => {
    const out = path.join(tmp, 'closed-pipe.json');
    const child = spawn(process.execPath, [cliPath, 'profile', '--out', out, '--', 'sh', '-c', 'sleep 0.3'], {
      cwd: tmp,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // the reader is gone before cmi writes anything
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => child.on('exit', r));
    // Before: an unhandled EPIPE, with its stack trace, and exit code 1.
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect((await readProfile(out)).run.status).toBe('ok');
  });

  it('Ctrl-C: the whole tree stops, the profile is written and marked cancelled, exit code 4', async () => {
    const out = path.join(tmp, 'cancel.json');
    const child = spawn(
      process.execPath,
      [cliPath, 'profile', '--quiet', '--out', out, '--', 'sh', '-c', 'sleep 60 & sleep 60; wait'],
      { cwd: tmp, env },
    );
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    await new Promise((r) => setTimeout(r, 800));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(4);
    const profile = await readProfile(out);
    expect(profile.run.status).toBe('cancelled');
    expect(profile.processes.length).toBeGreaterThanOrEqual(3);
    expect(profile.processes.filter((p) => isAlive(p.pid))).toEqual([]);
    expect(stdout).toContain('CANCELLED');
  });

  it('usage errors exit 2 and a missing command exits 3, with messages on stderr', () => {
    const empty = mkdtempSync(path.join(tmp, 'empty-'));
    const u = cmi(['profile'], empty);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('cmi profile needs a command');
    expect(u.stderr).toContain(`no build detected in ${empty}`);
    const m = cmi(['profile', '--quiet', '--out', path.join(tmp, 'x.json'), '--', 'no-such-compiler-xyz']);
    expect(m.code).toBe(3);
    expect(m.stderr).toContain('cannot run `no-such-compiler-xyz`: command not found');
  });
});

describe('cmi builds, and cmi profile without a command', () => {
  const dir = path.join(tmp, 'c-multi');
  beforeAll(() => cpSync(path.join(repoRoot, 'test', 'workspaces', 'c-multi'), dir, { recursive: true }));

  it('lists the builds detected in a folder', () => {
    const r = cmi(['builds', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^make\n {4}from Makefile: make$/m);
    const json = JSON.parse(cmi(['builds', dir, '--json']).stdout) as { name: string; argv: string[]; cwd: string }[];
    expect(json.map((b) => b.name)).toEqual(['make']);
    expect(json[0]!.cwd).toBe(dir);
  });

  it('profiles the detected build: make with gcc, one phase per translation unit', async () => {
    const out = path.join(tmp, 'make.json');
    const r = cmi(['profile', '--quiet', '--out', out], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cmi: profiling `make` (from Makefile)');
    const p = await readProfile(out);
    expect(p.run.command).toEqual(['make']);
    const units = new Set(
      p.phases.filter((ph) => ph.parent === null || p.phases[ph.parent]?.parent === null).map((ph) => ph.name),
    );
    for (const c of ['main.c', 'hashtab.c', 'lexer.c', 'parser.c', 'vm.c', 'strbuf.c'])
      expect(
        [...units].some((n) => n.includes(c)),
        `${c} in ${[...units].join(', ')}`,
      ).toBe(true);
  });

  it('--build names a detected build; an unknown name is a usage error listing them', () => {
    const r = cmi(['profile', '--build', 'cargo build'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--build: no detected build is named "cargo build"; detected: "make"');
  });
});

describe('cmi --version', () => {
  it("prints the package's version, the one the extension and npm show", () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const r = cmi(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });
});
