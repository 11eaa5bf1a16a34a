// The side bar's "Phases" view: a webview view (dist/side-bar.js) showing the current profile's phase
// tree with time, self time, live-heap and RSS peak columns, sortable. A tree view has no columns, so
// this is a webview, as the JavaScript profiler's table view is. The host asks the server for the tree
// (`compilerMemory/phaseTree`) and relays; the view draws and reports what it shows (`rendered`).
// A click on a phase becomes showPhaseInTimeline().
import * as vscode from 'vscode';
import type {
  PhaseHostToView,
  PhaseSort,
  PhaseTree,
  PhaseViewRendered,
  PhaseViewToHost,
} from '../../protocol/side-bar';
import { PhaseTreeRequest } from '../../protocol/side-bar';
import { SERVER_START_TIMEOUT_MS, ServerNotUp, type Ctx } from './ctx';
import { showPhaseInTimeline } from './show-phase-in-timeline';
import { webviewPage } from './webview-page';

export const PHASES_VIEW_ID = 'compilerMemory.phases';

/** What the view shows, for the tests and bug reports. */
export interface PhasesViewState {
  profilePath: string | null;
  visible: boolean;
  /** The tree's rows as `path` strings (names joined by " › "), in row order; empty before a tree arrives. */
  rowPaths: string[];
  peakRow: number | null;
  rendered: Omit<PhaseViewRendered, 'type'> | null;
  lastError: string | null;
}

function rowPath(tree: PhaseTree, row: number): string[] {
  const names: string[] = [];
  const seen = new Set<number>();
  for (let r: number | null = row; r !== null && !seen.has(r) && tree.rows[r]; r = tree.rows[r]!.parentRow) {
    seen.add(r);
    names.unshift(tree.rows[r]!.name);
  }
  return names;
}

export class PhasesView implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private profilePath: string | null = null;
  private tree: PhaseTree | null = null;
  private sort: PhaseSort | undefined;
  private rendered: PhasesViewState['rendered'] = null;
  private lastError: string | null = null;
  private loading = 0;
  private readonly renderWaiters: (() => void)[] = [];

  constructor(private readonly ctx: Ctx) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.rendered = null;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.ctx.extensionContext.extensionUri, 'dist')],
    };
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
    view.webview.onDidReceiveMessage((m: PhaseViewToHost) => void this.onMessage(m));
    view.webview.html = this.html(view.webview);
  }

  /** Shows `profilePath`'s phases (null: none). Loads only when the view is there; it asks on `ready` otherwise. */
  show(profilePath: string | null): void {
    if (profilePath === this.profilePath && this.tree) return;
    this.profilePath = profilePath;
    this.tree = null;
    if (this.view) void this.load();
  }

  get shownPath(): string | null {
    return this.profilePath;
  }

  get state(): PhasesViewState {
    const t = this.tree;
    return {
      profilePath: this.profilePath,
      visible: this.view?.visible ?? false,
      rowPaths: t ? t.rows.map((_, i) => rowPath(t, i).join(' › ')) : [],
      peakRow: t?.peakRow ?? null,
      rendered: this.rendered,
      lastError: this.lastError,
    };
  }

  /** Sends the view a message (the tests' way to click and sort inside it); false without a view. */
  post(message: PhaseHostToView): Thenable<boolean> {
    return this.view ? this.view.webview.postMessage(message) : Promise.resolve(false);
  }

  /** Resolves on the view's next report of what it shows (or after `timeoutMs`). */
  nextRender(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.renderWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async load(): Promise<void> {
    const profilePath = this.profilePath;
    const ticket = ++this.loading;
    if (!profilePath) {
      await this.post({ type: 'tree', tree: null, message: 'No profile yet: run Profile Build, or import a profile.' });
      return;
    }
    try {
      if (!(await this.ctx.whenServerUp(SERVER_START_TIMEOUT_MS))) throw new ServerNotUp();
      const tree = await this.ctx.request(PhaseTreeRequest.type, { profilePath });
      if (ticket !== this.loading) return; // another profile was asked for meanwhile
      this.tree = tree;
      this.lastError = null;
      await this.post(
        tree.rows.length
          ? { type: 'tree', tree, ...(this.sort ? { sort: this.sort } : {}) }
          : { type: 'tree', tree: null, message: 'This profile recorded no phases.' },
      );
    } catch (e) {
      if (ticket !== this.loading) return;
      this.lastError = (e as Error).message;
      this.ctx.log.warn(`phases of ${profilePath}: ${this.lastError}`);
      await this.post({ type: 'tree', tree: null, message: `The phases can't be shown: ${this.lastError}` });
    }
  }

  private async onMessage(m: PhaseViewToHost): Promise<void> {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'ready':
        await this.load();
        return;
      case 'rendered': {
        const { type: _type, ...rest } = m;
        this.rendered = rest;
        this.sort = m.sort;
        for (const w of this.renderWaiters.splice(0)) w();
        return;
      }
      case 'selectPhase': {
        const t = this.tree;
        const r = t && Number.isInteger(m.row) ? t.rows[m.row] : undefined;
        if (!t || !r) return;
        showPhaseInTimeline(this.ctx, {
          profilePath: t.profilePath,
          phaseRow: m.row,
          path: rowPath(t, m.row),
          startMs: r.startMs,
          endMs: r.endMs,
        });
        return;
      }
    }
  }

  private html(webview: vscode.Webview): string {
    return webviewPage(webview, this.ctx.extensionContext.extensionUri, {
      bundle: 'side-bar',
      title: 'Phases',
      rootId: 'cmi-phases',
    });
  }
}
