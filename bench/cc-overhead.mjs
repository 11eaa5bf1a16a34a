// What profiling a parallel C++ build costs (issue 18: ≤ 1.03×): leveldb's library sources (40 .cc
// files, shipped inside the npm package classic-level, fetched once with `npm pack` into bench/.cache/)
// compiled by a generated Makefile with `make -B -j2` (g++ -O2 -c), alone and under `cmi profile`:
//
//   default      the compiled shim (dist/cmi-cc-shim), with the GCC plugin when dist/cmi_gcc.so exists
//   ftime-report CMI_CC_NO_PLUGIN=1: the shim adds -ftime-report and filters cc1's stderr
//   no-cc        `cmi profile --no-cc`: the sampler, live heap and containment without compiler records
//   bash         CMI_CC_SHIM=bash, the old byte-by-byte bash filter (2 rounds, for the record)
//   flag alone   plain make with -ftime-report added to every compile, no profiler: the flag's own
//                share (gcc then calls times() at every timevar push and pop, ~500,000 calls per file)
//
// Alternated rounds (each round runs every side once, starting with another one each time); printed
// as medians of the per-round ratios against plain make measured in the same round, for the build's
// wall time (the profile's run.wallMs: spawn to the tree's end; the whole `cmi profile` command beside
// it) and for the system CPU of everything the side ran (cmi included), from /proc/self/stat's
// children times.
//
//   node bench/cc-overhead.mjs [--runs N]       (Linux, g++ and make; default 7 rounds)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pairRange, runWhenMain } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
const cacheDir = path.join(root, 'bench', '.cache');
const PACKAGE = 'classic-level@3.0.0';
const LEVELDB = 'package/deps/leveldb/leveldb-1.20';

/** leveldb's sources from the npm package, fetched and unpacked once into bench/.cache/. */
function leveldbSources() {
  const dir = path.join(cacheDir, 'classic-level', LEVELDB);
  if (existsSync(path.join(dir, 'db', 'db_impl.cc'))) return dir;
  mkdirSync(path.join(cacheDir, 'classic-level'), { recursive: true });
  const out = execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', cacheDir], {
    cwd: cacheDir,
    encoding: 'utf8',
  });
  const tgz = path.join(cacheDir, out.trim().split('\n').pop());
  execFileSync('tar', ['xzf', tgz, '-C', path.join(cacheDir, 'classic-level'), LEVELDB]);
  rmSync(tgz, { force: true });
  return dir;
}

/**
 * A Makefile compiling every library .cc file of leveldb with g++ -O2: no tests, benchmarks or tools,
 * and not the C API (c.cc), which classic-level's patched DB interface no longer compiles.
 */
function writeMakefile(src, dir) {
  const sources = [];
  for (const sub of ['db', 'table', 'util', 'port', 'helpers/memenv'])
    for (const f of readdirSync(path.join(src, sub)))
      if (f.endsWith('.cc') && !/_(test|bench)\.cc$|^(testharness|testutil|leveldbutil|c)\.cc$/.test(f))
        sources.push(path.join(sub, f));
  const objects = sources.map((s) => `obj/${s.replace(/\//g, '_').replace(/\.cc$/, '.o')}`);
  const rules = sources.map((s, i) => `${objects[i]}: ${path.join(src, s)}\n\t$(CXX) $(CXXFLAGS) $(EXTRA) -c $< -o $@`);
  writeFileSync(
    path.join(dir, 'Makefile'),
    [
      'CXX = g++',
      'EXTRA =',
      `CXXFLAGS = -O2 -std=c++11 -I${src} -I${src}/include -DLEVELDB_PLATFORM_POSIX=1 -DOS_LINUX=1 -fno-builtin-memcmp`,
      `all: ${objects.join(' ')}`,
      ...rules,
      '',
    ].join('\n'),
  );
  mkdirSync(path.join(dir, 'obj'), { recursive: true });
  return sources.length;
}

/** User and system CPU (ms) of this process's waited-for children so far (/proc/self/stat cutime, cstime). */
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  return { userMs: Number(f[13]) * tick, sysMs: Number(f[14]) * tick };
}

