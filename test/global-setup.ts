// Builds dist/ once before the suites: the runner hands dist/preload.js and dist/rustc-wrapper.sh to
// builds, and the CLI tests run dist/cli.js. A failed build is reported here; the suites that need
// dist/ then fail with their own messages.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export default function setup(): void {
  const root = path.resolve(__dirname, '..');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--quiet'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0)
    process.stderr.write(`global-setup: the build failed; suites using dist/ will fail:\n${r.stderr}\n`);
}
