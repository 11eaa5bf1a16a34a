// The timeline panel ("Compiler Memory: Open Timeline"): hosts the chart.js view (dist/webview.js) in a
// webview panel (webview-sample's createOrShow/revive, disposables and serializer). The panel is a
// relay: the view's messages (protocol/timeline.ts) become the server's timeline requests
// (protocol/custom-messages.ts) and the answers go back to the view with the same id in an ok/err
// envelope. The view draws; the server builds the model and decimates. One panel at a time.
//
// retainContextWhenHidden is off: a hidden panel's view is unloaded, and when shown again it starts
// over with `ready` (the server keeps the profile loaded, so that is cheap). The view keeps the host's
// state (the profile path) with setState, with its own beside it under `view` (the visible window,
// sort orders, hidden series); VS Code hands both back when the panel is shown again or revived after
// a reload, so the view comes back as it was left.
//
// While a build is profiled, an open panel (or one opened meanwhile) follows it live (unless pinned):
// the view is reloaded to draw the run's live timeline (webview/src/live.ts), sent everything so far and
// then each update the server streams (protocol/live.ts); when the build ends the panel loads its
// profile, or, when none was written, tells the view how the run ended and leaves it what it drew.
//
// Navigation (issue 19, item 4): the panel follows the newest profile (a build's or an import's) unless
// pinned; "Show in Timeline" (a hover, a CodeLens) opens it beside the code without taking the focus
// and sends the view `selectPhase` once it has the model; the view's `revealSource` names a phase by
// its index and the host opens that phase's place from its own model, in the code's group.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LiveEnd } from '../../protocol/live';
import type {
  HostToViewMessage,
  RevealSourceMessage,
  SelectPhaseMessage,
  TimelineModel,
  ViewToHostMessage,
} from '../../protocol/timeline';
import { TimelineModelRequest, TimelineSeriesRequest } from '../../protocol/custom-messages';
import { type ActiveRun, SERVER_START_TIMEOUT_MS, ServerNotUp, type Ctx, type LiveEvent } from './ctx';
import { webviewPage } from './webview-page';
import { resolveSourceLocation } from './source-location';
import { terminalText } from '../../common/untrusted-text';

export const TIMELINE_VIEW_TYPE = 'compilerMemory.timeline';

/** What the host keeps in the view (setState) to bring the panel back after a reload. */
export interface TimelineHostState {
  profilePath: string;
  /** Kept on this profile: a newer one does not replace it. */
  pinned?: boolean;
  /** The view's own state (webview/src/view-state.ts), kept beside the host's; opaque here. */
  view?: unknown;
}

/** A snapshot for the tests and bug reports (`compilerMemory.internal.state`). */
export interface TimelinePanelState {
  profilePath: string;
  /** The tab's title: what was built. */
  title: string;
  visible: boolean;
  /** The panel's editor group (1-based), as VS Code numbers them. */
  viewColumn: number | null;
  pinned: boolean;
  /** Set once the view has been sent the model. */
  model: {
    title: string;
    peakBytes: number | null;
    phasePath: string[];
    phases: number;
    series: number;
    /** Samples of the tree's RSS series (`rss-tree`), null without one. */
    treeSamples: number | null;
  } | null;
  /** Set while the panel shows a running build (and after, when it ended without a profile). */
  live: {
    runId: string;
    /** Updates posted to the view (the first one with everything so far). */
    posted: number;
    /** What the view last said it drew. */
    drawn: LiveDrawn | null;
    end: LiveEnd | null;
  } | null;
  /** How many of the view's series requests were answered ok, and the last error. */
  seriesAnswered: number;
  lastError: string | null;
  revived: boolean;
  /** The last `selectPhase` sent to the view; null before any. */
  selected: Omit<SelectPhaseMessage, 'type'> | null;
  /** The last place opened on the view's `revealSource`; null before any. */
  revealed: { file: string; line: number; column: number } | null;
}

