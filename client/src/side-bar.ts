// The "Compiler Memory" view container of the activity bar: History (the server's profile store),
// Baseline, and Phases (the phase tree of the profile shown: the newest, or the one opened from the
// history). Registers the views and their commands; refreshes when a profile is written or deleted
// in the store (a file watcher on `<storage>/profiles/`), when the baseline changes through these
// commands, and when a view becomes visible.
//
// Commands (contributed in package.json, their menus in the views only):
//   compilerMemory.history.refresh, .open (the timeline and the Phases view of a profile),
//   .compareWith (pick the other profile or the baseline), .setBaseline, .delete (asks first),
//   compilerMemory.internal.sideBar (not contributed: what the views show, for the tests).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CompareRequest, GetBaselineRequest } from '../../protocol/custom-messages';
import {
  DeleteProfileRequest,
  ListProfilesRequest,
  type PhaseHostToView,
  type StoredProfile,
} from '../../protocol/side-bar';
import { oneLine } from '../../common/untrusted-text';
import { ComparePanel } from './compare-panel';
import type { Ctx } from './ctx';
import { BaselineProvider, HistoryProvider, shortTitle, whenText, type HistoryItem } from './history-view';
import { PHASES_VIEW_ID, PhasesView, type PhasesViewState } from './phases-view';
import { askServer, absolutePathOf, type Failed, type Refused } from './server-request';
import { lastPhaseShown, type PhaseInTimeline } from './show-phase-in-timeline';
import { TimelinePanel } from './timeline-panel';

export const HISTORY_VIEW_ID = 'compilerMemory.history';
export const BASELINE_VIEW_ID = 'compilerMemory.baseline';

/** What the side bar shows, for the tests (`compilerMemory.internal.sideBar`). */
export interface SideBarState {
  history: { profilePath: string; label: string; description: string; error?: string }[];
  baseline: { command: string[]; sourcePath: string | null } | null;
  phases: PhasesViewState;
  lastPhaseShown: PhaseInTimeline | null;
}

/** The profile a command was given: a History item, a path or a Uri. */
function profileOf(arg: unknown): string | undefined {
  const item = arg as Partial<HistoryItem> | null;
  if (item && typeof item === 'object' && item.kind === 'profile' && item.profile) return item.profile.profilePath;
  return absolutePathOf(arg);
}

class SideBar {
  readonly history = new HistoryProvider();
  readonly baseline = new BaselineProvider();
  readonly phases: PhasesView;
  private newest: string | null = null;
  private refreshing: Promise<void> | undefined;
  private again = false;

  constructor(private readonly ctx: Ctx) {
    this.phases = new PhasesView(ctx);
  }

