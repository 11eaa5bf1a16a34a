// Process trees: find every descendant of a process, and stop a whole tree so nothing is orphaned.
//
// Linux reads /proc directly (cheap enough to run every few ms); other Unix systems ask `ps`;
// Windows asks PowerShell (CIM) or `wmic`. Nothing here throws for a process that has vanished:
// processes exit at any moment, and that is the normal case, not an error.
//
// Pure Node, no dependencies. The /proc readers (proc-files.ts) and the process-table queries
// (process-table.ts) are shared with the process-tree sampler (process-tree-sampler.ts).

import { execFileSync } from 'node:child_process';
import { childrenFilesAvailable, linuxChildren } from './proc-files';
import { descendantsInTable, readProcessTableSync, type ProcessRow } from './process-table';
import type { Ms } from '../../model';

const IS_LINUX = process.platform === 'linux';
const IS_WINDOWS = process.platform === 'win32';

// ---------------------------------------------------------------------------------------------
// listDescendants

/**
 * Every descendant of `rootPid` (children, grandchildren ...), breadth first, without the root;
 * children that exited but were not reaped yet (zombies) are included. Processes whose parent
 * exited were reparented (to init or a subreaper) and are no longer descendants; `killTree` finds
 * those too. Best effort: never throws, empty when nothing is known.
 */
