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
// While a build is profiled, an open panel (or one opened meanwhile) follows it live: the view is
// reloaded to draw the run's live timeline (webview/src/live.ts), sent everything so far and then each
// update the server streams (protocol/live.ts); when the build ends the panel loads its profile, or,
// when none was written, tells the view how the run ended and leaves it what it drew.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostToViewMessage, RevealSourceMessage, TimelineModel, ViewToHostMessage } from '../../protocol/timeline';
import type { LiveEnd } from '../../protocol/live';
import { TimelineModelRequest, TimelineSeriesRequest } from '../../protocol/custom-messages';
import { type ActiveRun, SERVER_START_TIMEOUT_MS, ServerNotUp, type Ctx, type LiveEvent } from './ctx';
import { webviewPage } from './webview-page';
import { resolveSourceLocation } from './source-location';
import { terminalText } from '../../common/untrusted-text';

export const TIMELINE_VIEW_TYPE = 'compilerMemory.timeline';

/** What the host keeps in the view (setState) to bring the panel back after a reload. */
export interface TimelineHostState {
  profilePath: string;
  /** The view's own state (webview/src/view-state.ts), kept beside the host's; opaque here. */
  view?: unknown;
}

/** A snapshot for the tests and bug reports (`compilerMemory.internal.state`). */
export interface TimelinePanelState {
  profilePath: string;
  visible: boolean;
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

  /** Shows the timeline of `profilePath`: in the open panel (reloaded) or in a new one. */
  static createOrShow(ctx: Ctx, profilePath: string): TimelinePanel {
    const column = vscode.window.activeTextEditor?.viewColumn;
    const open = TimelinePanel.current;
    if (open) {
      open.panel.reveal(column);
      if (open.live && !open.live.run.end) return open; // it follows the running build
      if (open.profilePath !== profilePath || open.live) open.load(profilePath);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      TIMELINE_VIEW_TYPE,
      'Memory Timeline',
      column ?? vscode.ViewColumn.One,
      TimelinePanel.webviewOptions(ctx),
    );
    return (TimelinePanel.current = new TimelinePanel(ctx, panel, profilePath, false));
  }

  /** Open Timeline while a build runs: the panel (opened, or the open one) shows it live. */
  static showLive(ctx: Ctx, run: ActiveRun): TimelinePanel {
    const open = TimelinePanel.current;
    if (open) {
      open.panel.reveal(vscode.window.activeTextEditor?.viewColumn);
      if (open.live?.run !== run) open.follow(run);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      TIMELINE_VIEW_TYPE,
      'Memory Timeline',
      vscode.window.activeTextEditor?.viewColumn ?? vscode.ViewColumn.One,
      TimelinePanel.webviewOptions(ctx),
    );
    return (TimelinePanel.current = new TimelinePanel(ctx, panel, ctx.lastResult?.profilePath ?? '', false, run));
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
    TimelinePanel.current = new TimelinePanel(ctx, panel, state.profilePath, true);
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
    liveRun?: ActiveRun,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: ViewToHostMessage) => void this.onMessage(m)),
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
      if (this.live?.run !== e.run) return this.follow(e.run); // a new build: the view starts over with it
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

  /** (Re)loads the view for a profile: it starts over with `ready`. */
  private load(profilePath: string): void {
    this.live = undefined;
    this.profilePath = profilePath;
    this.model = undefined;
    this.seriesAnswered = 0;
    this.lastError = null;
    this.panel.title = `Memory Timeline: ${path.basename(profilePath).replace(/\.cmi-profile\.json$/, '')}`;
    this.panel.webview.html = this.html();
  }

  private snapshot(): TimelinePanelState {
    const m = this.model;
    return {
      profilePath: this.profilePath,
      visible: this.panel.visible,
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
          const state: TimelineHostState = { profilePath };
          await this.post({ type: 'hostState', state });
          if (await this.post({ type: 'model', model })) this.model = model;
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
   * Opens a phase's source location beside the panel; a relative path is taken from the workspace
   * folder. A path outside the workspace folders (the trace may name any file) opens only after a
   * modal question naming it.
   */
  private async revealSource(m: RevealSourceMessage): Promise<void> {
    if (typeof m.file !== 'string' || !m.file) return;
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const { file, inside } = resolveSourceLocation(m.file, folders);
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
    const line = Math.max(0, (Number.isFinite(m.line) ? m.line! : 1) - 1);
    const column = Math.max(0, (Number.isFinite(m.column) ? m.column! : 1) - 1);
    try {
      const pos = new vscode.Position(line, column);
      await vscode.window.showTextDocument(vscode.Uri.file(file), {
        viewColumn: vscode.ViewColumn.Beside,
        selection: new vscode.Range(pos, pos),
      });
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
    if (TimelinePanel.current === this) TimelinePanel.current = undefined;
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
