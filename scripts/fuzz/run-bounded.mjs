// Runs one `cmi` command in a child process with a time bound and a memory bound: V8's heap limit
// (--max-old-space-size) and the child's RSS, read from /proc every 50 ms (Buffers and zlib's output
// live outside V8's heap, so the heap limit alone would not stop a decompression bomb).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Output kept per stream: all of a summary's JSON, the head of an error. */
const KEEP = { stdout: 32 << 20, stderr: 64 << 10 };

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Resolves to { code, signal, stdout, stderr, ms, maxRssMb, killedFor } where killedFor is
 * 'time' or 'memory' when the harness stopped it.
 */
export function runBounded(cli, args, { timeoutMs, heapMb, rssLimitMb, cwd }) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, cli, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    const out = { stdout: '', stderr: '' };
    for (const k of ['stdout', 'stderr'])
      child[k].on('data', (d) => {
        if (out[k].length < KEEP[k]) out[k] += d.toString('utf8').slice(0, KEEP[k] - out[k].length);
      });
    let killedFor = null;
    let maxRssMb = 0;
    const stop = (why) => {
      killedFor ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('time'), timeoutMs);
    const watch = setInterval(() => {
      const mb = rssMb(child.pid);
      maxRssMb = Math.max(maxRssMb, mb);
      if (mb > rssLimitMb) stop('memory');
    }, 50);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watch);
      resolve({ code, signal, ...out, ms: Date.now() - t0, maxRssMb: Math.round(maxRssMb), killedFor });
    });
  });
}
