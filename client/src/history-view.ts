// The side bar's two tree views: "History" (the language server's profile store, newest first:
// `compilerMemory/listProfiles`) and "Baseline" (`compilerMemory/getBaseline`). Each item carries its
// profile, so the context menu's commands (side-bar.ts) get it as their argument. Labels and tooltips
// are plain text (a tree item renders no Markdown from them); command lines from a build are put on
// one line.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BaselineInfo } from '../../protocol/custom-messages';
import type { StoredProfile } from '../../protocol/side-bar';
import { oneLine } from '../../common/untrusted-text';

/** An item of the History view. */
export interface HistoryItem {
  kind: 'profile';
  profile: StoredProfile;
}

/** The item of the Baseline view. */
export interface BaselineItem {
  kind: 'baseline';
  baseline: BaselineInfo;
}

/** "14:02:31" today, "Nov 21, 14:02" another day: when the build started, in the user's time zone. */
export function whenText(iso: string | null, now = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}, ${time.slice(0, 5)}`;
}

/** The short name of a build: its tool (`tsc`, `cargo build`) rather than its whole command line. */
export function shortTitle(title: string): string {
  const words = title.split(' ');
  const main = words.find((w, i) => i > 0 && /\.[cm]?js$/.test(w)) ?? words[0] ?? title;
  const tool = path.basename(main).replace(/\.[cm]?js$/, '');
  const next = words[words.indexOf(main) + 1];
  return next && !next.startsWith('-') && tool !== title ? `${tool} ${next}` : tool || title;
}

export class HistoryProvider implements vscode.TreeDataProvider<HistoryItem> {
  private readonly changed = new vscode.EventEmitter<HistoryItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  profiles: StoredProfile[] = [];
  /** The profile the phase view shows. */
  shownPath: string | null = null;
  baselineSource: string | null = null;

  set(profiles: StoredProfile[]): void {
    this.profiles = profiles;
    this.changed.fire(undefined);
  }

  refreshLabels(): void {
    this.changed.fire(undefined);
  }

  getChildren(element?: HistoryItem): HistoryItem[] {
    return element ? [] : this.profiles.map((profile) => ({ kind: 'profile', profile }));
  }

  getTreeItem({ profile: p }: HistoryItem): vscode.TreeItem {
    const item = new vscode.TreeItem(oneLine(shortTitle(p.title)), vscode.TreeItemCollapsibleState.None);
    item.id = p.profilePath;
    const isBaseline = this.baselineSource === p.profilePath;
    const parts = [
      p.error ? 'unreadable' : p.status === 'ok' ? '' : p.status,
      p.peakText ? `${p.peakText}${p.peakMeasure === 'live-heap' ? ' live heap' : ''}` : p.error ? '' : 'no memory',
      p.error ? '' : p.wallText,
      whenText(p.startedAt),
      isBaseline ? 'baseline' : '',
    ].filter(Boolean);
    item.description = parts.join(' · ');
    item.tooltip = [
      oneLine(p.title),
      p.error ? `can't be read: ${p.error}` : `${p.status}, ${p.wallText}, peak ${p.peakText ?? 'not recorded'}`,
      p.startedAt ? `started ${new Date(p.startedAt).toLocaleString()}` : '',
      isBaseline ? 'the baseline was set from it' : '',
      p.profilePath,
    ]
      .filter(Boolean)
      .join('\n');
    item.iconPath = new vscode.ThemeIcon(
      p.error ? 'warning' : this.shownPath === p.profilePath ? 'circle-filled' : p.status === 'ok' ? 'pulse' : 'error',
    );
    item.contextValue = p.error ? 'compilerMemory.profile.unreadable' : 'compilerMemory.profile';
    item.accessibilityInformation = { label: `${oneLine(p.title)}: ${parts.join(', ')}` };
    if (!p.error)
      item.command = {
        command: 'compilerMemory.history.open',
        title: 'Open',
        arguments: [{ kind: 'profile', profile: p }],
      };
    return item;
  }
}

export class BaselineProvider implements vscode.TreeDataProvider<BaselineItem> {
  private readonly changed = new vscode.EventEmitter<BaselineItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  baseline: BaselineInfo | null = null;

  set(baseline: BaselineInfo | null): void {
    this.baseline = baseline;
    this.changed.fire(undefined);
  }

  getChildren(element?: BaselineItem): BaselineItem[] {
    return element || !this.baseline ? [] : [{ kind: 'baseline', baseline: this.baseline }];
  }

  getTreeItem({ baseline: b }: BaselineItem): vscode.TreeItem {
    const title = oneLine(b.command.join(' '));
    const item = new vscode.TreeItem(shortTitle(title), vscode.TreeItemCollapsibleState.None);
    item.description = [
      b.peakText ?? 'no memory',
      b.wallText,
      b.runs > 1 ? `${b.runs} runs` : '',
      whenText(b.setAt) ? `set ${whenText(b.setAt)}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = [
      title,
      `${b.status}, ${b.wallText}, peak ${b.peakText ?? 'not recorded'}, ${b.runs} run${b.runs === 1 ? '' : 's'}`,
      ...Object.entries(b.facts).map(([k, v]) => oneLine(`${k}: ${v}`)),
      b.sourcePath ? `set from ${b.sourcePath}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    item.iconPath = new vscode.ThemeIcon('pinned');
    item.contextValue = 'compilerMemory.baseline';
    item.command = {
      command: 'compilerMemory.openTimeline',
      title: 'Open Timeline',
      arguments: [b.storedPath],
    };
    return item;
  }
}
