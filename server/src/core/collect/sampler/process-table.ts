// Process tables: one row per process, from /proc, `ps` or CIM (PowerShell, `wmic`).
//
// The `ps` and PowerShell queries serve two purposes: the table sampler backend (table-backend.ts)
// runs them at each tick for RSS and argv, and stopping a tree (process-tree.ts) reads the whole
// table for parents, groups and start times. Pure Node, no dependencies; nothing here throws for a
// process that has vanished.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { procAvailable, readProcFile } from './proc-files';
import { bytes, kib, kibToBytes, type Bytes } from '../../units';

const IS_LINUX = process.platform === 'linux';
const IS_WINDOWS = process.platform === 'win32';

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
  rssBytes?: Bytes;
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
          ...(sample ? { rssBytes: kibToBytes(kib(Number(m[4]))), argv: rest.trim().split(/\s+/) } : {}),
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
          const pid = Number(o.ProcessId);
          if (!Number.isFinite(pid)) continue;
          const cmd = typeof o.CommandLine === 'string' ? o.CommandLine : '';
          rows.set(pid, {
            pid,
            ppid: Number(o.ParentProcessId) || 0,
            startId: String(o.StartId ?? ''),
            zombie: false,
            rssBytes: bytes(Number(o.WorkingSetSize) || 0),
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
            rssBytes: bytes(Number(f[col('WorkingSetSize')]) || 0),
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
export function childrenIndex(table: Map<number, ProcessRow>): Map<number, number[]> {
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
