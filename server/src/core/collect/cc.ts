// The C/C++ collector: every translation unit compiled by gcc/g++ (or clang) during a build (make,
// CMake, ninja, a direct compiler call) becomes a phase named after its source file, attached to the
// compiler process that compiled it, with the compiler's own phases nested below it. The user adds
// no flags.
//
// gcc: the driver (gcc, g++, cc, whatever path the build calls it by) looks for its compiler proper
// (cc1, cc1plus) in COMPILER_PATH before its own libexec directory. The profiler puts two shims named
// cc1 and cc1plus in a directory of the run's workDir and prepends it to COMPILER_PATH: so even the
// absolute compiler paths that CMake and ninja bake into their build files go through it, and nothing
// is written into the user's build configuration (a CMake configure run under the profiler caches
// nothing of it). The shims are symlinks to <distDir>/cmi-cc-shim (native/cmi-cc-shim.c, built on
// Linux with a C compiler), else (no binary, or CMI_CC_SHIM=bash) scripts running
// <distDir>/cc-wrapper.sh: both exec the real cc1 in place (same pid) with `-ftime-report` and capture
// that process's report into a file of its own, so the reports of `make -j` compiles never
// interleave; warnings and errors still reach the build's stderr. See either for the file layout.
// -ftime-report does not change the generated code or the object files.
//
// clang: clang has no separate cc1 process. A `clang`/`clang++` command, and `clang`/`clang++` found
// on PATH by make (not by a CMake configure, which would cache the shim's path), run the same wrapper,
// which adds `-ftime-trace` to compiles; clang writes <object>.json beside the object; it is imported
// as a Chrome trace (clang's `beginningOfTime` puts it on the run's clock) and then removed, so the
// build directory holds only what the user's build writes.
//
// gcc's passes, two ways:
//  - with the GCC plugin (dist/cmi_gcc.so, built by scripts/build-native.mjs for the system's gcc;
//    native/README.md): the wrapper loads it into cc1 with -fplugin and no -ftime-report; it writes
//    `<f>.passes`, stages and IPA passes with real times on the wall clock, per-function passes as
//    per-pass totals. The TU's phase spans the plugin's first to last stamp; the stages and IPA passes
//    are phases below it; the totals are `Phase.durations` rows of the phase they ran in.
//  - without it (another gcc than the plugin's, no plugin headers, CMI_CC_NO_PLUGIN=1,
//    --no-gcc-plugin): -ftime-report has durations only, so nothing inside the TU is placed in time.
//    The TU's phase spans TOTAL (wall) and ends when cc1 printed its report (the wrapper's filter
//    stamps that moment); the report's rows are its `durations` table; the peak goes to the TU and the
//    headline says "(passes not timed)".
//
// Up-to-date builds: nothing is forced to rebuild (no private build directory, unlike cargo's): when
// nothing was compiled, a warning says so and suggests `make -B` or a clean build.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Contribution, EpochMs, Ms, Phase, PhaseDuration, ProcessInfo, Warning } from '../model';
import { bytes, epochSecondsToMs, epochToProfileMs, ms } from '../units';
import { importFile } from '../importers/index';
import type { ImportOptions, ImportResult } from '../importers/importer';
import { type GccTimeReportBlock, parseGccTimeReport } from '../importers/gcc-time-report';
import { type GccPluginRecord, parseGccPluginRecord } from './gcc-plugin-record';
import type { CollectContext, InstrumentContext, Instrumentation } from './instrumentation';
import { matchProcess, readOr, readRecordArgs, recordNames, sampledEndBoundMs } from './wrapper-records';

export const CC_WRAPPER_FILE = 'cc-wrapper.sh';
/** The GCC plugin and what it was built for (scripts/build-native.mjs), in the dist directory. */
export const GCC_PLUGIN_FILE = 'cmi_gcc.so';
export const GCC_PLUGIN_INFO_FILE = 'cmi_gcc.json';

/** The compiled shim (native/cmi-cc-shim.c, scripts/build-native.mjs): its mode is the name it is called by. */
export const CC_SHIM_FILE = 'cmi-cc-shim';

