// Fresh copies of the test workspaces for one run, outside the repository (builds write into them:
// tsc's out/, cargo's target/, .vscode/settings.json):
//   tsc, tsc-ui, tsc-untrusted   test/workspaces/tsc-small, with
//                                node_modules/typescript linked to the repository's TypeScript, as a
//                                project with its own TypeScript has it
//   cargo, cargo-vsix            test/workspaces/cargo-std
//   plain                        a folder with nothing to build
//   c-make                       test/workspaces/c-multi (a Makefile, gcc) plus a package.json whose
//                                "build" script runs make: two builds to choose from
// Each test session gets its own folder, so that no two extension hosts share a workspace storage.
//
// usage: node dist/test-vscode/prepare-workspaces.js <dest dir>
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './harness/env';

function source(name: string): string {
  const dir = path.join(repoRoot, 'test/workspaces', name);
  if (!existsSync(dir)) throw new Error(`the test workspace ${dir} does not exist`);
  return dir;
}

const SKIP = new Set(['target', 'out', 'node_modules', '.vscode']);

function copy(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true, filter: (src) => !SKIP.has(path.basename(src)) || src === from });
}

export function prepareWorkspaces(dest: string): Record<string, string> {
  mkdirSync(dest, { recursive: true });
  const tscSource = source('tsc-small');
  const cargoSource = source('cargo-std');
  const made: Record<string, string> = {};
  for (const name of ['tsc', 'tsc-ui', 'tsc-untrusted']) {
    const dir = path.join(dest, name);
    copy(tscSource, dir);
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    symlinkSync(path.join(repoRoot, 'node_modules/typescript'), path.join(dir, 'node_modules/typescript'), 'dir');
    made[name] = `${dir} (from ${path.relative(repoRoot, tscSource)})`;
  }
  for (const name of ['cargo', 'cargo-vsix']) {
    copy(cargoSource, path.join(dest, name));
    made[name] = `${path.join(dest, name)} (from ${path.relative(repoRoot, cargoSource)})`;
  }
  const plain = path.join(dest, 'plain');
  rmSync(plain, { recursive: true, force: true });
  mkdirSync(plain, { recursive: true });
  writeFileSync(path.join(plain, 'README.md'), 'Nothing to build here.\n');
  made.plain = plain;
  const cSource = source('c-multi');
  const cMake = path.join(dest, 'c-make');
  copy(cSource, cMake);
  writeFileSync(
    path.join(cMake, 'package.json'),
    `${JSON.stringify({ name: 'c-make', private: true, scripts: { build: 'make' } }, null, 2)}\n`,
  );
  made['c-make'] = `${cMake} (from ${path.relative(repoRoot, cSource)}, with a package.json)`;
  return made;
}

if (require.main === module) {
  const dest = process.argv[2];
  if (!dest) {
    process.stderr.write('usage: prepare-workspaces.js <dest dir>\n');
    process.exit(2);
  }
  for (const [name, where] of Object.entries(prepareWorkspaces(path.resolve(dest))))
    process.stdout.write(`workspace ${name}: ${where}\n`);
}
