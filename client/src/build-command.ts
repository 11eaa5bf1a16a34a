// Which builds the workspace offers, and which one Profile Build runs. Per folder (multi-root: every
// folder): the `compilerMemory.builds` setting and the old `compilerMemory.build.command` (one more
// build) override detection; without them, what the folder's root says (common/detect-builds.ts, which
// the CLI imports too; bundled into the client, it only reads a few files when a command asks, so
// choosing a build works while the language server starts or is down).
// The build last chosen is remembered per workspace (workspaceState) and run without asking.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { detectBuilds } from '../../common/detect-builds';
import * as config from './config';
import type { Ctx } from './ctx';

export interface BuildChoice {
  /** Identifies the build within the workspace across sessions (folder, where it came from, name). */
  key: string;
  name: string;
  argv: string[];
  /** Absolute. */
  cwd: string;
  env?: Record<string, string>;
  /** How many times the setting asks to run it: ProfileBuildParams.runs. */
  runs?: number;
  folder: vscode.WorkspaceFolder;
  /** Where it came from, for messages: `setting compilerMemory.builds`, `tsconfig.json`, `package.json script "build"`, … */
  source: string;
  detail?: string;
}

/** A setting's command as argv: a string runs through the shell. */
function settingArgv(command: string[] | string): string[] {
  if (Array.isArray(command)) return command;
  return process.platform === 'win32' ? ['cmd.exe', '/d', '/s', '/c', command] : ['sh', '-c', command];
}

function choice(folder: vscode.WorkspaceFolder, b: Omit<BuildChoice, 'key' | 'folder'>): BuildChoice {
  return { key: `${folder.uri.toString()}\u0000${b.source}\u0000${b.name}`, folder, ...b };
}

/** The builds of one folder: from the settings when there are any, else detected. */
async function folderBuilds(folder: vscode.WorkspaceFolder, invalid: string[]): Promise<BuildChoice[]> {
  const fromSettings: BuildChoice[] = [];
  const set = config.builds(folder);
  invalid.push(...set.invalid.map((s) => `${s} in ${folder.name}`));
  for (const b of set.builds) {
    fromSettings.push(
      choice(folder, {
        name: b.name,
        argv: settingArgv(b.command),
        cwd: b.cwd ? path.resolve(folder.uri.fsPath, b.cwd) : folder.uri.fsPath,
        ...(b.env ? { env: b.env } : {}),
        ...(b.runs ? { runs: b.runs } : {}),
        source: `setting ${config.BUILDS_SETTING}`,
      }),
    );
  }
  const old = config.buildCommand(folder);
  if (old)
    fromSettings.push(
      choice(folder, {
        name: commandLabel(old, folder),
        argv: old,
        cwd: folder.uri.fsPath,
        source: `setting ${config.BUILD_COMMAND_SETTING}`,
      }),
    );
  if (fromSettings.length) return fromSettings;
  return (await detectBuilds(folder.uri.fsPath)).map((d) => choice(folder, d));
}

/** Every build of every workspace folder, in folder order; `invalid` names the setting entries left out. */
export async function gatherBuilds(): Promise<{ builds: BuildChoice[]; invalid: string[] }> {
  const invalid: string[] = [];
  const perFolder = await Promise.all((vscode.workspace.workspaceFolders ?? []).map((f) => folderBuilds(f, invalid)));
  return { builds: perFolder.flat(), invalid };
}

const LAST_BUILD_KEY = 'compilerMemory.lastBuild';

export function rememberedKey(ctx: Ctx): string | undefined {
  return ctx.extensionContext.workspaceState.get<string>(LAST_BUILD_KEY);
}

export function remember(ctx: Ctx, build: BuildChoice): Thenable<void> {
  return ctx.extensionContext.workspaceState.update(LAST_BUILD_KEY, build.key);
}

/** A quick pick of `builds`, the remembered one first and marked; the choice is remembered. Undefined when dismissed. */
export async function pickBuild(
  ctx: Ctx,
  builds: BuildChoice[],
  placeHolder: string,
): Promise<BuildChoice | undefined> {
  const last = rememberedKey(ctx);
  const ordered = [...builds.filter((b) => b.key === last), ...builds.filter((b) => b.key !== last)];
  const items = ordered.map((b) => ({
    label: b.name,
    description: b.key === last ? `${b.folder.name} · last used` : b.folder.name,
    detail: `${commandLabel(b.argv, b.folder)}${b.cwd !== b.folder.uri.fsPath ? `   (in ${path.relative(b.folder.uri.fsPath, b.cwd) || '.'})` : ''} · from ${b.source}`,
    build: b,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Compiler Memory: Select Build to Profile',
    placeHolder,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return undefined;
  await remember(ctx, picked.build);
  return picked.build;
}

/** A short form of argv for titles: paths inside the folder made relative. */
export function commandLabel(argv: readonly string[], folder?: vscode.WorkspaceFolder): string {
  const root = folder?.uri.fsPath;
  return argv
    .map((a) => (root && a.startsWith(root + path.sep) ? a.slice(root.length + 1) : a))
    .map((a) => (a.length > 120 ? `${a.slice(0, 40)}…` : a))
    .map((a) => (/\s/.test(a) ? JSON.stringify(a) : a))
    .join(' ');
}

/** Words for "no build found", and where to look. */
export function noBuildMessage(): string {
  const names = (vscode.workspace.workspaceFolders ?? []).map((f) => f.name).join(', ');
  return (
    `Compiler Memory: no build to profile in ${names}: set ${config.BUILD_COMMAND_SETTING}, or open a folder with a tsconfig.json or Cargo.toml ` +
    `(or a package.json build script, a Makefile, CMakeLists.txt, compile_commands.json, a rollup, rolldown or vite config) at its root, or list the builds in ${config.BUILDS_SETTING}.`
  );
}
