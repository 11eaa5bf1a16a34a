// `cmi`: the command-line front door onto the engine. No analysis lives here: it parses arguments,
// calls the core, prints, and maps outcomes to documented exit codes.

import { promises as fsp } from 'node:fs';
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
import { ProfileFileError, writeProfile } from '../core/profile-file';
import { journalDirOf, readProfileOrJournal, recoverJournal } from '../core/journal/recover';
import { removeJournal, setAsideJournal } from '../core/journal/writer';
import { formatBytes, formatMs, formatPercent, ms } from '../core/units';
import { writeReportHtml } from '../report/html';
import { COMPARISON_FORMAT, COMPARISON_VERSION } from '../../../protocol/compare';
import type { Comparison } from '../../../protocol/compare';
import { clearBaseline, DEFAULT_BASELINE_DIR, readBaseline, setBaseline } from '../core/compare/baseline';
import { compareProfiles, dependsOnAllocatorSettings } from '../core/compare/compare';
import { detectBuilds, type DetectedBuild } from '../../../common/detect-builds';
import { oneLine, terminalJson, terminalText } from '../../../common/untrusted-text';
import { comparisonMarkdown, comparisonText } from '../core/compare/markdown';
import { buildOverlayModel } from '../core/compare/overlay';
import { writeCompareHtml } from '../compare-report/compare-html';
import { aggregateRuns } from '../core/compare/repeat';
import type { Bytes, Ms, Profile } from '../core/model';
// The version users see is package.json's, bundled in by esbuild (only this field is kept).
import { version as packageVersion } from '../../../package.json';

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
  /** `cmi compare --fail-on-…`: the peak or the wall time grew beyond the threshold and beyond noise. */
  gateFailed: 5,
  /** A second Ctrl-C: the build was killed at once (the profile written if that was quick). */
  interrupted: 130,
} as const;

