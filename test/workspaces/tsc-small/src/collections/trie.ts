interface TrieNode<V> {
  children: Map<string, TrieNode<V>>;
  value?: V;
  terminal: boolean;
}

/** A prefix tree from strings to values, with prefix search. */
export class Trie<V = true> {
  private readonly root: TrieNode<V> = { children: new Map(), terminal: false };
  private count = 0;

  get size(): number {
    return this.count;
  }

  insert(key: string, value: V): void {
    let node = this.root;
    for (const ch of key) {
      let next = node.children.get(ch);
      if (!next) node.children.set(ch, (next = { children: new Map(), terminal: false }));
      node = next;
    }
    if (!node.terminal) this.count++;
    node.terminal = true;
    node.value = value;
  }

  get(key: string): V | undefined {
    const node = this.find(key);
    return node?.terminal ? node.value : undefined;
  }

  has(key: string): boolean {
    return this.find(key)?.terminal ?? false;
  }

  *withPrefix(prefix: string): Generator<[string, V]> {
    const start = this.find(prefix);
    if (!start) return;
    const stack: [string, TrieNode<V>][] = [[prefix, start]];
    while (stack.length) {
      const [key, node] = stack.pop()!;
      if (node.terminal) yield [key, node.value as V];
      const kids = [...node.children].sort(([a], [b]) => (a < b ? 1 : -1));
      for (const [ch, child] of kids) stack.push([key + ch, child]);
    }
  }

  longestPrefixOf(text: string): string | undefined {
    let node: TrieNode<V> | undefined = this.root;
    let best: string | undefined;
    let i = 0;
    for (const ch of text) {
      node = node.children.get(ch);
      if (!node) break;
      i += ch.length;
      if (node.terminal) best = text.slice(0, i);
    }
    return best;
  }

  private find(key: string): TrieNode<V> | undefined {
    let node: TrieNode<V> | undefined = this.root;
    for (const ch of key) {
      node = node.children.get(ch);
      if (!node) return undefined;
    }
    return node;
  }
}