function timed(cmd, argv, opts) {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  const totalMs = performance.now() - t0;
  const cpu1 = childrenCpuMs();
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr?.slice(-2000)}`);
  return { r, totalMs, sysMs: cpu1.sysMs - cpu0.sysMs, userMs: cpu1.userMs - cpu0.userMs };
}

export async function benchCcOverhead({ tmpDir, runs = 7 } = {}) {
  if (process.platform !== 'linux') return console.log('cc-overhead: Linux only, skipped');
  if (spawnSync('g++', ['--version']).status !== 0) return console.log('cc-overhead: no g++, skipped');
  const src = leveldbSources();
  const tmp = mkdtempSync(path.join(tmpDir ?? os.tmpdir(), 'cmi-bench-cc-'));
  try {
    const n = writeMakefile(src, tmp);
    const make = ['make', '-B', '-j2', '-s'];
    const plugin = existsSync(path.join(root, 'dist', 'cmi_gcc.so'));
    const shim = existsSync(path.join(root, 'dist', 'cmi-cc-shim'));
    const plain = (extra = []) => {
      const t = timed(make[0], [...make.slice(1), ...extra], { cwd: tmp });
      return { wallMs: t.totalMs, totalMs: t.totalMs, sysMs: t.sysMs, userMs: t.userMs };
    };
    const profiled =
      (extraEnv, flags = []) =>
      () => {
        const out = path.join(tmp, 'profile.json');
        const t = timed(
          process.execPath,
          [cli, 'profile', '--quiet', '--json', '--out', out, ...flags, '--', ...make],
          {
            cwd: tmp,
            env: { ...process.env, ...extraEnv },
          },
        );
        const p = JSON.parse(readFileSync(out, 'utf8'));
        const units = p.phases.filter((ph) => ph.category === 'translation-unit').length;
        if (!flags.includes('--no-cc') && units !== n)
          throw new Error(`cc-overhead: ${units} of ${n} files profiled (${JSON.stringify(extraEnv)})`);
        return { wallMs: JSON.parse(t.r.stdout).wallMs, totalMs: t.totalMs, sysMs: t.sysMs, userMs: t.userMs };
      };
    const sides = {
      plain: () => plain(),
      'flag alone': () => plain(['EXTRA=-ftime-report']),
      default: profiled({}),
      'ftime-report': profiled({ CMI_CC_NO_PLUGIN: '1' }),
      'no-cc': profiled({}, ['--no-cc']),
    };
    const names = Object.keys(sides);
    const t = Object.fromEntries(names.map((k) => [k, []]));
    plain(); // warm the page cache and g++
    sides.default();
    for (let i = 0; i < runs; i++)
      for (let k = 0; k < names.length; k++) {
        const name = names[(i + k) % names.length];
        t[name].push(sides[name]());
        const x = t[name].at(-1);
        console.error(
          `cc-overhead round ${i + 1} ${name}: wall ${x.wallMs.toFixed(0)} ms, sys ${x.sysMs} ms, user ${x.userMs} ms`,
        );
      }
    // The bash wrapper, for the record: two rounds, each against plain make.
    const bash = profiled({ CMI_CC_SHIM: 'bash', CMI_CC_NO_PLUGIN: '1' });
    t.bash = [];
    const plainForBash = [];
    for (let i = 0; i < 2; i++) {
      if (i % 2) t.bash.push(bash());
      plainForBash.push(plain());
      if (!(i % 2)) t.bash.push(bash());
    }

    const s = (x) => (x / 1000).toFixed(2);
    console.log(
      `cc-overhead: make -B -j2 of leveldb 1.20 (${n} C++ files, g++ -O2), ${runs} alternated rounds; ` +
        `compiled shim ${shim ? 'built' : 'MISSING (the bash wrapper ran)'}, GCC plugin ${plugin ? 'built' : 'not built (default = -ftime-report)'}`,
    );
    const line = (label, side, ref, target) => {
      const ratios = side.map((x, i) => x.wallMs / ref[i].wallMs);
      const totals = side.map((x, i) => x.totalMs / ref[i].totalMs);
      const sys = side.map((x, i) => x.sysMs / Math.max(ref[i].sysMs, 1));
      console.log(
        `${`cc-overhead: ${label} / plain make`.padEnd(52)} ${median(ratios).toFixed(3)}×   (build wall, median ${s(median(side.map((x) => x.wallMs)))} s vs ${s(median(ref.map((x) => x.wallMs)))} s; ${pairRange(ratios)}; whole command ${median(totals).toFixed(3)}×; system CPU ${s(median(side.map((x) => x.sysMs)))} s vs ${s(median(ref.map((x) => x.sysMs)))} s (${median(sys).toFixed(2)}×), user CPU ${s(median(side.map((x) => x.userMs)))} s vs ${s(median(ref.map((x) => x.userMs)))} s; target ${target})`,
      );
    };
    line(plugin ? 'cmi profile (shim + plugin)' : 'cmi profile (shim, -ftime-report)', t.default, t.plain, '≤ 1.03');
    line('CMI_CC_NO_PLUGIN=1 (-ftime-report)', t['ftime-report'], t.plain, '≤ 1.03');
    line('cmi profile --no-cc', t['no-cc'], t.plain, 'stated');
    line('make with -ftime-report, no profiler', t['flag alone'], t.plain, "the flag's own share");
    line('CMI_CC_SHIM=bash (old wrapper, 2 rounds)', t.bash, plainForBash, 'for the record');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await runWhenMain(import.meta.url, 7, benchCcOverhead);
