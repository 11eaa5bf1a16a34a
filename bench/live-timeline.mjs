// The live timeline's cost (protocol/live.ts): a real tsc build (test/workspaces/tsc-small) profiled by
// the engine as the language server runs it, with its live timeline streamed (LiveTimeline fed at
// every tick and progress report, each update JSON-encoded with a JSON-RPC header and written to
// /dev/null with one write(2), as the server's connection does) against the same build with progress
// reports only (what the server did before), in alternated pairs (the order swaps every pair).
//
//   build wall time   the profile's wallMs, median of the paired ratios               target ≤ 1.03
//   tool CPU          the profiling process's own user+system time (not the build's)
//   updates           how many updates a run sent, and their bytes
//
// This measures the server's side with the engine (no VS Code): a code-server with a panel drawing is
// too heavy and too noisy on this machine for a 3 % figure; the view redraws at most twice a second
// in the editor's renderer process, not in the build's.
//
//   node bench/live-timeline.mjs [--runs N]      (default 6 pairs)
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pairRange, runWhenMain } from './stats.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function bundle(tmpDir) {
  const entry = path.join(tmpDir, 'bench-live-entry.ts');
  const rel = (p) => JSON.stringify(path.join(root, p));
  writeFileSync(
    entry,
    [
      `export { profileBuild } from ${rel('server/src/core/profile-build')};`,
      `export { LiveTimeline } from ${rel('server/src/lsp/live-timeline')};`,
    ].join('\n'),
  );
  const out = path.join(tmpDir, 'bench-live.js');
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'esbuild'),
    [entry, '--bundle', '--platform=node', '--format=cjs', '--log-level=error', `--outfile=${out}`],
    { cwd: root },
  );
  return require(out);
}

async function once(engine, tmpDir, live, i) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'lib', 'tsc.js');
  const sink = openSync('/dev/null', 'w');
  let updates = 0;
  let sentBytes = 0;
  const timeline = live
    ? new engine.LiveTimeline({
        runId: `bench-${i}`,
        title: 'tsc -p tsc-small',
        startedAt: new Date().toISOString(),
        send: (u) => {
          const body = JSON.stringify({ jsonrpc: '2.0', method: 'compilerMemory/liveTimeline', params: u });
          const text = `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
          sentBytes += writeSync(sink, text);
          updates++;
        },
      })
    : undefined;
  const cpu0 = process.cpuUsage();
  const profile = await engine.profileBuild({
    argv: [process.execPath, tsc, '-p', 'test/workspaces/tsc-small', '--outDir', path.join(tmpDir, `out-${i}`)],
    cwd: root,
    distDir: path.join(root, 'dist'),
    progressEveryMs: 200,
    onProgress: (p) => {
      timeline?.progress(p);
      // The progress notification the server sends either way.
      writeSync(sink, JSON.stringify({ jsonrpc: '2.0', method: 'compilerMemory/buildProgress', params: p }));
    },
    ...(timeline ? { onSample: (t, b) => timeline.sample(t, b) } : {}),
  });
  timeline?.finish(profile.run.wallMs);
  const cpu = process.cpuUsage(cpu0);
  closeSync(sink);
  if (profile.run.status !== 'ok') throw new Error(`the build ended ${profile.run.status}`);
  return { wallMs: profile.run.wallMs, cpuMs: (cpu.user + cpu.system) / 1000, updates, sentBytes };
}

export async function benchLiveTimeline({ runs = 6, report } = {}) {
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'cmi-bench-live-'));
  try {
    const engine = bundle(tmpDir);
    await once(engine, tmpDir, true, -1); // warm the file cache and the bundle
    const wall = [];
    const cpu = [];
    let updates = 0;
    let sentBytes = 0;
    for (let i = 0; i < runs; i++) {
      const order = i % 2 ? [false, true] : [true, false];
      const r = {};
      for (const live of order) r[live] = await once(engine, tmpDir, live, i);
      wall.push(r[true].wallMs / r[false].wallMs);
      cpu.push(r[true].cpuMs / r[false].cpuMs);
      updates = r[true].updates;
      sentBytes = r[true].sentBytes;
      console.log(
        `  pair ${i + 1}: wall ${r[true].wallMs.toFixed(0)} vs ${r[false].wallMs.toFixed(0)} ms, tool CPU ${r[true].cpuMs.toFixed(0)} vs ${r[false].cpuMs.toFixed(0)} ms, ${r[true].updates} updates`,
      );
    }
    const line = (name, ratios, details, target) =>
      (report ?? ((n, rs, d, t) => console.log(`${n.padEnd(52)} ${median(rs).toFixed(3)}×   (${d}; target ${t})`)))(
        name,
        ratios,
        details,
        target,
      );
    line('live timeline: tsc build wall time, streamed/not', wall, `${runs} pairs, ${pairRange(wall)}`, '≤ 1.03');
    line(
      'live timeline: profiler CPU, streamed/not',
      cpu,
      `${runs} pairs, ${pairRange(cpu)}; ${updates} updates, ${(sentBytes / 1024).toFixed(1)} KiB in the last run`,
      'reported',
    );
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
}

await runWhenMain(import.meta.url, 6, benchLiveTimeline);
