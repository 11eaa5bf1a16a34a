// The table of a phase's parts known only by duration (`Phase.durations`: gcc's passes from
// -ftime-report without the plugin, a compiler's totals without time stamps). Spans of one phase path
// add up as the phase rows do: a part is matched by its path inside the table (the names of the rows
// above it by depth, then its own name), its times, counts and bytes summed. Pure.

import type { Bytes, Ms, PhaseDuration } from '../model';
import { bytes, ms } from '../units';

/** One row of a phase row's durations table, over every span of the phase path. */
export interface DurationRow {
  name: string;
  /** The names of the rows above it in the table, outermost first, then its own: how it is matched. */
  path: string[];
  depth: number;
  /** Total wall time the source reports, summed over the spans. */
  ms: Ms;
  /** ms / the phase row's duration (null when the phase has no duration). */
  shareOfPhase: number | null;
  /** Times it ran, summed where the source counts them. */
  count: number | null;
  bytes: Bytes | null;
  bytesMeaning: string | null;
}

/** Sums durations tables of the spans of one phase path, in the order their rows first appear. */
export class DurationsTable {
  private readonly rows = new Map<string, DurationRow>();

  add(list: readonly PhaseDuration[] | undefined): void {
    if (!list?.length) return;
    const above: string[] = [];
    for (const d of list) {
      const depth = Math.max(0, Math.min(above.length, Math.trunc(d.depth ?? 0)));
      above.length = depth;
      const path = [...above, d.name];
      above.push(d.name);
      const key = path.join('\u0000');
      const row = this.rows.get(key);
      if (!row) {
        this.rows.set(key, {
          name: d.name,
          path,
          depth,
          ms: d.ms,
          shareOfPhase: null,
          count: d.count ?? null,
          bytes: d.bytes ?? null,
          bytesMeaning: d.bytesMeaning ?? null,
        });
        continue;
      }
      row.ms = ms(row.ms + d.ms);
      if (d.count !== undefined) row.count = (row.count ?? 0) + d.count;
      if (d.bytes !== undefined) row.bytes = bytes((row.bytes ?? 0) + d.bytes);
      row.bytesMeaning ??= d.bytesMeaning ?? null;
    }
  }

  /** The rows with their share of `phaseMs` (the phase row's summed duration); undefined when empty. */
  result(phaseMs: Ms): DurationRow[] | undefined {
    if (!this.rows.size) return undefined;
    return [...this.rows.values()].map((r) => ({ ...r, shareOfPhase: phaseMs > 0 ? r.ms / phaseMs : null }));
  }
}
