// "Compiler Memory: Select Build to Profile…": which of the workspace's builds Profile Build runs from
// now on (remembered per workspace). A quick pick with the last one first; the tests (and keybindings)
// can name the build instead: the argument is a build's name, or { name, folder } in a multi-root
// workspace. Runs nothing, so it works in an untrusted workspace too (Profile Build then refuses).
// Also the internal `compilerMemory.internal.detectedBuilds`: what Profile Build would offer.
import * as vscode from 'vscode';
import {
  commandLabel,
  gatherBuilds,
  noBuildMessage,
  pickBuild,
  remember,
  rememberedKey,
  type BuildChoice,
} from './build-command';
import * as config from './config';
import type { Cmd, Ctx } from './ctx';

/** A build as the commands return it (serialisable). */
export interface BuildInfo {
  name: string;
  /** The workspace folder's name. */
  folder: string;
  argv: string[];
  cwd: string;
  env: Record<string, string> | null;
  runs: number | null;
  source: string;
  detail: string | null;
  /** The build Profile Build runs without asking. */
  lastUsed: boolean;
}

function info(b: BuildChoice, last: string | undefined): BuildInfo {
  return {
    name: b.name,
    folder: b.folder.name,
    argv: b.argv,
    cwd: b.cwd,
    env: b.env ?? null,
    runs: b.runs ?? null,
    source: b.source,
    detail: b.detail ?? null,
    lastUsed: b.key === last,
  };
}

export function selectBuildCommand(ctx: Ctx): Cmd {
  return async (arg?: unknown): Promise<BuildInfo | undefined> => {
    const { builds } = await gatherBuilds();
    if (builds.length === 0) {
      ctx.notify('info', noBuildMessage(), {
        'Open Settings': () => vscode.commands.executeCommand('workbench.action.openSettings', config.BUILDS_SETTING),
      });
      return undefined;
    }
    let chosen: BuildChoice | undefined;
    if (arg !== undefined) {
      const want = typeof arg === 'string' ? { name: arg } : (arg as { name?: unknown; folder?: unknown });
      chosen = builds.find((b) => b.name === want.name && (want.folder === undefined || b.folder.name === want.folder));
      if (!chosen) {
        ctx.notify(
          'error',
          `Compiler Memory: no build named "${String(want.name)}"${want.folder ? ` in ${String(want.folder)}` : ''}; the workspace offers ${builds.map((b) => `"${b.name}"`).join(', ')}.`,
        );
        return undefined;
      }
      await remember(ctx, chosen);
    } else {
      chosen = await pickBuild(ctx, builds, 'The build Profile Build runs from now on');
      if (!chosen) return undefined;
    }
    ctx.log.info(
      `build to profile: ${chosen.name} (\`${commandLabel(chosen.argv, chosen.folder)}\` in ${chosen.cwd}, from ${chosen.source})`,
    );
    if (arg === undefined) {
      ctx.notify('info', `Compiler Memory: Profile Build runs "${chosen.name}" from now on.`, {
        'Profile Build': () => vscode.commands.executeCommand('compilerMemory.profileBuild'),
      });
    }
    return info(chosen, chosen.key);
  };
}

/** Internal (not contributed): the builds Profile Build would offer, and the setting entries it left out. */
export function detectedBuildsCommand(ctx: Ctx): Cmd {
  return async (): Promise<{ builds: BuildInfo[]; invalid: string[] }> => {
    const { builds, invalid } = await gatherBuilds();
    const last = rememberedKey(ctx);
    return { builds: builds.map((b) => info(b, last)), invalid };
  };
}
