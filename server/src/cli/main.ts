// `cmi`: the command-line front door onto the engine. No analysis lives here: it parses arguments,
// calls the core, prints, and maps outcomes to documented exit codes.

import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { analyze } from '../core/analysis/analyze';
import type { ArenaRule } from '../core/analysis/arena-rules';
import { ArenaRuleError, DEFAULT_ARENA_RULES, mergeRules, parseArenaRule } from '../core/analysis/arena-rules';
import { writeChromeTrace } from '../core/export/chrome-trace';
import type { HeapProfilerKind } from '../core/collect/heap-profiler';
import { HEAP_PROFILER_KINDS } from '../core/collect/heap-profiler';
import { summaryJson, summaryText } from '../core/analysis/summary';
import { ImportError, importFiles, importers } from '../core/importers';
import { profileBuildWithOutput, SpawnError } from '../core/profile-build';
import { ProfileFileError, readProfile, writeProfile } from '../core/profile-file';
import { formatBytes, formatMs } from '../core/units';
import { writeReportHtml } from '../report/html';

/** Documented in the README ("Exit codes"). */
export const EXIT = {
  ok: 0,
  /** The build ran and failed (non-zero exit); the profile was written. */
  buildFailed: 1,
  /** Wrong arguments. */
  usage: 2,
  /** An input could not be read or the command could not be started. */
  input: 3,
  /** The build was cancelled, timed out or killed by a signal; the profile recorded so far was written. */
  buildStopped: 4,
} as const;

const VERSION = '0.1.0';

const HELP = `cmi — Compiler Memory Insight: which phase of a build holds the peak of memory.

Usage:
  cmi profile [options] -- <command…>   run a build, sample its memory, record its phases
  cmi summary <profile.json> [--json]   the analysis of a profile: peak, its phase, phase table
  cmi import FILE… [--format NAME] [--out FILE]
                                        read what a compiler or profiler wrote into a profile
                                        (several files of one run merge into one profile)
  cmi export <profile.json> --chrome-trace OUT
                                        write a Trace Event file (opens in Perfetto): phases,
                                        memory counters, arenas, the peak, the run facts
  cmi report <profile.json> --html OUT  write one self-contained HTML file with the timeline
                                        (memory, phases, peak, arenas; works offline)
  cmi help | cmi --version

profile options:
  --out FILE          where to write the profile (default: cmi-profile.json)
  --interval-ms N     sampling interval of the process tree (default 10)
  --timeout-ms N      stop the whole build after N ms (the profile is kept, marked killed)
  --json              print the summary as JSON instead of text
  --quiet             don't echo the build's output (it is still kept for errors)
  --no-node-preload   don't inject the Node preload (V8 heap, performance marks, tsc phases)
  --no-rustc          don't instrument rustc/cargo
  --no-cc             don't instrument gcc/clang (per translation unit -ftime-report/-ftime-trace)
  --no-bundlers       don't add rollup --perf, esbuild --timing, rolldown RD_LOG, Voyd's perf switch
  --no-trace-file     don't offer CMI_TRACE_FILE/CMI_TRACE_DIR (Trace Event files the build writes)
  --heap-profiler K   run the build under massif, heaptrack or dhat and import its output
  --arena-rule NAME=REGEX
                      (repeatable) group heap-profiler allocation sites whose stack has a frame
                      matching REGEX into the arena lane NAME, before the built-in rules
  --sampler KIND      auto | procfs | ps | none

import options:
  --format NAME       skip sniffing (\`cmi import --list-formats\` lists them)
  --arena-rule NAME=REGEX   as for profile
  --out FILE          where to write the profile (default: cmi-profile.json)
  --json              print the summary as JSON

summary options:
  --json              JSON with status, peak, phases[], series[], warnings[] (bytes and ms)
  --top N             rows per table in the text form (default 8)

Exit codes: 0 ok · 1 build failed (profile written) · 2 usage · 3 unreadable input or command not
found · 4 build cancelled, timed out or killed (profile written).`;

class UsageError extends Error {}

function positiveNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} takes a non-negative number, not "${v}"`);
  return n;
}

async function cmdProfile(argv: string[]): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const command = dash === -1 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'interval-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      'no-node-preload': { type: 'boolean' },
      'no-rustc': { type: 'boolean' },
      'no-cc': { type: 'boolean' },
      'no-bundlers': { type: 'boolean' },
      'no-trace-file': { type: 'boolean' },
      'heap-profiler': { type: 'string' },
      'arena-rule': { type: 'string', multiple: true },
      sampler: { type: 'string' },
    },
  });
  if (positionals.length && !command.length) command.push(...positionals);
  else if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" before --`);
  if (!command.length) throw new UsageError('cmi profile needs a command: cmi profile [options] -- <command…>');
  const sampler = values.sampler ?? 'auto';
  if (!['auto', 'procfs', 'ps', 'none'].includes(sampler)) throw new UsageError(`--sampler takes auto, procfs, ps or none, not "${sampler}"`);
  const heapProfiler = values['heap-profiler'];
  if (heapProfiler !== undefined && !(HEAP_PROFILER_KINDS as readonly string[]).includes(heapProfiler)) {
    throw new UsageError(`--heap-profiler takes ${HEAP_PROFILER_KINDS.join(', ')}, not "${heapProfiler}"`);
  }
  const out = path.resolve(values.out ?? 'cmi-profile.json');

  const tty = process.stderr.isTTY === true;
  let progressLine = '';
  const clearProgress = () => {
    if (progressLine) process.stderr.write('\r\x1b[2K');
    progressLine = '';
  };
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      clearProgress();
      process.stderr.write('cmi: stopping the build (Ctrl-C again to quit at once)…\n');
      abort.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  let result;
  try {
    result = await profileBuildWithOutput({
      argv: command,
      cwd: process.cwd(),
      intervalMs: positiveNumber('interval-ms', values['interval-ms']),
      timeoutMs: positiveNumber('timeout-ms', values['timeout-ms']),
      signal: abort.signal,
      sampler: sampler as 'auto',
      noNodePreload: values['no-node-preload'],
      noRustc: values['no-rustc'],
      noCc: values['no-cc'],
      noBundlers: values['no-bundlers'],
      noTraceFile: values['no-trace-file'],
      ...(heapProfiler ? { heapProfiler: heapProfiler as HeapProfilerKind } : {}),
      ...arenaRulesOption(values['arena-rule']),
      onOutput: values.quiet
        ? undefined
        : (_stream, text) => {
            const redraw = progressLine;
            clearProgress();
            process.stderr.write(text);
            if (redraw && tty) process.stderr.write((progressLine = redraw));
          },
      onProgress: tty
        ? (p) => {
            const line = `⏱ ${formatMs(p.elapsedMs)} · RSS ${formatBytes(p.treeRssBytes)} · peak ${formatBytes(p.peakTreeRssBytes)} · ${p.processCount} process${p.processCount === 1 ? '' : 'es'}${p.phase ? ` · ${p.phase}` : ''}`;
            process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 100) - 1)}`);
            progressLine = line;
          }
        : undefined,
    });
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    clearProgress();
  }
  const { profile } = result;
  await writeProfile(out, profile);
  const analysis = analyze(profile);
  if (values.json) process.stdout.write(`${JSON.stringify({ profile: out, ...summaryJson(analysis) }, null, 2)}\n`);
  else process.stdout.write(`${summaryText(analysis)}\n\nProfile written to ${displayPath(out)}\n`);
  if (profile.run.status === 'ok') return EXIT.ok;
  return profile.run.status === 'failed' ? EXIT.buildFailed : EXIT.buildStopped;
}

/** `--arena-rule NAME=REGEX` (repeatable): the user's rules first, then the built-in ones. */
function arenaRulesOption(specs: string[] | undefined): { arenaRules?: ArenaRule[] } {
  if (!specs?.length) return {};
  try {
    return { arenaRules: mergeRules(specs.map(parseArenaRule), DEFAULT_ARENA_RULES) };
  } catch (e) {
    if (e instanceof ArenaRuleError) throw new UsageError(`--arena-rule: ${e.message}`);
    throw e;
  }
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

async function cmdImport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, 'list-formats': { type: 'boolean' }, 'arena-rule': { type: 'string', multiple: true } },
  });
  if (values['list-formats']) {
    for (const i of importers) process.stdout.write(`${i.format.padEnd(20)} ${i.description}\n`);
    return EXIT.ok;
  }
  if (!positionals.length) throw new UsageError('cmi import takes one or more files: cmi import FILE… [--format NAME] [--out FILE]');
  const profile = await importFiles(positionals, { ...(values.format ? { format: values.format } : {}), ...arenaRulesOption(values['arena-rule']) });
  const out = path.resolve(values.out ?? 'cmi-profile.json');
  await writeProfile(out, profile);
  const analysis = analyze(profile);
  if (values.json) process.stdout.write(`${JSON.stringify({ profile: out, ...summaryJson(analysis) }, null, 2)}\n`);
  else process.stdout.write(`${summaryText(analysis)}\n\nProfile written to ${displayPath(out)}\n`);
  return EXIT.ok;
}

async function cmdExport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'chrome-trace': { type: 'string' } } });
  if (positionals.length !== 1 || !values['chrome-trace']) throw new UsageError('cmi export takes a profile and an output: cmi export <profile.json> --chrome-trace OUT.json');
  const profile = await readProfile(positionals[0]!);
  const out = path.resolve(values['chrome-trace']);
  await writeChromeTrace(out, profile);
  process.stderr.write(`Trace Event file written to ${displayPath(out)} (open it in Perfetto or chrome://tracing)\n`);
  return EXIT.ok;
}

async function cmdReport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { html: { type: 'string' } } });
  if (positionals.length !== 1 || !values.html) throw new UsageError('cmi report takes a profile and an output: cmi report <profile.json> --html OUT.html');
  const profile = await readProfile(positionals[0]!);
  const out = path.resolve(values.html);
  await writeReportHtml(out, profile);
  process.stderr.write(`HTML report written to ${displayPath(out)}\n`);
  return EXIT.ok;
}

async function cmdSummary(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, top: { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError('cmi summary takes one profile file: cmi summary <profile.json> [--json]');
  const profile = await readProfile(positionals[0]!);
  const analysis = analyze(profile);
  if (values.json) process.stdout.write(`${JSON.stringify(summaryJson(analysis), null, 2)}\n`);
  else process.stdout.write(`${summaryText(analysis, { top: positiveNumber('top', values.top) })}\n`);
  return EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'profile':
        return await cmdProfile(rest);
      case 'summary':
        return await cmdSummary(rest);
      case 'import':
        return await cmdImport(rest);
      case 'export':
        return await cmdExport(rest);
      case 'report':
        return await cmdReport(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`);
        return cmd === undefined ? EXIT.usage : EXIT.ok;
      case '--version':
      case '-V':
        process.stdout.write(`${VERSION}\n`);
        return EXIT.ok;
      default:
        throw new UsageError(`unknown command "${cmd}" (try: cmi help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`cmi: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
    if (e instanceof ProfileFileError || e instanceof SpawnError || e instanceof ImportError) {
      process.stderr.write(`cmi: ${e.message}\n`);
      return EXIT.input;
    }
    process.stderr.write(`cmi: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 70;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
