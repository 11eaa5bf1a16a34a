// Where things are during a run of scripts/test-vscode.sh, from the environment it sets up.
// The extension host inherits code-server's environment, so the suites read the same variables.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

function findRepoRoot(from: string): string {
  for (let dir = from; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'compiler-memory-insight'
    )
      return dir;
  }
  throw new Error(`no compiler-memory-insight package.json above ${from}`);
}

/** The repository root: the extension's development folder. */
export const repoRoot = process.env.CMI_E2E_REPO ?? findRepoRoot(__dirname);

/** Screenshots, logs and result files (gitignored). */
export const artifactsDir = process.env.CMI_E2E_ARTIFACTS ?? path.join(repoRoot, 'test-artifacts', 'vscode');

export function resultsFile(step: string): string {
  return path.join(artifactsDir, 'results', `${step}.json`);
}

/** The code-server under test, e.g. http://127.0.0.1:41234. */
export function baseUrl(): string {
  const url = process.env.CMI_E2E_BASE_URL;
  if (!url) throw new Error('CMI_E2E_BASE_URL is not set: run these through scripts/test-vscode.sh');
  return url;
}

/** This run's private state (browser profiles, workspace copies). */
export function runDir(): string {
  const dir = process.env.CMI_E2E_RUN;
  if (!dir) throw new Error('CMI_E2E_RUN is not set: run these through scripts/test-vscode.sh');
  return dir;
}

/** The prepared copy of a test workspace (see prepare-workspaces.ts). */
export function workspace(name: string): string {
  return path.join(runDir(), 'workspaces', name);
}
