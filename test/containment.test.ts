// Containment on real processes through the real CLI (dist/cli.js): daemons (setsid, double fork)
// are stopped and named, nothing holds `cmi profile` open after its build, and a build does not
// outlive cmi however cmi ends (SIGKILL, SIGHUP, two Ctrl-C). Each container is tested where it
// exists: a cgroup, the supervisor alone (CMI_CONTAINMENT=subreaper), the process group (a dist/
// without the supervisor). Each test marks its processes with a sleep duration of its own (31xx,
// 32xx, 33xx) so that parallel tests never see each other's.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBuildCgroup, ownCgroupDir, removeBuildCgroup } from '../server/src/core/containment/cgroup';
import type { ContainmentKind, Profile } from '../server/src/core/model';
import { readProfile } from '../server/src/core/profile-file';
import { cliPath, distDir, processesWithArg } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-contain-test-'));
const linux = process.platform === 'linux';
const hasSupervisor = linux && existsSync(path.join(distDir, 'cmi-contain'));
const cgroupWhy = (() => {
  if (!hasSupervisor) return 'no dist/cmi-contain';
  const probe = createBuildCgroup();
  if (!probe) return `no cgroup v2 directory can be created under ${ownCgroupDir() ?? '(no cgroup2 mount)'}`;
  void removeBuildCgroup(probe);
  return null;
})();
const markers: string[] = [];
afterAll(() => {
  // Whatever a failed test left behind (the assertions say so first).
  for (const m of markers) for (const p of processesWithArg(m)) process.kill(p.pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  out: string;
  tmpdir: string;
  /** Resolves with the exit code (or 128 + n for a signal) and the ms since the spawn. */
  ended: Promise<{ code: number; ms: number }>;
}

/** Starts `cmi profile … -- argv` with a private TMPDIR (where its cmi-run-* folder goes). */
function startCmi(
  name: string,
  argv: string[],
  opts: { cli?: string; env?: Record<string, string>; extra?: string[] } = {},
): Run {
  const tmpdir = path.join(tmp, `${name}-tmp`);
  mkdirSync(tmpdir);
  const out = path.join(tmp, `${name}.json`);
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [opts.cli ?? cliPath, 'profile', '--quiet', '--out', out, ...(opts.extra ?? []), '--', ...argv],
    { cwd: tmp, env: { ...process.env, TMPDIR: tmpdir, ...opts.env }, stdio: 'ignore' },
  );
  const ended = new Promise<{ code: number; ms: number }>((resolve) =>
    child.once('exit', (code, signal) =>
      resolve({ code: code ?? 128 + os.constants.signals[signal!], ms: performance.now() - t0 }),
    ),
  );
  return { child, out, tmpdir, ended };
}

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

/** Waits until a process with `marker` in its argv runs (the build has started). */
async function untilRunning(marker: string): Promise<void> {
  for (const end = performance.now() + 15_000; performance.now() < end; await sleep(50))
    if (processesWithArg(marker).some((p) => p.argv[0] === 'sleep')) return;
  throw new Error(`no process with ${marker} started`);
}

/** The processes with `marker` in their argv, a few seconds at most after they should be gone. */
async function survivors(marker: string, withinMs = 3000): Promise<string[]> {
  let left = processesWithArg(marker);
  for (const end = performance.now() + withinMs; left.length && performance.now() < end; await sleep(50))
    left = processesWithArg(marker);
  return left.map((p) => `${p.pid} ${p.argv.join(' ')}`);
}

function cmiRunDirs(tmpdir: string): string[] {
  return readdirSync(tmpdir).filter((f) => f.startsWith('cmi-run-'));
}

function warning(profile: Profile, code: string): string | undefined {
  return profile.warnings.find((w) => w.code === code)?.message;
}

/** One block of tests per container that stops daemons: the cgroup, and the supervisor alone. */
const supervised: { kind: ContainmentKind; env: Record<string, string>; base: number; skip: string | null }[] = [
  { kind: 'cgroup', env: {}, base: 3100, skip: cgroupWhy },
  {
    kind: 'subreaper',
    env: { CMI_CONTAINMENT: 'subreaper' },
    base: 3200,
    skip: hasSupervisor ? null : 'no dist/cmi-contain',
  },
];

for (const { kind, env, base, skip } of supervised) {
  describe.skipIf(skip !== null)(`containment: ${kind}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const m = (n: number) => {
      markers.push(String(base + n));
      return String(base + n);
    };

    it('a setsid daemon: cmi ends within 5 s of the root, names the daemon, and leaves nothing running', async () => {
      const marker = m(4);
      const run = startCmi(`daemon-${kind}`, ['bash', '-c', `(setsid sleep ${marker} &); sleep 1`], { env });
      const { code, ms } = await run.ended;
      expect(code).toBe(0);
      const profile = await readProfile(run.out);
      expect(profile.run.containment).toBe(kind);
      expect(ms - profile.run.wallMs).toBeLessThan(5000);
      expect(warning(profile, 'daemons-stopped')).toMatch(
        /^1 process\(es\) started by the build .* stopped: sleep \(pid \d+\)$/,
      );
      expect(await survivors(marker, 0)).toEqual([]);
      expect(cmiRunDirs(run.tmpdir)).toEqual([]);
    });

    it('a setsid daemon under --timeout-ms 500: ends within the timeout + 5 s, marked killed', async () => {
      const marker = m(5);
      const run = startCmi(`timeout-${kind}`, ['bash', '-c', `(setsid sleep ${marker} &); sleep 30`], {
        env,
        extra: ['--timeout-ms', '500'],
      });
      const { code, ms } = await run.ended;
      expect(code).toBe(4);
      expect(ms).toBeLessThan(500 + 5000);
      const profile = await readProfile(run.out);
      expect(profile.run).toMatchObject({
        status: 'killed',
        statusReason: 'timed out after 500 ms',
        containment: kind,
      });
      // The timeout stopped it: not news worth a warning.
      expect(warning(profile, 'daemons-stopped')).toBeUndefined();
      expect(await survivors(marker, 0)).toEqual([]);
    });

    it('a double fork: its grandchild is stopped and named too', async () => {
      const marker = m(6);
      const run = startCmi(`double-fork-${kind}`, ['sh', '-c', `sh -c "sleep ${marker} &" & sleep 1`], { env });
      const { code, ms } = await run.ended;
      expect(code).toBe(0);
      const profile = await readProfile(run.out);
      expect(ms - profile.run.wallMs).toBeLessThan(5000);
      expect(warning(profile, 'daemons-stopped')).toMatch(/stopped: sleep \(pid \d+\)$/);
      expect(await survivors(marker, 0)).toEqual([]);
    });

    it('SIGKILL of cmi mid-build (--no-journal): the build and its cmi-run-* folder are gone within seconds', async () => {
      const [a, b] = [m(7), m(8)];
      const run = startCmi(`sigkill-${kind}`, ['bash', '-c', `sleep ${a} & sleep ${b}`], {
        env,
        extra: ['--no-journal'],
      });
      await untilRunning(b);
      expect(cmiRunDirs(run.tmpdir)).toHaveLength(1);
      run.child.kill('SIGKILL');
      expect((await run.ended).code).toBe(137);
      expect(await survivors(a)).toEqual([]);
      expect(await survivors(b)).toEqual([]);
      for (let i = 0; i < 40 && cmiRunDirs(run.tmpdir).length; i++) await sleep(50);
      expect(cmiRunDirs(run.tmpdir)).toEqual([]);
      expect(existsSync(run.out)).toBe(false);
    });

    it('SIGKILL of cmi mid-build: the build is gone, its journal stays and reads as the profile so far', async () => {
      const [a, b] = [m(9), m(10)];
      const run = startCmi(`sigkill-journal-${kind}`, ['bash', '-c', `sleep ${a} & sleep ${b}`], { env });
      await untilRunning(b);
      await sleep(400); // past the journal's first flush
      run.child.kill('SIGKILL');
      expect((await run.ended).code).toBe(137);
      expect(await survivors(a)).toEqual([]);
      expect(await survivors(b)).toEqual([]);
      expect(existsSync(run.out)).toBe(false);
      expect(existsSync(path.join(`${run.out}.journal`, 'work'))).toBe(true); // the supervisor leaves it
      const summary = spawnSync(process.execPath, [cliPath, 'summary', `${run.out}.journal`], { encoding: 'utf8' });
      expect(summary.status).toBe(0);
      expect(summary.stdout).toMatch(/^Status: INCOMPLETE — the tool stopped at /m);
      expect(summary.stdout).toMatch(/RSS of sleep \(pid \d+\)/);
    });

    it('SIGHUP of cmi: the build stops, the profile is written marked cancelled, exit code 4', async () => {
      const [a, b] = [m(11), m(12)];
      const run = startCmi(`sighup-${kind}`, ['bash', '-c', `sleep ${a} & sleep ${b}`], { env });
      await untilRunning(b);
      run.child.kill('SIGHUP');
      expect((await run.ended).code).toBe(4);
      expect((await readProfile(run.out)).run).toMatchObject({
        status: 'cancelled',
        statusReason: 'cancelled by SIGHUP',
        containment: kind,
      });
      expect(await survivors(a, 0)).toEqual([]);
      expect(await survivors(b, 0)).toEqual([]);
      expect(cmiRunDirs(run.tmpdir)).toEqual([]);
    });

    it.runIf(kind === 'cgroup')('a supervisor killed mid-build: cmi empties the cgroup itself', async () => {
      const [a, b] = [m(20), m(21)];
      const run = startCmi(`supervisor-killed-${kind}`, ['bash', '-c', `(setsid sleep ${a} &); sleep ${b}`], { env });
      await untilRunning(b);
      const supervisor = processesWithArg(b).find((p) => p.argv[0]!.endsWith('cmi-contain'));
      process.kill(supervisor!.pid, 'SIGKILL');
      expect((await run.ended).code).toBe(4);
      expect(await survivors(a, 0)).toEqual([]);
      expect(await survivors(b, 0)).toEqual([]);
      expect((await readProfile(run.out)).run).toMatchObject({ status: 'killed', signal: 'SIGKILL' });
    });

    it('a build that ignores SIGTERM and two Ctrl-C: exit 130 at once, nothing left', async () => {
      const marker = m(9);
      // The ignored SIGTERM survives exec: the sleep ignores it too.
      const run = startCmi(`two-ctrl-c-${kind}`, ['bash', '-c', `trap "" TERM; sleep ${marker}; true`], { env });
      await untilRunning(marker);
      run.child.kill('SIGINT');
      await sleep(300);
      const second = performance.now();
      run.child.kill('SIGINT');
      const { code } = await run.ended;
      expect(code).toBe(130);
      expect(performance.now() - second).toBeLessThan(2500);
      expect(await survivors(marker, 0)).toEqual([]);
      expect((await readProfile(run.out)).run.status).toBe('cancelled');
    });
  });
}

describe.runIf(linux && hasSupervisor)('containment: without the supervisor (a dist/ without cmi-contain)', () => {
  // What a build of the extension without a C compiler has: the process group and the sampler's pids.
  const bare = path.join(tmp, 'dist-without-contain');
  cpSync(distDir, bare, { recursive: true, filter: (src) => path.basename(src) !== 'cmi-contain' });
  const cli = path.join(bare, 'cli.js');

  it('stops a plain build at the timeout and says which containment it had', async () => {
    markers.push('3313', '3314');
    const run = startCmi('pg-timeout', ['sh', '-c', 'sleep 3313 & sleep 3314; wait'], {
      cli,
      extra: ['--timeout-ms', '500'],
    });
    const { code, ms } = await run.ended;
    expect(code).toBe(4);
    expect(ms).toBeLessThan(500 + 5000);
    const profile = await readProfile(run.out);
    expect(profile.run).toMatchObject({ status: 'killed', containment: 'process-group' });
    expect(warning(profile, 'containment-weak')).toMatch(/^the build ran in its process group only/);
    expect(await survivors('3313', 0)).toEqual([]);
    expect(await survivors('3314', 0)).toEqual([]);
  });

  it('Ctrl-C stops a plain build, and a daemon cannot hold cmi open', async () => {
    markers.push('3315', '3316');
    const run = startCmi('pg-ctrl-c', ['sh', '-c', 'sleep 3315 & sleep 3316; wait'], { cli });
    await untilRunning('3316');
    run.child.kill('SIGINT');
    expect((await run.ended).code).toBe(4);
    expect(await survivors('3315', 0)).toEqual([]);
    // A daemon the sampler never saw may survive the process group, but it no longer holds cmi open.
    const daemon = startCmi('pg-daemon', ['bash', '-c', '(setsid sleep 3317 &); sleep 1'], { cli });
    markers.push('3317');
    const { code, ms } = await daemon.ended;
    expect(code).toBe(0);
    expect(ms - (await readProfile(daemon.out)).run.wallMs).toBeLessThan(5000);
  });
});
