import { defineConfig } from 'vitest/config';

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
