// The Node preload instrumentation: V8 heap, GC events, `performance` measures and tsc 6's internal
// phases of every Node process of the build (writer/main.ts, bundled to dist/preload.js, writes one
// node-<pid>.ndjson per process; records.ts declares the records, reader.ts makes profile parts of
// them). prepare() points NODE_OPTIONS at the bundle, collect() reads every process's file.
//
// TypeScript 7 is a native binary that no preload can enter: when the command runs tsc 7, prepare()
// adds --extendedDiagnostics and collect() lays out the phases of its statistics table (totals only).
// The same fallback applies to a tsc 6 table on stdout when no tsc process was seen by the preload.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Arena, Contribution, Marker, MemorySeries, Ms, Phase, ProcessInfo, Warning } from '../../model';
import {
  isTscDiagnostics,
  parseTscDiagnostics,
  reconstructedWarning,
  tscDiagnosticsPhases,
} from '../../importers/tsc-diagnostics';
import { ImportError } from '../../importers/import-error';
import type { CollectContext, InstrumentContext, Instrumentation } from '../instrumentation';
import { type TscCommand, findTscCommand } from './find-tsc-command';
import { LiveTscPhase } from './live-tsc-phase';
import { type ProcessRecords, readPreloadFile } from './process-records';
import { appendPhases, flagAddedWarning, processContribution } from './reader';
import { INTERVAL_ENV, NODE_DIR_ENV, PRECISE_HEAP_ENV, RECORD_FILE_NAME } from './records';
import { tscDiagnosticsFlagToAdd } from './tsc-flags';

export interface NodePreloadOptions {
  /** Force a full GC at phase boundaries and at exit (records.ts: PRECISE_HEAP_ENV). */
  preciseHeap?: boolean;
}