/** Where and how to show the panel: "Show in Timeline" keeps the focus in the code and selects a phase. */
export interface ShowOptions {
  /** A phase path, outermost first, to select and zoom to once the view has the model. */
  select?: string[];
  preserveFocus?: boolean;
}

/** The tab's title: what was built, its program names without their folders ("Memory: cargo build"). */
export function timelineTitle(runTitle: string | undefined, pinned: boolean): string {
  const what = runTitle
    ?.split(' ')
    .map((a, i) => (i === 0 || a.includes('/') ? a.replace(/^.*[\\/](?=.)/, '') : a))
    .join(' ');
  const short = what && what.length > 64 ? `${what.slice(0, 63)}…` : what;
  return `Memory${short ? `: ${short}` : ' Timeline'}${pinned ? ' (pinned)' : ''}`;
}

/** The index of the longest span whose path is `path` (else whose name is its last element); null when none. */
export function phaseIndexOf(model: TimelineModel, path: string[]): number | null {
  const rowPath = new Map<number, string>();
  const pathOfRow = (r: number): string => {
    let p = rowPath.get(r);
    if (p === undefined) {
      const row = model.phaseRows[r]!;
      p = row.parentRow === null ? row.name : `${pathOfRow(row.parentRow)}\u0000${row.name}`;
      rowPath.set(r, p);
    }
    return p;
  };
  const want = path.join('\u0000');
  const last = path.at(-1);
  let best: number | null = null;
  let bestByName: number | null = null;
  const longer = (i: number, than: number | null) =>
    than === null ||
    model.phases[i]!.endMs - model.phases[i]!.startMs > model.phases[than]!.endMs - model.phases[than]!.startMs;
  model.phases.forEach((ph, i) => {
    if (model.phaseRows[ph.row] && pathOfRow(ph.row) === want) {
      if (longer(i, best)) best = i;
    } else if (ph.name === last && longer(i, bestByName)) bestByName = i;
  });
  return best ?? bestByName;
}

type LiveDrawn = { points: number; phases: number; redraws: number };

function isHostState(s: unknown): s is TimelineHostState {
  return (
    !!s &&
    typeof s === 'object' &&
    typeof (s as TimelineHostState).profilePath === 'string' &&
    path.isAbsolute((s as TimelineHostState).profilePath)
  );
}

export class TimelinePanel {
  private static current: TimelinePanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private model: TimelineModel | undefined;
  private seriesAnswered = 0;
  private lastError: string | null = null;
  private disposed = false;
  /** The run shown live, if any: the view draws it instead of a profile. */
  private live: { run: ActiveRun; streaming: boolean; posted: number; drawn: LiveDrawn | null } | undefined;
  private pinned = false;
  /** A phase to select once the view has the model. */
  private pendingSelect: string[] | undefined;
  private selected: TimelinePanelState['selected'] = null;
  private revealed: TimelinePanelState['revealed'] = null;

  /**
   * Shows the timeline of `profilePath`: in the open panel (reloaded) or in a new one, beside the code
   * (never in the source editor's place).
   */
  static createOrShow(ctx: Ctx, profilePath: string, options: ShowOptions = {}): TimelinePanel {
    const codeColumn = vscode.window.activeTextEditor?.viewColumn;
    const preserveFocus = options.preserveFocus ?? false;
    const open = TimelinePanel.current;
    if (open) {
      // In the code's own group it would hide the code: move it beside.
      const column = open.panel.viewColumn;
      open.panel.reveal(
        column === undefined || column === codeColumn ? vscode.ViewColumn.Beside : column,
        preserveFocus,
      );
      if (open.live && !open.live.run.end) return open; // it follows the running build
      open.pendingSelect = options.select;
      if (open.profilePath !== profilePath || open.live) open.load(profilePath);
      else if (open.model && options.select) void open.select(options.select);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      TIMELINE_VIEW_TYPE,
      timelineTitle(undefined, false),
      { viewColumn: codeColumn ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active, preserveFocus },
      TimelinePanel.webviewOptions(ctx),
    );
    const created = new TimelinePanel(ctx, panel, profilePath, false, options.select);
    TimelinePanel.current = created;
    return created;
  }

