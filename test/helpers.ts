// Shared by the test files: where things are, and small utilities over real processes.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Profile, RunFacts } from '../server/src/core/model';
import { profileBuild } from '../server/src/core/profile-build';
import { epochMs, ms } from '../server/src/core/units';

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

/** The example workspace: tinyc, the bundling compiler whose AST arenas `--free-asts` frees early. */
export const tinycDir = path.join(repoRoot, 'examples', 'workspace');

/**
 * Profiles the example compiler both ways, as the comparisons check it: ASTs held to the end, and
 * freed after their last reader (`--free-asts`). Installs and builds the example first when needed.
 */
export async function profileTinycBothWays(outDir: string): Promise<{ held: Profile; freed: Profile }> {
  if (!existsSync(path.join(tinycDir, 'node_modules', 'typescript')))
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--silent'], { cwd: tinycDir, stdio: 'inherit' });
  if (!existsSync(path.join(tinycDir, 'out', 'main.js')))
    execFileSync(process.execPath, [path.join(tinycDir, 'node_modules', 'typescript', 'lib', 'tsc.js'), '-p', '.'], {
      cwd: tinycDir,
      stdio: 'inherit',
    });
  const run = (extra: string[]) =>
    profileBuild({
      argv: ['node', '--expose-gc', 'out/main.js', ...extra, '--out', path.join(outDir, `tinyc${extra.join('')}`)],
      cwd: tinycDir,
      noTraceFile: true,
      // A full GC at every phase boundary: the live V8 heap's peak is then the same moment in every
      // run. The default (sparse) policy can miss a boundary on a loaded machine and place the peak
      // earlier, where fewer arenas are past their last use; it is tested in node-live-heap.test.ts.
      preciseHeap: true,
    });
  const held = await run([]);
  const freed = await run(['--free-asts']);
  return { held, freed };
}

/** Run facts of an empty profile (with `overrides`), for tests that build a profile by hand. */
export function blankRunFacts(overrides: Partial<RunFacts> = {}): RunFacts {
  return {
    command: [],
    cwd: '',
    startedAt: '',
    startEpochMs: epochMs(0),
    wallMs: ms(0),
    exitCode: 0,
    signal: null,
    status: 'ok',
    tools: {},
    sources: [],
    ...overrides,
  };
}

/** Living processes (not zombies) with `marker` in one of their arguments, from /proc (Linux). */
export function processesWithArg(marker: string): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (argv.some((a) => a.includes(marker)) && isAlive(pid)) found.push({ pid, argv });
  }
  return found;
}