const HELP = `cmi — Compiler Memory Insight: which phase of a build holds the peak of memory.

Usage:
  cmi profile [options] -- <command…>   run a build, sample its memory, record its phases
  cmi profile [options] [--build NAME]  the same for a build detected in the current folder
  cmi builds [DIR] [--json]             the builds detected in DIR (default: the current folder)
  cmi summary <profile.json> [--json]   the analysis of a profile: peak, its phase, phase table
  cmi import FILE… [--format NAME] [--out FILE]
                                        read what a compiler or profiler wrote into a profile
                                        (several files of one run merge into one profile)
  cmi export <profile.json> --chrome-trace OUT
                                        write a Trace Event file (opens in Perfetto): phases,
                                        memory counters, arenas, the peak, the run facts
  cmi report <profile.json> --html OUT  write one self-contained HTML file with the timeline
                                        (memory, phases, peak, arenas; works offline)
  cmi compare BASE HEAD [--markdown] [--json] [--html OUT] [--fail-on-peak-increase PCT] [--fail-on-time-increase PCT]
                                        compare two profiles (BASE may be the word \`baseline\`):
                                        Δ wall time, Δ peak per series, where the peak moved,
                                        phases matched by path, arena groups, environment changes
  cmi baseline set FILE | clear | show [--dir D]
                                        keep a profile as the baseline (in D, default .cmi)
  cmi help | cmi --version

profile options:
  --out FILE          where to write the profile (default: cmi-profile.json)
  --build NAME        without a command: which detected build (\`cmi builds\` lists them; default
                      the first)
  --runs N            run the build N times, one after the other; the profile is the median run
                      with the median, minimum and maximum of every figure (default 1)
  --interval-ms N     sampling interval of the process tree (default 10)
  --timeout-ms N      stop the whole build after N ms (the profile is kept, marked killed)
  --json              print the summary as JSON instead of text
  --quiet             don't echo the build's output (it is still kept for errors)
  --no-node-preload   don't inject the Node preload (V8 heap, performance marks, tsc phases)
  --precise-heap      Node processes: force a full GC at each phase boundary and at exit, so the
                      live V8 heap is exact there (slower: see docs/node-heap.md)
  --no-rustc          don't instrument rustc/cargo
  --no-cc             don't instrument gcc/clang (per translation unit -ftime-report/-ftime-trace)
  --no-gcc-plugin     gcc: don't load the pass-timing plugin; read -ftime-report (passes not timed)
  --no-bundlers       don't add rollup --perf, esbuild --timing, rolldown RD_LOG, Voyd's perf switch
  --no-trace-file     don't offer CMI_TRACE_FILE/CMI_TRACE_DIR (Trace Event files the build writes)
  --no-live-heap      don't preload libcmi-heap.so (each process's live malloc'd bytes; Linux)
  --heap-profiler K   run the build under massif, heaptrack or dhat and import its output
  --allocator-defaults
                      run with the allocators' own settings; by default mimalloc, jemalloc and
                      glibc are told to return freed memory at once (eager purge), so that RSS
                      follows the live heap
  --arena-rule NAME=REGEX
                      (repeatable) group heap-profiler allocation sites whose stack has a frame
                      matching REGEX into the arena lane NAME, before the built-in rules
  --sampler KIND      auto | procfs | ps | none
  --no-journal        don't keep <out>.journal/ while the build runs (a killed cmi then leaves
                      nothing; docs/journal.md)

import options:
  --format NAME       skip sniffing (\`cmi import --list-formats\` lists them)
  --arena-rule NAME=REGEX   as for profile
  --out FILE          where to write the profile (default: cmi-profile.json)
  --json              print the summary as JSON

summary options:
  --json              JSON with status, peak, phases[], series[], warnings[] (bytes and ms)
  --top N             rows per table in the text form (default 8)

compare options:
  --markdown          a Markdown table for a pull request (bold: beyond noise)
  --json              the comparison as JSON (format compiler-memory-insight/comparison)
  --html OUT          also write one self-contained HTML file: both memory curves aligned by
                      phase (the same phase at the same place) and the per-phase deltas
  --fail-on-peak-increase PCT
                      exit 5 when the peak grew by more than PCT % and beyond noise (the
                      peak of the live heap where both sides measured one, else of RSS)
  --fail-on-time-increase PCT
                      exit 5 when the wall time grew by more than PCT % and beyond noise
  --dir D             the baseline store (default .cmi)

Exit codes: 0 ok · 1 build failed (profile written) · 2 usage · 3 unreadable input or command not
found · 4 build cancelled (Ctrl-C, SIGTERM, SIGHUP), timed out or killed (profile written) · 5 compare:
a --fail-on-… threshold was crossed · 70 internal error (a bug: please report it) · 130 a second
Ctrl-C killed the build at once (the profile written if that was quick) · 128+n cmi itself was killed
by signal n (e.g. 137: SIGKILL); the build is stopped all the same (docs/processes.md).

A cmi that quits or is killed leaves the run so far in <out>.journal/: \`cmi summary\` or
\`cmi import\` it (docs/journal.md).`;

class UsageError extends Error {}

function positiveNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} takes a non-negative number, not "${v}"`);
  return n;
}

/** A non-negative duration option, in milliseconds. */
function positiveMs(name: string, v: string | undefined): Ms | undefined {
  const n = positiveNumber(name, v);
  return n === undefined ? undefined : ms(n);
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
      'precise-heap': { type: 'boolean' },
      'no-rustc': { type: 'boolean' },
      'no-cc': { type: 'boolean' },
      'no-gcc-plugin': { type: 'boolean' },
      'no-bundlers': { type: 'boolean' },
      'no-trace-file': { type: 'boolean' },
      'no-live-heap': { type: 'boolean' },
      'heap-profiler': { type: 'string' },
      'allocator-defaults': { type: 'boolean' },
      'arena-rule': { type: 'string', multiple: true },
      sampler: { type: 'string' },
      runs: { type: 'string' },
      'no-journal': { type: 'boolean' },
      build: { type: 'string' },
    },
  });
  if (positionals.length && !command.length) command.push(...positionals);
  else if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" before --`);
  let buildCwd = process.cwd();
  let buildEnv: Record<string, string> | undefined;
  if (command.length && values.build !== undefined)
    throw new UsageError('--build picks a detected build: give it or a command, not both');
  if (!command.length) {
    const chosen = await chooseDetectedBuild(buildCwd, values.build);
    process.stderr.write(terminalText(`cmi: profiling \`${chosen.name}\` (from ${chosen.source})\n`));
    command.push(...chosen.argv);
    buildCwd = chosen.cwd;
    buildEnv = chosen.env;
  }
  const sampler = values.sampler ?? 'auto';
  if (!['auto', 'procfs', 'ps', 'none'].includes(sampler))
    throw new UsageError(`--sampler takes auto, procfs, ps or none, not "${sampler}"`);
  const heapProfiler = values['heap-profiler'];
  if (heapProfiler !== undefined && !(HEAP_PROFILER_KINDS as readonly string[]).includes(heapProfiler)) {
    throw new UsageError(`--heap-profiler takes ${HEAP_PROFILER_KINDS.join(', ')}, not "${heapProfiler}"`);
  }
  const out = path.resolve(values.out ?? 'cmi-profile.json');
  // Kept as the build runs: a cmi killed mid-build leaves the profile so far there (docs/journal.md).
  const journalDir = values['no-journal'] ? undefined : `${out}.journal`;
  const setAside = journalDir && setAsideJournal(journalDir);
  if (setAside)
    process.stderr.write(
      `cmi: the journal of an earlier run that did not end was moved to ${displayPath(setAside)} (cmi summary ${displayPath(setAside)})\n`,
    );
  const runs = positiveNumber('runs', values.runs) ?? 1;
  if (!Number.isInteger(runs) || runs < 1)
    throw new UsageError(`--runs takes a whole number of at least 1, not "${values.runs}"`);

  const tty = process.stderr.isTTY === true;
  let progressLine = '';
  const clearProgress = () => {
    if (progressLine) process.stderr.write('\r\x1b[2K');
    progressLine = '';
  };
  // Ctrl-C, SIGTERM, SIGHUP (a closed terminal): stop the build, write the profile, exit 4. A second
  // Ctrl-C: SIGKILL to the whole build, the profile if it can be written at once, exit 130. A third,
  // or 2 s later: exit 130 now (the supervisor sees us die and stops what is left: docs/processes.md).
  const abort = new AbortController();
  const killNow = new AbortController();
  let interrupts = 0;
  // Exits before the profile is written: the journal, if one is still there, holds the run so far.
  const quit = () => {
    if (journalDir && journalDirOf(journalDir))
      process.stderr.write(
        `cmi: quit; the run so far is in ${displayPath(journalDir)} (cmi summary ${displayPath(journalDir)})\n`,
      );
    process.exit(EXIT.interrupted);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      clearProgress();
      process.stderr.write(
        `cmi: ${signal === 'SIGINT' ? '' : `${signal}: `}stopping the build (Ctrl-C again to kill it at once)…\n`,
      );
      abort.abort(signal === 'SIGINT' ? undefined : signal);
    } else if (interrupts === 2 && signal === 'SIGINT') {
      process.stderr.write('cmi: killing the build…\n');
      killNow.abort();
      setTimeout(quit, 2000).unref();
    } else if (signal === 'SIGINT') quit();
  };
  const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of stopSignals) process.on(s, onSignal);

  const profiles: Profile[] = [];
  try {
    for (let i = 0; i < runs && !abort.signal.aborted; i++) {
      if (runs > 1) process.stderr.write(`cmi: run ${i + 1} of ${runs}\n`);
      const result = await profileBuildWithOutput({
        argv: command,
        cwd: buildCwd,
        ...(journalDir ? { journalDir } : {}),
        ...(buildEnv ? { env: buildEnv } : {}),
        intervalMs: positiveMs('interval-ms', values['interval-ms']),
        timeoutMs: positiveMs('timeout-ms', values['timeout-ms']),
        signal: abort.signal,
        killNowSignal: killNow.signal,
        sampler: sampler as 'auto',
        noNodePreload: values['no-node-preload'],
        preciseHeap: values['precise-heap'],
        noRustc: values['no-rustc'],
        noCc: values['no-cc'],
        noGccPlugin: values['no-gcc-plugin'],
        noBundlers: values['no-bundlers'],
        noTraceFile: values['no-trace-file'],
        allocatorDefaults: values['allocator-defaults'],
        noLiveHeap: values['no-live-heap'],
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
              const line = `⏱ ${formatMs(p.elapsedMs)} · RSS ${formatBytes(p.treeRssBytes)} · peak ${formatBytes(p.peakTreeRssBytes)} · ${p.processCount} process${p.processCount === 1 ? '' : 'es'}${p.phase ? ` · ${oneLine(p.phase)}` : ''}`;
              process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 100) - 1)}`);
              progressLine = line;
            }
          : undefined,
      });
      profiles.push(result.profile);
      if (journalDir) removeJournal(journalDir);
      clearProgress();
      // A build that did not end ok is not repeated: its runs would not be comparable.
      if (result.profile.run.status !== 'ok') break;
    }
  } finally {
    for (const s of stopSignals) process.off(s, onSignal);
    clearProgress();
    if (journalDir) removeJournal(journalDir); // a run that ended (or never started) is in memory: the journal is no longer needed
  }
  const profile = aggregateRuns(profiles);
  if (runs > 1 && profiles.length < runs)
    process.stderr.write(`cmi: stopped after ${profiles.length} of ${runs} runs (the last did not end ok)\n`);
  await writeProfile(out, profile);
  const analysis = analyze(profile);
  const rep = profile.repeat;
  const repeatLine = rep
    ? `Runs: ${rep.runs} · wall ${formatMs(rep.wallMs.median)} (${formatMs(rep.wallMs.min)}–${formatMs(rep.wallMs.max)}) · peak ${peakRange(rep)} · shown: run ${rep.representative + 1}, the median peak\n`
    : '';
  if (values.json)
    process.stdout.write(
      `${terminalJson(JSON.stringify({ profile: out, ...summaryJson(analysis), ...(rep ? { repeat: rep } : {}) }, null, 2))}\n`,
    );
  else
    process.stdout.write(
      `${repeatLine}${summaryText(analysis, { run: profile.run })}\n\nProfile written to ${displayPath(out)}\n`,
    );
  const status = profiles[profiles.length - 1]!.run.status;
  if (killNow.signal.aborted) return EXIT.interrupted;
  if (status === 'ok') return EXIT.ok;
  return status === 'failed' ? EXIT.buildFailed : EXIT.buildStopped;
}

function peakRange(rep: NonNullable<Profile['repeat']>): string {
  const peaks = rep.perRun.map((r) => r.peakBytes).filter((b): b is Bytes => b !== null);
  if (!peaks.length) return 'none recorded';
  const sorted = [...peaks].sort((a, b) => a - b);
  return `${formatBytes(sorted[(sorted.length - 1) >> 1]!)} (${formatBytes(sorted[0]!)}–${formatBytes(sorted[sorted.length - 1]!)})`;
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
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      'list-formats': { type: 'boolean' },
      'arena-rule': { type: 'string', multiple: true },
    },
  });
  if (values['list-formats']) {
    for (const i of importers) process.stdout.write(`${i.format.padEnd(20)} ${i.description}\n`);
    return EXIT.ok;
  }
  if (!positionals.length)
    throw new UsageError('cmi import takes one or more files: cmi import FILE… [--format NAME] [--out FILE]');
  const journal = positionals.length === 1 ? journalDirOf(positionals[0]!) : undefined;
  const profile = journal
    ? await recoverJournal(journal)
    : await importFiles(positionals, {
        ...(values.format ? { format: values.format } : {}),
        ...arenaRulesOption(values['arena-rule']),
      });
  const out = path.resolve(values.out ?? 'cmi-profile.json');
  await writeProfile(out, profile);
  const analysis = analyze(profile);
  if (values.json)
    process.stdout.write(`${terminalJson(JSON.stringify({ profile: out, ...summaryJson(analysis) }, null, 2))}\n`);
  else process.stdout.write(`${summaryText(analysis)}\n\nProfile written to ${displayPath(out)}\n`);
  return EXIT.ok;
}

async function cmdExport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'chrome-trace': { type: 'string' } },
  });
  if (positionals.length !== 1 || !values['chrome-trace'])
    throw new UsageError('cmi export takes a profile and an output: cmi export <profile.json> --chrome-trace OUT.json');
  const profile = await readProfileOrJournal(positionals[0]!);
  const out = path.resolve(values['chrome-trace']);
  await writeChromeTrace(out, profile);
  process.stderr.write(`Trace Event file written to ${displayPath(out)} (open it in Perfetto or chrome://tracing)\n`);
  return EXIT.ok;
}

async function cmdReport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { html: { type: 'string' } },
  });
  if (positionals.length !== 1 || !values.html)
    throw new UsageError('cmi report takes a profile and an output: cmi report <profile.json> --html OUT.html');
  const profile = await readProfileOrJournal(positionals[0]!);
  const out = path.resolve(values.html);
  await writeReportHtml(out, profile);
  process.stderr.write(`HTML report written to ${displayPath(out)}\n`);
  return EXIT.ok;
}