  /** An open panel is pinned to its profile: what opens a timeline by itself (an import) leaves it. */
  static get pinnedOpen(): boolean {
    return TimelinePanel.current?.pinned ?? false;
  }

  /** Keeps the open panel on its profile (true), or lets it follow the newest one (false). */
  static setPinned(pinned: boolean): boolean {
    const open = TimelinePanel.current;
    if (!open) return false;
    open.pinned = pinned;
    open.updateTitle();
    void vscode.commands.executeCommand('setContext', 'compilerMemory.timelinePinned', pinned);
    void open.post({ type: 'hostState', state: open.hostState() });
    return true;
  }

  /** For the tests (`compilerMemory.internal.timelineMessage`): a message as the view would send it. */
  static async receive(message: ViewToHostMessage): Promise<TimelinePanelState | null> {
    await TimelinePanel.current?.onMessage(message);
    return TimelinePanel.state;
  }

  /** Open Timeline while a build runs: the panel (opened, or the open one) shows it live. */
  static showLive(ctx: Ctx, run: ActiveRun): TimelinePanel {
    const open = TimelinePanel.current;
    const codeColumn = vscode.window.activeTextEditor?.viewColumn;
    if (open) {
      // Beside the code, never in its place.
      const column = open.panel.viewColumn;
      open.panel.reveal(column === undefined || column === codeColumn ? vscode.ViewColumn.Beside : column);
      if (open.live?.run !== run) open.follow(run);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      TIMELINE_VIEW_TYPE,
      'Memory Timeline',
      codeColumn ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active,
      TimelinePanel.webviewOptions(ctx),
    );
    return (TimelinePanel.current = new TimelinePanel(
      ctx,
      panel,
      ctx.lastResult?.profilePath ?? '',
      false,
      undefined,
      run,
    ));
  }

  /** Registers the open panel's following of running builds (at activation). */
  static followLiveRuns(ctx: Ctx): vscode.Disposable {
    return ctx.onLive((e) => TimelinePanel.current?.onLive(e));
  }

  /** Brings back a panel VS Code restored after a reload, with the state its view kept. */
  static revive(ctx: Ctx, panel: vscode.WebviewPanel, state: unknown): void {
    TimelinePanel.current?.dispose();
    panel.webview.options = TimelinePanel.webviewOptions(ctx);
    if (!isHostState(state)) {
      panel.webview.html = errorHtml(
        'This timeline has no profile to show any more. Run "Compiler Memory: Open Timeline" again.',
      );
      return;
    }
    const revived = new TimelinePanel(ctx, panel, state.profilePath, true);
    TimelinePanel.current = revived;
    if (state.pinned) TimelinePanel.setPinned(true);
  }

  static get state(): TimelinePanelState | null {
    return TimelinePanel.current?.snapshot() ?? null;
  }

