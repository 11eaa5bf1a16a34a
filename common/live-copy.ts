// A receiver's copy of a running build's live timeline (protocol/live.ts describes the updates): the
// client keeps one per run, so that a timeline opened mid-build starts from everything so far, and the
// view keeps one to draw. An update appends the points from its cursor `from` on and replaces the
// phases it names; a `reset` replaces everything. The sender's buffer is bounded, so this copy is too.
//
// The shapes are given structurally here (common/ imports nothing from protocol/); LiveTimelineUpdate
// and LivePhase fit them.

export interface LiveCopyPhase {
  id: number;
}

export interface LiveCopyUpdate<P extends LiveCopyPhase> {
  seq: number;
  reset: boolean;
  from: number;
  tMs: number[];
  bytes: number[];
  phases: P[];
}

export class LiveCopy<P extends LiveCopyPhase, U extends LiveCopyUpdate<P> = LiveCopyUpdate<P>> {
  tMs: number[] = [];
  bytes: number[] = [];
  /** By id, which is also the order the sender made them in. */
  phases: P[] = [];
  /** The latest update applied (its figures: elapsed time, RSS now …). */
  latest: U | undefined;
  /** An update was missed (a gap in `seq` or in the points): nothing is appended until the next reset. */
  stale = false;
  private seq = -1;

  /** Applies an update; false when it could not be (a gap: the copy waits for the next reset). */
  apply(u: U): boolean {
    const inOrder = u.seq === this.seq + 1 && u.from === this.tMs.length;
    this.seq = u.seq;
    if (u.reset) {
      this.tMs = u.tMs.slice();
      this.bytes = u.bytes.slice();
      this.phases = [];
      this.stale = false;
    } else if (this.stale || !inOrder) {
      this.stale = true;
      return false;
    } else {
      for (let i = 0; i < u.tMs.length; i++) {
        this.tMs.push(u.tMs[i]!);
        this.bytes.push(u.bytes[i]!);
      }
    }
    for (const p of u.phases) this.phases[p.id] = p;
    this.latest = u;
    return true;
  }

  /** Everything held, as one update with `reset` (for a view that starts now). */
  snapshot(): U | undefined {
    if (!this.latest) return undefined;
    return {
      ...this.latest,
      reset: true,
      from: 0,
      tMs: this.tMs.slice(),
      bytes: this.bytes.slice(),
      phases: this.phases.filter((p) => p !== undefined),
    };
  }
}