/** A build detected in `dir`: the one named `name`, else the first; a usage error when there is none. */
async function chooseDetectedBuild(dir: string, name: string | undefined): Promise<DetectedBuild> {
  const builds = await detectBuilds(dir);
  if (!builds.length) {
    throw new UsageError(
      `cmi profile needs a command (cmi profile [options] -- <command…>): no build detected in ${dir} (looked for Cargo.toml, package.json build scripts, tsconfig.json, rollup/rolldown/vite configs, CMakeLists.txt, a Makefile, compile_commands.json)`,
    );
  }
  if (name === undefined) return builds[0]!;
  const found = builds.find((b) => b.name === name);
  if (!found)
    throw new UsageError(
      `--build: no detected build is named "${name}"; detected: ${builds.map((b) => `"${b.name}"`).join(', ')}`,
    );
  return found;
}

async function cmdBuilds(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  if (positionals.length > 1) throw new UsageError('cmi builds takes at most one folder: cmi builds [DIR] [--json]');
  const dir = path.resolve(positionals[0] ?? '.');
  try {
    if (!(await fsp.stat(dir)).isDirectory()) throw new Error('not a folder');
  } catch (e) {
    process.stderr.write(`cmi: ${dir}: ${(e as Error).message}\n`);
    return EXIT.input;
  }
  const builds = await detectBuilds(dir);
  if (values.json) {
    process.stdout.write(`${terminalJson(JSON.stringify(builds, null, 2))}\n`);
    return EXIT.ok;
  }
  if (!builds.length) {
    process.stdout.write(`No build detected in ${dir}.\n`);
    return EXIT.ok;
  }
  // Names and commands from the folder's files (package.json scripts, Makefile targets): shown, not acted on.
  for (const b of builds) {
    process.stdout.write(
      terminalText(
        `${b.name}\n    from ${b.source}: ${b.argv.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`,
      ),
    );
    if (b.detail) process.stdout.write(terminalText(`    ${b.detail}\n`));
  }
  process.stdout.write(terminalText(`\nProfile one with: cmi profile --build "${builds[0]!.name}"\n`));
  return EXIT.ok;
}

