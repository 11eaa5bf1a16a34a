// Whether libcmi-heap.so can be preloaded into this build, and the LD_PRELOAD that does it.
//
// A library the loader cannot use is worse than none: ld.so prints "cannot be preloaded ... ignored"
// into the build's output for every process. So it is offered only when it was built (Linux with a C
// compiler at build time), for this machine's architecture (the .vsix may be installed on another),
// and with glibc (it is linked against it; musl would refuse it). Otherwise: a reason, for a warning.

import * as fs from 'node:fs';
import * as path from 'node:path';

export const LIVE_HEAP_LIBRARY = 'libcmi-heap.so';

/** ELF e_machine of each Node architecture the library may be built for. */
const ELF_MACHINE: Partial<Record<NodeJS.Architecture, number>> = {
  x64: 62,
  arm64: 183,
  ia32: 3,
  arm: 40,
  riscv64: 243,
  ppc64: 21,
  s390x: 22,
  loong64: 258,
};

export type LibraryLookup = { path: string } | { reason: string };

/** The library in distDir if this process's machine can preload it, else why not. */
export function findLiveHeapLibrary(distDir: string): LibraryLookup {
  if (process.platform !== 'linux')
    return { reason: `the live-heap library works on Linux only (this is ${process.platform})` };
  const lib = path.join(distDir, LIVE_HEAP_LIBRARY);
  let head: Buffer;
  try {
    const fd = fs.openSync(lib, 'r');
    try {
      head = Buffer.alloc(20);
      if (fs.readSync(fd, head, 0, 20, 0) < 20) return { reason: `${lib} is not a shared library` };
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return {
      reason: `${lib} was not built (no C compiler when the extension was built: scripts/build-native.mjs)`,
    };
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) return { reason: `${lib} is not an ELF shared library` };
  const machine = head.readUInt16LE(18);
  if (ELF_MACHINE[process.arch] !== machine)
    return { reason: `${lib} was built for another architecture (ELF machine ${machine}, this is ${process.arch})` };
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  if (!report?.header?.glibcVersionRuntime)
    return { reason: 'the live-heap library needs glibc, which this system does not use' };
  // LD_PRELOAD separates entries by spaces and colons: a path holding one cannot be listed.
  if (/[\s:]/.test(lib)) return { reason: `${lib} has a space or a colon in its path, which LD_PRELOAD cannot hold` };
  return { path: lib };
}

/** LD_PRELOAD with the library first and the user's entries kept after it. */
export function withPreload(current: string | undefined, lib: string): string {
  const kept = (current ?? '').split(/[\s:]+/).filter((e) => e && e !== lib);
  return [lib, ...kept].join(':');
}