  /** Lists the store and the baseline again; the Phases view follows a new newest profile. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    const run = async () => {
      do {
        this.again = false;
        await this.refreshOnce();
      } while (this.again);
    };
    this.refreshing = run().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    if (!(await this.ctx.whenServerUp(30_000))) return;
    try {
      const [list, baseline] = await Promise.all([
        this.ctx.request(ListProfilesRequest.type, {}),
        this.ctx.request(GetBaselineRequest.type, {}).catch(() => null),
      ]);
      this.baseline.set(baseline);
      this.history.baselineSource = baseline?.sourcePath ?? null;
      const newest = list.profiles.find((p) => !p.error)?.profilePath ?? null;
      const shown = this.phases.shownPath;
      const shownGone = shown !== null && !list.profiles.some((p) => p.profilePath === shown);
      if (newest !== this.newest || shownGone || shown === null) this.phases.show(newest);
      this.newest = newest;
      this.history.shownPath = this.phases.shownPath;
      this.history.set(list.profiles);
    } catch (e) {
      this.ctx.log.warn(`the side bar could not list the profiles: ${(e as Error).message}`);
    }
  }

  open(profilePath: string): void {
    this.phases.show(profilePath);
    this.history.shownPath = profilePath;
    this.history.refreshLabels();
    TimelinePanel.createOrShow(this.ctx, profilePath);
  }

  state(): SideBarState {
    const b = this.baseline.baseline;
    return {
      history: this.history.profiles.map((p) => {
        const item = this.history.getTreeItem({ kind: 'profile', profile: p });
        return {
          profilePath: p.profilePath,
          label: String(item.label),
          description: String(item.description ?? ''),
          ...(p.error ? { error: p.error } : {}),
        };
      }),
      baseline: b ? { command: b.command, sourcePath: b.sourcePath } : null,
      phases: this.phases.state,
      lastPhaseShown: lastPhaseShown(),
    };
  }
}

type CompareOutcome = { kind: 'compared'; basePath: string | null; headPath: string } | Refused | Failed;

async function compareWith(ctx: Ctx, bar: SideBar, arg: unknown, baseArg: unknown): Promise<CompareOutcome> {
  const headPath = profileOf(arg);
  if (!headPath) return { kind: 'refused', reason: 'no profile given' };
  let basePath: string | null | undefined = typeof baseArg === 'string' ? absolutePathOf(baseArg) : undefined;
  if (basePath === undefined) {
    type Pick = vscode.QuickPickItem & { path: string | null };
    const others: Pick[] = bar.history.profiles
      .filter((p) => p.profilePath !== headPath && !p.error)
      .map((p: StoredProfile) => ({
        label: shortTitle(oneLine(p.title)),
        description: [p.peakText ?? 'no memory', p.wallText, whenText(p.startedAt)].join(' · '),
        detail: oneLine(p.title),
        path: p.profilePath,
      }));
    const b = bar.baseline.baseline;
    const picks: Pick[] = b
      ? [
          {
            label: '$(pinned) Baseline',
            description: [b.peakText ?? 'no memory', b.wallText].join(' · '),
            detail: oneLine(b.command.join(' ')),
            path: null,
          },
          ...others,
        ]
      : others;
    if (!picks.length) {
      ctx.notify('info', 'Compiler Memory: there is no other profile to compare with. Profile the build again first.');
      return { kind: 'refused', reason: 'no other profile' };
    }
    const picked = await vscode.window.showQuickPick(picks, {
      title: 'Compare with…',
      placeHolder: 'The profile to compare against (the base)',
      matchOnDetail: true,
    });
    if (!picked) return { kind: 'refused', reason: 'nothing picked' };
    basePath = picked.path;
  }
  const answer = await askServer(ctx, CompareRequest.type, basePath ? { basePath, headPath } : { headPath }, {
    title: 'Comparing profiles',
    failure: 'could not compare the profiles',
  });
  if (answer.kind !== 'answer') return answer;
  ctx.log.info(`compared ${headPath} with ${basePath ?? 'the baseline'}:\n${answer.result.text}`);
  if (answer.result.overlay) ComparePanel.createOrShow(ctx, answer.result.overlay, answer.result.markdown);
  return { kind: 'compared', basePath: basePath ?? null, headPath };
}

async function deleteProfile(ctx: Ctx, bar: SideBar, arg: unknown, how: unknown): Promise<boolean> {
  const profilePath = profileOf(arg);
  if (!profilePath) return false;
  const confirmed =
    !!how && typeof how === 'object' && !Array.isArray(how) && (how as { confirmed?: unknown }).confirmed === true;
  if (!confirmed) {
    const item = bar.history.profiles.find((p) => p.profilePath === profilePath);
    const yes = 'Delete';
    const picked = await vscode.window.showWarningMessage(
      `Delete the profile of ${item ? shortTitle(oneLine(item.title)) : path.basename(profilePath)}${item?.startedAt ? ` (${whenText(item.startedAt)})` : ''}?`,
      { modal: true, detail: 'It is removed from the history for good. The baseline, a copy, is kept.' },
      yes,
    );
    if (picked !== yes) return false;
  }
  const answer = await askServer(
    ctx,
    DeleteProfileRequest.type,
    { profilePath },
    {
      title: 'Deleting the profile',
      failure: 'could not delete the profile',
    },
  );
  await bar.refresh();
  return answer.kind === 'answer' && answer.result.deleted;
}

/** Registers the view container's views and commands; refreshes once the server is up. */
export function registerSideBar(ctx: Ctx): void {
  const bar = new SideBar(ctx);
  const historyView = ctx.push(
    vscode.window.createTreeView(HISTORY_VIEW_ID, { treeDataProvider: bar.history, showCollapseAll: false }),
  );
  const baselineView = ctx.push(vscode.window.createTreeView(BASELINE_VIEW_ID, { treeDataProvider: bar.baseline }));
  baselineView.message = undefined;
  ctx.push(vscode.window.registerWebviewViewProvider(PHASES_VIEW_ID, bar.phases));
  const refresh = () => void bar.refresh();
  ctx.push(historyView.onDidChangeVisibility((e) => e.visible && refresh()));
  ctx.push(baselineView.onDidChangeVisibility((e) => e.visible && refresh()));
  // Built, imported, pruned or deleted: the store's folder changes.
  const watcher = ctx.push(
    vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.join(ctx.storageDir, 'profiles')), '*.cmi-profile.json'),
    ),
  );
  ctx.push(watcher.onDidCreate(refresh));
  ctx.push(watcher.onDidDelete(refresh));
  ctx.push(watcher.onDidChange(refresh));
  void ctx.whenServerUp(60_000).then((up) => up && refresh());

  const command = (name: string, fn: (...args: unknown[]) => unknown) =>
    ctx.push(vscode.commands.registerCommand(name, fn));
  command('compilerMemory.history.refresh', () => bar.refresh());
  command('compilerMemory.history.open', (arg) => {
    const p = profileOf(arg);
    if (p) bar.open(p);
    return !!p;
  });
  command('compilerMemory.history.compareWith', (arg, base) => compareWith(ctx, bar, arg, base));
  command('compilerMemory.history.setBaseline', async (arg) => {
    const p = profileOf(arg);
    const outcome = p ? await vscode.commands.executeCommand('compilerMemory.setBaseline', p) : undefined;
    await bar.refresh();
    return outcome;
  });
  command('compilerMemory.history.clearBaseline', async () => {
    const outcome = await vscode.commands.executeCommand('compilerMemory.clearBaseline');
    await bar.refresh();
    return outcome;
  });
  command('compilerMemory.history.delete', (arg, how) => deleteProfile(ctx, bar, arg, how));
  command('compilerMemory.internal.sideBar', async (message?: unknown) => {
    // With a message: post it to the Phases view; after a sort, wait for the view to show the result.
    if (message && typeof message === 'object') {
      const m = message as PhaseHostToView;
      const rendered = m.type === 'sortBy' ? bar.phases.nextRender(10_000) : undefined;
      if ((await bar.phases.post(m)) && rendered) await rendered;
    }
    return bar.state();
  });
}
