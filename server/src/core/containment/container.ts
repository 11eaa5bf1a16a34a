// The container a build runs in: whatever lets the runner stop every process the build started,
// daemons included, at the end, on cancel, on timeout, and (where possible) when the tool dies.
// Strongest first (docs/processes.md):
//
// - `cgroup`: a cgroup v2 of the build's own (cgroup.ts), under the supervisor (supervised.ts);
// - `subreaper`: the supervisor alone (native/cmi-contain.c): daemons are reparented to it;
// - `process-group`: no supervisor (not Linux, or no C compiler when the extension was built): the
//   build's process group plus the pids the sampler saw (process-group.ts); a daemon the sampler
//   never saw survives, and so does the whole build if the tool is killed;
// - `none`: Windows, where `taskkill /T` follows parent ids only.

import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { ContainmentKind, Ms, Warning } from '../model';

export interface ContainerOptions {
  /** Where the helper binary (dist/cmi-contain) is. */
  distDir: string;
  /** Between the polite signal and SIGKILL. */
  graceMs: Ms;
  /** Removed by the supervisor when the tool dies during the build (the run's temporary folder). */
  removeOnToolDeath?: string;
  /** The processes the sampler saw (some may have left the group): the fallback stops those too. */
  knownPids: () => number[];
}

/** What to spawn: the build itself, or the supervisor with the build's argv after `--`. */
export interface Launch {
  file: string;
  args: string[];
  env: Record<string, string>;
  stdio: StdioOptions;
}

export type BuildStart = { rootPid: number } | { errorCode: string };

export interface BuildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process still running when the build's root ended, stopped since. */
export interface StoppedProcess {
  pid: number;
  name: string;
}

export interface Container {
  /** Can weaken after the start (a cgroup the supervisor could not join). */
  readonly kind: ContainmentKind;
  launch(argv: string[], env: Record<string, string>): Launch;
  /** Once spawned: the build's root (never the supervisor), or the errno code of a failed exec. */
  started(child: ChildProcess): Promise<BuildStart>;
  /** The end of the build's root process, with its status. */
  rootExit(): Promise<BuildExit>;
  /** Cancel or timeout: the polite signal to every process, SIGKILL after the grace period. */
  stop(): void;
  /** SIGKILL to every process at once (a second Ctrl-C). */
  killNow(): void;
  /** After the root's end: stops the processes left and resolves with them. */
  stopLeftovers(): Promise<StoppedProcess[]>;
  /** Releases what the container holds (timers, the cgroup directory). */
  dispose(): Promise<void>;
}

/** The profile's warning when the container cannot stop everything in every case. */
export function containmentWarning(kind: ContainmentKind): Warning | undefined {
  if (kind === 'process-group')
    return {
      code: 'containment-weak',
      message:
        'the build ran in its process group only, without the supervisor dist/cmi-contain (built on Linux when a C compiler is present; or CMI_CONTAINMENT=process-group): a daemon it started may have survived, and the build would outlive cmi if cmi were killed (docs/processes.md)',
    };
  if (kind === 'none')
    return {
      code: 'containment-weak',
      message:
        'the build ran without a container (Windows): processes whose parent exited may survive, and so does the build if cmi is killed',
    };
  return undefined;
}
