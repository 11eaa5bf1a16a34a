// Compiles the native helpers with the system's C compiler, on Linux only: the live-heap library
// (native/cmi-heap.c → dist/libcmi-heap.so), the build's supervisor (native/cmi-contain.c →
// dist/cmi-contain) and the C/C++ compiler shim (native/cmi-cc-shim.c → dist/cmi-cc-shim). Without a
// compiler (or elsewhere) nothing is built and nothing fails: `cmi profile` then warns that it
// measures RSS only (server/src/core/collect/live-heap/), contains the build in a process group only
// (server/src/core/containment/, docs/processes.md), and profiles C/C++ compiles through the slower
// bash wrapper (server/src/collect-scripts/cc-wrapper.sh).
//
//   node scripts/build-native.mjs [OUT_DIR]      (scripts/build.mjs calls buildNative() itself)
//
// The compiler is $CC, else `cc`, looked up on PATH: run with a PATH that has no `cc` (or
// CC=/nonexistent) to build without the library.
//
// The GCC plugin (native/cmi-gcc-plugin.cc → dist/cmi_gcc.so, native/README.md) is built with $CXX,
// else `g++`, against the plugin headers of the system's `gcc` (Debian: gcc-N-plugin-dev), and
// dist/cmi_gcc.json says which gcc it is for: {"gccVersion", "cc1Dir"}; the cc1 shim loads it only
// into that gcc's cc1/cc1plus. Without the headers: no plugin, no .json, a message; gcc's passes are
// then read from -ftime-report, as durations only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const LIVE_HEAP_LIBRARY = 'libcmi-heap.so';
export const CONTAIN_HELPER = 'cmi-contain';
export const GCC_PLUGIN = 'cmi_gcc.so';
export const GCC_PLUGIN_INFO = 'cmi_gcc.json';
export const CC_SHIM = 'cmi-cc-shim';

/** Builds the library, the supervisor and the compiler shim into outDir; returns what happened, in words, and never throws. */
export function buildNative(outDir = 'dist') {
  const heap = compile(
    outDir,
    LIVE_HEAP_LIBRARY,
    ['-shared', '-fPIC', 'native/cmi-heap.c', '-ldl', '-pthread'],
    'cmi profile will record RSS only',
  );
  const contain = compile(
    outDir,
    CONTAIN_HELPER,
    ['native/cmi-contain.c'],
    'cmi profile will contain builds in a process group only',
  );
  const shim = compile(
    outDir,
    CC_SHIM,
    ['native/cmi-cc-shim.c'],
    'cmi profile will profile C/C++ compiles through the bash wrapper (slower)',
  );
  const plugin = buildGccPlugin(outDir);
  return {
    built: heap.built && contain.built && shim.built,
    message: `${heap.message}\n${contain.message}\n${shim.message}\n${plugin.message}`,
  };
}

/** Builds dist/cmi_gcc.so and dist/cmi_gcc.json for the system's gcc when it has plugin headers; never throws. */
export function buildGccPlugin(outDir = 'dist') {
  const out = path.join(outDir, GCC_PLUGIN);
  const info = path.join(outDir, GCC_PLUGIN_INFO);
  const without = "gcc's passes will be read from -ftime-report (durations only)";
  if (process.platform !== 'linux') return { built: false, message: `no ${GCC_PLUGIN}: Linux only` };
  mkdirSync(outDir, { recursive: true });
  rmSync(out, { force: true });
  rmSync(info, { force: true });
  const ask = (...args) => {
    const r = spawnSync('gcc', args, { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : '';
  };
  const pluginDir = ask('-print-file-name=plugin');
  if (!pluginDir || !existsSync(path.join(pluginDir, 'include', 'gcc-plugin.h'))) {
    const major = ask('-dumpversion').split('.')[0];
    const pkg = major ? `gcc-${major}-plugin-dev` : 'the gcc plugin headers';
    return { built: false, message: `no ${GCC_PLUGIN}: gcc has no plugin headers (install ${pkg}); ${without}` };
  }
  const cc1 = ask('-print-prog-name=cc1');
  const gccVersion = ask('-dumpfullversion');
  if (!path.isAbsolute(cc1) || !gccVersion)
    return { built: false, message: `no ${GCC_PLUGIN}: cannot find gcc's cc1 (got '${cc1}'); ${without}` };
  const cxx = process.env.CXX || 'g++';
  const r = spawnSync(
    cxx,
    [
      '-shared',
      '-fPIC',
      '-fno-rtti',
      '-O2',
      '-Wall',
      '-Wextra',
      '-I',
      path.join(pluginDir, 'include'),
      '-o',
      out,
      'native/cmi-gcc-plugin.cc',
    ],
    { encoding: 'utf8' },
  );
  if (r.error || r.status !== 0) {
    rmSync(out, { force: true });
    const why = r.error
      ? r.error.code === 'ENOENT'
        ? `no C++ compiler (\`${cxx}\` not found)`
        : r.error.message
      : `\`${cxx}\` failed (${r.stderr.trim().split('\n').slice(-3).join(' / ')})`;
    return { built: false, message: `no ${GCC_PLUGIN}: ${why}; ${without}` };
  }
  writeFileSync(info, `${JSON.stringify({ gccVersion, cc1Dir: path.dirname(cc1) })}\n`);
  return {
    built: true,
    message: `${out} built for gcc ${gccVersion}${r.stderr.trim() ? ` with warnings:\n${r.stderr.trim()}` : ''}`,
  };
}

function compile(outDir, name, sources, without) {
  const out = path.join(outDir, name);
  if (process.platform !== 'linux') return { built: false, message: `no ${name}: Linux only` };
  mkdirSync(outDir, { recursive: true });
  rmSync(out, { force: true }); // never leave a stale binary beside fresh bundles
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-o', out, ...sources], { encoding: 'utf8' });
  if (r.error) {
    const why = r.error.code === 'ENOENT' ? `no C compiler (\`${cc}\` not found)` : r.error.message;
    return { built: false, message: `no ${name}: ${why}; ${without}` };
  }
  if (r.status !== 0) {
    rmSync(out, { force: true });
    return {
      built: false,
      message: `no ${name}: \`${cc}\` failed (${r.stderr.trim().split('\n').slice(-3).join(' / ')}); ${without}`,
    };
  }
  if (r.stderr.trim()) return { built: true, message: `${out} built with warnings:\n${r.stderr.trim()}` };
  return { built: true, message: `${out} built` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = buildNative(process.argv[2] ?? 'dist');
  console.log(`build-native: ${result.message}`);
}