async function cmdSummary(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, top: { type: 'string' } },
  });
  if (positionals.length !== 1)
    throw new UsageError('cmi summary takes one profile file: cmi summary <profile.json> [--json]');
  const profile = await readProfileOrJournal(positionals[0]!);
  const analysis = analyze(profile);
  if (values.json) process.stdout.write(`${terminalJson(JSON.stringify(summaryJson(analysis), null, 2))}\n`);
  else process.stdout.write(`${summaryText(analysis, { top: positiveNumber('top', values.top), run: profile.run })}\n`);
  return EXIT.ok;
}

/** A profile named on the command line: a file, or the word `baseline` for the stored baseline. */
async function loadSide(spec: string, dir: string): Promise<{ profile: Profile; source: string }> {
  if (spec !== 'baseline') return { profile: await readProfileOrJournal(spec), source: spec };
  const b = await readBaseline(dir);
  if (!b)
    throw new ProfileFileError(
      'no baseline is set (set one with: cmi baseline set FILE)',
      path.join(dir, 'baseline.cmi.json'),
    );
  return { profile: b.profile, source: `baseline (${b.source ? displayPath(b.source) : displayPath(b.file)})` };
}

function percentOption(name: string, v: string | undefined): number | undefined {
  const n = positiveNumber(name, v);
  return n === undefined ? undefined : n / 100;
}

