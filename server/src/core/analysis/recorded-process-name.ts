// The name a profile recorded for a process: what the views (the timeline's lane groups) and the
// comparison of runs call a pid, each with its own wording around it. It reads a profile and never
// labels anything itself: the labels are made while recording (collect/sampler/process-label.ts,
// and the Node preload's reader for Node processes).

import type { ProcessInfo } from '../model';

/**
 * The name a profile recorded for a pid: its label, else the base name of its argv[0]; undefined
 * when the profile knows neither. The first process with the pid counts (a reused pid's later ones
 * are not told apart here).
 */
export function recordedProcessName(processes: readonly ProcessInfo[], pid: number): string | undefined {
  const proc = processes.find((q) => q.pid === pid);
  const argv0 = proc?.argv[0];
  return proc?.label ?? (argv0 ? argv0.split('/').pop() : undefined);
}
