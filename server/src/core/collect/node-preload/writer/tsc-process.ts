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

/**
 * The condition under which tsc turns its performance module on (TypeScript 4 to 6, in `lib/_tsc.js`
 * where there is one, else in `lib/tsc.js`): a diagnostics flag. Made true in the code as
 * it is compiled, the module records its marks (and calls onProfilerEvent), while tsc's statistics,
 * printed only under the flag, stay off.
 */
const TSC_PERFORMANCE_SWITCH =
  /(function enableStatisticsAndTracing\(system, compilerOptions, isBuildMode\) \{\s*if \()(canReportDiagnostics\(system, compilerOptions\)\))/;

/**
 * Turns tsc's performance module on in memory: wraps the CommonJS loader's compile step until the file
 * holding tsc's code (next to its main script) comes through, then gives that file's code with the
 * switch made (`done(true)`), or unchanged when the code does not read as expected (`done(false)`:
 * another version's layout). The file on disk is never written.
 */
export function switchTscPerformanceOn(main: string, done: (switched: boolean) => void): void {
  const lib = path.dirname(main);
  const target = fs.existsSync(path.join(lib, '_tsc.js')) ? path.join(lib, '_tsc.js') : main;
  type Compile = (this: unknown, content: string, filename: string, ...rest: unknown[]) => unknown;
  const proto = Module.prototype as unknown as { _compile?: Compile };
  const original = proto._compile;
  if (typeof original !== 'function') return done(false);
  // Every argument is passed on (newer Nodes pass the module's format after the file name).
  const hook: Compile = function (content, filename, ...rest) {
    if (
      filename !== target &&
      !(path.basename(filename) === path.basename(target) && safeRealpath(filename) === target)
    ) {
      return original.call(this, content, filename, ...rest);
    }
    if (proto._compile === hook) proto._compile = original;
    let code = content;
    try {
      code = content.replace(TSC_PERFORMANCE_SWITCH, '$1true || $2');
    } catch {
      // keep the code as it is
    }
    done(code !== content);
    return original.call(this, code, filename, ...rest);
  };
  proto._compile = hook;
}

/** TypeScript's tsc as the main script of this process. */
export interface TscScript {
  version: string;
  major: number;
  /** The real path of the main script. */
  main: string;
}

/** The main script is TypeScript's tsc: the compiler itself up to 6, a launcher of the native binary from 7. */
export function detectTsc(): TscScript | undefined {
  const script = process.argv[1];
  if (!script || !/tsc(\.js)?$/i.test(script)) return undefined;
  let main: string;
  try {
    main = fs.realpathSync(script);
  } catch {
    return undefined;
  }
  const m = /[\\/]typescript[\\/](?:lib[\\/]_?tsc\.js|bin[\\/]tsc)$/.exec(main);
  if (!m) return undefined;
  try {
    const pkgDir = main.slice(0, m.index + '/typescript'.length);
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as {
      name?: string;
      version?: string;
    };
    const major = Number(/^(\d+)\./.exec(pkg.version ?? '')?.[1]);
    if (pkg.name !== 'typescript' || !Number.isFinite(major)) return undefined;
    return { version: pkg.version!, major, main };
  } catch {
    return undefined;
  }
}
