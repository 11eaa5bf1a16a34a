// The compare panel: "Compare with Baseline" opens it beside, with both memory curves aligned by phase,
// the per-phase deltas and the arena groups (dist/overlay.js, the view of `cmi compare --html`), and
// two buttons: "Copy as Markdown" (the clipboard) and "Save as…" (a file the user names). Nothing else
// opens: no untitled document to be asked about on closing. The server builds the model
// (CompareResult.overlay) and the Markdown; the panel embeds the model in the page as JSON and keeps
// the Markdown for the buttons. One panel at a time: a new comparison replaces the shown one.
// retainContextWhenHidden is off: a panel shown again draws anew from the same page. Not restored
// after a reload (the comparison is run again from the command).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { OverlayModel, OverlayRenderedMessage, OverlayToHostMessage } from '../../protocol/overlay';
import { webviewPage } from './webview-page';
import type { Ctx } from './ctx';

export const COMPARE_VIEW_TYPE = 'compilerMemory.compare';

/** What the panel shows, for tests and bug reports (in the outcome of "Compare with Baseline"). */
export interface ComparePanelState {
  title: string;
  visible: boolean;
  /** What the view reported once drawn; null until then. */
  rendered: Omit<OverlayRenderedMessage, 'type'> | null;
  /** What the last button press did: copied to the clipboard, or saved to a file; null before any. */
  lastAction: PanelAction | null;
}

export type PanelAction =
  | { kind: 'copied'; lines: number }
  | { kind: 'saved'; file: string }
  | { kind: 'not-saved'; reason: string };

export class ComparePanel {
  private static current: ComparePanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private rendered: ComparePanelState['rendered'] = null;
  private lastAction: PanelAction | null = null;
  private renderedWaiters: (() => void)[] = [];
  private disposed = false;

  /** Shows `model` beside the active editor: in the open panel or in a new one. */
  static createOrShow(ctx: Ctx, model: OverlayModel, markdown: string): ComparePanel {
    const open = ComparePanel.current;
    if (open) {
      open.panel.reveal(vscode.ViewColumn.Beside, true);
      open.show(model, markdown);
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
    return (ComparePanel.current = new ComparePanel(ctx, panel, model, markdown));
  }

  static get state(): ComparePanelState | null {
    const p = ComparePanel.current;
    return p
      ? { title: p.panel.title, visible: p.panel.visible, rendered: p.rendered, lastAction: p.lastAction }
      : null;
  }

  /**
   * For the tests (`compilerMemory.internal.comparePanelAction`): what a button of the view does, as
   * its message would; `saveTo` stands for the file picked in the save dialog.
   */
  static async act(type: 'copyMarkdown' | 'saveMarkdown', saveTo?: vscode.Uri): Promise<PanelAction | null> {
    const p = ComparePanel.current;
    if (!p) return null;
    await p.onMessage({ type }, saveTo);
    return p.lastAction;
  }

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
    private model: OverlayModel,
    private markdown: string,
  ) {
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: OverlayToHostMessage) => void this.onMessage(m)),
    );
    this.show(model, markdown);
  }

  private show(model: OverlayModel, markdown: string): void {
    this.model = model;
    this.markdown = markdown;
    this.rendered = null;
    this.lastAction = null;
    this.panel.webview.html = this.html();
  }

  private async onMessage(m: OverlayToHostMessage, saveTo?: vscode.Uri): Promise<void> {
    switch (m?.type) {
      case 'rendered': {
        const { type: _type, ...rest } = m;
        this.rendered = rest;
        for (const w of this.renderedWaiters.splice(0)) w();
        return;
      }
      case 'copyMarkdown': {
        const markdown = this.markdown;
        await vscode.env.clipboard.writeText(markdown);
        const lines = markdown.split('\n').length;
        this.lastAction = { kind: 'copied', lines };
        this.ctx.notify('info', `Compiler Memory: copied the comparison as Markdown (${lines} lines).`);
        return;
      }
      case 'saveMarkdown':
        this.lastAction = await this.save(saveTo);
        return;
    }
  }

  /** "Save as…": the Markdown to a file the user picks (a .md in the workspace folder by default). */
  private async save(given?: vscode.Uri): Promise<PanelAction> {
    const markdown = this.markdown;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target =
      given ??
      (await vscode.window.showSaveDialog({
        title: 'Save the Comparison as Markdown',
        saveLabel: 'Save',
        filters: { Markdown: ['md'] },
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, 'memory-comparison.md') } : {}),
      }));
    if (!target) return { kind: 'not-saved', reason: 'no file was chosen' };
    try {
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(markdown));
    } catch (e) {
      const reason = (e as Error).message;
      this.ctx.notify('error', `Compiler Memory: could not save the comparison: ${reason}`);
      return { kind: 'not-saved', reason };
    }
    const file = target.scheme === 'file' ? target.fsPath : target.toString();
    this.ctx.notify('info', `Compiler Memory: saved the comparison to ${path.basename(file)}.`, {
      Open: () => vscode.window.showTextDocument(target, { viewColumn: vscode.ViewColumn.Beside }),
    });
    return { kind: 'saved', file };
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
