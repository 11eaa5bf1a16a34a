// tsc however it is launched (issue 19): an npm, pnpm or yarn script, `npm exec`, `npx`,
// `node_modules/.bin/tsc`, TypeScript's `bin/tsc`, the `lib/tsc.js` of TypeScript 5.x. Each form is
// profiled with every instrumentation (as `cmi profile` does) and run once more without cmi: tsc's
// phases are recorded, no diagnostics flag is in any argv the sampler saw, and the build's output is
// the same, byte for byte (apart from the timing line yarn prints itself).
//
// The projects are test/workspaces/tsc-small with a node_modules laid out as each package manager
// lays it out, linking the repository's TypeScript 6. pnpm, yarn and TypeScript 5.x are taken from
// PATH or installed once with npm into ~/.cache/cmi-test (from its cache or the registry); a suite
// whose tool cannot be had is skipped and says why.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Profile } from '../server/src/core/model';
import { profileBuildWithOutput } from '../server/src/core/profile-build';
import { distDir, repoRoot } from './helpers';

const SMALL = path.join(repoRoot, 'test', 'workspaces', 'tsc-small');
const TS6 = path.join(repoRoot, 'node_modules', 'typescript');
const TS6_VERSION = (JSON.parse(readFileSync(path.join(TS6, 'package.json'), 'utf8')) as { version: string }).version;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-tsc-launch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An npm package installed once into ~/.cache/cmi-test/<dir> (its folder), or why it could not be. */
function cachedPackage(dir: string, spec: string): { root: string } | { skip: string } {
  const root = path.join(os.homedir(), '.cache', 'cmi-test', dir);
  const name = spec.replace(/(.)@.*$/, '$1');
  if (existsSync(path.join(root, 'node_modules', name, 'package.json'))) return { root };
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, 'package.json'), '{"private":true}\n');
  const r = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', spec], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status !== 0) return { skip: `npm could not install ${spec}: ${(r.stderr || String(r.error)).trim()}` };
  return { root };
}

/** A package manager on PATH, else installed with npm: the path of its executable, or why not. */
function packageManager(name: 'pnpm' | 'yarn', spec: string): { bin: string } | { skip: string } {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return { bin: which.stdout.trim() };
  const pkg = cachedPackage(name, spec);
  return 'skip' in pkg ? pkg : { bin: path.join(pkg.root, 'node_modules', '.bin', name) };
}

/**
 * tsc-small as a project whose `build` script is `tsc -p .`, with `typescript` (the folder of an
 * installed TypeScript) in its node_modules as npm or pnpm puts it there.
 */