/** The CI gate: which thresholds the comparison crosses (an increase beyond the threshold and beyond noise). */
export function gateFailures(c: Comparison, gate: { peakPct?: number; timePct?: number }): string[] {
  const fails: string[] = [];
  const over = (d: Comparison['wall'], limit: number) => d.deltaPct !== null && d.deltaPct > limit && !d.noise;
  const peak = c.peaks[0];
  const across = c.allocatorSettingsDiffer;
  // Fail closed: a profile recovered from a journal covers only the start of its build.
  const incomplete = (['base', 'head'] as const).filter((side) => c[side].statuses.includes('incomplete'));
  if ((gate.peakPct !== undefined || gate.timePct !== undefined) && incomplete.length)
    fails.push(
      `the ${incomplete.join(' and ')} profile${incomplete.length > 1 ? 's are' : ' is'} incomplete (recovered from the journal of a tool that stopped mid-build): its peak and wall time cover only part of the build and can't be judged`,
    );
  if (gate.peakPct !== undefined && peak && across && dependsOnAllocatorSettings(peak.kind)) {
    // Fail closed: across allocator settings such a peak can neither pass nor fail the gate.
    fails.push(
      `the peak (${peak.name}) can't be judged: base ran with allocator settings "${across.base}", head with "${across.head}", and ${peak.kind.startsWith('rss') ? 'RSS is' : "the allocator's counts are"} not comparable across them; profile both sides the same way`,
    );
  } else if (gate.peakPct !== undefined && peak && over(peak.peak, gate.peakPct)) {
    fails.push(
      `the peak (${peak.name}) grew by ${formatPercent(peak.peak.deltaPct)}, more than the allowed ${formatPercent(gate.peakPct)}: ${formatBytes(peak.peak.base!.median)} → ${formatBytes(peak.peak.head!.median)}`,
    );
  }
  if (gate.timePct !== undefined && over(c.wall, gate.timePct)) {
    fails.push(
      `the wall time grew by ${formatPercent(c.wall.deltaPct)}, more than the allowed ${formatPercent(gate.timePct)}: ${formatMs(c.wall.base!.median)} → ${formatMs(c.wall.head!.median)}`,
    );
  }
  return fails;
}

async function cmdCompare(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      markdown: { type: 'boolean' },
      json: { type: 'boolean' },
      html: { type: 'string' },
      'fail-on-peak-increase': { type: 'string' },
      'fail-on-time-increase': { type: 'string' },
      dir: { type: 'string' },
      top: { type: 'string' },
    },
  });
  if (positionals.length !== 2)
    throw new UsageError('cmi compare takes two profiles: cmi compare BASE HEAD (BASE may be the word "baseline")');
  if (values.markdown && values.json) throw new UsageError('--markdown and --json exclude each other');
  const gate = {
    peakPct: percentOption('fail-on-peak-increase', values['fail-on-peak-increase']),
    timePct: percentOption('fail-on-time-increase', values['fail-on-time-increase']),
  };
  const top = positiveNumber('top', values.top);
  const dir = path.resolve(values.dir ?? DEFAULT_BASELINE_DIR);
  const base = await loadSide(positionals[0]!, dir);
  const head = await loadSide(positionals[1]!, dir);
  const c = compareProfiles(base.profile, head.profile, { baseSource: base.source, headSource: head.source });
  const fails = gateFailures(c, gate);
  if (values.html) {
    const out = path.resolve(values.html);
    await writeCompareHtml(out, buildOverlayModel(base.profile, head.profile, c));
    process.stderr.write(`Phase-aligned overlay written to ${displayPath(out)}\n`);
  }
  if (values.json)
    process.stdout.write(
      `${terminalJson(JSON.stringify({ format: COMPARISON_FORMAT, version: COMPARISON_VERSION, ...c, gate: { ...gate, failures: fails } }, null, 2))}\n`,
    );
  else if (values.markdown)
    process.stdout.write(`${comparisonMarkdown(c, top !== undefined ? { topPhases: top } : {})}\n`);
  else process.stdout.write(`${comparisonText(c, top !== undefined ? { topPhases: top } : {})}\n`);
  for (const f of fails) process.stderr.write(terminalText(`cmi: gate failed: ${f}\n`));
  return fails.length ? EXIT.gateFailed : EXIT.ok;
}

