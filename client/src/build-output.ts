// The "Compiler Memory: Build Output" channel, keeping the tail of what it shows so that the state
// command (tests, bug reports) can tell what the user saw.
import * as vscode from 'vscode';

const KEEP_CHARS = 64 * 1024;

export class BuildOutput implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('Compiler Memory: Build Output');
  private kept = '';

  /** The last 64 KiB shown since the last clear(). */
  get tail(): string {
    return this.kept;
  }

  append(text: string): void {
    this.channel.append(text);
    this.kept = (this.kept + text).slice(-KEEP_CHARS);
  }

  appendLine(text: string): void {
    this.append(`${text}\n`);
  }

  clear(): void {
    this.channel.clear();
    this.kept = '';
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
