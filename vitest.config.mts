import { defineConfig } from 'vitest/config';

// Vitest's reporter calls Map.groupBy, which Node 20 lacks: without this a failing test crashes the
// reporter and its message is never printed.
const mapWithGroupBy = Map as unknown as { groupBy?: unknown };
mapWithGroupBy.groupBy ??= <K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, V[]> => {
  const groups = new Map<K, V[]>();
  let i = 0;
  for (const item of items) {
    const k = key(item, i++);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/vscode/**', 'node_modules/**', 'test/workspaces/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Tests spawn real compilers; on a 2-core machine running files one at a time keeps timings sane.
    fileParallelism: false,
  },
});
