// Build detection on real folders: what a folder's root offers, in which order, and that what is
// detected runs (a Makefile with the real gcc, a package.json script through npm, a compilation
// database) through the engine's profileBuild.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectBuilds, type DetectedBuild } from '../common/detect-builds';
import { profileBuildWithOutput } from '../server/src/core/profile-build';
import { distDir, repoRoot } from './helpers';
import { buildLines, text } from './dump';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-detect-builds-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh folder with these files (path → content). */
function folder(files: Record<string, string>): string {
  const dir = path.join(tmp, `f${n++}`);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** One line per build: name ← source: argv (the folder shown as .). */
function dump(builds: DetectedBuild[], dir: string): string {
  return text(buildLines(builds, dir), { finalNewline: false });
}

describe('detectBuilds', () => {
  it('offers everything a root holds, most likely first, the package scripts before the tool configs', async () => {
    const dir = folder({
      'Cargo.toml': '[package]\nname = "x"\nversion = "0.1.0"\n',
      'package.json': JSON.stringify({
        scripts: { test: 'vitest', 'build:web': 'vite build', build: 'tsc -p .', lint: 'eslint .', compile: 'tsc' },
      }),
      'pnpm-lock.yaml': 'lockfileVersion: 9.0\n',
      'tsconfig.json': '{}',
      'rollup.config.mjs': 'export default {}',
      'rolldown.config.ts': 'export default {}',
      'vite.config.ts': 'export default {}',
      'CMakeLists.txt': 'project(x C)\n',
      Makefile: 'all:\n\ttrue\n',
      'compile_commands.json': JSON.stringify([
        { directory: '.', arguments: ['gcc', '-c', 'a.c'], file: 'a.c' },
        { directory: '.', command: 'gcc -c b.c', file: 'b.c' },
        { directory: '.', file: 'no-command.c' },
      ]),
    });
    const builds = await detectBuilds(dir);
    expect(dump(builds, dir)).toBe(
      [
        'cargo build ← Cargo.toml: cargo build',
        'pnpm run build ← package.json script "build": pnpm run build',
        'pnpm run compile ← package.json script "compile": pnpm run compile',
        'pnpm run build:web ← package.json script "build:web": pnpm run build:web',
        'tsc -p . ← tsconfig.json: npx --no-install tsc -p .',
        'rollup -c rollup.config.mjs ← rollup.config.mjs: npx --no-install rollup -c rollup.config.mjs',
        'rolldown -c rolldown.config.ts ← rolldown.config.ts: npx --no-install rolldown -c rolldown.config.ts',
        'vite build ← vite.config.ts: npx --no-install vite build',
        'cmake --build build ← CMakeLists.txt: cmake -E env sh -c cmake -S . -B build && cmake --build build',
        'make ← Makefile: make',
        'recompile 2 translation units ← compile_commands.json: cmake -E env node -e <script> compile_commands.json',
      ].join('\n'),
    );
    expect(builds.every((b) => b.cwd === dir)).toBe(true);
    expect(builds.find((b) => b.source === 'package.json script "build"')?.detail).toBe('tsc -p .');
  });

  it('takes the package manager from the lockfile, and tools from node_modules when installed', async () => {
    const dir = folder({
      'package.json': JSON.stringify({ scripts: { bundle: 'rollup -c' } }),
      'yarn.lock': '',
      'rollup.config.js': 'export default {}',
      'node_modules/.bin/rollup': '#!/usr/bin/env node\n',
      'tsconfig.json': '{}',
      'node_modules/typescript/lib/tsc.js': '',
    });
    expect(dump(await detectBuilds(dir), dir)).toBe(
      [
        'yarn run bundle ← package.json script "bundle": yarn run bundle',
        'tsc -p . ← tsconfig.json: node node_modules/typescript/lib/tsc.js -p .',
        'rollup -c rollup.config.js ← rollup.config.js: node_modules/.bin/rollup -c rollup.config.js',
      ].join('\n'),
    );
  });

  it('offers nothing for an empty folder, a folder that does not exist, or files it cannot read, and looks at the root only', async () => {
    expect(await detectBuilds(folder({}))).toEqual([]);
    expect(await detectBuilds(path.join(tmp, 'missing'))).toEqual([]);
    expect(
      await detectBuilds(
        folder({
          'package.json': '{"scripts": {"build": "tsc"',
          'compile_commands.json': '[',
          'sub/Makefile': 'all:\n',
        }),
      ),
    ).toEqual([]);
    // A directory named like a build file is not one.
    expect(
      await detectBuilds(
        folder({ 'Makefile/readme': '', 'package.json': JSON.stringify({ scripts: { build: '', test: 'x' } }) }),
      ),
    ).toEqual([]);
  });

  it("detects the repository's test workspaces", async () => {
    const ws = (name: string) => path.join(repoRoot, 'test/workspaces', name);
    const t0 = performance.now();
    const found = await Promise.all(
      ['tsc-small', 'cargo-std', 'c-multi', 'rollup-small'].map(async (name) =>
        dump(await detectBuilds(ws(name)), ws(name)),
      ),
    );
    const ms = performance.now() - t0;
    expect(found).toEqual([
      'tsc -p . ← tsconfig.json: npx --no-install tsc -p .',
      'cargo build ← Cargo.toml: cargo build',
      'make ← Makefile: make',
      'rollup -c rollup.config.mjs ← rollup.config.mjs: node_modules/.bin/rollup -c rollup.config.mjs',
    ]);
    console.log(`detectBuilds on 4 workspaces: ${ms.toFixed(1)} ms`);
  });
});

describe('detected builds run through the engine', () => {
  const copyCMulti = () => {
    const dir = path.join(tmp, `c-multi-${n++}`);
    fs.cpSync(path.join(repoRoot, 'test/workspaces/c-multi'), dir, { recursive: true });
    return dir;
  };
  const SOURCES = ['hashtab.c', 'lexer.c', 'main.c', 'parser.c', 'strbuf.c', 'vm.c'];
  const tuNames = (phases: { name: string; category?: string | undefined }[]) =>
    phases
      .filter((p) => p.category === 'translation-unit')
      .map((p) => p.name)
      .sort();

  it('a Makefile: make with the real gcc, one phase per translation unit', async () => {
    const dir = copyCMulti();
    const [build] = await detectBuilds(dir);
    expect(build?.argv).toEqual(['make']);
    const { profile } = await profileBuildWithOutput({ argv: build!.argv, cwd: build!.cwd, distDir });
    expect(profile.run.status).toBe('ok');
    expect(fs.existsSync(path.join(dir, 'minivm'))).toBe(true);
    expect(tuNames(profile.phases)).toEqual(SOURCES);
  }, 120_000);

  it('a CMakeLists.txt: configure and build as one profile, one phase per translation unit', async () => {
    const dir = copyCMulti();
    fs.rmSync(path.join(dir, 'Makefile'));
    fs.writeFileSync(
      path.join(dir, 'CMakeLists.txt'),
      `cmake_minimum_required(VERSION 3.10)\nproject(minivm C)\nadd_executable(minivm ${SOURCES.join(' ')})\n`,
    );
    const [build] = await detectBuilds(dir);
    expect(build?.source).toBe('CMakeLists.txt');
    const { profile } = await profileBuildWithOutput({ argv: build!.argv, cwd: build!.cwd, distDir });
    expect(profile.run.status).toBe('ok');
    expect(fs.existsSync(path.join(dir, 'build', 'minivm'))).toBe(true);
    // CMake's own probe compiles (CMakeCCompilerId.c, …) come before the project's.
    expect(tuNames(profile.phases).filter((t) => SOURCES.includes(t))).toEqual(SOURCES);
  }, 120_000);

  it('a compilation database: each entry recompiled, one phase per translation unit, the first failure ends it', async () => {
    const dir = copyCMulti();
    const entries = SOURCES.map((s, i) =>
      i % 2
        ? { directory: dir, file: s, command: `gcc -O2 -c ${s} -o ${s.replace(/c$/, 'o')}` }
        : { directory: '.', file: s, arguments: ['gcc', '-O2', '-c', s, '-o', s.replace(/c$/, 'o')] },
    );
    fs.writeFileSync(path.join(dir, 'compile_commands.json'), JSON.stringify(entries));
    const db = (await detectBuilds(dir)).find((b) => b.source === 'compile_commands.json')!;
    expect(db.name).toBe('recompile 6 translation units');
    const { profile } = await profileBuildWithOutput({ argv: db.argv, cwd: db.cwd, distDir });
    expect(profile.run.status).toBe('ok');
    expect(tuNames(profile.phases)).toEqual(SOURCES);
    for (const s of SOURCES) expect(fs.existsSync(path.join(dir, s.replace(/c$/, 'o'))), s).toBe(true);

    fs.writeFileSync(
      path.join(dir, 'compile_commands.json'),
      JSON.stringify([{ directory: '.', file: 'x.c', command: 'exit 3' }, ...entries]),
    );
    const failing = await profileBuildWithOutput({ argv: db.argv, cwd: db.cwd, distDir, noCc: true });
    expect(failing.profile.run).toMatchObject({ status: 'failed', exitCode: 3 });
  }, 120_000);

  it('a package.json script: npm run build, its Node process instrumented by the preload', async () => {
    const dir = folder({
      'package.json': JSON.stringify({ name: 'x', private: true, scripts: { build: 'node build.js' } }),
      'build.js':
        "const { performance } = require('node:perf_hooks');\nperformance.mark('a');\nconst a = [];\nfor (let i = 0; i < 20; i++) a.push(Buffer.alloc(1 << 20, 1));\nperformance.measure('bundle', 'a');\nconsole.log('built', a.length);\n",
    });
    const [build] = await detectBuilds(dir);
    expect(build).toMatchObject({
      name: 'npm run build',
      argv: ['npm', 'run', 'build'],
      source: 'package.json script "build"',
      detail: 'node build.js',
    });
    const { profile, stdout } = await profileBuildWithOutput({ argv: build!.argv, cwd: build!.cwd, distDir });
    expect(profile.run.status).toBe('ok');
    expect(stdout).toContain('built 20');
    expect(profile.phases.map((p) => p.name)).toContain('bundle');
  }, 120_000);
});