export function listDescendants(rootPid: number): number[] {
  try {
    if (IS_LINUX && childrenFilesAvailable()) {
      const seen = new Set([rootPid]);
      const queue = [rootPid];
      for (let i = 0; i < queue.length; i++) {
        for (const child of linuxChildren(queue[i]!)) {
          if (seen.has(child)) continue;
          seen.add(child);
          queue.push(child);
        }
      }
      return queue.slice(1);
    }
    const table = readProcessTableSync();
    return table ? descendantsInTable(table, [rootPid]) : [];
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// killTree

export interface KillTreeOptions {
  /** How long the processes may take to exit after the polite signal, before SIGKILL. Default 2000. */
  graceMs?: Ms;
  /** The polite signal. Default SIGTERM. */
  signal?: NodeJS.Signals;
  /**
   * Pids that belonged to the tree moments ago and may have been reparented since (e.g.
   * `ProcessTreeSampler.knownPids()`): stopped with their descendants if they are still alive.
   */
  extraPids?: number[];
}

export interface KillTreeResult {
  /** Every process of the tree that was signalled and is gone now. */
  killed: number[];
  /** Processes of the tree still alive at the end (e.g. stuck in uninterruptible sleep). */
  survivors: number[];
}

const POLL_MS = 20;
/** How long to wait for SIGKILLed processes to disappear. */
const KILL_WAIT_MS = 2000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends a signal, ignoring processes that are gone (ESRCH) or not ours (EPERM). */
function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the whole tree of `rootPid` so that nothing is orphaned, and resolves once it is gone.
 *
 * POSIX: every process of the tree is SIGSTOPped first (so none can fork while we walk the tree),
 * the tree is walked again until it stops growing, then each gets `signal` (SIGTERM) followed by
 * SIGCONT so it can run its handler. After `graceMs`, whatever remains gets SIGKILL. Each round
 * lists the tree again, and every pid ever seen stays on the list: a child whose parent died is
 * reparented to init and is no longer a descendant, but it is still ours. A pid counts as the same
 * process only while its start time is the same (pids are reused).
 *
 * The runner spawns the root with `detached: true`, so the root leads a process group (and a
 * session): the group is signalled as a whole too, and group and session members count as the
 * tree even after reparenting. A group or session id equal to `rootPid` can only have been created
 * by the process that had that pid, and the kernel does not reuse a pid while such a group exists.
 *
 * Windows: `taskkill /T /F` on the root, then on each descendant found beforehand.
 */
export async function killTree(rootPid: number, opts: KillTreeOptions = {}): Promise<KillTreeResult> {
  try {
    return IS_WINDOWS ? await killTreeWindows(rootPid) : await killTreePosix(rootPid, opts);
  } catch {
    return { killed: [], survivors: [] }; // only on a bug: a kill never throws at the caller
  }
}

async function killTreePosix(rootPid: number, opts: KillTreeOptions): Promise<KillTreeResult> {
  const graceMs = opts.graceMs ?? 2000;
  const politeSignal = opts.signal ?? 'SIGTERM';
  const ownPid = process.pid;
  /** pid → start time of every process ever seen in the tree. */
  const seen = new Map<number, string>();
  /** The root's process group, while it has members (never our own group). */
  let group: number | null = null;
  let table = new Map<number, ProcessRow>();

  const isAlive = (pid: number): boolean => {
    const row = table.get(pid);
    return !!row && !row.zombie && row.startId === seen.get(pid);
  };
  const alive = (): number[] => [...seen.keys()].filter(isAlive);

  /** Re-reads the process table; records the tree's processes not seen before and returns them. */
  const refresh = (first: boolean): number[] => {
    table = readProcessTableSync() ?? minimalTable(rootPid);
    const fresh: number[] = [];
    const add = (pid: number) => {
      const row = table.get(pid);
      if (!row || row.zombie || pid <= 1 || pid === ownPid || seen.get(pid) === row.startId) return;
      seen.set(pid, row.startId); // new, or a pid reused by a new member of the tree
      fresh.push(pid);
    };
    if (first) for (const pid of [rootPid, ...(opts.extraPids ?? [])]) add(pid);
    const ownGroup = table.get(ownPid)?.pgid;
    group = null;
    if (rootPid !== ownGroup) {
      for (const row of table.values()) {
        if (row.pgid === rootPid) group = rootPid;
        if (row.pgid === rootPid || row.sid === rootPid) add(row.pid);
      }
    }
    for (const pid of descendantsInTable(table, alive())) add(pid);
    return fresh;
  };
  const signalAll = (pids: number[], sig: NodeJS.Signals) => {
    if (group !== null) signal(-group, sig);
    for (const pid of pids) signal(pid, sig);
  };

  // 1. Freeze the tree, walking it again until it stops growing.
  signalAll(refresh(true), 'SIGSTOP');
  for (let round = 0; round < 10; round++) {
    const fresh = refresh(false);
    if (!fresh.length) break;
    signalAll(fresh, 'SIGSTOP');
  }
  if (seen.size === 0) return { killed: [], survivors: [] };

  // 2. The polite signal, then SIGCONT so that handlers run; wait up to graceMs.
  /** The command name of each process when it got the polite signal. */
  const nameWhenSignalled = new Map<number, string | undefined>();
  const politeThenContinue = (pids: number[]) => {
    for (const pid of pids) nameWhenSignalled.set(pid, table.get(pid)?.name);
    signalAll(pids, politeSignal);
    signalAll(pids, 'SIGCONT');
  };
  politeThenContinue(alive());
  const graceEnd = performance.now() + graceMs;
  while (alive().length && performance.now() < graceEnd) {
    await sleep(Math.min(POLL_MS, Math.max(1, graceEnd - performance.now())));
    const fresh = refresh(false);
    // A child caught between fork and exec still has its parent's handlers (a shell's `trap`): the
    // handler takes the signal, then exec discards it. It is a new program now: tell it again.
    const execd = alive().filter((pid) => !fresh.includes(pid) && table.get(pid)?.name !== nameWhenSignalled.get(pid));
    if (fresh.length || execd.length) politeThenContinue([...fresh, ...execd]);
  }

  // 3. SIGKILL what is left, and whatever appears meanwhile.
  if (alive().length) {
    const killEnd = performance.now() + KILL_WAIT_MS;
    signalAll(alive(), 'SIGKILL');
    while (alive().length && performance.now() < killEnd) {
      await sleep(POLL_MS);
      signalAll(refresh(false), 'SIGKILL');
      signalAll(alive(), 'SIGKILL'); // e.g. a process that was still in a vfork
    }
  }

  const survivors = alive();
  return { killed: [...seen.keys()].filter((pid) => !survivors.includes(pid)), survivors };
}

/** When no process table can be read at all: the root alone, if it exists (no start time known). */
function minimalTable(rootPid: number): Map<number, ProcessRow> {
  const table = new Map<number, ProcessRow>();
  if (signal(rootPid, 0)) table.set(rootPid, { pid: rootPid, ppid: 0, startId: '', zombie: false });
  return table;
}

async function killTreeWindows(rootPid: number): Promise<KillTreeResult> {
  const table = readProcessTableSync();
  const tree = [rootPid, ...(table ? descendantsInTable(table, [rootPid]) : [])].filter((pid) => signal(pid, 0));
  const taskkill = (pid: number) => {
    try {
      execFileSync('taskkill', ['/pid', String(pid), '/T', '/F'], {
        stdio: 'ignore',
        windowsHide: true,
        timeout: 15_000,
      });
    } catch {
      // Already gone, or access denied: checked below.
    }
  };
  taskkill(rootPid);
  // taskkill /T follows parent ids, so it misses processes whose parent already exited.
  for (const pid of tree) if (signal(pid, 0)) taskkill(pid);
  const end = performance.now() + KILL_WAIT_MS;
  while (tree.some((pid) => signal(pid, 0)) && performance.now() < end) await sleep(POLL_MS * 5);
  const survivors = tree.filter((pid) => signal(pid, 0));
  return { killed: tree.filter((pid) => !survivors.includes(pid)), survivors };
}
