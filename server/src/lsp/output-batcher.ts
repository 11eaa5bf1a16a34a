// Collects a build's output and hands it on in batches, so that a chatty build (one write per line)
// costs a notification every few tens of milliseconds rather than one per line.

export type OutputStream = 'stdout' | 'stderr';

export class OutputBatcher {
  private pending: { stream: OutputStream; text: string }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly send: (stream: OutputStream, text: string) => void,
    private readonly delayMs = 50,
  ) {}

  push = (stream: OutputStream, text: string): void => {
    const last = this.pending[this.pending.length - 1];
    if (last && last.stream === stream) last.text += text;
    else this.pending.push({ stream, text });
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  };

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    for (const b of batch) this.send(b.stream, b.text);
  }
}
