// The compare panel: "Compare with Baseline" opens it beside, with both memory curves aligned by phase
// and the per-phase deltas (dist/overlay.js, the view of `cmi compare --html`). The server builds the
// model (CompareResult.overlay); the panel embeds it in the page as JSON and the view only draws it.
// One panel at a time: a new comparison replaces the shown one. retainContextWhenHidden is off: a
// panel shown again draws anew from the same page. Not restored after a reload (the comparison is run
// again from the command).
import * as vscode from 'vscode';
import type { OverlayModel, OverlayRenderedMessage } from '../../protocol/overlay';
import { webviewPage } from './webview-page';
import type { Ctx } from './ctx';

export const COMPARE_VIEW_TYPE = 'compilerMemory.compare';

/** What the panel shows, for tests and bug reports (in the outcome of "Compare with Baseline"). */
export interface ComparePanelState {
  title: string;
  visible: boolean;
  /** What the view reported once drawn; null until then. */
  rendered: Omit<OverlayRenderedMessage, 'type'> | null;
}

export class ComparePanel {
  private static current: ComparePanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private rendered: ComparePanelState['rendered'] = null;
  private renderedWaiters: (() => void)[] = [];
  private disposed = false;

  /** Shows `model` beside the active editor: in the open panel or in a new one. */
  static createOrShow(ctx: Ctx, model: OverlayModel): ComparePanel {
    const open = ComparePanel.current;
    if (open) {
      open.panel.reveal(vscode.ViewColumn.Beside, true);
      open.show(model);
      return open;
    }
    const panel = vscode.window.createWebviewPanel(
      COMPARE_VIEW_TYPE,
      'Memory Compared by Phase',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        enableScripts: true,
        retainContextWhenHidden: false,
        localResourceRoots: [vscode.Uri.joinPath(ctx.extensionContext.extensionUri, 'dist')],
      },
    );
    return (ComparePanel.current = new ComparePanel(ctx, panel, model));
  }

  static get state(): ComparePanelState | null {
    const p = ComparePanel.current;
    return p ? { title: p.panel.title, visible: p.panel.visible, rendered: p.rendered } : null;
  }

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
    private model: OverlayModel,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: OverlayRenderedMessage) => {
        if (m?.type !== 'rendered') return;
        const { type: _type, ...rest } = m;
        this.rendered = rest;
        for (const w of this.renderedWaiters.splice(0)) w();
      }),
    );
    this.show(model);
  }

  private show(model: OverlayModel): void {
    this.model = model;
    this.rendered = null;
    this.panel.webview.html = this.html();
  }

  /** Resolves once the view has drawn (or after `timeoutMs`), with the panel's state. */
  async whenRendered(timeoutMs = 10_000): Promise<ComparePanelState | null> {
    if (!this.rendered) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.renderedWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return ComparePanel.state;
  }

  private html(): string {
    return webviewPage(this.panel.webview, this.ctx.extensionContext.extensionUri, {
      bundle: 'overlay',
      title: 'Memory Compared by Phase',
      rootId: 'cmi-overlay-root',
      data: [{ id: 'cmi-overlay-model', value: this.model }],
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ComparePanel.current === this) ComparePanel.current = undefined;
    for (const w of this.renderedWaiters.splice(0)) w();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** Closes the panel (on deactivation). */
  static disposeCurrent(): void {
    ComparePanel.current?.dispose();
  }
}
