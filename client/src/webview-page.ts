// The page of a webview (the timeline, the compare overlay, the side bar's phases): the view's bundle and style sheet
// from dist/ with a nonce, a Content Security Policy of default-src 'none', and the data as inert
// JSON blocks. The page layout is shared with the CLI's reports (common/html.ts).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { viewPage } from '../../common/html';

export function webviewPage(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  page: {
    bundle: 'webview' | 'overlay' | 'side-bar';
    title: string;
    rootId: string;
    data?: { id: string; value: unknown }[];
  },
): string {
  const dist = vscode.Uri.joinPath(extensionUri, 'dist');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, `${page.bundle}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, `${page.bundle}.css`));
  const nonce = randomBytes(18).toString('base64');
  return viewPage({
    csp: [
      `default-src 'none'`,
      `script-src 'nonce-${nonce}'`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
    ].join('; '),
    title: page.title,
    head: `<link rel="stylesheet" href="${style.toString()}" nonce="${nonce}">`,
    rootId: page.rootId,
    ...(page.data ? { data: page.data } : {}),
    scripts: [`<script nonce="${nonce}" src="${script.toString()}"></script>`],
  });
}
