export type Comparator<T> = (a: T, b: T) => number;

/** A binary min-heap ordered by a comparator. */
export class PriorityQueue<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: Comparator<T>) {}

  static by<T, K extends number | string>(key: (item: T) => K): PriorityQueue<T> {
    return new PriorityQueue<T>((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  }

  get size(): number {
    return this.items.length;
  }

  push(...values: T[]): this {
    for (const value of values) {
      this.items.push(value);
      this.siftUp(this.items.length - 1);
    }
    return this;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last !== undefined) {
      this.items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  drain(): T[] {
    const out: T[] = [];
    for (let x = this.pop(); x !== undefined; x = this.pop()) out.push(x);
    return out;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(this.items[i]!, this.items[parent]!) >= 0) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.compare(this.items[l]!, this.items[smallest]!) < 0) smallest = l;
      if (r < n && this.compare(this.items[r]!, this.items[smallest]!) < 0) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(i: number, j: number): void {
    const t = this.items[i]!;
    this.items[i] = this.items[j]!;
    this.items[j] = t;
  }
}
