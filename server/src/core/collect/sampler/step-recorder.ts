// The series of one process (or of the whole tree) as the sampler records it, tick by tick.

import { SeriesBuilder, type Bytes, type Ms } from '../../model';
import { ms } from '../../units';

/**
 * A series that stores runs of equal values as their two ends: an idle parent (make, cargo, sh)
 * costs two samples instead of one per tick, and the line drawn through the samples is unchanged.
 */
export class StepRecorder {
  readonly builder: SeriesBuilder;
  private heldMs: Ms = ms(NaN);
  private latestMs: Ms = ms(NaN);

  constructor(capacity: number) {
    this.builder = new SeriesBuilder(capacity);
  }

  sample(tMs: Ms, bytes: Bytes): void {
    this.latestMs = tMs;
    if (this.builder.length && bytes === this.builder.lastBytes()) {
      this.heldMs = tMs;
      return;
    }
    this.flush();
    this.builder.push(tMs, bytes);
  }

  /** The time of the latest sample (held or written); NaN before the first. */
  lastMs(): Ms {
    return this.latestMs;
  }

  /** Writes the held end of a run of equal values. */
  flush(): void {
    if (Number.isNaN(this.heldMs)) return;
    this.builder.push(this.heldMs, this.builder.lastBytes()!);
    this.heldMs = ms(NaN);
  }
}
