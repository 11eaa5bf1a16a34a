// "Show in Timeline" for one phase: the one call the side bar (and, later, hovers and CodeLens) make
// to bring a phase up in the timeline. It opens the timeline of the phase's profile (or shows the open
// one) and asks it to select the phase and zoom to it.
// The panel sends its view `selectPhase` once it has the model; the last phase asked for is kept
// (`lastPhaseShown`) for the tests and bug reports.
import type { Ctx } from './ctx';
import { TimelinePanel } from './timeline-panel';

/** A phase as the side bar knows it: enough for the timeline to find it and zoom to it. */
export interface PhaseInTimeline {
  profilePath: string;
  /** Index into the timeline model's `phaseRows` (the same rows, in the same order, as the phase tree's). */
  phaseRow: number;
  /** Phase names, outermost first. */
  path: string[];
  /** The row's first start and last end (milliseconds since the run began): the window to zoom to. */
  startMs: number;
  endMs: number;
}

let lastShown: PhaseInTimeline | null = null;

/** The last phase sent to the timeline, for the tests and bug reports. */
export function lastPhaseShown(): PhaseInTimeline | null {
  return lastShown;
}

/** Opens (or shows) the timeline of the phase's profile and selects the phase in it. */
export function showPhaseInTimeline(ctx: Ctx, phase: PhaseInTimeline): void {
  TimelinePanel.createOrShow(ctx, phase.profilePath, { preserveFocus: true, select: phase.path });
  lastShown = phase;
  ctx.log.info(`show in the timeline: ${phase.path.join(' › ')} (row ${phase.phaseRow}) of ${phase.profilePath}`);
}
