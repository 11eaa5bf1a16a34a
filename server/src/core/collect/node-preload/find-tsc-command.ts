// The command of a build: is it tsc, and which one? The instrumentation adds tsc 7's diagnostics flag
// from the command line, since no preload can enter its native binary.

import { closeSync, existsSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';

export interface TscCommand {
  /** Index in argv of the tsc script or binary. */
  argIndex: number;
  version: string;
  major: number;
  /** A native executable (TypeScript 7's Go binary), not a script. */
  native: boolean;
}

const LAUNCHERS = new Set(['node', 'nodejs', 'npx', 'pnpx', 'pnpm', 'yarn', 'bunx', 'bun', 'npm', 'exec']);

/** Finds tsc in a command like `tsc -p .`, `npx tsc`, `pnpm exec tsc`, `node node_modules/typescript/bin/tsc`. */
export function findTscCommand(
  argv: string[],
  cwd: string,
  env: Record<string, string | undefined>,
): TscCommand | undefined {
  const base = (s: string) =>
    path
      .basename(s)
      .toLowerCase()
      .replace(/\.(cmd|exe|ps1|js)$/, '');
  // Launchers and their flags, then tsc: `npx --yes tsc`, `node --stack-size=4000 .../tsc.js`.
  const limit = Math.min(argv.length, 6);
  let i = 0;
  for (; i < limit; i++) {
    const b = base(argv[i]!);
    if (b === 'tsc' || b === '_tsc' || b === 'tsgo') break;
    if (!LAUNCHERS.has(b) && !argv[i]!.startsWith('-')) return undefined;
  }
  const arg = argv[i];
  if (arg === undefined || i >= limit) return undefined;
  const viaPackageManager = argv
    .slice(0, i)
    .some((a) => base(a) !== 'node' && base(a) !== 'nodejs' && !a.startsWith('-'));
  let file: string | undefined;
  if (arg.includes('/') || arg.includes('\\')) file = path.resolve(cwd, arg);
  else {
    const dirs: string[] = [];
    if (viaPackageManager)
      for (let d = path.resolve(cwd); ; d = path.dirname(d)) {
        dirs.push(path.join(d, 'node_modules', '.bin'));
        if (path.dirname(d) === d) break;
      }
    dirs.push(...(env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean));
    file = dirs.map((d) => path.join(d, arg)).find((f) => isFile(f));
  }
  if (!file || !isFile(file)) return undefined;
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return undefined;
  }
  const pkg = nearestPackage(real);
  if (!pkg || !(pkg.name === 'typescript' || pkg.name.startsWith('@typescript/'))) return undefined;
  const major = Number(/^(\d+)\./.exec(pkg.version)?.[1] ?? NaN);
  return { argIndex: i, version: pkg.version, major, native: isNativeExecutable(real) };
}

function isFile(f: string): boolean {
  try {
    return statSync(f).isFile();
  } catch {
    return false;
  }
}

function nearestPackage(file: string): { name: string; version: string } | undefined {
  for (let d = path.dirname(file); ; d = path.dirname(d)) {
    const p = path.join(d, 'package.json');
    if (existsSync(p)) {
      try {
        const j = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (j.name && j.version) return { name: j.name, version: j.version };
      } catch {
        // not a package.json we can read: keep looking up
      }
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** ELF, Mach-O or PE: a compiled binary rather than a script. */
function isNativeExecutable(file: string): boolean {
  const b = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, b, 0, 4, 0);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const magic = b.readUInt32BE(0);
  return (
    magic === 0x7f454c46 ||
    (b[0] === 0x4d && b[1] === 0x5a) ||
    [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)
  );
}
