// listDescendants and killTree on real process trees (sh, sleep, node): after killTree every process
// of the tree is gone, including children that ignore SIGTERM and children that were reparented,
// and nothing outside the tree is touched.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProcessTreeSampler } from '../server/src/core/collect/sampler/process-tree-sampler';
import { killTree, listDescendants } from '../server/src/core/collect/sampler/process-tree';
import { epochMs, ms } from '../server/src/core/units';

const posix = process.platform !== 'win32';
const linux = process.platform === 'linux';

let dir: string;
const spawned: ChildProcess[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-process-tree-'));
});
afterEach(async () => {
  // Whatever a failed test left behind.
  for (const child of spawned.splice(0)) if (child.pid) await killTree(child.pid, { graceMs: ms(100) });
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts a command the way the runner does: detached, so it leads its own process group. */
function start(argv: string[]): ChildProcess & { pid: number } {
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
  spawned.push(child);
  if (!child.pid) throw new Error(`cannot spawn ${argv[0]}`);
  return child as ChildProcess & { pid: number };
}

/** True when the pid is gone or a zombie (exited, waiting to be reaped: no longer running). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  if (!linux) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

function ppidOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const readPid = (file: string) =>
  fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').trim()) || undefined : undefined;

describe.skipIf(!posix)('killTree', () => {
  it('stops a whole tree: grandchildren, SIGTERM-ignoring children, and children reparented before and during the kill', async () => {
    const early = path.join(dir, 'early-orphan.pid');
    const late = path.join(dir, 'late-orphan.pid');
    const script = [
      'sleep 300 &', // a child
      "sh -c 'sleep 300 & sleep 300 & wait' &", // a child with two grandchildren
      `sh -c 'trap "" TERM; sleep 300 & wait' &`, // ignores SIGTERM, and so does its sleep (SIG_IGN survives exec)
      // Its parent exits at once: this sleep is reparented to init before killTree starts.
      `sh -c 'sleep 300 & echo $! > "$0"' '${early}'`,
      // Its parent dies of SIGTERM, the grandchild ignores it: reparented while killTree waits.
      `sh -c '(trap "" TERM; exec sleep 300) & echo $! > "$0"; wait' '${late}' &`,
      'wait',
    ].join('\n');
    const root = start(['sh', '-c', script]);
    const bystander = start(['sleep', '300']); // not in the tree: must survive

    const lateOrphan = await waitFor('the tree to start', () => readPid(late));
    const earlyOrphan = await waitFor('the early orphan', () => readPid(early));
    const tree = await waitFor('all 8 descendants', () => {
      const d = listDescendants(root.pid);
      return d.length >= 8 && d.includes(lateOrphan) ? d : undefined;
    });
    expect(tree).toHaveLength(8);
    expect(tree).not.toContain(earlyOrphan); // reparented: no longer a descendant...
    expect(isGone(earlyOrphan)).toBe(false);
    if (linux) expect(ppidOf(earlyOrphan)).not.toBe(root.pid);

    const rootExit = new Promise<NodeJS.Signals | null>((r) => root.once('exit', (_code, signal) => r(signal)));
    const result = await killTree(root.pid, { graceMs: ms(500) });

    const all = [root.pid, ...tree, earlyOrphan];
    expect(all.filter((pid) => !isGone(pid))).toEqual([]);
    expect(result.survivors).toEqual([]);
    expect([...result.killed].sort()).toEqual([...all].sort()); // ...but still found (its process group)
    expect(await rootExit).toBe('SIGTERM');
    expect(isGone(bystander.pid)).toBe(false);

    expect(await killTree(bystander.pid, { graceMs: ms(500) })).toEqual({ killed: [bystander.pid], survivors: [] });
    expect(isGone(bystander.pid)).toBe(true);
  });

  it('uses SIGKILL only after the grace period, so a TERM handler can clean up', async () => {
    const cleaned = path.join(dir, 'cleaned');
    const root = start(['sh', '-c', `trap 'echo done > "${cleaned}"; exit 0' TERM; sleep 300 & wait`]);
    // The sleep may still be a fork of the shell, with the shell's TERM trap, when the signal comes:
    // killTree must tell it again once it is `sleep`, not leave it to SIGKILL after the grace period.
    await waitFor('the sleep', () => listDescendants(root.pid).length === 1);
    const t0 = performance.now();
    const result = await killTree(root.pid, { graceMs: ms(2000) });
    expect(result.survivors).toEqual([]);
    expect(fs.readFileSync(cleaned, 'utf8').trim()).toBe('done');
    expect(performance.now() - t0).toBeLessThan(1500); // everything exited on SIGTERM
  });

  it('stops an escaped process (new session, reparented) that the sampler saw, via extraPids', async () => {
    const escaped = path.join(dir, 'escaped.pid');
    // setsid leaves the process group and session; the parent exits 300 ms later, orphaning it.
    const root = start(['sh', '-c', `sh -c 'setsid sleep 300 & echo $! > "$0"; sleep 0.3' '${escaped}'; sleep 300`]);
    const sampler = new ProcessTreeSampler({
      rootPid: root.pid,
      intervalMs: ms(10),
      startEpochMs: epochMs(performance.timeOrigin + performance.now()),
    });
    sampler.start();
    const pid = await waitFor('the escaped sleep', () => readPid(escaped));
    await waitFor(
      'its parent to exit',
      () => listDescendants(root.pid).length === 1 && !listDescendants(root.pid).includes(pid),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(sampler.knownPids()).toContain(pid); // the sampler still follows it

    const result = await killTree(root.pid, { graceMs: ms(500), extraPids: sampler.knownPids() });
    await sampler.stop();
    expect(result.killed).toContain(pid);
    expect(isGone(pid)).toBe(true);
    expect(isGone(root.pid)).toBe(true);
  });

  it('returns empty lists for a pid that does not exist', async () => {
    const root = start(['true']);
    await new Promise((r) => root.once('exit', r));
    await new Promise((r) => setTimeout(r, 20));
    expect(await killTree(root.pid)).toEqual({ killed: [], survivors: [] });
  });
});

describe.skipIf(!linux)('listDescendants', () => {
  it('finds children spawned from a worker thread of a multi-threaded parent', async () => {
    const worker =
      "require('child_process').spawn('sleep', ['300'], { stdio: 'ignore' }); setInterval(() => {}, 1000);";
    const root = start([
      process.execPath,
      '-e',
      `new (require('worker_threads').Worker)(${JSON.stringify(worker)}, { eval: true }); setInterval(() => {}, 1000);`,
    ]);
    const [child] = await waitFor('the sleep', () => {
      const d = listDescendants(root.pid);
      return d.length ? d : undefined;
    });
    expect(ppidOf(child!)).toBe(root.pid);
    // The main thread's children file does not list it: only the worker thread's does.
    expect(fs.readFileSync(`/proc/${root.pid}/task/${root.pid}/children`, 'utf8').trim()).toBe('');
    expect((await killTree(root.pid, { graceMs: ms(500) })).survivors).toEqual([]);
    expect(isGone(child!)).toBe(true);
  });

  it('is empty for a process without children and for a pid that does not exist', () => {
    expect(listDescendants(process.pid).length).toBeGreaterThanOrEqual(0);
    expect(listDescendants(0x7ffffff0)).toEqual([]);
  });
});
