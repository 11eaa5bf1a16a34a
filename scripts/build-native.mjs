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
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';

export const LIVE_HEAP_LIBRARY = 'libcmi-heap.so';
export const CONTAIN_HELPER = 'cmi-contain';
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
  return {
    built: heap.built && contain.built && shim.built,
    message: `${heap.message}\n${contain.message}\n${shim.message}`,
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
