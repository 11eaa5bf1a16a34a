// Process trees: find every descendant of a process, and stop a whole tree so nothing is orphaned.
//
// Linux reads /proc directly (cheap enough to run every few ms); other Unix systems ask `ps`;
// Windows asks PowerShell (CIM) or `wmic`. Nothing here throws for a process that has vanished:
// processes exit at any moment, and that is the normal case, not an error.
//
// Pure Node, no dependencies. Also used by the process-tree sampler (collect/process-sampler.ts),
// which shares the /proc readers and the process-table queries below.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

const IS_LINUX = process.platform === 'linux';
const IS_WINDOWS = process.platform === 'win32';

// ---------------------------------------------------------------------------------------------
// Process tables: one row per process, from /proc, `ps` or CIM.

/** One process of a snapshot of the system's process table. */
export interface ProcessRow {
  pid: number;
  ppid: number;
  /** Process group, where the platform tells it. */
  pgid?: number;
  /** Session, where the platform tells it (Linux). */
  sid?: number;
  /** Identifies this process among all that ever had its pid (start time); empty when unknown. */
  startId: string;
  /** The command name (Linux: changes at exec). */
  name?: string;
  /** Exited but not yet reaped: it holds no memory and can no longer be signalled. */
  zombie: boolean;
  /** Resident memory, where the query asks for it. */
  rssBytes?: number;
  /** Command line; from `ps`/CIM it is split on spaces, so arguments with spaces are lost. */
  argv?: string[];
}

/** A command that lists the process table, and the parser of its output. */
export interface ProcessTableQuery {
  kind: 'ps' | 'powershell' | 'wmic';
  file: string;
  args: string[];
  parse(stdout: string): Map<number, ProcessRow>;
}

// `ps` columns: numbers first, then the state, then one free-text column that runs to the end of line.
const PS_KILL_LINE = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/; // pid ppid pgid stat lstart
const PS_SAMPLE_LINE = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/; // pid ppid pgid rss stat args

/** `ps` on macOS, the BSDs and other Unix systems (and Linux, for testing the fallback). */
export function psTableQuery(purpose: 'kill' | 'sample'): ProcessTableQuery {
  const sample = purpose === 'sample';
  return {
    kind: 'ps',
    file: 'ps',
    args: ['-A', '-o', sample ? 'pid=,ppid=,pgid=,rss=,stat=,args=' : 'pid=,ppid=,pgid=,stat=,lstart='],
    parse(stdout) {
      const rows = new Map<number, ProcessRow>();
      for (const line of stdout.split('\n')) {
        const m = (sample ? PS_SAMPLE_LINE : PS_KILL_LINE).exec(line);
        if (!m) continue;
        const pid = Number(m[1]);
        const stat = sample ? m[5]! : m[4]!;
        const rest = sample ? m[6]! : m[5]!;
        rows.set(pid, {
          pid,
          ppid: Number(m[2]),
          pgid: Number(m[3]),
          startId: sample ? '' : rest.trim(),
          zombie: stat.startsWith('Z'),
          ...(sample ? { rssBytes: Number(m[4]) * 1024, argv: rest.trim().split(/\s+/) } : {}),
        });
      }
      return rows;
    },
  };
}

// CreationDate as FILETIME: a plain number that tells apart two processes that had the same id.
const POWERSHELL_SCRIPT =
  'Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,WorkingSetSize,CommandLine,' +
  "@{n='StartId';e={if ($_.CreationDate) { $_.CreationDate.ToFileTimeUtc() } else { 0 }}} | ConvertTo-Json -Compress";

