// Where a trace's source location (a phase's `file:line`) points, and whether it lies inside the
// workspace folders. A trace can name any path (`/home/you/.ssh/config`, `../../etc/passwd`); one
// inside a folder opens on a click as before, one outside asks first (timeline-panel.ts). Pure but
// for the file system's `realpath` (a symlink inside a folder may lead out of it); no `vscode`.
import { realpathSync } from 'node:fs';
import * as path from 'node:path';

export interface SourceLocationTarget {
  /** The absolute path to open: a relative one is taken from the first folder. */
  file: string;
  /** Inside one of the folders, by its path and (when it exists) by where its symlinks lead. */
  inside: boolean;
}

/** Is `file` (absolute, normalized) `folder` or under it? */
function under(folder: string, file: string): boolean {
  const rel = path.relative(folder, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return p; // not there (yet): its path is all there is to judge
  }
}

/** Resolves a trace's `file` against the workspace folders (absolute paths) and says whether it is inside one. */
export function resolveSourceLocation(file: string, folders: readonly string[]): SourceLocationTarget {
  const first = folders[0];
  const abs = path.resolve(path.isAbsolute(file) || first === undefined ? file : path.join(first, file));
  const realFile = real(abs);
  const inside = folders.some((f) => {
    const folder = path.resolve(f);
    return under(folder, abs) && under(real(folder), realFile);
  });
  return { file: abs, inside };
}
