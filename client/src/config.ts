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

/** One entry of `compilerMemory.builds`, checked. */
export interface BuildSetting {
  name: string;
  /** argv, or one string run by the shell. */
  command: string[] | string;
  /** Relative to the workspace folder (or absolute); absent: the folder. */
  cwd?: string;
  env?: Record<string, string>;
  /** How many times to run it (ProfileBuildParams.runs). */
  runs?: number;
}

/**
 * `compilerMemory.builds`: the builds of a folder, overriding detection; [] when unset. Entries that
 * are not well-formed are left out and named in `invalid`. Restricted in untrusted workspaces.
 */
export function builds(folder: vscode.WorkspaceFolder): { builds: BuildSetting[]; invalid: string[] } {
  const v = section(folder.uri).get<unknown>('builds');
  const out: BuildSetting[] = [];
  const invalid: string[] = [];
  if (!Array.isArray(v)) return { builds: out, invalid };
  v.forEach((e: unknown, i) => {
    const o = (e ?? {}) as Record<string, unknown>;
    const command = o.command;
    const argvOk =
      Array.isArray(command) && command.length > 0 && command.every((a) => typeof a === 'string') && command[0] !== '';
    const stringOk = typeof command === 'string' && command.trim() !== '';
    const envOk =
      o.env === undefined ||
      (typeof o.env === 'object' && o.env !== null && Object.values(o.env).every((x) => typeof x === 'string'));
    const runsOk = o.runs === undefined || (typeof o.runs === 'number' && Number.isInteger(o.runs) && o.runs >= 1);
    if (
      typeof e !== 'object' ||
      e === null ||
      typeof o.name !== 'string' ||
      !o.name ||
      !(argvOk || stringOk) ||
      (o.cwd !== undefined && typeof o.cwd !== 'string') ||
      !envOk ||
      !runsOk
    ) {
      invalid.push(`${BUILDS_SETTING}[${i}]${typeof o.name === 'string' && o.name ? ` ("${o.name}")` : ''}`);
      return;
    }
    out.push({
      name: o.name,
      command: command as string[] | string,
      ...(typeof o.cwd === 'string' && o.cwd ? { cwd: o.cwd } : {}),
      ...(o.env ? { env: o.env as Record<string, string> } : {}),
      ...(typeof o.runs === 'number' ? { runs: o.runs } : {}),
    });
  });
  return { builds: out, invalid };
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

/** `compilerMemory.build.allocatorDefaults`: run builds with the allocators' own settings instead of eager purge. */
export function allocatorDefaults(): boolean {
  return section().get<boolean>('build.allocatorDefaults', false) === true;
}

export const BUILD_COMMAND_SETTING = `${SECTION}.build.command`;
export const BUILDS_SETTING = `${SECTION}.builds`;

/** `compilerMemory.history.size`: how many profiles the workspace's storage keeps (read when the server starts). */
export function historySize(): number {
  const v = section().get<number>('history.size', 20);
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : 20;
}