async function cmdBaseline(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: 'string' } },
  });
  const [action, ...files] = positionals;
  const dir = path.resolve(values.dir ?? DEFAULT_BASELINE_DIR);
  switch (action) {
    case 'set': {
      if (files.length !== 1)
        throw new UsageError('cmi baseline set takes one profile: cmi baseline set FILE [--dir D]');
      const b = await setBaseline(dir, files[0]!);
      process.stderr.write(
        terminalText(
          `Baseline set from ${displayPath(b.source!)} (${b.profile.run.command.join(' ')}${b.profile.repeat ? `, ${b.profile.repeat.runs} runs` : ''}), stored in ${displayPath(b.file)}\n`,
        ),
      );
      return EXIT.ok;
    }
    case 'clear': {
      if (files.length) throw new UsageError('cmi baseline clear takes no file');
      const had = await clearBaseline(dir);
      process.stderr.write(had ? 'Baseline cleared\n' : 'No baseline was set\n');
      return EXIT.ok;
    }
    case 'show': {
      if (files.length) throw new UsageError('cmi baseline show takes no file');
      const b = await readBaseline(dir);
      if (!b) {
        process.stdout.write('No baseline is set (set one with: cmi baseline set FILE)\n');
        return EXIT.ok;
      }
      const peak = analyze(b.profile).peak;
      process.stdout.write(
        `${terminalText(
          [
            `Baseline: ${displayPath(b.file)}${b.source ? ` (from ${displayPath(b.source)}${b.setAt ? `, set ${b.setAt}` : ''})` : ''}`,
            `Build: ${b.profile.run.command.join(' ')} · ${b.profile.repeat ? `${b.profile.repeat.runs} runs` : '1 run'} · ${b.profile.run.status} · wall ${formatMs(b.profile.run.wallMs)}`,
            `Peak: ${peak ? `${formatBytes(peak.bytes)} (${peak.seriesName}) in ${peak.phasePath.join(' › ') || '(no phase)'}` : 'none recorded'}`,
            `Tools: ${
              Object.entries(b.profile.run.tools)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ') || '(none recorded)'
            }`,
          ].join('\n'),
        )}\n`,
      );
      return EXIT.ok;
    }
    default:
      throw new UsageError(
        'cmi baseline takes set FILE, clear or show: cmi baseline set FILE | clear | show [--dir D]',
      );
  }
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
      case 'compare':
        return await cmdCompare(rest);
      case 'builds':
        return await cmdBuilds(rest);
      case 'baseline':
        return await cmdBaseline(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`);
        return cmd === undefined ? EXIT.usage : EXIT.ok;
      case '--version':
      case '-V':
        process.stdout.write(`${packageVersion}\n`);
        return EXIT.ok;
      default:
        throw new UsageError(`unknown command "${cmd}" (try: cmi help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(terminalText(`cmi: ${(e as Error).message}\n`));
      return EXIT.usage;
    }
    if (e instanceof ProfileFileError || e instanceof SpawnError || e instanceof ImportError) {
      process.stderr.write(terminalText(`cmi: ${e.message}\n`));
      return EXIT.input;
    }
    process.stderr.write(terminalText(`cmi: internal error: ${(e as Error).stack ?? String(e)}\n`));
    return 70;
  }
}

/**
 * A reader that goes away (`cmi summary run.json | head`) is not an error of ours: the rest of the
 * output is dropped and the command ends as it would have (the profile is written all the same).
 */
function dropOutputOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    process.stderr.write(`cmi: cannot write the output: ${e.message}\n`);
    process.exit(EXIT.input);
  });
}

if (require.main === module) {
  dropOutputOnClosedPipe(process.stdout);
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