  private static webviewOptions(ctx: Ctx): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(ctx.extensionContext.extensionUri, 'dist')],
    };
  }

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
    private profilePath: string,
    private readonly revived: boolean,
    select?: string[],
    liveRun?: ActiveRun,
  ) {
    this.pendingSelect = select;
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: ViewToHostMessage) => void this.onMessage(m)),
      // The newest profile replaces the shown one, unless pinned.
      ctx.onDidChangeResult((r) => {
        if (!this.pinned && r.profilePath !== this.profilePath) this.load(r.profilePath);
      }),
    );
    if (liveRun) this.follow(liveRun);
    else this.load(profilePath);
  }

  /** Reloads the view to draw a running build live: it starts over with `ready`, answered with the run so far. */
  private follow(run: ActiveRun): void {
    this.live = { run, streaming: false, posted: 0, drawn: null };
    this.model = undefined;
    this.lastError = null;
    this.panel.title = 'Memory Timeline: running…';
    this.panel.webview.html = this.html();
  }

  /** A running build moved on or ended. */
  private onLive(e: LiveEvent): void {
    if ('update' in e) {
      if (this.live?.run !== e.run) {
        if (this.pinned) return; // pinned to its profile: a new build does not take it
        return this.follow(e.run); // a new build: the view starts over with it
      }
      if (this.live.streaming) void this.postLive({ type: 'live', update: e.update });
      return;
    }
    if (this.live?.run !== e.run) return;
    if (e.end.profilePath) this.load(e.end.profilePath);
    else void this.postLive({ type: 'liveEnd', runId: e.run.runId, end: e.end });
  }

  private async postLive(m: HostToViewMessage): Promise<void> {
    const live = this.live;
    if (live && (await this.post(m)) && m.type === 'live') live.posted++;
  }

  private hostState(): TimelineHostState {
    return { profilePath: this.profilePath, ...(this.pinned ? { pinned: true } : {}) };
  }

  private updateTitle(): void {
    this.panel.title = timelineTitle(this.model?.run.title, this.pinned);
  }

  /** Sends the view `selectPhase` for `path` (the view selects the span and zooms to it). */
  private async select(path: string[]): Promise<void> {
    if (!this.model) return;
    const message: SelectPhaseMessage = { type: 'selectPhase', phase: phaseIndexOf(this.model, path), path };
    this.pendingSelect = undefined;
    if (await this.post(message)) this.selected = { phase: message.phase, path };
  }

  /** (Re)loads the view for a profile: it starts over with `ready`. */
  private load(profilePath: string): void {
    this.live = undefined;
    this.profilePath = profilePath;
    this.model = undefined;
    this.seriesAnswered = 0;
    this.lastError = null;
    this.selected = null;
    this.updateTitle();
    this.panel.webview.html = this.html();
  }

  private snapshot(): TimelinePanelState {
    const m = this.model;
    return {
      profilePath: this.profilePath,
      title: this.panel.title,
      visible: this.panel.visible,
      viewColumn: this.panel.viewColumn ?? null,
      pinned: this.pinned,
      model: m
        ? {
            title: m.run.title,
            peakBytes: m.peak?.bytes ?? null,
            phasePath: m.peak?.phasePath ?? [],
            phases: m.phases.length,
            series: m.series.length,
            treeSamples: m.series.find((s) => s.kind === 'rss-tree')?.samples ?? null,
          }
        : null,
      live: this.live
        ? {
            runId: this.live.run.runId,
            posted: this.live.posted,
            drawn: this.live.drawn,
            end: this.live.run.end ?? null,
          }
        : null,
      seriesAnswered: this.seriesAnswered,
      lastError: this.lastError,
      revived: this.revived,
      selected: this.selected,
      revealed: this.revealed,
    };
  }

  private post(message: HostToViewMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  private async onMessage(m: ViewToHostMessage): Promise<void> {
    if (!m || typeof m !== 'object') return;
    const profilePath = this.profilePath;
    switch (m.type) {
      case 'ready': {
        const live = this.live;
        if (live) {
          // A live view (or one reloaded while hidden): everything so far, then each update as it comes.
          // Streaming from the snapshot on (set before awaiting: an update may come meanwhile).
          const snapshot = live.run.live.snapshot();
          live.streaming = true;
          if (snapshot) await this.postLive({ type: 'live', update: snapshot });
          if (live.run.end) await this.postLive({ type: 'liveEnd', runId: live.run.runId, end: live.run.end });
          return;
        }
        try {
          // After a reload the panel comes back before the language server is up.
          if (!(await this.ctx.whenServerUp(SERVER_START_TIMEOUT_MS))) throw new ServerNotUp();
          const model = await this.ctx.request(TimelineModelRequest.type, { profilePath });
          if (profilePath !== this.profilePath) return; // another profile was loaded meanwhile
          await this.post({ type: 'hostState', state: this.hostState() });
          if (await this.post({ type: 'model', model })) {
            this.model = model;
            this.updateTitle();
            if (this.pendingSelect) await this.select(this.pendingSelect);
          }
        } catch (e) {
          this.lastError = (e as Error).message;
          this.ctx.log.error(`timeline of ${profilePath}: ${this.lastError}`);
          this.panel.webview.html = errorHtml(`The timeline of ${profilePath} can't be shown: ${this.lastError}`);
        }
        return;
      }
      case 'requestSeries': {
        const { id, startMs, endMs, columns, seriesIds } = m;
        try {
          const series = await this.ctx.request(TimelineSeriesRequest.type, {
            profilePath,
            startMs,
            endMs,
            columns,
            ...(seriesIds ? { seriesIds } : {}),
          });
          this.seriesAnswered++;
          await this.post({ type: 'seriesData', id, ok: true, series });
        } catch (e) {
          this.lastError = (e as Error).message;
          await this.post({ type: 'seriesData', id, ok: false, error: this.lastError });
        }
        return;
      }
      case 'revealSource':
        await this.revealSource(m);
        return;
      case 'liveDrawn':
        if (this.live && m.runId === this.live.run.runId)
          this.live.drawn = { points: m.points, phases: m.phases, redraws: m.redraws };
        return;
    }
  }

  /**
   * Opens the source location of the phase the view names (from the host's model), in the code's
   * group (beside the panel when no code is shown); a relative path is taken from the workspace
   * folder. A path outside the workspace folders (the trace may name any file) opens only after a
   * modal question naming it.
   */
  private async revealSource(m: RevealSourceMessage): Promise<void> {
    const source = Number.isInteger(m.phase) ? this.model?.phases[m.phase]?.source : undefined;
    if (!source || typeof source.file !== 'string' || !source.file) return;
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const { file, inside } = resolveSourceLocation(source.file, folders);
    if (!inside) {
      const open = 'Open';
      const picked = await vscode.window.showWarningMessage(
        'Open a file outside the workspace?',
        {
          modal: true,
          detail: `The trace names ${terminalText(file)}, which is outside ${folders.length ? 'the workspace folders' : 'any workspace folder'}. Open it only if you expected this file.`,
        },
        open,
      );
      if (picked !== open) return;
    }
    const line = Math.max(0, (Number.isFinite(source.line) ? source.line! : 1) - 1);
    const column = Math.max(0, (Number.isFinite(source.column) ? source.column! : 1) - 1);
    const codeColumn = vscode.window.visibleTextEditors.find((e) => e.viewColumn !== this.panel.viewColumn)?.viewColumn;
    try {
      const pos = new vscode.Position(line, column);
      await vscode.window.showTextDocument(vscode.Uri.file(file), {
        viewColumn: codeColumn ?? vscode.ViewColumn.Beside,
        selection: new vscode.Range(pos, pos),
      });
      this.revealed = { file, line: line + 1, column: column + 1 };
    } catch (e) {
      this.ctx.notify('warning', `Compiler Memory: can't open ${file}: ${(e as Error).message}`);
    }
  }

  private html(): string {
    return webviewPage(this.panel.webview, this.ctx.extensionContext.extensionUri, {
      bundle: 'webview',
      title: 'Memory Timeline',
      rootId: 'cmi-root',
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (TimelinePanel.current === this) {
      TimelinePanel.current = undefined;
      void vscode.commands.executeCommand('setContext', 'compilerMemory.timelinePinned', false);
    }
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** Registers the serializer that brings the panel back after a reload (the activation event `onWebviewPanel:compilerMemory.timeline`). */
  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => TimelinePanel.revive(ctx, panel, state),
    });
  }

  /** Closes the panel (on deactivation). */
  static disposeCurrent(): void {
    TimelinePanel.current?.dispose();
  }
}

function errorHtml(message: string): string {
  const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><title>Memory Timeline</title></head><body><p id="cmi-error">${text}</p></body></html>`;
}
