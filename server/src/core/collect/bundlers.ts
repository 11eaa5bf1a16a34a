// Live adapters for bundlers whose own reports give their phases:
//
//   rollup   (CLI)     prepare() adds `--perf` when the command runs rollup (`rollup …`, `npx rollup …`,
//                      `npm exec rollup …`, `node …/rollup/dist/bin/rollup …`); collect() reads the report
//                      rollup prints on stdout after the write and lays its phases out inside the rollup
//                      process's life, ending when it ended (the report has durations only).
//   esbuild  (CLI)     the same with esbuild's hidden `--timing` (report on stderr).
//   rolldown (JS API)  prepare() sets RD_LOG to the stage filter (unless the user set RD_LOG) when rolldown
//                      is installed in the workspace; its tracing records on stdout have µs timestamps, so
//                      the spans are placed on the real clock. rolldown's CLI ignores RD_LOG.
//   Voyd               prepare() sets VOYD_COMPILER_PERF=1; collect() reads the `[voyd:compiler:perf]`
//                      lines on stderr and lays each compile out ending when the Voyd process ended.
//
// Every adapter returns what it could read plus warnings; a missing or damaged report never throws.

import { existsSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import type { Contribution, Ms, Phase, ProcessInfo, Warning } from '../model';
import { epochMs, epochToProfileMs, ms } from '../units';
import { ImportError } from '../importers/import-error';
import { esbuildTimingPhases, isEsbuildTiming, parseEsbuildTiming } from '../importers/esbuild-timing';
import { isRolldownLog, parseRolldownRecords, rolldownSpans } from '../importers/rolldown-log';
import { isRollupPerf, parseRollupPerf, rollupPerfPhases, stripAnsi } from '../importers/rollup-perf';
import { VOYD_PERF_PREFIX, parseVoydPerf, voydPerfPhases } from '../importers/voyd-perf';
import { tickSlackMs, type CollectContext, type InstrumentContext, type Instrumentation } from './instrumentation';

/** The RD_LOG filter that gives rolldown's stage spans (scan, link …, generate …, write) without per-module spans. */
export const ROLLDOWN_RD_LOG =
  'rolldown::stages=trace,rolldown::stages::link_stage::bind_imports_and_exports=off,rolldown::bundle=trace,rolldown::utils::chunk=trace,rolldown::utils::render_chunks=trace,rolldown::utils::augment_chunk_hash=trace,devtool=debug';

export function bundlerInstrumentations(): Instrumentation[] {
  return [rollupInstrumentation(), esbuildInstrumentation(), rolldownInstrumentation(), voydInstrumentation()];
}

// ---------------------------------------------------------------------------------------------
// Finding the tool in a command

const RUNNERS = new Set(['npx', 'pnpx', 'bunx']);

/**
 * Index in argv of the tool's own name or script when the command runs it directly, through npx /
 * `npm exec`, or as `node <path to its bin script>`; -1 otherwise.
 */
export function toolArgIndex(argv: string[], tool: string, binScript: RegExp): number {
  const base = (s: string | undefined) =>
    s === undefined ? '' : path.basename(s).replace(/\.(cmd|exe|js|mjs|cjs)$/, '');
  if (!argv.length) return -1;
  if (base(argv[0]) === tool) return 0;
  const npmExec = base(argv[0]) === 'npm' && argv[1] === 'exec';
  let i = npmExec ? 2 : 1;
  if (RUNNERS.has(base(argv[0])) || npmExec) {
    for (; i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--'; i++);
    if (argv[i] === '--') i++;
    return base(argv[i]) === tool ? i : -1;
  }
  if (base(argv[0]) === 'node') {
    for (i = 1; i < argv.length && argv[i]!.startsWith('-'); i++);
    const script = (argv[i] ?? '').replace(/\\/g, '/');
    return binScript.test(script) || base(script) === tool ? i : -1;
  }
  return -1;
}

/** The process of the build that ran the tool: the latest-started one whose argv names it (not npx/npm). */
export function findToolProcess(
  processes: readonly ProcessInfo[],
  tool: string,
  binScript: RegExp,
): ProcessInfo | undefined {
  const candidates = processes.filter((p) => {
    if (p.role === 'instrumentation') return false;
    const argv = p.argv.map((a) => a.replace(/\\/g, '/'));
    if (argv.some((a) => /(^|\/)(npx|npm)(-cli)?(\.js)?$/.test(a))) return false;
    return argv.some((a, i) => binScript.test(a) || (i <= 1 && path.basename(a) === tool));
  });
  return candidates.sort((a, b) => b.startMs - a.startMs)[0];
}

/** The tool's version from the package.json above its bin script, when the process's argv has the path. */
function versionNear(proc: ProcessInfo | undefined, pkg: string, cwd: string): string | undefined {
  for (const arg of proc?.argv ?? []) {
    let a = arg;
    try {
      if (arg.includes('/node_modules/')) a = realpathSync(path.resolve(cwd, arg)); // node_modules/.bin/x is a symlink
    } catch {
      // gone: use the path as given
    }
    const at = a.replace(/\\/g, '/').lastIndexOf(`/node_modules/${pkg}/`);
    if (at < 0) continue;
    try {
      return (
        JSON.parse(readFileSync(path.join(a.slice(0, at), 'node_modules', pkg, 'package.json'), 'utf8')) as {
          version?: string;
        }
      ).version;
    } catch {
      // not readable: no version
    }
  }
  return undefined;
}

/**
 * Where a report of `totalMs` without timestamps goes: ending when its process ended. It may start
 * before the sampler first saw the process by up to a gap between ticks (the sampler's lateness),
 * not before the run (the root's start is its spawn); a longer report is laid out from the start.
 */
function placeAtEnd(
  proc: ProcessInfo | undefined,
  ctx: CollectContext,
  totalMs: Ms,
  tool: string,
  warnings: Warning[],
): Ms {
  const endMs = proc?.endMs ?? ctx.endMs;
  const lifeStartMs = proc?.startMs ?? ms(0);
  const lateMs = lifeStartMs > 0 ? Math.min(lifeStartMs, tickSlackMs(ctx)) : 0;
  if (endMs - totalMs < lifeStartMs - lateMs - 1e-6) {
    warnings.push({
      code: `${tool}-report-longer-than-process`,
      message: `${tool}'s phases add up to ${totalMs.toFixed(0)} ms, more than the ${(endMs - lifeStartMs).toFixed(0)} ms its process was seen alive: laid out from its start`,
    });
    return lifeStartMs;
  }
  return ms(endMs - totalMs);
}

function flagAddedWarning(tool: string, flag: string): Warning {
  return { code: 'flag-added', message: `added ${flag} to the ${tool} command to get its phase report` };
}

function brokenWarning(code: string, what: string, e: unknown): Warning {
  if (!(e instanceof ImportError)) throw e;
  const w: Warning = { code, message: `${what} could not be read: ${e.message}` };
  if (e.line !== undefined) w.line = e.line;
  return w;
}

// ---------------------------------------------------------------------------------------------
// rollup

const ROLLUP_BIN = /(^|\/)rollup\/dist\/bin\/rollup$|(^|\/)node_modules\/\.bin\/rollup$/;

function rollupInstrumentation(): Instrumentation {
  let added = false;
  let silent = false;
  return {
    name: 'rollup',
    prepare(ctx: InstrumentContext): void {
      const at = toolArgIndex(ctx.argv, 'rollup', ROLLUP_BIN);
      if (at < 0) return;
      const args = ctx.argv.slice(at + 1);
      silent = args.includes('--silent');
      if (!args.includes('--perf')) {
        ctx.argv.push('--perf');
        added = true;
      }
    },
    async collect(ctx: CollectContext): Promise<Contribution> {
      const ran = added || toolArgIndex(ctx.argv, 'rollup', ROLLUP_BIN) >= 0;
      if (!ran && !isRollupPerf(ctx.stdout)) return {};
      const warnings: Warning[] = [];
      if (added) warnings.push(flagAddedWarning('rollup', '--perf'));
      if (!isRollupPerf(ctx.stdout)) {
        warnings.push({
          code: 'rollup-perf-missing',
          message: `rollup printed no --perf report on stdout${silent ? ' (--silent suppresses it)' : ''}: rollup prints none when it fails, with --silent, or when the bundle goes to stdout`,
        });
        return { warnings };
      }
      const proc = findToolProcess(ctx.processes, 'rollup', ROLLUP_BIN);
      try {
        const reports = parseRollupPerf(ctx.stdout, '<rollup stdout>', warnings);
        const totalMs = rollupPerfPhases(reports, { startMs: ms(0) }).totalMs;
        const startMs = placeAtEnd(proc, ctx, totalMs, 'rollup', warnings);
        const laid = rollupPerfPhases(reports, { startMs, ...(proc ? { pid: proc.pid } : {}) });
        const created = /created .* in (\d+(?:\.\d+)?)(ms|s)\b/.exec(stripAnsi(ctx.stderr));
        if (created) {
          const createdMs = Number(created[1]) * (created[2] === 's' ? 1000 : 1);
          // rollup prints it with pretty-ms, which floors ("10.4s" is up to 10 499 ms).
          if (totalMs > createdMs + (created[2] === 's' ? 100 : 1))
            warnings.push({
              code: 'rollup-perf-exceeds-total',
              message: `rollup's phases add up to ${totalMs} ms, more than its own "created … in ${created[1]}${created[2]}"`,
            });
        }
        const version = versionNear(proc, 'rollup', ctx.cwd);
        return {
          phases: laid.phases,
          series: laid.series,
          warnings: [...laid.warnings, ...warnings],
          sources: ['rollup-perf'],
          ...(version ? { tools: { rollup: version } } : {}),
          ...(proc ? { processes: [{ pid: proc.pid, label: 'rollup' }] } : {}),
        };
      } catch (e) {
        return { warnings: [...warnings, brokenWarning('rollup-perf-broken', "rollup's --perf report", e)] };
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// esbuild

const ESBUILD_BIN = /(^|\/)esbuild\/bin\/esbuild$|(^|\/)node_modules\/\.bin\/esbuild$/;

function esbuildInstrumentation(): Instrumentation {
  let added = false;
  return {
    name: 'esbuild',
    prepare(ctx: InstrumentContext): void {
      const at = toolArgIndex(ctx.argv, 'esbuild', ESBUILD_BIN);
      if (at < 0) return;
      const args = ctx.argv.slice(at + 1);
      // --timing is a build flag: not for `esbuild --version` / `--help`, nor the service mode.
      if (
        args.includes('--timing') ||
        args.some((a) => a === '--version' || a === '--help' || a === '-h' || a.startsWith('--service'))
      )
        return;
      ctx.argv.push('--timing');
      added = true;
    },
    async collect(ctx: CollectContext): Promise<Contribution> {
      if (!added && !isEsbuildTiming(ctx.stderr)) return {};
      const warnings: Warning[] = added ? [flagAddedWarning('esbuild', '--timing')] : [];
      if (!isEsbuildTiming(ctx.stderr)) {
        warnings.push({
          code: 'esbuild-timing-missing',
          message:
            'esbuild printed no --timing report on stderr (it prints none when the build fails or with --log-level above info)',
        });
        return { warnings };
      }
      // esbuild is a native binary: the process is the one whose argv[0] is the binary (npm's bin
      // script execs or spawns it).
      const proc = ctx.processes
        .filter(
          (p) =>
            p.argv.some((a) => path.basename(a) === 'esbuild') &&
            !p.argv.some((a) => /(^|\/)(npx|npm)(-cli)?(\.js)?$/.test(a)),
        )
        .sort((a, b) => b.startMs - a.startMs)[0];
      try {
        const r = parseEsbuildTiming(ctx.stderr, '<esbuild stderr>', warnings);
        const totalMs = esbuildTimingPhases(r, { startMs: ms(0) }).totalMs;
        const startMs = placeAtEnd(proc, ctx, totalMs, 'esbuild', warnings);
        const laid = esbuildTimingPhases(r, { startMs, ...(proc ? { pid: proc.pid } : {}) });
        return {
          phases: laid.phases,
          warnings: [...laid.warnings, ...warnings],
          sources: ['esbuild-timing'],
          ...(proc ? { processes: [{ pid: proc.pid, label: 'esbuild' }] } : {}),
        };
      } catch (e) {
        return { warnings: [...warnings, brokenWarning('esbuild-timing-broken', "esbuild's --timing report", e)] };
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// rolldown (JS API)

/** The package.json of `pkg` as Node would resolve it from `cwd`, or undefined. */
function installedPackageJson(cwd: string, pkg: string): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', pkg, 'package.json');
    if (existsSync(file)) return file;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function rolldownInstalled(cwd: string): boolean {
  return installedPackageJson(cwd, 'rolldown') !== undefined;
}

function installedVersion(cwd: string, pkg: string): string | undefined {
  const file = installedPackageJson(cwd, pkg);
  try {
    return file ? (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version : undefined;
  } catch {
    return undefined;
  }
}

function rolldownInstrumentation(): Instrumentation {
  let setRdLog = false;
  return {
    name: 'rolldown',
    prepare(ctx: InstrumentContext): void {
      if (ctx.env.RD_LOG !== undefined || !rolldownInstalled(ctx.cwd)) return;
      ctx.env.RD_LOG = ROLLDOWN_RD_LOG;
      setRdLog = true;
    },
    async collect(ctx: CollectContext): Promise<Contribution> {
      if (!isRolldownLog(ctx.stdout)) return {};
      const warnings: Warning[] = [];
      try {
        const records = parseRolldownRecords(ctx.stdout, '<rolldown stdout>', warnings);
        const firstMs = epochToProfileMs(epochMs(records[0]!.epochMs), ctx.startEpochMs);
        const lastMs = epochToProfileMs(epochMs(records[records.length - 1]!.epochMs), ctx.startEpochMs);
        // The Node process that ran rolldown: alive over the whole log (as far as the sampler, a tick or
        // two late, can tell), the innermost (latest started) one.
        const slackMs = 2 * tickSlackMs(ctx) + 5;
        const proc = ctx.processes
          .filter(
            (p) =>
              p.role !== 'instrumentation' &&
              p.argv.length &&
              /^node(\.exe)?$/.test(path.basename(p.argv[0]!)) &&
              p.startMs <= firstMs + slackMs &&
              (p.endMs ?? Infinity) >= lastMs - slackMs,
          )
          .sort((a, b) => b.startMs - a.startMs)[0];
        const s = rolldownSpans(records, { file: '<rolldown stdout>', ...(proc ? { pid: proc.pid } : {}) });
        const shiftMs = epochToProfileMs(epochMs(s.originEpochMs), ctx.startEpochMs);
        const phases: Phase[] = s.phases.map((p) => ({
          ...p,
          startMs: ms(p.startMs + shiftMs),
          endMs: ms(p.endMs + shiftMs),
        }));
        const version = versionNear(proc, 'rolldown', ctx.cwd) ?? installedVersion(ctx.cwd, 'rolldown');
        if (setRdLog)
          warnings.push({
            code: 'env-added',
            message: `set RD_LOG=${ROLLDOWN_RD_LOG} to get rolldown's stage spans (its tracing output went to stdout)`,
          });
        return {
          phases,
          markers: s.markers.map((m) => ({ ...m, tMs: ms(m.tMs + shiftMs) })),
          warnings: [...s.warnings, ...warnings],
          sources: ['rolldown-log'],
          ...(version ? { tools: { rolldown: version } } : {}),
          ...(proc ? { processes: [{ pid: proc.pid, label: 'rolldown (node)' }] } : {}),
        };
      } catch (e) {
        return { warnings: [...warnings, brokenWarning('rolldown-log-broken', "rolldown's RD_LOG output", e)] };
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Voyd

const VOYD_SCRIPT = /(^|\/)(voyd|vt)(\.js|\.ts)?$|(^|\/)apps\/cli\/src\/cli\.ts$|(^|\/)voyd\/dist\/cli\/\S+\.js$/;

function voydInstrumentation(): Instrumentation {
  let setEnv = false;
  return {
    name: 'voyd',
    prepare(ctx: InstrumentContext): void {
      if (ctx.env.VOYD_COMPILER_PERF !== undefined) return;
      ctx.env.VOYD_COMPILER_PERF = '1';
      setEnv = true;
    },
    async collect(ctx: CollectContext): Promise<Contribution> {
      if (!ctx.stderr.includes(`${VOYD_PERF_PREFIX}{`)) return {};
      const warnings: Warning[] = [];
      const proc = findToolProcess(ctx.processes, 'voyd', VOYD_SCRIPT);
      try {
        const summaries = parseVoydPerf(ctx.stderr, '<voyd stderr>', warnings);
        const totalMs = voydPerfPhases(summaries, { startMs: ms(0) }).totalMs;
        const startMs = placeAtEnd(proc, ctx, totalMs, 'voyd', warnings);
        const laid = voydPerfPhases(summaries, { startMs, ...(proc ? { pid: proc.pid } : {}) });
        if (setEnv)
          warnings.push({
            code: 'env-added',
            message: "set VOYD_COMPILER_PERF=1 to get the Voyd compiler's perf summary",
          });
        return {
          phases: laid.phases,
          warnings: [...laid.warnings, ...warnings],
          sources: ['voyd-perf'],
          ...(proc ? { processes: [{ pid: proc.pid, label: 'voyd' }] } : {}),
        };
      } catch (e) {
        return { warnings: [...warnings, brokenWarning('voyd-perf-broken', "Voyd's perf summary", e)] };
      }
    },
  };
}
