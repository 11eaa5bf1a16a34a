// How the reader names tsc's marks: which begin or end a span, what ties a begin to its end, and
// tsc's own measure name for it. Shared by the profile's tsc phases (reader.ts) and the live phase
// shown while the build runs (live-tsc-phase.ts).

import { TSC_MARK_NAME } from './records';

/** tsc's measure name for a mark pair, where it is not simply before<X>/after<X> → X (see performance.measure calls in typescript/lib/_tsc.js). */
export const TSC_MEASURE_NAMES: Record<string, string> = {
  IORead: 'I/O Read',
  IOWrite: 'I/O Write',
  Transform: 'transformTime',
  Print: 'printTime',
  Comment: 'commentTime',
  Sourcemap: 'Source Map',
  CheckNodes: 'Check',
  DumpTypes: 'Dump types',
  'SolutionBuilder::ConfigFileParsing': 'Config file parsing',
  'SolutionBuilder::UpToDateCheck': 'Up-to-date check',
  'SolutionBuilder::Build': 'Build',
  'SolutionBuilder::Clean': 'Clean',
  'SolutionBuilder::WatcherCreation': 'Watcher creation',
};

export interface MarkKind {
  kind: 'begin' | 'end' | 'instant';
  /** Ties a begin mark to its end mark. */
  key: string;
  /** tsc's measure name (or the mark's name for an instant). */
  measure: string;
}

export function classifyMark(name: string): MarkKind {
  const m = TSC_MARK_NAME.exec(name);
  if (!m) return { kind: 'instant', key: name, measure: name.replace(/^SolutionBuilder::/, '') };
  const key = (m[1] ?? '') + m[3];
  return {
    kind: m[2] === 'before' || m[2] === 'begin' ? 'begin' : 'end',
    key,
    measure: TSC_MEASURE_NAMES[key] ?? m[3]!,
  };
}
