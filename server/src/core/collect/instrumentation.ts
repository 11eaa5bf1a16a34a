// The contract between the build runner and each collector that instruments a build
// (the Node preload, the rustc wrapper, later the C/C++ and bundler adapters).
//
// The runner calls, in order: prepare() before spawning (a collector may change argv and env),
// onTick() at every sampler tick while the build runs, and collect() once the whole process tree has
// exited or been stopped. collect() must return whatever was recorded, even when the build failed or
// was killed half-way: partial data plus warnings, never an exception for a truncated file.

import type { Contribution, EpochMs, Ms, ProcessInfo, Profile } from '../model';
import { mergeContribution } from '../model';
import { ms } from '../units';
import { nameSeriesAfterProcesses } from './series-names';

export interface InstrumentContext {
  /** The command that will be spawned; a collector may rewrite it (e.g. add a flag). */
  argv: string[];
  /** The environment of the build; a collector may add variables (e.g. NODE_OPTIONS). */
  env: Record<string, string | undefined>;
  cwd: string;
  /** A private directory for this run's instrumentation files; the runner deletes it afterwards. */
  workDir: string;
  /** Epoch time (ms) that every time in the profile is relative to. */
  startEpochMs: EpochMs;
  /** The sampling interval in ms: collectors that sample should use it. */
  intervalMs: Ms;
  /** Absolute path of the folder holding the bundled helper scripts (dist/): preload.js, rustc-wrapper.sh. */
  distDir: string;
  /**
   * Set when prepare() runs again to recover a killed run's records (core/journal/recover.ts): it
   * must only find its folders again and run nothing (no version probes): the argv comes from a
   * journal file, which may not be the user's own.
   */
  recovering?: boolean;
}

export interface CollectContext extends InstrumentContext {
  /** The processes the sampler saw, with their argv, start and end. */
  processes: ProcessInfo[];
  /** When the tree ended, in ms since start. */
  endMs: Ms;
  /** The longest gap between two sampler ticks in this run (the interval, unless the machine was busy). */
  tickGapMs?: Ms;
  /** The build's output as kept by the runner (the last few MiB of each stream). */
  stdout: string;
  stderr: string;
}

export interface Instrumentation {
  readonly name: string;
  /** Before spawn. May rewrite ctx.argv / ctx.env. */
  prepare(ctx: InstrumentContext): void | Promise<void>;
  /** While the build runs, at every sampler tick (ms since start). Cheap: it runs every few ms. */
  onTick?(nowMs: Ms): void;
  /** The innermost phase known to be running now, for progress reports ("Check", "regex_syntax › type_check_crate"). */
  currentPhase?(): string | undefined;
  /** After the tree ended. Times in the contribution are ms since ctx.startEpochMs. */
  collect(ctx: CollectContext): Promise<Contribution>;
}

/**
 * How late the sampler's view of a process can be: it is first seen, and found gone, at most one
 * tick gap after the fact (the interval, or longer when the machine was too busy to tick on time).
 */
export function tickSlackMs(ctx: CollectContext): Ms {
  return ms(Math.max(ctx.intervalMs, ctx.tickGapMs ?? 0));
}

/**
 * Runs each instrumentation's collect() and merges what it returns into the profile; one that throws
 * becomes a warning and the others go on; then the per-process series are named after their
 * processes' final labels (series-names.ts). The runner calls it at the end of a run, the journal's
 * recovery on what a killed run left.
 */
export async function collectAll(
  profile: Profile,
  instrumentations: Instrumentation[],
  ctx: CollectContext,
): Promise<void> {
  for (const inst of instrumentations) {
    try {
      mergeContribution(profile, await inst.collect(ctx));
    } catch (e) {
      profile.warnings.push({
        code: 'instrumentation-failed',
        message: `${inst.name}: could not read what it recorded (${(e as Error).message})`,
      });
    }
  }
  // Every collector has said what each process is: its series are named after what it became.
  nameSeriesAfterProcesses(profile);
}
