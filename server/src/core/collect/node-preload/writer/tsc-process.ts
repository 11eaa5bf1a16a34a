// Which tsc runs in this process, and the switch that turns its performance module on in memory (so
// that tsc 6 calls onProfilerEvent at its marks without a diagnostics flag: header.ts decides between
// the switch and the flag).

import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';

function safeRealpath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

/** A condition of tsc's code made true in memory: a pattern in the function that holds it, and what is inserted after group 1. */
interface Switch {
  /** The start of the function: where the pattern is searched for, in a window of SWITCH_WINDOW bytes. */
  readonly fn: string;
  readonly pattern: RegExp;
  readonly insert: string;
}

/**
 * The condition under which tsc turns its performance module on (TypeScript 4 to 6, in `lib/_tsc.js`
 * where there is one, else in `lib/tsc.js`): a diagnostics flag. Made true in the code as
 * it is compiled, the module records its marks (and calls onProfilerEvent), while tsc's statistics,
 * printed only under the flag, stay off.
 */
const PERFORMANCE_SWITCH: Switch = {
  fn: 'function enableStatisticsAndTracing(',
  pattern:
    /(function enableStatisticsAndTracing\(system, compilerOptions, isBuildMode\) \{\s*if \()(canReportDiagnostics\(system, compilerOptions\)\))/,
  insert: 'true || ',
};

/**
 * With --build: the switch above turns the module on only when the first project's program is
 * created, after the SolutionBuilder's first marks (config parsing, the first up-to-date check). tsc
 * turns it on for those under --extendedDiagnostics, where it also collects and prints the build's
 * statistics: it is turned on here alone, as the build starts, and the statistics stay off.
 */
const BUILD_SWITCH: Switch = {
  fn: 'function enableSolutionPerformance(',
  pattern:
    /(function enableSolutionPerformance\(system, options\) \{)(\s*if \(system === sys && options\.extendedDiagnostics\) \{)/,
  insert: ' if (system === sys) enable();',
};

const EMPTY_MATCH = /(?:)/;

/** Where a switch is searched for, from the start of the function that holds it (bytes). */
const SWITCH_WINDOW = 512;

/**
 * tsc's code, read as bytes, with the switches made, decoded into one new string that shares nothing
 * with any other; undefined when one does not read as expected. The patterns are matched on small
 * windows only: the whole text would stay alive as the realm's last match.
 */
function switchedBytes(buf: Buffer, switches: readonly Switch[]): string | undefined {
  const cuts: [at: number, insert: string][] = [];
  for (const sw of switches) {
    const at = buf.indexOf(sw.fn);
    if (at < 0) return undefined;
    const window = buf.toString('latin1', at, at + SWITCH_WINDOW); // one character per byte
    const m = sw.pattern.exec(window);
    EMPTY_MATCH.exec('');
    if (m?.index !== 0) return undefined;
    cuts.push([at + m[1]!.length, sw.insert]);
  }
  cuts.sort((x, y) => x[0] - y[0]);
  const parts: Buffer[] = [];
  let from = 0;
  for (const [at, insert] of cuts) {
    parts.push(buf.subarray(from, at), Buffer.from(insert));
    from = at;
  }
  parts.push(buf.subarray(from));
  return Buffer.concat(parts).toString('utf8');
}

/** tsc's code with the switches made, or undefined when one does not read as expected. */
function switched(content: string, switches: readonly Switch[]): string | undefined {
  let code: string | undefined = content;
  for (const sw of switches) {
    const next: string = code.replace(sw.pattern, (_, head: string, tail: string) => head + sw.insert + tail);
    code = next === code ? undefined : next;
    if (code === undefined) break;
  }
  // The match left the text as RegExp.input, the realm's last match, until another successful
  // match replaces it: one on an empty string does.
  EMPTY_MATCH.exec('');
  return code;
}

/**
 * Turns tsc's performance module on in memory: `target`, the file holding tsc's compiler
 * (TscScript.code), is given to the CommonJS loader with the switch made (`done(true)`), or unchanged when the code does
 * not read as expected (`done(false)`: another version's layout). The file on disk is never written.
 *
 * Where: at the loader's read (fs.readFileSync, wrapped until that file is read), so that the
 * original text is garbage at once. tsc compiles the whole project inside the loader's call that
 * compiles and runs that file, whose frames hold the text they were given until the process ends: a
 * switch made later, at the compile step, left both texts alive for the whole run (+6 MB of V8 heap
 * with TypeScript 6, +3 % of the example's peak RSS). The compile step is still wrapped, as the
 * fallback for a Node whose loader reads otherwise.
 */
export function switchTscPerformanceOn(target: string, buildMode: boolean, done: (switched: boolean) => void): void {
  const switches = buildMode ? [PERFORMANCE_SWITCH, BUILD_SWITCH] : [PERFORMANCE_SWITCH];
  const isTarget = (file: unknown) =>
    file === target ||
    (typeof file === 'string' && path.basename(file) === path.basename(target) && safeRealpath(file) === target);
  let outcome: boolean | undefined;
  const settle = (ok: boolean) => {
    if (outcome !== undefined) return;
    outcome = ok;
    done(ok);
  };

  type ReadFileSync = (this: unknown, file: unknown, ...rest: unknown[]) => unknown;
  // The fs module object itself (the loader reads through it), not this bundle's namespace copy of it.
  const fsMutable = Module.createRequire(target)('node:fs') as { readFileSync: ReadFileSync };
  const originalRead = fsMutable.readFileSync;
  const read: ReadFileSync = function (file, ...rest) {
    const encoding = typeof rest[0] === 'object' && rest[0] ? (rest[0] as { encoding?: unknown }).encoding : rest[0];
    if ((encoding !== 'utf8' && encoding !== 'utf-8') || !isTarget(file)) return originalRead.call(this, file, ...rest);
    if (fsMutable.readFileSync === read) fsMutable.readFileSync = originalRead;
    try {
      const code = switchedBytes(originalRead.call(this, file) as Buffer, switches);
      settle(code !== undefined);
      if (code !== undefined) return code;
    } catch {
      settle(false);
    }
    return originalRead.call(this, file, ...rest);
  };
  try {
    fsMutable.readFileSync = read;
  } catch {
    // a frozen fs: the compile step's wrap below does it
  }

  type Compile = (this: unknown, content: string, filename: string, ...rest: unknown[]) => unknown;
  const proto = Module.prototype as unknown as { _compile?: Compile };
  const original = proto._compile;
  if (typeof original !== 'function') {
    if (fsMutable.readFileSync === read) fsMutable.readFileSync = originalRead;
    return settle(false);
  }
  // Every argument is passed on (newer Nodes pass the module's format after the file name).
  const hook: Compile = function (content, filename, ...rest) {
    if (!isTarget(filename)) return original.call(this, content, filename, ...rest);
    if (proto._compile === hook) proto._compile = original;
    if (fsMutable.readFileSync === read) fsMutable.readFileSync = originalRead;
    if (outcome !== undefined) return original.call(this, content, filename, ...rest); // switched at the read
    let code: string | undefined;
    try {
      code = switched(content, switches);
    } catch {
      // keep the code as it is
    }
    settle(code !== undefined);
    return original.call(this, code ?? content, filename, ...rest);
  };
  proto._compile = hook;
}

/** TypeScript's tsc as the main script of this process. */
export interface TscScript {
  version: string;
  major: number;
  /** The real path of the main script: `bin/tsc`, `lib/tsc.js` or `lib/_tsc.js` of the package. */
  main: string;
  /**
   * The file holding the compiler, which the main script loads: `lib/_tsc.js` where there is one
   * (newer versions: their `lib/tsc.js` only enables Node's compile cache and requires it), else
   * `lib/tsc.js`. `bin/tsc` (what `npm run`, `npx`, pnpm, yarn and `node_modules/.bin/tsc` run)
   * only requires `../lib/tsc.js`.
   */
  code: string;
}

/** Main scripts of the typescript package that run tsc, relative to the package's folder. */
const TSC_MAIN = /[\\/](?:lib[\\/]_?tsc\.js|bin[\\/]tsc)$/;

/**
 * The main script is TypeScript's tsc: the compiler itself up to 6, a launcher of the native binary
 * from 7. However it was started (a package manager's script or shim, a symlink, a path of its own):
 * the real path of the script, in the folder of a package named `typescript` (whatever that folder
 * is called: pnpm's store, an npm alias, a vendored copy).
 */
export function detectTsc(): TscScript | undefined {
  const script = process.argv[1];
  if (!script || !/tsc(\.js)?$/i.test(script)) return undefined;
  let main: string;
  try {
    main = fs.realpathSync(script);
  } catch {
    return undefined;
  }
  const m = TSC_MAIN.exec(main);
  if (!m) return undefined;
  try {
    const pkgDir = main.slice(0, m.index);
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
      name?: string;
      version?: string;
    };
    const major = Number(/^(\d+)\./.exec(pkg.version ?? '')?.[1]);
    if (pkg.name !== 'typescript' || !Number.isFinite(major)) return undefined;
    const lib = path.join(pkgDir, 'lib');
    const inner = path.join(lib, '_tsc.js');
    const code = fs.existsSync(inner) ? inner : path.join(lib, 'tsc.js');
    return { version: pkg.version!, major, main, code };
  } catch {
    return undefined;
  }
}
