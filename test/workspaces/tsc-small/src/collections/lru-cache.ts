import type { ListNode } from './linked-list';
import { LinkedList } from './linked-list';

/** A map that keeps at most `capacity` entries, evicting the least recently used. */
export class LruCache<K, V> {
  private readonly order = new LinkedList<[K, V]>();
  private readonly index = new Map<K, ListNode<[K, V]>>();
  evictions = 0;

  constructor(readonly capacity: number, private readonly onEvict?: (key: K, value: V) => void) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.index.size;
  }

  get(key: K): V | undefined {
    const node = this.index.get(key);
    if (!node) return undefined;
    this.order.moveToFront(node);
    return node.value[1];
  }

  set(key: K, value: V): this {
    const existing = this.index.get(key);
    if (existing) {
      existing.value[1] = value;
      this.order.moveToFront(existing);
      return this;
    }
    this.index.set(key, this.order.pushFront([key, value]));
    while (this.index.size > this.capacity) {
      const evicted = this.order.popBack();
      if (!evicted) break;
      this.index.delete(evicted[0]);
      this.evictions++;
      this.onEvict?.(evicted[0], evicted[1]);
    }
    return this;
  }

  getOrCompute(key: K, compute: (key: K) => V): V {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const value = compute(key);
    this.set(key, value);
    return value;
  }

  keys(): K[] {
    return this.order.toArray().map(([k]) => k);
  }
}
