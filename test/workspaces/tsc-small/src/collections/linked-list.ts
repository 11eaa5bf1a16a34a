interface ListNode<T> {
  value: T;
  prev: ListNode<T> | null;
  next: ListNode<T> | null;
}

/** A doubly linked list with O(1) push/pop at both ends and removal of a known node. */
export class LinkedList<T> implements Iterable<T> {
  private head: ListNode<T> | null = null;
  private tail: ListNode<T> | null = null;
  private count = 0;

  static from<T>(items: Iterable<T>): LinkedList<T> {
    const list = new LinkedList<T>();
    for (const item of items) list.pushBack(item);
    return list;
  }

  get size(): number {
    return this.count;
  }

  pushBack(value: T): ListNode<T> {
    const node: ListNode<T> = { value, prev: this.tail, next: null };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.count++;
    return node;
  }

  pushFront(value: T): ListNode<T> {
    const node: ListNode<T> = { value, prev: null, next: this.head };
    if (this.head) this.head.prev = node;
    else this.tail = node;
    this.head = node;
    this.count++;
    return node;
  }

  popFront(): T | undefined {
    const node = this.head;
    if (!node) return undefined;
    this.remove(node);
    return node.value;
  }

  popBack(): T | undefined {
    const node = this.tail;
    if (!node) return undefined;
    this.remove(node);
    return node.value;
  }

  peekFront(): T | undefined {
    return this.head?.value;
  }

  remove(node: ListNode<T>): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = null;
    this.count--;
  }

  moveToFront(node: ListNode<T>): void {
    if (node === this.head) return;
    this.remove(node);
    node.next = this.head;
    if (this.head) this.head.prev = node;
    else this.tail = node;
    this.head = node;
    this.count++;
  }

  map<U>(f: (value: T, index: number) => U): LinkedList<U> {
    const out = new LinkedList<U>();
    let i = 0;
    for (const v of this) out.pushBack(f(v, i++));
    return out;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let n = this.head; n; n = n.next) yield n.value;
  }

  toArray(): T[] {
    return [...this];
  }
}

export type { ListNode };
