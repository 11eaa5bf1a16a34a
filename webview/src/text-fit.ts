// Text cut with an ellipsis to fit a width on a canvas, for lane labels: each string's width is
// measured once (the lanes' font is fixed), so a redraw of thousands of labels measures nothing.

export class TextFitter {
  private readonly widths = new Map<string, number>();

  constructor(private readonly ctx: CanvasRenderingContext2D) {}

  /** `s`, or its start and "…", to fit `width` pixels. */
  fit(s: string, width: number): string {
    let full = this.widths.get(s);
    if (full === undefined) {
      full = this.ctx.measureText(s).width;
      if (this.widths.size > 20_000) this.widths.clear();
      this.widths.set(s, full);
    }
    if (full <= width) return s;
    const chars = Math.floor((s.length * width) / full) - 1;
    return chars <= 0 ? '' : `${s.slice(0, chars)}…`;
  }
}
