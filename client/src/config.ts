// Typed getters for the extension's settings (package.json `contributes.configuration`).
import * as vscode from 'vscode';

const SECTION = 'compilerMemory';

function section(scope?: vscode.ConfigurationScope): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION, scope);
}

/** `compilerMemory.build.command`: the build as argv, or undefined when unset/empty. Restricted in untrusted workspaces. */
export function buildCommand(folder: vscode.WorkspaceFolder): string[] | undefined {
  const v = section(folder.uri).get<unknown>('build.command');
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const argv = v.filter((a): a is string => typeof a === 'string');
  return argv.length === v.length && argv[0] ? argv : undefined;
}

/** `compilerMemory.sampling.intervalMs`. */
export function samplingIntervalMs(): number {
  const v = section().get<number>('sampling.intervalMs', 10);
  return typeof v === 'number' && v >= 1 ? v : 10;
}

/** `compilerMemory.build.timeoutMs`; 0 means no limit. */
export function buildTimeoutMs(): number {
  const v = section().get<number>('build.timeoutMs', 0);
  return typeof v === 'number' && v > 0 ? v : 0;
}

export const BUILD_COMMAND_SETTING = `${SECTION}.build.command`;
