// What the .vsix holds (.vscodeignore is an allowlist): every bundle and helper script the build
// writes to dist/ that the extension or `cmi` loads at run time, and nothing of the sources or tests.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers';

describe('the packaged extension', () => {
  it('holds every run-time file of dist/ and no sources, tests or source maps', () => {
    const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
    const r = spawnSync(process.execPath, [vsce, 'ls'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const listed = new Set(
      r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    // dist/ also holds the test and bench bundles (not shipped) and source maps.
    const runtime = readdirSync(path.join(repoRoot, 'dist'), { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.endsWith('.map') && !e.name.startsWith('bench-'))
      .map((e) => `dist/${e.name}`);
    expect(runtime).toContain('dist/cc-wrapper.sh');
    if (process.platform === 'linux') expect(runtime).toContain('dist/libcmi-heap.so');
    if (process.platform === 'linux') expect(runtime).toContain('dist/cmi-contain');
    if (process.platform === 'linux') expect(runtime).toContain('dist/cmi-cc-shim');
    expect(runtime.filter((f) => !listed.has(f))).toEqual([]);
    expect(
      [...listed].filter(
        (f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'media/side-bar.svg'].includes(f),
      ),
    ).toEqual([]);
    expect([...listed].filter((f) => f.endsWith('.map') || f.includes('test'))).toEqual([]);
  });
});