/** The compiled shim of distDir, unless it is missing or the build's env asks for the bash wrapper (CMI_CC_SHIM=bash). */
function compiledShim(distDir: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.CMI_CC_SHIM === 'bash') return undefined;
  const file = path.join(distDir, CC_SHIM_FILE);
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

export interface CcInstrumentationOptions {
  /** Instrument whatever the command is (a script that runs make, a custom build tool). Default: only make, cmake, ninja, meson, scons and compiler commands. */
  always?: boolean;
  /** gcc: never load the plugin; read -ftime-report (passes not timed). Also CMI_CC_NO_PLUGIN=1 in the build's env. */
  noGccPlugin?: boolean;
}

/** The plugin for the build's env (CMI_CC_PLUGIN, CMI_CC_PLUGIN_CC1DIR), when it was built and is wanted. */
export function gccPluginFor(
  distDir: string,
  env: Record<string, string | undefined>,
  options: CcInstrumentationOptions = {},
): { plugin: string; cc1Dir: string } | undefined {
  if (process.platform !== 'linux' || options.noGccPlugin || (env.CMI_CC_NO_PLUGIN ?? '') !== '') return undefined;
  const plugin = path.resolve(distDir, GCC_PLUGIN_FILE);
  if (!fs.existsSync(plugin)) return undefined;
  try {
    const info = JSON.parse(fs.readFileSync(path.join(distDir, GCC_PLUGIN_INFO_FILE), 'utf8')) as { cc1Dir?: unknown };
    return typeof info.cc1Dir === 'string' && info.cc1Dir ? { plugin, cc1Dir: info.cc1Dir } : undefined;
  } catch {
    return undefined;
  }
}

export function ccInstrumentation(options: CcInstrumentationOptions = {}): Instrumentation {
  return new CcInstrumentation(options);
}

const BUILD_TOOLS = new Set(['make', 'gmake', 'cmake', 'ninja', 'samu', 'meson', 'scons', 'bear', 'ccache']);
const GCC_RE = /^(?:[\w.-]+-)?(?:gcc|g\+\+|cc|c\+\+)(?:-\d+(?:\.\d+)*)?$/;
const CLANG_RE = /^clang(\+\+)?(?:-\d+(?:\.\d+)*)?$/;

/** What kind of command this is for the C/C++ adapter, or undefined when it is none of its business. */
export function ccCommandKind(argv: readonly string[]): 'build-tool' | 'cmake-configure' | 'gcc' | 'clang' | undefined {
  const exe = argv[0] ? path.basename(argv[0].replace(/\\/g, '/')).replace(/\.exe$/i, '') : '';
  if (exe === 'cmake') return argv.includes('--build') || argv.includes('--install') ? 'build-tool' : 'cmake-configure';
  if (BUILD_TOOLS.has(exe)) return 'build-tool';
  if (CLANG_RE.test(exe)) return 'clang';
  if (GCC_RE.test(exe)) return 'gcc';
  return undefined;
}

/** cc1/cc1plus/clang options whose value is the next argument. */
const TAKES_VALUE = new Set([
  '-o',
  '-dumpbase',
  '-dumpbase-ext',
  '-dumpdir',
  '-auxbase',
  '-auxbase-strip',
  '-imultiarch',
  '-imultilib',
  '-iprefix',
  '-isystem',
  '-idirafter',
  '-iquote',
  '-include',
  '-imacros',
  '-isysroot',
  '-iwithprefix',
  '-iwithprefixbefore',
  '-I',
  '-D',
  '-U',
  '-MF',
  '-MT',
  '-MQ',
  '-MD',
  '-MMD',
  '-x',
  '-main-file-name',
  '-Xclang',
  '-target',
  '--target',
  '-arch',
  '-L',
  '-l',
]);
const SOURCE_RE = /\.(c|cc|cp|cxx|cpp|CPP|c\+\+|C|i|ii|m|mi|mm|M|mii|cu|h|hh|hpp|hxx|H|tcc)$/;

