// Recovery: the profile so far from a journal a killed tool left behind (format.ts). The CLI's
// `cmi summary`/`cmi import` and the language server's Import Profile call recoverJournal().
//
// The sampler's part comes from samples.txt; each instrumentation named in the header is prepared
// again on the original argv with the journal's work/ as its workDir (that only finds its folders
// again: nothing is spawned but the version probes some of them make) and collects what its
// processes wrote there. The profile is marked `incomplete`: it ends at the last tick written.

import { existsSync, promises as fsp, statSync } from 'node:fs';
import * as path from 'node:path';
import type { CollectContext, InstrumentContext, Instrumentation } from '../collect/instrumentation';
import { collectAll } from '../collect/instrumentation';
import { readProcFile } from '../collect/sampler/proc-files';
import type { HeapProfilerKind } from '../collect/heap-profiler';
import { ImportError } from '../importers/import-error';
import type { Profile, RunFacts, SamplerFacts } from '../model';
import { addProcessRootPhases, emptyProfile, mergeContribution } from '../model';
import { defaultInstrumentations } from '../profile-build';
import { readProfile } from '../profile-file';
import { findDistDir } from '../runner';
import { formatMs, ms } from '../units';
import {
  FLUSH_EVERY_MS,
  HEADER_FILE,
  JOURNAL_FORMAT,
  JOURNAL_VERSION,
  type JournalHeader,
  OUTPUT_FILES,
  SAMPLES_FILE,
  WORK_DIR,
} from './format';
import { readJournalSamples } from './reader';

/**
 * The journal folder `p` names: the folder itself (it holds a header.json), or its header.json (what
 * a file picker gives); undefined when `p` is neither.
 */