/** Windows: PowerShell with CIM first, `wmic` (deprecated, absent from recent Windows) second. */
export function windowsTableQueries(): ProcessTableQuery[] {
  return [
    {
      kind: 'powershell',
      file: 'powershell.exe',
      args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', POWERSHELL_SCRIPT],
      parse(stdout) {
        const rows = new Map<number, ProcessRow>();
        const parsed: unknown = JSON.parse(stdout.trim() || '[]');
        for (const o of (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[]) {
          const pid = Number(o['ProcessId']);
          if (!Number.isFinite(pid)) continue;
          const cmd = typeof o['CommandLine'] === 'string' ? o['CommandLine'] : '';
          rows.set(pid, {
            pid,
            ppid: Number(o['ParentProcessId']) || 0,
            startId: String(o['StartId'] ?? ''),
            zombie: false,
            rssBytes: Number(o['WorkingSetSize']) || 0,
            argv: splitWindowsCommandLine(cmd),
          });
        }
        return rows;
      },
    },
    {
      kind: 'wmic',
      file: 'wmic',
      // /format:csv does not quote fields, so no CommandLine (it contains commas); columns come sorted.
      args: ['process', 'get', 'CreationDate,Name,ParentProcessId,ProcessId,WorkingSetSize', '/format:csv'],
      parse(stdout) {
        const rows = new Map<number, ProcessRow>();
        const lines = stdout.split(/\r?\n/).filter((l) => l.trim());
        const header = (lines.shift() ?? '').split(',').map((h) => h.trim());
        const col = (name: string) => header.indexOf(name);
        for (const line of lines) {
          const f = line.split(',');
          const pid = Number(f[col('ProcessId')]);
          if (!Number.isFinite(pid)) continue;
          rows.set(pid, {
            pid,
            ppid: Number(f[col('ParentProcessId')]) || 0,
            startId: (f[col('CreationDate')] ?? '').trim(),
            zombie: false,
            rssBytes: Number(f[col('WorkingSetSize')]) || 0,
            argv: [(f[col('Name')] ?? '').trim()],
          });
        }
        return rows;
      },
    },
  ];
}

/** Splits a Windows command line on unquoted spaces (good enough for labels, not for re-running it). */
function splitWindowsCommandLine(cmd: string): string[] {
  return (cmd.match(/"[^"]*"|\S+/g) ?? []).map((a) => a.replace(/^"(.*)"$/, '$1'));
}

/** The whole process table now, or null when no way of reading it works here. */
export function readProcessTableSync(): Map<number, ProcessRow> | null {
  if (IS_LINUX && procAvailable()) return scanProcTable();
  for (const q of IS_WINDOWS ? windowsTableQueries() : [psTableQuery('kill')]) {
    try {
      const out = execFileSync(q.file, q.args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 15_000,
        maxBuffer: 64 << 20,
        windowsHide: true,
      });
      return q.parse(out);
    } catch {
      // Try the next way.
    }
  }
  return null;
}

/** pid → the pids whose parent it is. */
function childrenIndex(table: Map<number, ProcessRow>): Map<number, number[]> {
  const index = new Map<number, number[]>();
  for (const row of table.values()) {
    if (row.ppid === row.pid) continue; // Windows pid 0
    const list = index.get(row.ppid);
    if (list) list.push(row.pid);
    else index.set(row.ppid, [row.pid]);
  }
  return index;
}

/** The descendants of `roots` in a table (breadth first, without the roots themselves). */
export function descendantsInTable(table: Map<number, ProcessRow>, roots: Iterable<number>): number[] {
  const index = childrenIndex(table);
  const rootSet = new Set(roots);
  const seen = new Set(rootSet);
  const queue = [...rootSet];
  const out: number[] = [];
  for (let i = 0; i < queue.length; i++) {
    for (const child of index.get(queue[i]!) ?? []) {
      if (seen.has(child)) continue; // Windows: a parent id that was reused can form a cycle
      seen.add(child);
      queue.push(child);
      out.push(child);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Linux /proc readers. They use one shared buffer: cheap enough to run every 10 ms.

let procBuf = Buffer.allocUnsafe(16 * 1024);

/**
 * Reads a whole /proc file through an open fd (from offset 0), or null when the process is gone.
 * /proc files are generated whole on each read from offset 0, and a read that does not fill the
 * buffer has reached the end: one syscall per file in the usual case.
 */
export function readProcFd(fd: number): string | null {
  try {
    let n = 0;
    for (;;) {
      const want = procBuf.length - n;
      const got = fs.readSync(fd, procBuf, n, want, n);
      n += got;
      if (got < want) break;
      const bigger = Buffer.allocUnsafe(procBuf.length * 2);
      procBuf.copy(bigger, 0, 0, n);
      procBuf = bigger;
    }
    return procBuf.toString('latin1', 0, n);
  } catch {
    return null; // ESRCH: exited and reaped (or, for an fd held across a pid reuse, the old process)
  }
}

/** Reads a small /proc file, or null when it (or its process) does not exist. */
export function readProcFile(path: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return readProcFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

let procOk: boolean | undefined;
/** Whether /proc looks like Linux procfs. */
export function procAvailable(): boolean {
  return (procOk ??= IS_LINUX && readProcFile('/proc/self/stat') !== null);
}

let childrenFilesOk: boolean | undefined;
/** Whether the kernel has /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN, on in all major distros). */
function childrenFilesAvailable(): boolean {
  return (childrenFilesOk ??= procAvailable() && fs.existsSync(`/proc/self/task/${process.pid}/children`));
}

/**
 * The direct children of a Linux process, from the children file of every one of its threads (a
 * child belongs to the thread that forked it: cargo spawns rustc from worker threads).
 * `threadCount === 1` skips listing the threads. Empty when the process is gone.
 */
export function linuxChildren(pid: number, threadCount?: number): number[] {
  let tids: string[];
  if (threadCount === 1) tids = [String(pid)];
  else {
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
  }
  const out: number[] = [];
  for (const tid of tids) {
    const text = readProcFile(`/proc/${pid}/task/${tid}/children`);
    if (!text) continue;
    for (const s of text.split(' ')) if (s) out.push(Number(s));
  }
  return out;
}

/** Parses /proc/<pid>/stat. The command name is in parentheses and may itself contain spaces and ')'. */
export function parseProcStat(pid: number, text: string): ProcessRow | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // f[k] is field k + 3 of proc(5): 3 state, 4 ppid, 5 pgrp, 6 session, 22 starttime.
  return {
    pid,
    name: text.slice(text.indexOf('(') + 1, close),
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    startId: f[19] ?? '',
    zombie: f[0] === 'Z' || f[0] === 'X',
  };
}

/** Every process from /proc/<pid>/stat (a few µs per process: for stopping trees, not for sampling). */
function scanProcTable(): Map<number, ProcessRow> {
  const table = new Map<number, ProcessRow>();
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return table;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue; // not a pid
    const pid = Number(name);
    const text = readProcFile(`/proc/${pid}/stat`);
    const row = text && parseProcStat(pid, text);
    if (row) table.set(pid, row);
  }
  return table;
}

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
  graceMs?: number;
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
      execFileSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true, timeout: 15_000 });
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
