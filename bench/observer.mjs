// The observer effect: how much the instrumentation inflates the memory it measures. Each build runs
// alone and under `cmi profile` (runs alternate, the order swapping every pair), and its peak is the
// kernel's maximum RSS of the compiler's own process (`/usr/bin/time -f %M` around it on both sides:
// under `cmi profile` the preload still reaches it through NODE_OPTIONS). The figure is the median of
// the paired ratios instrumented peak / plain peak.                               target 0.98–1.02
//
//   tsc (example)   examples/workspace: `node node_modules/typescript/lib/tsc.js -p .` (~210 MiB)
//   tsc (this repo) this repository's own sources type-checked (`tsc --noEmit -p .`): ~450 MiB, and real
//   tsc (generated) 550 generated modules (a chain of generic interfaces, recursive mapped types and key
//                   remapping: makeBigProject below), built with declarations: ~1.1 GiB
//
// BUILDS is the list: a native build (the example's C or Rust compiler under the allocator preload)
// can be added there as one more entry; nothing else is specific to tsc.
//
//   node bench/observer.mjs [--runs N]       (or `npm run bench -- --only observer`, which builds dist/ first)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultReport, median, pairRange, runWhenMain } from './stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ws = path.join(root, 'examples', 'workspace');
const TIME = '/usr/bin/time';

/** The builds measured: `argv` runs in `cwd`; `out` (optional) adds an output folder under the bench's tmp. */
const BUILDS = [
  {
    name: 'tsc (example workspace)',
    cwd: ws,
    argv: (tmp) => [
      process.execPath,
      path.join(ws, 'node_modules', 'typescript', 'lib', 'tsc.js'),
      '-p',
      '.',
      '--outDir',
      path.join(tmp, 'out'),
    ],
  },
  {
    name: 'tsc (generated project, 550 modules)',
    cwd: undefined, // set to the generated project's folder
    prepare: (tmp) => makeBigProject(path.join(tmp, 'big'), 550),
    argv: (tmp) => [
      process.execPath,
      path.join(ws, 'node_modules', 'typescript', 'lib', 'tsc.js'),
      '-p',
      path.join(tmp, 'big'),
      '--outDir',
      path.join(tmp, 'big-out'),
    ],
  },
  {
    name: "tsc (this repository's sources, --noEmit)",
    cwd: root,
    argv: () => [
      process.execPath,
      path.join(root, 'node_modules', 'typescript', 'lib', 'tsc.js'),
      '--noEmit',
      '-p',
      '.',
    ],
  },
];

/**
 * A TypeScript project whose tsc build peaks near 1 GiB with `n` = 550: modules in a chain, each with a
 * 20-field interface, a recursive mapped type, a key-remapping type and 30 generic functions.
 */
function makeBigProject(dir, n) {
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  for (let i = 0; i < n; i++) {
    let s = '';
    if (i > 0) s += `import { Model${i - 1}, Deep${i - 1}, make${i - 1} } from './m${i - 1}';\n`;
    const fields = Array.from({ length: 20 }, (_, k) => `f${k}: ${k % 3 ? 'string' : 'number'}`).join('; ');
    s += `export interface Model${i} { id: number; name: string; tags: string[]; nested: { a: number; b: string; c: boolean[] }; ${fields} }\n`;
    s += `export type Deep${i}<T> = { [K in keyof T]: T[K] extends object ? Deep${i}<T[K]> : T[K] | null };\n`;
    s += `type Keys${i} = { [K in keyof Model${i} as \`get\${Capitalize<K & string>}\`]: () => Model${i}[K] };\n`;
    s += `export function make${i}(x: Partial<Model${i}>): Deep${i}<Model${i}> { return x as Deep${i}<Model${i}>; }\n`;
    for (let k = 0; k < 30; k++)
      s += `export function fn${i}_${k}<T extends Model${i}>(a: T, b: Keys${i}): Deep${i}<T> & { extra: string } { const r = { ...a, id: a.id + ${k} }; const g = b.getName(); return { ...(r as unknown as Deep${i}<T>), extra: g }; }\n`;
    if (i > 0) s += `export const v${i}: Deep${i - 1}<Model${i - 1}> = make${i - 1}({ id: 1 });\n`;
    writeFileSync(path.join(dir, 'src', `m${i}.ts`), s);
  }
  const compilerOptions = {
    strict: true,
    target: 'es2022',
    module: 'commonjs',
    declaration: true,
    rootDir: 'src',
    skipLibCheck: true,
    types: [],
  };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
  return dir;
}

/** Max RSS (bytes) of `argv` run alone, or under `cmi profile` when `profiled`. */
function peakBytes(build, tmp, profiled) {
  const timeFile = path.join(tmp, 'time.txt');
  rmSync(timeFile, { force: true });
  const measured = [TIME, '-o', timeFile, '-f', '%M', ...build.argv(tmp)];
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const argv = profiled
    ? [
        process.execPath,
        path.join(root, 'dist', 'cli.js'),
        'profile',
        '--quiet',
        '--out',
        path.join(tmp, 'profile.json'),
        '--',
        ...measured,
      ]
    : measured;
  const r = spawnSync(argv[0], argv.slice(1), { cwd: build.cwd, env, stdio: 'ignore' });
  if (r.status !== 0 && r.status !== 2) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  return Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) * 1024;
}

export async function benchObserver({ report = defaultReport, tmpDir, runs = 5 } = {}) {
  if (!existsSync(TIME)) {
    console.log(`observer effect: skipped (${TIME} is missing: scripts/install-test-deps.sh installs it)`);
    return;
  }
  if (!existsSync(path.join(ws, 'node_modules', 'typescript')))
    execFileSync('npm', ['ci', '--silent', '--no-audit', '--no-fund'], { cwd: ws, stdio: 'inherit' });
  const tmp = mkdtempSync(path.join(tmpDir ?? os.tmpdir(), 'cmi-bench-observer-'));
  try {
    for (const build of BUILDS) {
      if (build.prepare) build.cwd = build.prepare(tmp);
      const plain = [];
      const profiled = [];
      for (let i = 0; i < runs; i++) {
        // Alternate which side runs first: a machine whose load drifts affects both.
        const order = i % 2 ? [true, false] : [false, true];
        for (const p of order) (p ? profiled : plain).push(peakBytes(build, tmp, p));
      }
      const ratios = profiled.map((x, k) => x / plain[k]);
      const mib = (b) => (b / 2 ** 20).toFixed(1);
      report(
        `peak under cmi profile / alone: ${build.name} (median of ${runs} paired ratios)`,
        ratios,
        `median ${mib(median(profiled))} MiB profiled vs ${mib(median(plain))} MiB alone; ${pairRange(ratios)}`,
        '0.98–1.02',
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await runWhenMain(import.meta.url, 5, benchObserver);
