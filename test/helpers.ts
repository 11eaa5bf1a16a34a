// Shared by the test files: where things are, and small utilities over real processes.
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..');
export const distDir = path.join(repoRoot, 'dist');
export const cliPath = path.join(distDir, 'cli.js');

/** True while a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie has exited; it only waits for its parent to reap it.
    const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}
