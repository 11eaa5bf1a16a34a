// The runner on real process trees: how a build ends (ok, failed, killed, cancelled, timed out) is
// recorded, the profile so far is kept, and nothing of the tree survives a cancel.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import type { Profile } from '../server/src/core/model';
import { runBuild, SpawnError } from '../server/src/core/runner';
import { ms } from '../server/src/core/units';
import { isAlive } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-runner-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const node = process.execPath;
// A Node program that grows its heap to ~80 MiB over ~400 ms, then idles for `hold` ms.
const grow = (holdMs: number, exit = 0) =>
  `const a=[];let i=0;const t=setInterval(()=>{a.push(Buffer.alloc(8<<20,1));if(++i===10){clearInterval(t);setTimeout(()=>process.exit(${exit}),${holdMs})}},40)`;

describe('runner', () => {
  it('records an ok build with its output, its processes and an RSS series that saw the allocation', async () => {
    const out: string[] = [];
    const { profile, stdout } = await runBuild({
      argv: ['sh', '-c', `echo hello; ${node} -e '${grow(100)}'`],
      cwd: tmp,
      onOutput: (_s, t) => out.push(t),
    });
    expect(profile.run.status).toBe('ok');
    expect(profile.run.exitCode).toBe(0);
    expect(stdout).toContain('hello');
    expect(out.join('')).toContain('hello');
    const nodeProc = profile.processes.find((p) => p.argv[0]?.endsWith('node'));
    expect(nodeProc?.peakRssBytes).toBeGreaterThan(80 * 2 ** 20);
    const a = analyze(profile);
    expect(a.peak?.series).toBe('rss-tree');
    expect(a.peak!.bytes).toBeGreaterThan(80 * 2 ** 20);
    expect(a.peak!.pid).toBe(nodeProc!.pid);
  });

  it("a build that ends before the sampler's first look still has its process, its memory unknown", async () => {
    // `true` exits within a ms or two: the sampler misses it about one time in three here (more on a busy machine).
    const missed: Profile[] = [];
    for (let i = 0; i < 20; i++) {
      const { profile } = await runBuild({ argv: ['true'], cwd: tmp });
      expect(profile.run.status).toBe('ok');
      const root = profile.processes[0]!;
      expect(root).toMatchObject({ argv: ['true'], startMs: 0, role: 'build', label: 'true' });
      if (profile.warnings.some((w) => w.code === 'root-not-sampled')) missed.push(profile);
      else expect(root.peakRssBytes).toBeGreaterThanOrEqual(0);
    }
    for (const profile of missed) {
      expect(profile.processes).toHaveLength(1);
      expect(profile.processes[0]).toMatchObject({ peakRssBytes: null, endMs: profile.run.wallMs, exitCode: 0 });
      expect(profile.warnings.find((w) => w.code === 'root-not-sampled')!.message).toMatch(
        /^the build's process \(pid \d+\) ended before the sampler's first look at it \([\d.]+ ms\): its memory was not recorded$/,
      );
    }
  });

  it('marks a failing build failed with its exit code and keeps what was recorded', async () => {
    const { profile } = await runBuild({ argv: [node, '-e', grow(50, 3)], cwd: tmp });
    expect(profile.run).toMatchObject({ status: 'failed', exitCode: 3, statusReason: 'exited with code 3' });
    expect(analyze(profile).peak!.bytes).toBeGreaterThan(80 * 2 ** 20);
  });

  it('marks a build killed by a signal (as by the OOM killer) killed', async () => {
    const { profile } = await runBuild({ argv: ['sh', '-c', 'kill -9 $$'], cwd: tmp });
    expect(profile.run).toMatchObject({ status: 'killed', signal: 'SIGKILL' });
    expect(profile.run.statusReason).toMatch(/SIGKILL.*out-of-memory/);
  });

  it('on cancel stops every process of the tree and returns the profile marked cancelled', async () => {
    const abort = new AbortController();
    // Children and grandchildren, one of which ignores SIGTERM.
    const script = `${node} -e '${grow(60_000)}' & sh -c "trap '' TERM; sleep 60 & sleep 60; wait" & sleep 60 & wait`;
    let sawTree = false;
    const run = runBuild({
      argv: ['sh', '-c', script],
      cwd: tmp,
      signal: abort.signal,
      progressEveryMs: ms(50),
      killGraceMs: ms(500),
      onProgress: (p) => {
        if (p.processCount >= 6 && p.treeRssBytes > 60 * 2 ** 20 && !sawTree) {
          sawTree = true;
          abort.abort();
        }
      },
    });
    const { profile } = await run;
    expect(sawTree).toBe(true);
    expect(profile.run).toMatchObject({ status: 'cancelled', statusReason: 'cancelled by the user' });
    expect(profile.processes.length).toBeGreaterThanOrEqual(6);
    await new Promise((r) => setTimeout(r, 200));
    const alive = profile.processes.filter((p) => isAlive(p.pid));
    expect(alive.map((p) => `${p.pid} ${p.argv.join(' ')}`)).toEqual([]);
    expect(analyze(profile).peak!.bytes).toBeGreaterThan(60 * 2 ** 20);
  });

  it('stops the tree at the timeout and marks the profile killed', async () => {
    const { profile } = await runBuild({
      argv: ['sh', '-c', 'sleep 30 & sleep 30; wait'],
      cwd: tmp,
      timeoutMs: ms(300),
      killGraceMs: ms(300),
    });
    expect(profile.run).toMatchObject({ status: 'killed', statusReason: 'timed out after 300 ms' });
    expect(profile.run.wallMs).toBeLessThan(5000);
    expect(profile.processes.filter((p) => isAlive(p.pid))).toEqual([]);
  });

  it('says clearly when the command does not exist', async () => {
    await expect(runBuild({ argv: ['no-such-compiler-xyz', '--version'], cwd: tmp })).rejects.toThrowError(SpawnError);
    await expect(runBuild({ argv: ['no-such-compiler-xyz'], cwd: tmp })).rejects.toThrowError(
      /cannot run `no-such-compiler-xyz`: command not found/,
    );
  });
});