function project(name: string, typescript: string, layout: 'npm' | 'pnpm' = 'npm', build = 'tsc -p .'): string {
  const dir = path.join(tmp, name);
  cpSync(SMALL, dir, { recursive: true });
  rmSync(path.join(dir, 'README.md'));
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name, version: '1.0.0', private: true, scripts: { build } }, null, 2)}\n`,
  );
  const nm = path.join(dir, 'node_modules');
  mkdirSync(path.join(nm, '.bin'), { recursive: true });
  if (layout === 'npm') {
    symlinkSync(typescript, path.join(nm, 'typescript'));
    symlinkSync('../typescript/bin/tsc', path.join(nm, '.bin', 'tsc'));
  } else {
    // pnpm: the package in its virtual store, a link to it, and a shell script for its bin.
    const store = path.join(nm, '.pnpm', 'typescript@6.0.3', 'node_modules');
    mkdirSync(store, { recursive: true });
    symlinkSync(typescript, path.join(store, 'typescript'));
    symlinkSync('.pnpm/typescript@6.0.3/node_modules/typescript', path.join(nm, 'typescript'));
    writeFileSync(
      path.join(nm, '.bin', 'tsc'),
      [
        '#!/bin/sh',
        `basedir=$(dirname "$(echo "$0" | sed -e 's,\\\\,/,g')")`,
        'if [ -z "$NODE_PATH" ]; then',
        `  export NODE_PATH="${store}"`,
        'else',
        `  export NODE_PATH="${store}:$NODE_PATH"`,
        'fi',
        'if [ -x "$basedir/node" ]; then',
        '  exec "$basedir/node"  "$basedir/../typescript/bin/tsc" "$@"',
        'else',
        '  exec node  "$basedir/../typescript/bin/tsc" "$@"',
        'fi',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }
  return dir;
}

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Lines a tool prints about its own timing, which differ from run to run. */
const TIMING_LINE = /^(✨ {2})?Done in [\d.]+m?s\.$/gm;
const untimed = (s: string) => s.replace(TIMING_LINE, 'Done in <time>.');

/** The build run without cmi. */
function plainRun(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  rmSync(path.join(cwd, 'out'), { recursive: true, force: true });
  rmSync(path.join(cwd, 'tsconfig.tsbuildinfo'), { force: true });
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env, encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

/** The build profiled as `cmi profile` profiles it. */
async function profiledRun(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run & { profile: Profile }> {
  rmSync(path.join(cwd, 'out'), { recursive: true, force: true });
  rmSync(path.join(cwd, 'tsconfig.tsbuildinfo'), { force: true });
  const out = { stdout: '', stderr: '' };
  const { profile } = await profileBuildWithOutput({
    argv,
    cwd,
    env,
    distDir,
    onOutput: (stream, text) => {
      out[stream] += text;
    },
  });
  return { ...out, code: profile.run.exitCode, profile };
}

/** Profiles `argv` and runs it without cmi, and checks what a user would check. */
async function expectInstrumentedInMemory(
  argv: string[],
  cwd: string,
  opts: { env?: NodeJS.ProcessEnv; tsVersion?: string; phases?: string[] } = {},
): Promise<void> {
  const env = { ...process.env, ...opts.env };
  const plain = plainRun(argv, cwd, env);
  const prof = await profiledRun(argv, cwd, env);
  const p = prof.profile;

  // No flag added: not in any process the sampler saw, and no warning that one was.
  for (const proc of p.processes) expect(proc.argv.join(' ')).not.toMatch(/diagnostics/i);
  expect(p.warnings.filter((w) => w.code.startsWith('tsc-'))).toEqual([]);

  // tsc's phases, in the Node process that ran its script.
  const tscProc = p.processes.filter((proc) => proc.argv.some((a) => /[\\/]tsc$|[\\/]tsc\.js$/.test(a)));
  const tscPids = new Set(tscProc.map((proc) => proc.pid));
  expect(tscPids.size, p.processes.map((x) => x.argv.join(' ')).join('\n')).toBeGreaterThan(0);
  const names = new Set(p.phases.filter((ph) => ph.category === 'tsc' && tscPids.has(ph.pid!)).map((ph) => ph.name));
  for (const name of ['Program', 'Parse', 'Bind', 'Check', 'Emit', ...(opts.phases ?? [])])
    expect(names, name).toContain(name);
  if (opts.tsVersion) expect(p.run.tools.typescript).toBe(opts.tsVersion);

  // The build's output, as the user sees it without cmi.
  expect(prof.code).toBe(plain.code);
  expect(untimed(prof.stdout)).toBe(untimed(plain.stdout));
  expect(untimed(prof.stderr)).toBe(untimed(plain.stderr));
  expect(prof.stdout).not.toMatch(/Check time/);
}

const SLOW = 120_000;

describe('tsc launched through npm and its bins (TypeScript 6)', () => {
  const dir = project('npm-project', TS6);

  it('npm run build ("build": "tsc -p .")', { timeout: SLOW }, async () => {
    await expectInstrumentedInMemory(['npm', 'run', 'build'], dir, { tsVersion: TS6_VERSION });
  });

  it('npm exec tsc -- -p .', { timeout: SLOW }, async () => {
    await expectInstrumentedInMemory(['npm', 'exec', 'tsc', '--', '-p', '.'], dir);
  });

  it('npx tsc -p .', { timeout: SLOW }, async () => {
    await expectInstrumentedInMemory(['npx', 'tsc', '-p', '.'], dir);
  });

  it('node_modules/.bin/tsc -p .', { timeout: SLOW }, async () => {
    await expectInstrumentedInMemory(['node_modules/.bin/tsc', '-p', '.'], dir);
  });

  it('node node_modules/typescript/bin/tsc -p .', { timeout: SLOW }, async () => {
    await expectInstrumentedInMemory(['node', 'node_modules/typescript/bin/tsc', '-p', '.'], dir);
  });

  it('npm run build ("build": "tsc -b"): the build mode too, with its own phases', { timeout: SLOW }, async () => {
    const build = project('npm-build-mode', TS6, 'npm', 'tsc -b');
    await expectInstrumentedInMemory(['npm', 'run', 'build'], build, { phases: ['Up-to-date check'] });
  });

  it('with errors: tsc prints them and fails as it would (bin/tsc)', { timeout: SLOW }, async () => {
    const broken = project('npm-broken', TS6);
    writeFileSync(path.join(broken, 'src', 'broken.ts'), 'export const n: number = "not a number";\n');
    await expectInstrumentedInMemory(['npm', 'run', 'build'], broken);
  });
});

const pnpm = packageManager('pnpm', 'pnpm@10');
describe.skipIf('skip' in pnpm)(`pnpm${'skip' in pnpm ? ` (skipped: ${pnpm.skip})` : ''}`, () => {
  const bin = 'bin' in pnpm ? pnpm.bin : '';
  const dir = project('pnpm-project', TS6, 'pnpm');

  it('pnpm run build (its .bin/tsc is a shell script; TypeScript in its store)', { timeout: SLOW }, async () => {
    await expectInstrumentedInMemory([bin, 'run', 'build'], dir, { tsVersion: TS6_VERSION });
  });

  it('pnpm exec tsc -p .', { timeout: SLOW }, async () => {
    await expectInstrumentedInMemory([bin, 'exec', 'tsc', '-p', '.'], dir);
  });
});

const yarn = packageManager('yarn', 'yarn@1');
describe.skipIf('skip' in yarn)(`yarn${'skip' in yarn ? ` (skipped: ${yarn.skip})` : ''}`, () => {
  const bin = 'bin' in yarn ? yarn.bin : '';
  const dir = project('yarn-project', TS6);

  it('yarn run build', { timeout: SLOW }, async () => {
    await expectInstrumentedInMemory([bin, 'run', 'build'], dir, { tsVersion: TS6_VERSION });
  });

  it('yarn tsc -p .', { timeout: SLOW }, async () => {
    await expectInstrumentedInMemory([bin, 'tsc', '-p', '.'], dir);
  });
});

// 5.0: the compiler in lib/tsc.js itself; 5.9: in lib/_tsc.js, which lib/tsc.js requires. (tsc 5.0
// reports an error in tsc-small that 6 does not: its output is compared all the same.)
for (const version of ['5.0.4', '5.9.3']) {
  const ts = cachedPackage(`typescript-${version}`, `typescript@${version}`);
  describe.skipIf('skip' in ts)(`TypeScript ${version}${'skip' in ts ? ` (skipped: ${ts.skip})` : ''}`, () => {
    const typescript = 'root' in ts ? path.join(ts.root, 'node_modules', 'typescript') : '';
    const dir = 'root' in ts ? project(`ts-${version}`, typescript) : '';

    it('npm run build', { timeout: SLOW }, async () => {
      await expectInstrumentedInMemory(['npm', 'run', 'build'], dir, { tsVersion: version });
    });

    it('node node_modules/typescript/lib/tsc.js -p .', { timeout: SLOW }, async () => {
      await expectInstrumentedInMemory(['node', 'node_modules/typescript/lib/tsc.js', '-p', '.'], dir, {
        tsVersion: version,
      });
    });
  });
}
