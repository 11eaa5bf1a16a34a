import { PriorityQueue } from './priority-queue';

export interface Edge<N> {
  to: N;
  weight: number;
}

/** A directed weighted graph with shortest paths, topological order and strongly connected components. */
export class Graph<N> {
  private readonly adjacency = new Map<N, Edge<N>[]>();

  addNode(node: N): this {
    if (!this.adjacency.has(node)) this.adjacency.set(node, []);
    return this;
  }

  addEdge(from: N, to: N, weight = 1): this {
    this.addNode(from).addNode(to);
    this.adjacency.get(from)!.push({ to, weight });
    return this;
  }

  nodes(): N[] {
    return [...this.adjacency.keys()];
  }

  edges(from: N): readonly Edge<N>[] {
    return this.adjacency.get(from) ?? [];
  }

  shortestPaths(source: N): Map<N, { distance: number; via: N | undefined }> {
    const result = new Map<N, { distance: number; via: N | undefined }>([[source, { distance: 0, via: undefined }]]);
    const queue = PriorityQueue.by<[N, number], number>(([, d]) => d).push([source, 0]);
    const done = new Set<N>();
    for (let next = queue.pop(); next; next = queue.pop()) {
      const [node, distance] = next;
      if (done.has(node)) continue;
      done.add(node);
      for (const { to, weight } of this.edges(node)) {
        if (weight < 0) throw new RangeError('negative edge weight');
        const candidate = distance + weight;
        const known = result.get(to);
        if (!known || candidate < known.distance) {
          result.set(to, { distance: candidate, via: node });
          queue.push([to, candidate]);
        }
      }
    }
    return result;
  }

  pathTo(source: N, target: N): N[] | undefined {
    const paths = this.shortestPaths(source);
    if (!paths.has(target)) return undefined;
    const path: N[] = [];
    for (let n: N | undefined = target; n !== undefined; n = paths.get(n)?.via) path.unshift(n);
    return path;
  }

  topologicalOrder(): N[] {
    const indegree = new Map<N, number>(this.nodes().map((n) => [n, 0]));
    for (const n of this.nodes()) for (const e of this.edges(n)) indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
    const ready = this.nodes().filter((n) => indegree.get(n) === 0);
    const order: N[] = [];
    while (ready.length) {
      const n = ready.shift()!;
      order.push(n);
      for (const e of this.edges(n)) {
        const d = indegree.get(e.to)! - 1;
        indegree.set(e.to, d);
        if (d === 0) ready.push(e.to);
      }
    }
    if (order.length !== this.adjacency.size) throw new Error('the graph has a cycle');
    return order;
  }

  /** Tarjan's algorithm. */
  stronglyConnectedComponents(): N[][] {
    let index = 0;
    const indices = new Map<N, number>();
    const low = new Map<N, number>();
    const onStack = new Set<N>();
    const stack: N[] = [];
    const components: N[][] = [];
    const connect = (v: N): void => {
      indices.set(v, index);
      low.set(v, index);
      index++;
      stack.push(v);
      onStack.add(v);
      for (const { to } of this.edges(v)) {
        if (!indices.has(to)) {
          connect(to);
          low.set(v, Math.min(low.get(v)!, low.get(to)!));
        } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, indices.get(to)!));
      }
      if (low.get(v) === indices.get(v)) {
        const component: N[] = [];
        let w: N;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        components.push(component);
      }
    };
    for (const n of this.nodes()) if (!indices.has(n)) connect(n);
    return components;
  }
}
