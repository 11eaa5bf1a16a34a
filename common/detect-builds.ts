// Which builds a folder has: what its root says, turned into commands the profiler can run. Pure Node
// (fs and path only): the extension's Select Build and Profile Build (client/src/build-command.ts) and
// the CLI (`cmi builds`, `cmi profile --build`) call it. It lives in common/ rather than in the server
// because the client needs it while the language server is still starting (or down): a build is
// chosen before there is a server to run it. Unlike the other common helpers it reads files, so the
// webview never imports it.
//
// Only the folder's root is looked at, never a subfolder: a monorepo's packages each have their own
// build, and guessing which one is meant is the user's call (`compilerMemory.builds`).
//
// In the order returned (the most likely build first):
//
//   file at the root               build                                         why / how
//   ─────────────────────────────  ────────────────────────────────────────────  ─────────────────────────────────────────────
//   Cargo.toml                     cargo build                                   the rustc adapter builds into a private target dir
//   package.json scripts build,    <pm> run <name>                               pm from the lockfile: pnpm-lock.yaml → pnpm,
//     compile, bundle, build:*                                                     yarn.lock → yarn, else npm; the project's own
//                                                                                  build, so it comes before the tool configs
//   tsconfig.json                  node node_modules/typescript/lib/tsc.js -p .  the workspace's own tsc run by node: one process,
//                                  (not installed: npx --no-install tsc -p .)    which the Node preload instruments; --no-install:
//                                                                                  npx never fetches the unrelated `tsc` package
//   rollup.config.{js,mjs,cjs,ts}  node_modules/.bin/rollup -c <file>            not installed: npx --no-install rollup -c <file>
//   rolldown.config.{js,mjs,cjs,ts,mts,cts}  node_modules/.bin/rolldown -c <file>  likewise
//   vite.config.{js,mjs,cjs,ts,mts,cts}      node_modules/.bin/vite build          likewise
//   CMakeLists.txt                 cmake -E env sh -c "cmake -S . -B build && cmake --build build"
//                                                                                  configure and build in ONE command (the profile
//                                                                                  request takes one argv), so both steps are one
//                                                                                  process tree and one profile; `build/` is CMake's
//                                                                                  usual binary dir (up to date: nothing compiles).
//                                                                                  `cmake -E env` in front: see CC_ADAPTER_PREFIX
//   Makefile, makefile, GNUmakefile  make                                        the default target, as the user runs it
//   compile_commands.json          cmake -E env node -e <runner> compile_commands.json
//                                                                                  re-runs every entry's compile command, one after the
//                                                                                  other, in its `directory` (see COMPILE_DB_RUNNER);
//                                                                                  stops at the first failure with its exit code;
//                                                                                  without cmake on PATH: node -e <runner> alone
//
// All of them are offered; the same argv in the same folder is offered once. A file that can't be
// read (a package.json that is not JSON) offers nothing and throws nothing.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export interface DetectedBuild {
  /** Short, stable across machines (no absolute paths): "npm run build", "tsc -p .", "make". */
  name: string;
  argv: string[];
  /** Absolute: where the build runs. */
  cwd: string;
  env?: Record<string, string>;
  /** The file it was found from, e.g. 'tsconfig.json', 'package.json script "build"', 'Cargo.toml'. */
  source: string;
  /** More words for a picker, e.g. the script's text or why the command is what it is. */
  detail?: string;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isFile();
  } catch {
    return false;
  }
}

/** The first of `names` that is a file in `dir`. */
async function firstFile(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const n of names) if (await isFile(path.join(dir, n))) return n;
  return undefined;
}

/** A tool from the folder's node_modules/.bin, else npx that never installs anything. */
async function localTool(dir: string, tool: string): Promise<{ argv: string[]; installed: boolean }> {
  const bin = path.join(dir, 'node_modules', '.bin', tool);
  if (await isFile(bin)) return { argv: [bin], installed: true };
  return { argv: ['npx', '--no-install', tool], installed: false };
}

const notInstalled = (tool: string) =>
  `${tool} is not in node_modules: npx runs it only if it is installed somewhere it can find`;

async function cargo(dir: string): Promise<DetectedBuild[]> {
  if (!(await isFile(path.join(dir, 'Cargo.toml')))) return [];
  return [{ name: 'cargo build', argv: ['cargo', 'build'], cwd: dir, source: 'Cargo.toml' }];
}

