// The table backend of the sampler, where Linux /proc is not available: every tick runs a command that
// lists the whole process table (`ps` on Unix; PowerShell/CIM, else `wmic`, on Windows) and walks the
// tree in its rows. Such a command takes tens to hundreds of ms, so ticks are 250/1000 ms apart at
// best, and a process's peak is the largest RSS sampled, not the kernel's high-water mark.
//
// A query that fails a few times in a row is dropped for the next one; when none is left the backend
// gives up and the scheduler (process-tree-sampler.ts) says that sampling stopped.

import { execFile } from 'node:child_process';
import type { Ms } from '../../model';
import { bytes } from '../../units';
import {
  childrenIndex,
  psTableQuery,
  windowsTableQueries,
  type ProcessRow,
  type ProcessTableQuery,
} from './process-table';
import type { SamplerBackend } from './sampler-backend';
import { TrackedProcesses } from './tracked-processes';

export const PS_MIN_INTERVAL_MS = 250;
export const POWERSHELL_MIN_INTERVAL_MS = 1000;
const TABLE_QUERY_TIMEOUT_MS = 10_000;
/** Consecutive failed table queries before the sampler gives up. */
const MAX_QUERY_FAILURES = 3;

export class TableBackend implements SamplerBackend {
  readonly processes: TrackedProcesses;
  /** Table queries to try in order (ps / PowerShell / wmic). */
  private readonly queries: ProcessTableQuery[];
  private queryFailures = 0;
  /** What the last query read, for the tick that follows it. */
  private rows: Map<number, ProcessRow> | null = null;
  /** Why the last query gave up, when no query is left. */
  private gaveUp: string | undefined;

  constructor(
    kind: 'ps' | 'powershell',
    rootPid: number,
    isInstrumentation?: (pid: number, argv: string[]) => boolean,
  ) {
    this.processes = new TrackedProcesses(rootPid, isInstrumentation);
    this.queries = kind === 'ps' ? [psTableQuery('sample')] : windowsTableQueries();
  }

  async query(): Promise<string | undefined> {
    this.rows = await this.queryTable();
    return this.gaveUp;
  }

  tick(tick: number, nowMs: Ms): void {
    const rows = this.rows;
    this.rows = null;
    if (rows) this.apply(rows, tick, nowMs);
  }

  close(): void {
    // Nothing held between ticks.
  }

  /** Runs the first table query that works; null when this tick could not read the table. */
  private async queryTable(): Promise<Map<number, ProcessRow> | null> {
    while (this.queries.length) {
      const q = this.queries[0]!;
      try {
        const { stdout, childPid } = await run(q.file, q.args);
        const rows = q.parse(stdout);
        rows.delete(childPid); // the query itself, when the tree root is this process
        this.queryFailures = 0;
        return rows;
      } catch (e) {
        const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        if (!missing && ++this.queryFailures < MAX_QUERY_FAILURES) return null; // transient: retry next tick
        this.queries.shift();
        this.queryFailures = 0;
        if (this.queries.length) continue;
        this.gaveUp = `\`${q.file}\` failed (${(e as Error).message.split('\n')[0]})`;
        return null;
      }
    }
    return null;
  }

  private apply(rows: Map<number, ProcessRow>, tick: number, nowMs: Ms): void {
    const children = childrenIndex(rows);
    const visit = (pid: number) => {
      const stack = [pid];
      while (stack.length) {
        const cur = stack.pop()!;
        const row = rows.get(cur);
        if (!row || row.zombie) continue;
        let p = this.processes.alive.get(cur);
        if (p?.tick === tick) continue;
        if (!p) p = this.processes.track(cur, nowMs, {});
        if (p.ppid === null) p.ppid = row.ppid;
        const argv = row.argv ?? [];
        if (argv.join(' ') !== p.argv.join(' ')) {
          if (p.argv.length) p.maxSampledBytes = bytes(0); // exec'd (or, unknowable here, a reused pid)
          this.processes.setArgv(p, argv);
        }
        this.processes.record(p, tick, nowMs, row.rssBytes ?? bytes(0));
        for (const c of children.get(cur) ?? []) stack.push(c);
      }
    };
    if (!this.processes.rootGone) visit(this.processes.rootPid);
    this.processes.checkRoot(tick);
    for (const p of [...this.processes.alive.values()]) {
      if (p.tick === tick) continue;
      const row = rows.get(p.pid);
      if (row && !row.zombie)
        visit(p.pid); // reparented
      else this.processes.retire(p, nowMs);
    }
  }
}

/** Runs a command; resolves with its output and pid. */
function run(file: string, args: string[]): Promise<{ stdout: string; childPid: number }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { encoding: 'utf8', maxBuffer: 64 << 20, timeout: TABLE_QUERY_TIMEOUT_MS, windowsHide: true },
      (err, stdout) => (err ? reject(err) : resolve({ stdout, childPid: child.pid ?? -1 })),
    );
  });
}
