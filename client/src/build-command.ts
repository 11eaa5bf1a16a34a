// Which build to profile in a workspace folder: the `compilerMemory.build.command` setting, else what
// the folder's root says (tsconfig.json → tsc, Cargo.toml → cargo build).
import * as path from 'node:path';
import * as vscode from 'vscode';
import * as config from './config';

export interface BuildCommand {
  argv: string[];
  /** Where the command came from, for messages. */
  source: 'setting' | 'tsconfig.json' | 'Cargo.toml';
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export async function resolveBuildCommand(folder: vscode.WorkspaceFolder): Promise<BuildCommand | undefined> {
  const fromSetting = config.buildCommand(folder);
  if (fromSetting) return { argv: fromSetting, source: 'setting' };

  if (await exists(vscode.Uri.joinPath(folder.uri, 'tsconfig.json'))) {
    const tsc = vscode.Uri.joinPath(folder.uri, 'node_modules', 'typescript', 'lib', 'tsc.js');
    // The workspace's own TypeScript, run by node directly: one process, which the Node preload instruments.
    if (await exists(tsc)) return { argv: ['node', tsc.fsPath, '-p', '.'], source: 'tsconfig.json' };
    // --no-install: never let npx fetch the unrelated `tsc` package from the registry.
    return { argv: ['npx', '--no-install', 'tsc', '-p', '.'], source: 'tsconfig.json' };
  }
  if (await exists(vscode.Uri.joinPath(folder.uri, 'Cargo.toml'))) return { argv: ['cargo', 'build'], source: 'Cargo.toml' };
  return undefined;
}

/** A short form of argv for titles: paths inside the folder made relative. */
export function commandLabel(argv: readonly string[], folder?: vscode.WorkspaceFolder): string {
  const root = folder?.uri.fsPath;
  return argv.map((a) => (root && a.startsWith(root + path.sep) ? a.slice(root.length + 1) : a)).map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
}