/** The source file and output of a compiler's argv (argv[0] is the compiler). */
export function ccSourceOf(argv: readonly string[]): { source?: string; output?: string; compileOnly: boolean } {
  let source: string | undefined;
  let output: string | undefined;
  let compileOnly = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c') compileOnly = true;
    if (TAKES_VALUE.has(a)) {
      if (a === '-o') output = argv[i + 1];
      i++;
      continue;
    }
    if (a.startsWith('-o') && a.length > 2 && !a.startsWith('-openmp')) output ??= a.slice(2);
    if (!a.startsWith('-') && SOURCE_RE.test(a) && source === undefined) source = a;
  }
  return { source, output, compileOnly };
}

/** A command found on PATH, skipping one directory. */
function which(name: string, pathVar: string | undefined, skipDir: string): string | undefined {
  for (const d of (pathVar ?? '').split(path.delimiter)) {
    if (!d || path.resolve(d) === skipDir) continue;
    const full = path.join(d, name);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return undefined;
}

interface Record_ {
  name: string;
  pid: number;
  filterPid?: number;
  ppid?: number;
  prog: string;
  startEpochMs?: EpochMs;
  cwd: string;
  reportEpochMs?: EpochMs;
  endEpochMs?: EpochMs;
  report: string;
  argv: string[];
  /** The wrapper loaded the GCC plugin: the passes are in `<f>.passes`, there is no report. */
  plugin: boolean;
}

function parseRecord(name: string, text: string, argv: string[]): Record_ | undefined {
  const lines = text.split('\n');
  const h = /^# cmi-cc-wrapper 1 pid=(\d+) filter=(\d*) ppid=(\d*) prog=(\S+) start=(\S*) cwd=(.*)$/.exec(
    lines[0] ?? '',
  );
  if (!h) return undefined;
  // bash's EPOCHREALTIME: epoch seconds, with a decimal comma in some locales.
  const stamp = (s: string | undefined) =>
    s && /^\d+[.,]\d+$/.test(s) ? epochSecondsToMs(Number(s.replace(',', '.'))) : undefined;
  const r: Record_ = { name, pid: Number(h[1]), prog: h[4]!, cwd: h[6]!, report: '', argv, plugin: false };
  if (h[2]) r.filterPid = Number(h[2]);
  if (h[3]) r.ppid = Number(h[3]);
  const start = stamp(h[5]);
  if (start !== undefined) r.startEpochMs = start;
  const report: string[] = [];
  for (const l of lines.slice(1)) {
    let m: RegExpExecArray | null;
    if ((m = /^# report (\S*)$/.exec(l))) {
      const s = stamp(m[1]);
      if (s !== undefined) r.reportEpochMs = s;
    } else if ((m = /^# end (\S*)$/.exec(l))) {
      const s = stamp(m[1]);
      if (s !== undefined) r.endEpochMs = s;
    } else if (l === '# plugin') r.plugin = true;
    else report.push(l);
  }
  r.report = report.join('\n').trim();
  return r;
}

/** Imports a file with the registered importer of `format` (shared by the cc, heap-profiler and trace-file adapters). */
export async function importAs(file: string, format: string, opts: ImportOptions = {}): Promise<ImportResult> {
  return importFile(file, { ...opts, format });
}

class CcInstrumentation implements Instrumentation {
  readonly name = 'cc';
  private applies = false;
  private active = false;
  private dir = '';
  private shimDir = '';
  private readonly warnings: Warning[] = [];
  private readonly tools: Record<string, string> = {};
  /** Why compiles may go without the plugin, when it was not offered to the build. */
  private pluginOff = '';

  constructor(private readonly options: CcInstrumentationOptions) {}

  prepare(ctx: InstrumentContext): void {
    const kind = ccCommandKind(ctx.argv);
    if (!kind && !this.options.always) return;
    this.applies = true;
    if (process.platform === 'win32') {
      this.warnings.push({
        code: 'cc-unsupported-platform',
        message: 'C/C++ compile phases are not recorded on Windows yet (the compiler wrapper is a bash script)',
      });
      return;
    }
    const wrapper = path.join(ctx.distDir, CC_WRAPPER_FILE);
    const compiled = compiledShim(ctx.distDir, ctx.env);
    if (!compiled && !fs.existsSync(wrapper)) {
      this.warnings.push({
        code: 'cc-wrapper-missing',
        message: `${wrapper} is missing (run \`npm run build\`): C/C++ compiles were not profiled`,
      });
      return;
    }
    this.dir = path.join(ctx.workDir, 'cc-reports');
    this.shimDir = path.join(ctx.workDir, 'cc-shims');
    fs.mkdirSync(this.dir, { recursive: true });
    fs.mkdirSync(this.shimDir, { recursive: true });
    // A shim named after its mode: a symlink to the compiled shim, else a script running the bash wrapper.
    const shim = (mode: 'cc1' | 'cc1plus' | 'clang' | 'clang++') => {
      const file = path.join(this.shimDir, mode);
      fs.rmSync(file, { force: true });
      if (compiled) fs.symlinkSync(compiled, file);
      else
        fs.writeFileSync(file, `#!/bin/sh\nexec /bin/bash '${wrapper.replace(/'/g, `'\\''`)}' ${mode} "$@"\n`, {
          mode: 0o755,
        });
      return file;
    };
    shim('cc1');
    shim('cc1plus');

    const userCompilerPath = ctx.env.COMPILER_PATH;
    if (userCompilerPath !== undefined) ctx.env.CMI_CC_USER_COMPILER_PATH = userCompilerPath;
    else delete ctx.env.CMI_CC_USER_COMPILER_PATH;
    ctx.env.COMPILER_PATH = userCompilerPath ? `${this.shimDir}${path.delimiter}${userCompilerPath}` : this.shimDir;
    ctx.env.CMI_CC_DIR = this.dir;
    const plugin = gccPluginFor(ctx.distDir, ctx.env, this.options);
    if (plugin) {
      ctx.env.CMI_CC_PLUGIN = plugin.plugin;
      ctx.env.CMI_CC_PLUGIN_CC1DIR = plugin.cc1Dir;
    } else {
      delete ctx.env.CMI_CC_PLUGIN;
      delete ctx.env.CMI_CC_PLUGIN_CC1DIR;
      this.pluginOff =
        this.options.noGccPlugin || (ctx.env.CMI_CC_NO_PLUGIN ?? '') !== ''
          ? 'turned off'
          : `${GCC_PLUGIN_FILE} was not built: the system gcc has no plugin headers, see \`npm run build\``;
    }

    // clang: through the wrapper for a direct call, and on PATH for make (never for a CMake configure,
    // which would cache the shim's path in the user's build directory).
    const realClang = which('clang', ctx.env.PATH, this.shimDir);
    const realClangxx = which('clang++', ctx.env.PATH, this.shimDir);
    if (kind === 'clang') {
      const isxx = /\+\+/.test(path.basename(ctx.argv[0]!));
      ctx.env[isxx ? 'CMI_CC_REAL_CLANGXX' : 'CMI_CC_REAL_CLANG'] = ctx.argv[0]!.includes('/')
        ? ctx.argv[0]!
        : (which(ctx.argv[0]!, ctx.env.PATH, this.shimDir) ?? ctx.argv[0]!);
      const mode = isxx ? 'clang++' : 'clang';
      ctx.argv = compiled ? [shim(mode), ...ctx.argv.slice(1)] : ['/bin/bash', wrapper, mode, ...ctx.argv.slice(1)];
    } else if (kind !== 'cmake-configure' && (realClang || realClangxx)) {
      if (realClang) {
        ctx.env.CMI_CC_REAL_CLANG = realClang;
        shim('clang');
      }
      if (realClangxx) {
        ctx.env.CMI_CC_REAL_CLANGXX = realClangxx;
        shim('clang++');
      }
      ctx.env.PATH = `${this.shimDir}${path.delimiter}${ctx.env.PATH ?? ''}`;
    }
    const gccVersion = probeVersion('gcc', ctx);
    if (gccVersion) this.tools.gcc = gccVersion;
    this.active = true;
  }

  async collect(ctx: CollectContext): Promise<Contribution> {
    if (!this.applies) return {};
    const warnings = [...this.warnings];
    const base: Contribution = { warnings, tools: { ...this.tools }, sources: [] };
    if (!this.active) return base;

    const records: Record_[] = [];
    for (const name of recordNames(this.dir, '.tr')) {
      const file = path.join(this.dir, name);
      const rec = parseRecord(name, readOr(file, ''), readRecordArgs(file));
      if (rec) records.push(rec);
    }
    if (!records.length) {
      warnings.push({
        code: 'cc-nothing-compiled',
        message:
          'no C/C++ file was compiled (everything was up to date, or the build failed before compiling): run a clean build or `make -B` to profile the compiles',
      });
      return base;
    }

    const rel = (t: EpochMs): Ms => epochToProfileMs(t, ctx.startEpochMs);
    const placed: { startMs: Ms; phases: Phase[] }[] = [];
    const processes: (Partial<ProcessInfo> & { pid: number })[] = [];
    const sources = new Set<string>();
    const tools: Record<string, string> = {};
    let reconstructed = 0;
    let untimed = 0;
    let timedByPlugin = 0;
    for (const rec of records) {
      const proc = matchProcess(
        ctx.processes,
        rec.pid,
        rec.startEpochMs === undefined ? undefined : rel(rec.startEpochMs),
      );
      const driver = rec.ppid === undefined ? undefined : ctx.processes.find((p) => p.pid === rec.ppid);
      const { source, output } = ccSourceOf(rec.argv);
      const driverOut = driver ? ccSourceOf(driver.argv).output : undefined;
      const srcAbs = source === undefined ? undefined : path.resolve(rec.cwd || ctx.cwd, source);
      const tuName = srcAbs === undefined ? `${rec.prog} (pid ${rec.pid})` : displayPath(srcAbs, ctx.cwd);
      const procStart = rec.startEpochMs !== undefined ? rel(rec.startEpochMs) : (proc?.startMs ?? ms(0));
      const procEnd = rec.endEpochMs !== undefined ? rel(rec.endEpochMs) : (proc?.endMs ?? ctx.endMs);
      const args: Record<string, string | number | boolean> = { compiler: rec.prog };
      if (srcAbs) args.source = srcAbs;
      const object = rec.prog.startsWith('cc1') ? driverOut : output;
      if (object) args.object = path.resolve(rec.cwd || ctx.cwd, object);
      if (rec.ppid !== undefined) args.driverPid = rec.ppid;
      const label = `${rec.prog} ${srcAbs ? path.basename(srcAbs) : ''}`.trim();
      // The sampler may have read argv while the pid still ran the shim (`sh .../cc-shims/cc1`): the shim
      // and cc1 share the name "cc1", so it sees no exec. The wrapper's record is the compiler's argv.
      // Its start is the wrapper's stamp (the same pid), when the sampler first saw it later.
      if (proc)
        processes.push({
          pid: rec.pid,
          label,
          role: 'build',
          ...(rec.argv.length ? { argv: rec.argv } : {}),
          ...(procStart < proc.startMs ? { startMs: procStart } : {}),
        });
      else
        processes.push({
          pid: rec.pid,
          ppid: rec.ppid ?? null,
          argv: rec.argv,
          startMs: procStart,
          endMs: procEnd,
          peakRssBytes: null,
          label,
          role: 'build',
        });
      if (rec.filterPid !== undefined && ctx.processes.some((p) => p.pid === rec.filterPid)) {
        processes.push({ pid: rec.filterPid, label: `cc-wrapper filter (${label})`, role: 'instrumentation' });
      }

      if (rec.prog === 'clang' || rec.prog === 'clang++') {
        const ph = await this.clangPhases(rec, tuName, args, procStart, procEnd, ctx, warnings, sources);
        if (ph) placed.push({ startMs: ph[0]!.startMs, phases: ph });
        continue;
      }

      if (rec.plugin) {
        const passesFile = path.join(this.dir, rec.name.replace(/\.tr$/, '.passes'));
        const passes = parseGccPluginRecord(readOr(passesFile, ''));
        const ph = pluginPhases(passes, rec, tuName, args, procStart, procEnd, rel, warnings);
        sources.add('gcc-plugin');
        timedByPlugin++;
        placed.push({ startMs: ph[0]!.startMs, phases: ph });
        continue;
      }

      // gcc without the plugin: the report, placed so that it ends when cc1 printed it.
      const root: Phase = {
        name: tuName,
        parent: null,
        startMs: procStart,
        endMs: procEnd,
        pid: rec.pid,
        category: 'translation-unit',
        args: { ...args },
      };
      placed.push({ startMs: procStart, phases: [root] });
      if (!rec.report) {
        const stopped = rec.endEpochMs === undefined;
        warnings.push({
          code: 'cc-no-report',
          message: `${rec.prog} ${tuName} (pid ${rec.pid}) printed no time report (${stopped ? 'it was stopped' : 'it failed or crashed'})`,
          file: rec.name,
        });
        root.args!.incomplete = true;
        continue;
      }
      let block: GccTimeReportBlock | undefined;
      try {
        block = parseGccTimeReport(`\n${rec.report}\n`, rec.name).blocks[0];
      } catch (e) {
        warnings.push({
          code: 'cc-report-unreadable',
          message: `the time report of ${tuName} (pid ${rec.pid}) could not be read: ${(e as Error).message}`,
          file: rec.name,
        });
      }
      if (!block) continue;
      sources.add('gcc-time-report');
      untimed++;
      const totalMs = ms(
        block.total?.wallMs ?? block.rows.filter((r) => r.kind === 'phase').reduce((t, r) => t + (r.wallMs ?? 0), 0),
      );
      let endMs = rec.reportEpochMs !== undefined ? rel(rec.reportEpochMs) : procEnd;
      if (rec.reportEpochMs === undefined) reconstructed++;
      // The filter reads byte by byte and can lag behind on a busy machine: the report cannot come
      // after the process ended (the sampler last saw it alive at endMs, so it ended within a tick).
      const boundMs = sampledEndBoundMs(proc, ctx);
      if (boundMs !== undefined) endMs = ms(Math.min(endMs, boundMs));
      if (rec.endEpochMs !== undefined) endMs = ms(Math.min(endMs, rel(rec.endEpochMs)));
      // TOTAL is rounded to 10 ms: never start before the process did.
      if (endMs - totalMs < procStart) endMs = ms(procStart + totalMs);
      root.startMs = ms(endMs - totalMs);
      root.endMs = endMs;
      placed[placed.length - 1]!.startMs = root.startMs;
      for (const k of ['usrMs', 'sysMs', 'wallMs', 'ggcAllocatedBytes'] as const) {
        const v = block.total?.[k];
        if (v !== undefined) root.args![k] = v;
      }
      root.durations = reportDurations(block);
    }

    // The wrapper's own processes (the shims and bash before their exec, the process substitution).
    for (const p of ctx.processes) {
      if (processes.some((q) => q.pid === p.pid)) continue;
      if (
        p.argv.some((a) => path.basename(a) === CC_WRAPPER_FILE || a.startsWith(this.shimDir + path.sep)) ||
        p.argv[0] === CC_WRAPPER_FILE
      ) {
        processes.push({ pid: p.pid, label: 'cc-wrapper', role: 'instrumentation' });
      }
    }
    placed.sort((a, b) => a.startMs - b.startMs);
    const phases: Phase[] = [];
    for (const { phases: local } of placed) {
      const offset = phases.length;
      for (const p of local) phases.push({ ...p, parent: p.parent === null ? null : p.parent + offset });
    }
    if (untimed) {
      warnings.push({
        code: 'cc-passes-not-timed',
        message:
          `${untimed} gcc compile(s) without the pass-timing plugin (${this.pluginWhy(timedByPlugin)}): gcc -ftime-report has durations, no time stamps: each file's span is gcc's TOTAL, ending when cc1 printed its report, and its passes are listed as a table inside it, not placed in time` +
          (reconstructed
            ? `; ${reconstructed} report(s) had no time stamp (bash < 5) and end at the process's end`
            : ''),
      });
    }
    return { ...base, tools: { ...this.tools, ...tools }, phases, processes, sources: [...sources] };
  }

  private pluginWhy(timedByPlugin: number): string {
    if (this.pluginOff) return this.pluginOff;
    return timedByPlugin
      ? 'their gcc is not the one the plugin was built for'
      : `the plugin is built for another gcc than the build's (see ${GCC_PLUGIN_INFO_FILE})`;
  }

  private async clangPhases(
    rec: Record_,
    tuName: string,
    args: Record<string, string | number | boolean>,
    procStart: Ms,
    procEnd: Ms,
    ctx: CollectContext,
    warnings: Warning[],
    sources: Set<string>,
  ): Promise<Phase[] | undefined> {
    const { source, output, compileOnly } = ccSourceOf(rec.argv);
    if (!compileOnly || !source) return undefined; // a link or a probe: no trace
    const obj = output ?? path.basename(source).replace(/\.[^.]*$/, '.o');
    const json = path.resolve(rec.cwd || ctx.cwd, `${obj.replace(/\.[^./]*$/, '')}.json`);
    const root: Phase = {
      name: tuName,
      parent: null,
      startMs: procStart,
      endMs: procEnd,
      pid: rec.pid,
      category: 'translation-unit',
      args,
    };
    if (!fs.existsSync(json)) {
      warnings.push({
        code: 'cc-no-trace',
        message: `clang wrote no -ftime-trace file for ${tuName} (expected ${json})`,
      });
      return [root];
    }
    try {
      const r = await importAs(json, 'chrome-trace');
      for (const s of r.sources ?? ['chrome-trace']) sources.add(s);
      const local = r.phases ?? [];
      let shift: Ms;
      if (r.originEpochMs !== undefined) shift = epochToProfileMs(r.originEpochMs, ctx.startEpochMs);
      else {
        const s = Math.min(...local.map((p) => p.startMs));
        shift = ms(procStart - (Number.isFinite(s) ? s : 0));
      }
      const phases: Phase[] = [root];
      for (const p of local)
        phases.push({
          ...p,
          parent: p.parent === null ? 0 : p.parent + 1,
          startMs: ms(p.startMs + shift),
          endMs: ms(p.endMs + shift),
          pid: rec.pid,
        });
      for (const p of phases.slice(1)) {
        root.startMs = ms(Math.min(root.startMs, p.startMs));
        root.endMs = ms(Math.max(root.endMs, p.endMs));
      }
      return phases;
    } catch (e) {
      warnings.push({
        code: 'cc-trace-unreadable',
        message: `the -ftime-trace file of ${tuName} could not be read: ${(e as Error).message}`,
        file: json,
      });
      return [root];
    } finally {
      // The profiler asked for it: leave the build directory as the user's build leaves it.
      fs.rmSync(json, { force: true });
    }
  }
}

/** The rows of gcc's report as the durations table of its file (print order; nested rows one deeper). */
function reportDurations(block: GccTimeReportBlock): PhaseDuration[] {
  return block.rows.map((r) => ({
    name: r.kind === 'overlapping' ? `|${r.name}` : r.name,
    ms: ms(r.wallMs ?? (r.usrMs ?? 0) + (r.sysMs ?? 0)),
    depth: r.kind === 'detail' ? 1 : 0,
    ...(r.ggcAllocatedBytes !== undefined ? { bytes: bytes(r.ggcAllocatedBytes), bytesMeaning: 'GGC allocated' } : {}),
  }));
}

/**
 * The phases of one compile timed by the plugin: the file's phase from the plugin's first to its last
 * stamp (to the process's end when gcc stopped before PLUGIN_FINISH), its stages and their IPA passes
 * below it with their real times, and each phase's per-function passes as its durations table.
 */
function pluginPhases(
  passes: GccPluginRecord,
  rec: Record_,
  tuName: string,
  args: Record<string, string | number | boolean>,
  procStart: Ms,
  procEnd: Ms,
  rel: (t: EpochMs) => Ms,
  warnings: Warning[],
): Phase[] {
  const root: Phase = {
    name: tuName,
    parent: null,
    startMs: passes.firstEpochMs !== undefined ? rel(passes.firstEpochMs) : procStart,
    endMs: procEnd,
    pid: rec.pid,
    category: 'translation-unit',
    args: { ...args, gccPlugin: true },
  };
  if (passes.mismatch !== undefined || passes.firstEpochMs === undefined) {
    warnings.push({
      code: 'cc-plugin-no-record',
      message:
        passes.mismatch !== undefined
          ? `${rec.prog} ${tuName} (pid ${rec.pid}): the pass-timing plugin is built for gcc ${passes.builtFor ?? '?'}, this is gcc ${passes.mismatch}: its passes were not recorded (run \`npm run build\` again)`
          : `${rec.prog} ${tuName} (pid ${rec.pid}) wrote no pass record (it failed before the plugin started, or was stopped)`,
      file: rec.name,
    });
    root.args!.incomplete = true;
    return [root];
  }
  const finished = passes.finishEpochMs !== undefined;
  if (finished) root.endMs = rel(passes.finishEpochMs!);
  else {
    root.args!.incomplete = true;
    if (passes.lastEpochMs !== undefined) root.endMs = ms(Math.max(procEnd, rel(passes.lastEpochMs)));
    warnings.push({
      code: 'cc-plugin-cut',
      message: `${rec.prog} ${tuName} (pid ${rec.pid}) ${passes.exitedEarly ? 'exited' : 'was stopped or crashed'} before gcc finished: its passes are recorded up to then`,
      file: rec.name,
    });
  }
  if (passes.ggcTotalBytes !== undefined) root.args!.ggcAllocatedBytes = passes.ggcTotalBytes;
  if (passes.counts.parsed !== undefined) root.args!.functionsParsed = passes.counts.parsed;
  const phases: Phase[] = [root];
  for (const p of passes.phases) {
    const phaseArgs: Record<string, string | number | boolean> = {};
    if (p.ggcEndBytes !== undefined) phaseArgs.ggcAllocatedBytes = p.ggcEndBytes - p.ggcStartBytes;
    if (p.counts.functions !== undefined) phaseArgs.functions = p.counts.functions;
    if (p.endEpochMs === undefined) phaseArgs.incomplete = true;
    const phase: Phase = {
      name: p.name,
      parent: p.parent === null ? 0 : p.parent + 1,
      startMs: rel(p.startEpochMs),
      endMs: p.endEpochMs !== undefined ? rel(p.endEpochMs) : root.endMs,
      pid: rec.pid,
      category: p.kind === 'stage' ? 'gcc-stage' : 'gcc-pass',
      args: phaseArgs,
    };
    if (p.rows.length)
      phase.durations = p.rows.map((r) => ({
        name: r.name,
        ms: r.ms,
        count: r.runs,
        bytes: r.ggcAllocatedBytes,
        bytesMeaning: 'GGC allocated',
      }));
    phases.push(phase);
  }
  return phases;
}

function probeVersion(cmd: string, ctx: InstrumentContext): string | undefined {
  if (ctx.recovering) return undefined;
  try {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined && k !== 'COMPILER_PATH') env[k] = v;
    return (
      execFileSync(cmd, ['-dumpfullversion'], {
        env,
        encoding: 'utf8',
        timeout: 10_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

function displayPath(abs: string, cwd: string): string {
  const r = path.relative(cwd, abs);
  return r && !r.startsWith('..') && !path.isAbsolute(r) ? r : abs;
}