export function nodePreloadInstrumentation(opts: NodePreloadOptions = {}): Instrumentation {
  let nodeDir: string | undefined;
  let nativeTsc: TscCommand | undefined;
  let addedToNativeTsc: string[] = [];
  const live = new LiveTscPhase();
  return {
    name: 'node-preload',

    prepare(ctx: InstrumentContext): void {
      const preload = path.join(ctx.distDir, 'preload.js');
      // A missing preload would make every Node process of the build fail to start.
      if (!existsSync(preload)) throw new Error(`${preload} does not exist: build it with \`npm run build\``);
      nodeDir = path.join(ctx.workDir, 'node');
      mkdirSync(nodeDir, { recursive: true });
      ctx.env[NODE_DIR_ENV] = nodeDir;
      ctx.env[INTERVAL_ENV] = String(ctx.intervalMs);
      if (opts.preciseHeap) ctx.env[PRECISE_HEAP_ENV] = '1';
      else delete ctx.env[PRECISE_HEAP_ENV];
      const user = ctx.env.NODE_OPTIONS?.trim();
      ctx.env.NODE_OPTIONS = `--require ${quoteNodeOption(preload)}${user ? ` ${user}` : ''}`;

      const tsc = findTscCommand(ctx.argv, ctx.cwd, ctx.env);
      if (tsc && (tsc.native || tsc.major >= 7)) {
        nativeTsc = tsc;
        addedToNativeTsc = tscDiagnosticsFlagToAdd(ctx.argv.slice(tsc.argIndex + 1));
        ctx.argv.push(...addedToNativeTsc);
      }
    },

    currentPhase(): string | undefined {
      return nodeDir ? live.poll(nodeDir) : undefined;
    },

    async collect(ctx: CollectContext): Promise<Contribution> {
      const warnings: Warning[] = [];
      const out = {
        phases: [] as Phase[],
        series: [] as MemorySeries[],
        markers: [] as Marker[],
        arenas: [] as Arena[],
        processes: [] as NonNullable<Contribution['processes']>,
        tools: {} as Record<string, string>,
        sources: [] as string[],
        warnings,
      };
      const files =
        nodeDir && existsSync(nodeDir)
          ? readdirSync(nodeDir)
              .filter((f) => RECORD_FILE_NAME.test(f))
              .sort()
          : [];
      const records = files
        .map((f) => readPreloadFile(path.join(nodeDir!, f), warnings))
        .filter((r): r is ProcessRecords => r !== undefined);
      records.sort((a, b) => a.header.timeOriginMs - b.header.timeOriginMs);

      const seriesIds = new Set<string>();
      let tscHooked = false;
      for (const r of records) {
        const c = processContribution(r, ctx, seriesIds);
        appendPhases(out.phases, c.phases);
        out.series.push(...c.series);
        out.markers.push(...c.markers);
        out.arenas.push(...c.arenas);
        out.processes.push(c.process);
        warnings.push(...c.warnings);
        out.tools.node ??= r.header.node;
        if (r.header.tsc) out.tools.typescript ??= r.header.tsc.version;
        if (r.header.tsc?.hooked && r.markT.length) tscHooked = true;
      }
      if (records.length) out.sources.push('node-preload');
      // Its forced GCs change the run's timing and GC pattern: a profile says it was made so.
      if (records.length && opts.preciseHeap) out.sources.push('node-preload:precise-heap');
      warnings.push(...missingPreloadWarnings(ctx, new Set(records.map((r) => r.header.pid))));

      // tsc 7 (or a tsc 6 the preload did not see): the statistics table on stdout, totals only.
      if ((nativeTsc || !tscHooked) && isTscDiagnostics(ctx.stdout)) {
        try {
          const d = parseTscDiagnostics(ctx.stdout, '<stdout>');
          const proc = tscProcess(ctx.processes, !!nativeTsc, ctx.endMs);
          const phases = tscDiagnosticsPhases(d, {
            endMs: proc?.endMs ?? ctx.endMs,
            ...(proc ? { pid: proc.pid } : {}),
          });
          appendPhases(out.phases, phases);
          warnings.push(reconstructedWarning(d, phases));
          out.sources.push('tsc-diagnostics');
          if (proc) out.processes.push({ pid: proc.pid, label: 'tsc' });
          if (nativeTsc) out.tools.typescript = nativeTsc.version;
        } catch (e) {
          if (!(e instanceof ImportError)) throw e;
          warnings.push({
            code: 'tsc-diagnostics-broken',
            message: `tsc's statistics table could not be read: ${e.message}`,
            file: e.file,
            line: e.line,
          });
        }
      } else if (nativeTsc) {
        out.tools.typescript = nativeTsc.version;
        warnings.push({
          code: 'tsc-diagnostics-missing',
          message: `tsc ${nativeTsc.version} printed no statistics table on stdout: no tsc phases`,
        });
      }
      if (nativeTsc && addedToNativeTsc.length)
        warnings.push(flagAddedWarning(`tsc ${nativeTsc.version}`, addedToNativeTsc));
      return out;
    },
  };
}

/** Node processes the sampler saw that left no file: NODE_OPTIONS did not reach them (or they died at once). */
function missingPreloadWarnings(ctx: CollectContext, reported: Set<number>): Warning[] {
  const node = ctx.processes.filter(
    (p) =>
      /^node(js)?(\.exe)?$/i.test(path.basename(p.argv[0] ?? '')) &&
      p.role !== 'instrumentation' &&
      !reported.has(p.pid),
  );
  if (!node.length) return [];
  return [
    {
      code: 'preload-missing',
      message: `${node.length} Node process(es) left no preload records (pids ${node
        .slice(0, 8)
        .map((p) => p.pid)
        .join(', ')}): NODE_OPTIONS may have been removed from their environment; no V8 heap or phases for them`,
    },
  ];
}

/** The process that ran tsc: the native binary for tsc 7, else a Node process running tsc. */
function tscProcess(processes: ProcessInfo[], native: boolean, endMs: Ms): ProcessInfo | undefined {
  const isTsc = (a: string | undefined) => !!a && /^(_?tsc|tsgo)(\.js|\.exe)?$/i.test(path.basename(a));
  const candidates = processes.filter((p) => (native ? isTsc(p.argv[0]) : p.argv.slice(0, 3).some(isTsc)));
  return candidates.sort((a, b) => (b.endMs ?? endMs) - (a.endMs ?? endMs))[0];
}

/** Quotes a path for NODE_OPTIONS, which splits on spaces and honours double quotes with backslash escapes. */
export function quoteNodeOption(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
