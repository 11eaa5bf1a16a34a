// Linux /proc readers: whole files through one shared buffer, cheap enough to run every 10 ms.
//
// Shared by the procfs sampler backend (procfs-backend.ts), which reads each process's status
// through an fd it holds open, and by the tree finding and stopping of process-tree.ts and
// process-table.ts. Nothing here throws for a process that has vanished: null or empty instead.

import * as fs from 'node:fs';

const IS_LINUX = process.platform === 'linux';

let procBuf = Buffer.allocUnsafe(16 * 1024);

/**
 * Reads a whole /proc file through an open fd (from offset 0), or null when the process is gone.
 * /proc files are generated whole on each read from offset 0, and a read that does not fill the
 * buffer has reached the end: one syscall per file in the usual case.
 */
export function readProcFd(fd: number): string | null {
  try {
    let n = 0;
    for (;;) {
      const want = procBuf.length - n;
      const got = fs.readSync(fd, procBuf, n, want, n);
      n += got;
      if (got < want) break;
      const bigger = Buffer.allocUnsafe(procBuf.length * 2);
      procBuf.copy(bigger, 0, 0, n);
      procBuf = bigger;
    }
    return procBuf.toString('latin1', 0, n);
  } catch {
    return null; // ESRCH: exited and reaped (or, for an fd held across a pid reuse, the old process)
  }
}

/** Reads a small /proc file, or null when it (or its process) does not exist. */
export function readProcFile(path: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return readProcFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

let procOk: boolean | undefined;
/** Whether /proc looks like Linux procfs. */
export function procAvailable(): boolean {
  return (procOk ??= IS_LINUX && readProcFile('/proc/self/stat') !== null);
}

let childrenFilesOk: boolean | undefined;
/** Whether the kernel has /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN, on in all major distros). */
export function childrenFilesAvailable(): boolean {
  return (childrenFilesOk ??= procAvailable() && fs.existsSync(`/proc/self/task/${process.pid}/children`));
}

/**
 * The direct children of a Linux process, from the children file of every one of its threads (a
 * child belongs to the thread that forked it: cargo spawns rustc from worker threads).
 * `threadCount === 1` skips listing the threads. Empty when the process is gone.
 */
export function linuxChildren(pid: number, threadCount?: number): number[] {
  let tids: string[];
  if (threadCount === 1) tids = [String(pid)];
  else {
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
  }
  const out: number[] = [];
  for (const tid of tids) {
    const text = readProcFile(`/proc/${pid}/task/${tid}/children`);
    if (!text) continue;
    for (const s of text.split(' ')) if (s) out.push(Number(s));
  }
  return out;
}