/** package.json scripts that build, in this order; then `build:*` in the file's order. */
const BUILD_SCRIPTS = ['build', 'compile', 'bundle'];

async function packageScripts(dir: string): Promise<DetectedBuild[]> {
  let pkg: unknown;
  try {
    pkg = JSON.parse(await fsp.readFile(path.join(dir, 'package.json'), 'utf8'));
  } catch {
    return [];
  }
  const scripts = (pkg as { scripts?: unknown } | null)?.scripts;
  if (!scripts || typeof scripts !== 'object') return [];
  const entries = Object.entries(scripts as Record<string, unknown>).filter(
    (e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== '',
  );
  const names = [
    ...BUILD_SCRIPTS.filter((n) => entries.some(([k]) => k === n)),
    ...entries.map(([k]) => k).filter((k) => k.startsWith('build:')),
  ];
  const pm = (await isFile(path.join(dir, 'pnpm-lock.yaml')))
    ? 'pnpm'
    : (await isFile(path.join(dir, 'yarn.lock')))
      ? 'yarn'
      : 'npm';
  return names.map((n) => ({
    name: `${pm} run ${n}`,
    argv: [pm, 'run', n],
    cwd: dir,
    source: `package.json script "${n}"`,
    detail: (scripts as Record<string, string>)[n]!,
  }));
}

async function tsc(dir: string): Promise<DetectedBuild[]> {
  if (!(await isFile(path.join(dir, 'tsconfig.json')))) return [];
  const tscJs = path.join(dir, 'node_modules', 'typescript', 'lib', 'tsc.js');
  if (await isFile(tscJs))
    return [
      {
        name: 'tsc -p .',
        argv: ['node', tscJs, '-p', '.'],
        cwd: dir,
        source: 'tsconfig.json',
        detail: "the workspace's own TypeScript, run by node",
      },
    ];
  return [
    {
      name: 'tsc -p .',
      argv: ['npx', '--no-install', 'tsc', '-p', '.'],
      cwd: dir,
      source: 'tsconfig.json',
      detail: notInstalled('typescript'),
    },
  ];
}

const JS_CONFIG = ['js', 'mjs', 'cjs', 'ts', 'mts', 'cts'];

async function bundlers(dir: string): Promise<DetectedBuild[]> {
  const found: DetectedBuild[] = [];
  const rollupConfig = await firstFile(
    dir,
    ['js', 'mjs', 'cjs', 'ts'].map((e) => `rollup.config.${e}`),
  );
  if (rollupConfig) {
    const t = await localTool(dir, 'rollup');
    found.push({
      name: `rollup -c ${rollupConfig}`,
      argv: [...t.argv, '-c', rollupConfig],
      cwd: dir,
      source: rollupConfig,
      ...(t.installed ? {} : { detail: notInstalled('rollup') }),
    });
  }
  const rolldownConfig = await firstFile(
    dir,
    JS_CONFIG.map((e) => `rolldown.config.${e}`),
  );
  if (rolldownConfig) {
    const t = await localTool(dir, 'rolldown');
    found.push({
      name: `rolldown -c ${rolldownConfig}`,
      argv: [...t.argv, '-c', rolldownConfig],
      cwd: dir,
      source: rolldownConfig,
      ...(t.installed ? {} : { detail: notInstalled('rolldown') }),
    });
  }
  const viteConfig = await firstFile(
    dir,
    JS_CONFIG.map((e) => `vite.config.${e}`),
  );
  if (viteConfig) {
    const t = await localTool(dir, 'vite');
    found.push({
      name: 'vite build',
      argv: [...t.argv, 'build'],
      cwd: dir,
      source: viteConfig,
      ...(t.installed ? {} : { detail: notInstalled('vite') }),
    });
  }
  return found;
}

/**
 * Put in front of a command that runs C/C++ compilers through a shell or a script: the C/C++ adapter
 * (server/src/core/collect/cc.ts) decides from the command's first word whether compiles are
 * profiled, and `cmake -E env CMD…` (which just runs CMD) is one it knows. Taken as a CMake configure,
 * so the adapter puts no clang shim on PATH that CMake could cache in the build directory; gcc is
 * still profiled (per translation unit, through COMPILER_PATH).
 */
export const CC_ADAPTER_PREFIX = ['cmake', '-E', 'env'];

async function onPath(cmd: string): Promise<boolean> {
  for (const d of (process.env.PATH ?? '').split(path.delimiter))
    if (d && (await isFile(path.join(d, cmd)))) return true;
  return false;
}

async function cmake(dir: string): Promise<DetectedBuild[]> {
  if (!(await isFile(path.join(dir, 'CMakeLists.txt')))) return [];
  const script = 'cmake -S . -B build && cmake --build build';
  return [
    {
      name: 'cmake --build build',
      argv: [...CC_ADAPTER_PREFIX, 'sh', '-c', script],
      cwd: dir,
      source: 'CMakeLists.txt',
      detail: `${script} (configure, then build, as one profile)`,
    },
  ];
}

async function make(dir: string): Promise<DetectedBuild[]> {
  const makefile = await firstFile(dir, ['GNUmakefile', 'makefile', 'Makefile']);
  if (!makefile) return [];
  return [
    {
      name: 'make',
      argv: ['make'],
      cwd: dir,
      source: makefile,
      detail: 'the default target; an up-to-date tree compiles nothing',
    },
  ];
}

/**
 * Runs the entries of a compilation database one after the other, each in its `directory`, and exits
 * with the first failing entry's code. Given as `node -e` so that a database of any size works (a
 * `sh -c` script of every command would hit the kernel's 128 KiB limit on one argument) and the
 * profile shows one compiler process at a time. `arguments` (argv) is run as is; `command` (one
 * string, shell-quoted by the tool that wrote it) through the shell.
 */
export const COMPILE_DB_RUNNER = [
  "const fs=require('fs'),cp=require('child_process'),path=require('path');",
  'const db=JSON.parse(fs.readFileSync(process.argv[1],"utf8"));',
  'for(const e of db){',
  'const cwd=path.resolve(path.dirname(process.argv[1]),e.directory||".");',
  'const r=Array.isArray(e.arguments)?cp.spawnSync(e.arguments[0],e.arguments.slice(1),{cwd,stdio:"inherit"}):cp.spawnSync(e.command,{cwd,stdio:"inherit",shell:true});',
  'if(r.error){console.error(String(r.error));process.exit(127)}',
  'if(r.status!==0)process.exit(r.status===null?1:r.status)',
  '}',
].join('');

async function compileDb(dir: string): Promise<DetectedBuild[]> {
  const file = path.join(dir, 'compile_commands.json');
  let db: unknown;
  try {
    db = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch {
    return [];
  }
  const runnable = Array.isArray(db)
    ? db.filter(
        (e) =>
          e &&
          typeof e === 'object' &&
          (Array.isArray(e.arguments) ? e.arguments.length > 0 : typeof e.command === 'string'),
      )
    : [];
  if (runnable.length === 0) return [];
  const n = runnable.length;
  const withCmake = await onPath('cmake');
  return [
    {
      name: `recompile ${n} translation unit${n === 1 ? '' : 's'}`,
      argv: [...(withCmake ? CC_ADAPTER_PREFIX : []), 'node', '-e', COMPILE_DB_RUNNER, 'compile_commands.json'],
      cwd: dir,
      source: 'compile_commands.json',
      detail: `runs each entry of compile_commands.json in its directory, one after the other${withCmake ? '' : ' (cmake is not on PATH: the compiles are not profiled one by one)'}`,
    },
  ];
}

/** The builds found at the root of `folder` (absolute), most likely first. Never throws for what it finds there. */
export async function detectBuilds(folder: string): Promise<DetectedBuild[]> {
  const dir = path.resolve(folder);
  const groups = await Promise.all([
    cargo(dir),
    packageScripts(dir),
    tsc(dir),
    bundlers(dir),
    cmake(dir),
    make(dir),
    compileDb(dir),
  ]);
  const seen = new Set<string>();
  const builds: DetectedBuild[] = [];
  for (const b of groups.flat()) {
    const key = JSON.stringify([b.cwd, b.argv]);
    if (seen.has(key)) continue;
    seen.add(key);
    builds.push(b);
  }
  return builds;
}
