// The same extension-host suites under desktop VS Code, through @vscode/test-electron, for machines
// that can download VS Code (a contributor's laptop, a public CI). Not used on the build machines
// here, which cannot reach update.code.visualstudio.com: scripts/test-vscode.sh uses code-server.
//
// usage: node scripts/build.mjs && node test/vscode/build.mjs && node dist/test-vscode/run-electron.js [vscode version]
// On a headless Linux CI, run it under xvfb-run.
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { artifactsDir, repoRoot } from './harness/env';
import { prepareWorkspaces } from './prepare-workspaces';

const SUITES: { step: string; entry: string; workspace: string }[] = [
  { step: 'ext-tsc', entry: 'suite/run-tsc.js', workspace: 'tsc' },
  { step: 'ext-cargo', entry: 'suite/run-cargo.js', workspace: 'cargo' },
  { step: 'ext-plain', entry: 'suite/run-plain.js', workspace: 'plain' },
  { step: 'ext-c-make', entry: 'suite/run-c-make.js', workspace: 'c-make' },
];

async function main(): Promise<number> {
  const version = process.argv[2] ?? '1.96.4'; // the oldest VS Code engines.vscode accepts
  const run = mkdtempSync(path.join(os.tmpdir(), 'cmi-electron-'));
  prepareWorkspaces(path.join(run, 'workspaces'));
  let failed = 0;
  for (const s of SUITES) {
    try {
      const code = await runTests({
        version,
        extensionDevelopmentPath: repoRoot,
        extensionTestsPath: path.join(__dirname, s.entry),
        extensionTestsEnv: { CMI_E2E_REPO: repoRoot, CMI_E2E_ARTIFACTS: artifactsDir, CMI_E2E_RUN: run },
        launchArgs: [
          path.join(run, 'workspaces', s.workspace),
          '--disable-extensions',
          '--disable-workspace-trust',
          '--skip-welcome',
          '--skip-release-notes',
          `--user-data-dir=${path.join(run, 'user-data')}`,
        ],
      });
      if (code !== 0) throw new Error(`exit code ${code}`);
      process.stdout.write(`${s.step}: passed\n`);
    } catch (e) {
      failed++;
      process.stdout.write(`${s.step}: FAILED (${(e as Error).message})\n`);
    }
  }
  process.stdout.write(`results in ${path.join(artifactsDir, 'results')}\n`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