export function journalDirOf(p: string): string | undefined {
  try {
    if (statSync(p).isDirectory()) return existsSync(path.join(p, HEADER_FILE)) ? p : undefined;
    return path.basename(p) === HEADER_FILE && existsSync(path.join(path.dirname(p), SAMPLES_FILE))
      ? path.dirname(p)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A profile file, or the profile so far of a journal folder. */
export async function readProfileOrJournal(p: string): Promise<Profile> {
  const journal = journalDirOf(p);
  return journal ? recoverJournal(journal) : readProfile(p);
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImportError('broken', `cannot read: ${(e as Error).message}`, file);
  }
}

/** The journal's header.json, checked; an ImportError naming it otherwise. */
export async function readJournalHeader(dir: string): Promise<JournalHeader> {
  const file = path.join(dir, HEADER_FILE);
  const text = await readText(file);
  if (text === undefined) throw new ImportError('not-this-format', 'no journal header (header.json)', file);
  let h: Partial<JournalHeader>;
  try {
    h = JSON.parse(text) as Partial<JournalHeader>;
  } catch (e) {
    throw new ImportError('broken', `not JSON (${(e as Error).message})`, file, 1);
  }
  if (h?.format !== JOURNAL_FORMAT) throw new ImportError('not-this-format', `not a ${JOURNAL_FORMAT} header`, file);
  if (h.version !== JOURNAL_VERSION)
    throw new ImportError('broken', `journal version ${h.version}, this cmi reads ${JOURNAL_VERSION}`, file);
  const ok =
    Array.isArray(h.argv) &&
    typeof h.cwd === 'string' &&
    Number.isFinite(h.startEpochMs) &&
    Number.isFinite(h.intervalMs) &&
    Array.isArray(h.instrumentations);
  if (!ok)
    throw new ImportError('broken', 'the header lacks argv, cwd, startEpochMs, intervalMs or instrumentations', file);
  return h as JournalHeader;
}

/** The build's output as the journal kept it: the rotated part, then the current one. */
async function readOutput(dir: string, stream: keyof typeof OUTPUT_FILES): Promise<string> {
  const file = path.join(dir, OUTPUT_FILES[stream]);
  return `${(await readText(`${file}.1`)) ?? ''}${(await readText(file)) ?? ''}`;
}

export async function recoverJournal(dir: string): Promise<Profile> {
  const header = await readJournalHeader(dir);
  const samplesFile = path.join(dir, SAMPLES_FILE);
  const source = `${header.sampler} sampler`;
  const samples = readJournalSamples((await readText(samplesFile)) ?? '', samplesFile, source);
  const endMs = samples.lastMs;
  const stoppedAt = new Date(header.startEpochMs + endMs).toISOString();

  const sampler: SamplerFacts = { kind: header.sampler, intervalMs: header.intervalMs, ticks: samples.ticks };
  if (samples.ticks > 1) sampler.maxGapMs = samples.maxGapMs;
  const run: RunFacts = {
    command: header.argv,
    cwd: header.cwd,
    startedAt: header.startedAt,
    startEpochMs: header.startEpochMs,
    wallMs: endMs,
    exitCode: null,
    signal: null,
    status: 'incomplete',
    tools: {},
    host: header.host,
    sampler,
    sources: [`sampler:${header.sampler}`, 'journal'],
    importedFrom: [path.resolve(dir)],
  };
  const profile = emptyProfile(run);
  mergeContribution(profile, {
    series: samples.series,
    processes: samples.processes,
    warnings: samples.warnings,
  });

  const workDir = path.join(dir, WORK_DIR);
  const stdout = await readOutput(dir, 'stdout');
  const stderr = await readOutput(dir, 'stderr');
  // Preparing an instrumentation again rewrites its wrapper scripts, which a build still running may
  // be executing: its records are read once no process of it is left.
  const running = samples.processes.filter((p) => p.endMs === null && isRunning(p.pid)).map((p) => p.pid);
  if (running.length)
    profile.warnings.push({
      code: 'journal-build-running',
      message: `${running.length} process(es) of the build still run (pids ${running.slice(0, 8).join(', ')}): the instrumentations' records (phases, heaps) are read only once they have ended; read the journal again then`,
    });
  else if (existsSync(workDir)) await collectAgain(profile, header, workDir, { stdout, stderr });
  else
    profile.warnings.push({
      code: 'journal-no-work',
      message: `the journal has no ${WORK_DIR}/ folder: no phases or heap from the instrumentations`,
    });
  // The instrumentations' records can reach past the last tick written (by up to a flush period).
  let end = endMs as number;
  for (const p of profile.phases) end = Math.max(end, p.endMs);
  for (const s of profile.series) if (s.tMs.length) end = Math.max(end, s.tMs[s.tMs.length - 1]!);
  profile.run.wallMs = ms(end);
  // A build that outlived its tool went on writing its own records (the preload's) after the last tick.
  const later = end - endMs > 2 * FLUSH_EVERY_MS ? `, the build's own records the first ${formatMs(ms(end))}` : '';
  if (header.toolPid !== process.pid && isRunning(header.toolPid)) {
    // Read while its tool runs: a look at the build so far, not a recovery.
    profile.run.statusReason = `read while the build runs (the journal of pid ${header.toolPid}); the profile holds the first ${formatMs(endMs)} of memory samples${later}`;
    profile.warnings.unshift({
      code: 'journal-live',
      message: `read from the journal in ${dir} while the tool that writes it (pid ${header.toolPid}) still runs: the build goes on after ${formatMs(endMs)}`,
    });
  } else {
    profile.run.statusReason = `the tool stopped at ${stoppedAt} before the build ended; the profile holds the first ${formatMs(endMs)} of memory samples${later}`;
    profile.warnings.unshift({
      code: 'journal-recovered',
      message: `recovered from the journal in ${dir}: the tool that ran the build (pid ${header.toolPid}) stopped ${formatMs(endMs)} into the build, so what came after is missing${later ? ` (but for the build's own records, which go on to ${formatMs(ms(end))})` : ''}`,
    });
  }
  addProcessRootPhases(profile, profile.run.wallMs);
  return profile;
}

/** Prepares the header's instrumentations again on work/ and runs their collect(). */
async function collectAgain(
  profile: Profile,
  header: JournalHeader,
  workDir: string,
  output: { stdout: string; stderr: string },
): Promise<void> {
  const heapProfiler = header.instrumentations
    .find((n) => n.startsWith('heap-profiler:'))
    ?.slice('heap-profiler:'.length) as HeapProfilerKind | undefined;
  const names = new Set(header.instrumentations);
  const list = defaultInstrumentations(heapProfiler ? { heapProfiler } : {}).filter((i) => names.has(i.name));
  let distDir = header.distDir;
  if (!existsSync(distDir)) distDir = findDistDir();
  const ctx: InstrumentContext = {
    argv: [...header.argv],
    env: { ...process.env },
    cwd: header.cwd,
    workDir,
    startEpochMs: header.startEpochMs,
    intervalMs: header.intervalMs,
    distDir,
    recovering: true,
  };
  const prepared: Instrumentation[] = [];
  for (const inst of list) {
    try {
      await inst.prepare(ctx);
      prepared.push(inst);
    } catch (e) {
      profile.warnings.push({
        code: 'instrumentation-failed',
        message: `${inst.name}: could not find its records again (${(e as Error).message})`,
      });
    }
  }
  const collectCtx: CollectContext = {
    ...ctx,
    processes: profile.processes,
    endMs: profile.run.wallMs,
    ...output,
    ...(profile.run.sampler?.maxGapMs !== undefined ? { tickGapMs: profile.run.sampler.maxGapMs } : {}),
  };
  await collectAll(profile, prepared, collectCtx);
}

/**
 * Whether a process with this pid runs (a zombie does not: it has exited). A reused pid makes a false
 * yes: the warnings then say "still runs" of a process that is not the build's.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true; // kill(0) is all there is
  const stat = readProcFile(`/proc/${pid}/stat`);
  return stat !== null && stat[stat.lastIndexOf(')') + 2] !== 'Z';
}
