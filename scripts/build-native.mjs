// Compiles the live-heap library (native/cmi-heap.c → dist/libcmi-heap.so) with the system's C
// compiler, on Linux only. Without a compiler (or elsewhere) nothing is built and nothing fails:
// `cmi profile` then warns that it measures RSS only (server/src/core/collect/live-heap/).
//
//   node scripts/build-native.mjs [OUT_DIR]      (scripts/build.mjs calls buildNative() itself)
//
// The compiler is $CC, else `cc`, looked up on PATH: run with a PATH that has no `cc` (or
// CC=/nonexistent) to build without the library.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';

export const LIVE_HEAP_LIBRARY = 'libcmi-heap.so';

/** Builds the library into outDir; returns what happened, in words, and never throws. */
export function buildNative(outDir = 'dist') {
  const out = path.join(outDir, LIVE_HEAP_LIBRARY);
  if (process.platform !== 'linux') return { built: false, message: `no ${LIVE_HEAP_LIBRARY}: Linux only` };
  mkdirSync(outDir, { recursive: true });
  rmSync(out, { force: true }); // never leave a stale library beside fresh bundles
  const cc = process.env.CC || 'cc';
  const args = ['-O2', '-Wall', '-Wextra', '-shared', '-fPIC', '-o', out, 'native/cmi-heap.c', '-ldl', '-pthread'];
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.error) {
    const why = r.error.code === 'ENOENT' ? `no C compiler (\`${cc}\` not found)` : r.error.message;
    return { built: false, message: `no ${LIVE_HEAP_LIBRARY}: ${why}; cmi profile will record RSS only` };
  }
  if (r.status !== 0) {
    rmSync(out, { force: true });
    return {
      built: false,
      message: `no ${LIVE_HEAP_LIBRARY}: \`${cc}\` failed (${r.stderr.trim().split('\n').slice(-3).join(' / ')}); cmi profile will record RSS only`,
    };
  }
  if (r.stderr.trim()) return { built: true, message: `${out} built with warnings:\n${r.stderr.trim()}` };
  return { built: true, message: `${out} built` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = buildNative(process.argv[2] ?? 'dist');
  console.log(`build-native: ${result.message}`);
}
