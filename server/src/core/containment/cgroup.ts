// A cgroup v2 of the build's own, where one can be created: a child of our own cgroup, named
// `cmi-build-<pid>-<n>`. The supervisor (native/cmi-contain.c) moves itself into it before it forks,
// so every process of the build is in it and `cgroup.kill` empties it at once, whatever they did
// (setsid, double fork, a fork bomb). Needs a cgroup2 mount, write access to our own cgroup (root,
// or a delegated systemd user slice), and cgroup.kill (Linux 5.14). Never throws: null instead.

import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

let created = 0;

/** Creates the build's cgroup directory; null where none can be created. */
export function createBuildCgroup(): string | null {
  const own = ownCgroupDir();
  if (!own) return null;
  const dir = path.join(own, `cmi-build-${process.pid}-${++created}`);
  try {
    mkdirSync(dir);
  } catch {
    return null; // read-only, not ours, or too deep (cgroup.max.depth)
  }
  if (existsSync(path.join(dir, 'cgroup.kill'))) return dir;
  void removeBuildCgroup(dir); // empty: removed at once
  return null;
}

/** SIGKILL to every process in it (all at once: none can fork meanwhile). */
export function killCgroup(dir: string): void {
  try {
    writeFileSync(path.join(dir, 'cgroup.kill'), '1');
  } catch {
    // Already removed.
  }
}

/** Removes the directory once it is empty (its last processes may take a moment to be released). */
export async function removeBuildCgroup(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EBUSY') return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Our own cgroup v2 directory: the cgroup2 mount point from /proc/self/mountinfo joined with our
 * path from the `0::` line of /proc/self/cgroup (taken relative to the mount's root, which is not `/`
 * inside a container that mounts only its own subtree).
 */
export function ownCgroupDir(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const own = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    if (!own) return null;
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      // id parent major:minor root mountpoint options [optional fields] - fstype source super-options
      const [left, right] = line.split(' - ');
      if (!left || right?.split(' ')[0] !== 'cgroup2') continue;
      const fields = left.split(' ');
      const root = unescapeMountPath(fields[3] ?? '');
      const mount = unescapeMountPath(fields[4] ?? '');
      if (own !== root && !own.startsWith(root === '/' ? '/' : `${root}/`)) continue;
      const dir = path.join(mount, own.slice(root === '/' ? 0 : root.length));
      if (existsSync(path.join(dir, 'cgroup.procs'))) return dir;
    }
  } catch {
    // No /proc: no cgroup.
  }
  return null;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}
