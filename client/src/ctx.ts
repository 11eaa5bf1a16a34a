// The extension's context: owns the language client, the status bar item, the two output channels,
// the commands and every disposable (rust-analyzer's ctx.ts). Commands are registered once, at
// activation, and exist while the server is starting or down: they then say so instead of failing.
import * as vscode from 'vscode';
import * as config from './config';
import { configurationMiddleware } from './configuration-middleware';
import { notificationText } from '../../common/untrusted-text';
import { plainText } from './plain-text';
import type { LanguageClient, LanguageClientOptions, RequestParam, ServerOptions } from 'vscode-languageclient/node';
import {
  GetBaselineRequest,
  type BuildProgressParams,
  type ImportProfileResult,
  type InitializationOptions,
  type ProfileBuildResult,
  type RequestDecl,
} from '../../protocol/custom-messages';
import type { LiveEnd, LivePhase, LiveTimelineUpdate } from '../../protocol/live';
import { LiveCopy } from '../../common/live-copy';
import { BuildOutput } from './build-output';
import { messageTypes, type MessageTypes } from './messages';
import { renderLive, renderResult, renderServer, type ServerState } from './status-bar';

export type Cmd = (...args: unknown[]) => unknown;

/** How long a command waits for a language server that is still starting. */
export const SERVER_START_TIMEOUT_MS = 30_000;

/**
 * A command, made once at activation. It exists whatever the server is doing: one that needs the
 * server waits for a server that is starting and says so when it is down (server-request.ts).
 */
export type CommandFactory = (ctx: Ctx) => Cmd;

/** Why a request was not sent: the language server is not up (starting, or down). */
export class ServerNotUp extends Error {
  constructor() {
    super('the Compiler Memory language server is not running');
  }
}

/** A build being profiled now. */
export class ActiveRun {
  readonly cancellation = new vscode.CancellationTokenSource();
  progress: BuildProgressParams | undefined;
  onProgress: ((p: BuildProgressParams) => void) | undefined;
  /** Its live timeline so far (bounded: protocol/live.ts), for a timeline panel open or opened meanwhile. */
  readonly live = new LiveCopy<LivePhase, LiveTimelineUpdate>();
  /** How it ended, once it did (set by Ctx.endRun). */
  end: LiveEnd | undefined;

  constructor(
    readonly runId: string,
    readonly label: string,
  ) {}
}

/** A running build's live timeline moved on (`update`), or the build ended (`end`). */
export type LiveEvent = { run: ActiveRun; update: LiveTimelineUpdate } | { run: ActiveRun; end: LiveEnd };

/** What the last Profile Build or Import Profile command came to, for the status bar and the tests. */
export type ProfileOutcome =
  | { kind: 'profiled'; result: ProfileBuildResult }
  | { kind: 'imported'; result: ImportProfileResult }
  | { kind: 'refused'; reason: string }
  | { kind: 'error'; message: string };

export class Ctx {
  readonly log: vscode.LogOutputChannel;
  readonly buildOutput: BuildOutput;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private client: LanguageClient | undefined;
  private messages: MessageTypes | undefined;
  private server: ServerState = { health: 'starting' };
  private readonly serverChanged = this.push(new vscode.EventEmitter<ServerState>());
  private readonly liveEmitter = this.push(new vscode.EventEmitter<LiveEvent>());
  /** The running build's live timeline (the timeline panel follows it). */
  readonly onLive = this.liveEmitter.event;
  private readonly resultChanged = this.push(new vscode.EventEmitter<ProfileBuildResult>());
  /** Fires with each new last result (a build's or an import's): the timeline follows it unless pinned. */
  readonly onDidChangeResult = this.resultChanged.event;
  private active: ActiveRun | undefined;
  private last: ProfileBuildResult | undefined;
  lastOutcome: ProfileOutcome | undefined;
  /** The last message shown to the user, for the tests. */
  lastNotice: { severity: 'info' | 'warning' | 'error'; message: string } | undefined;
  /** Activation time as the extension measures it: loading its bundle plus activate(); hostWaitMs is VS Code's own time between the two. */
  activation: { totalMs: number; bundleMs: number; activateMs: number; hostWaitMs: number } | undefined;

  constructor(readonly extensionContext: vscode.ExtensionContext) {
    this.log = this.push(vscode.window.createOutputChannel('Compiler Memory Insight', { log: true }));
    this.buildOutput = this.push(new BuildOutput());
    this.statusBar = this.push(
      vscode.window.createStatusBarItem('compilerMemory.status', vscode.StatusBarAlignment.Left, 0),
    );
    this.statusBar.name = 'Compiler Memory Insight';
    this.updateStatusBar();
    this.statusBar.show();
    extensionContext.subscriptions.push(this);
  }

  push<T extends vscode.Disposable>(d: T): T {
    this.disposables.push(d);
    return d;
  }

  dispose(): void {
    this.disposed = true;
    this.active?.cancellation.cancel();
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  /** Where the server writes profiles: the workspace's storage, or the global storage without a folder. */
  get storageDir(): string {
    return (this.extensionContext.storageUri ?? this.extensionContext.globalStorageUri).fsPath;
  }

  get serverState(): ServerState {
    return this.server;
  }

  get serverIsUp(): boolean {
    return this.server.health === 'ready' || this.server.health === 'busy';
  }

  /**
   * Sends a request declared in protocol/custom-messages.ts: the one way the client asks the server.
   * Rejects with ServerNotUp unless the server is up; cancelling the token sends $/cancelRequest (a
   * build or an import then stops).
   */
  request<P, R>(decl: RequestDecl<P, R>, params: P, token?: vscode.CancellationToken): Promise<R> {
    if (!this.client || !this.messages || !this.serverIsUp) return Promise.reject(new ServerNotUp());
    return this.client.sendRequest(this.messages.request(decl), params as RequestParam<P>, token);
  }

  /**
   * Inside a command's progress notification: waits for a server that is still starting (saying so in
   * the notification). False when it is down or not up in time; the caller then says so (notUp()).
   */
  async serverUpFor(progress: vscode.Progress<{ message?: string }>): Promise<boolean> {
    if (this.serverIsUp) return true;
    progress.report({ message: 'waiting for the language server…' });
    return this.whenServerUp(SERVER_START_TIMEOUT_MS);
  }

  get activeRun(): ActiveRun | undefined {
    return this.active;
  }

  get lastResult(): ProfileBuildResult | undefined {
    return this.last;
  }

  get statusBarText(): { text: string; tooltip: string; command: string | null; accessibilityLabel: string } {
    const tooltip = this.statusBar.tooltip;
    const command = this.statusBar.command;
    return {
      accessibilityLabel: this.statusBar.accessibilityInformation?.label ?? '',
      text: this.statusBar.text,
      tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? ''),
      command: typeof command === 'string' ? command : (command?.command ?? null),
    };
  }

  registerCommands(table: Record<string, CommandFactory>): void {
    for (const [name, factory] of Object.entries(table))
      this.push(vscode.commands.registerCommand(name, factory(this)));
  }

  /** Starts the language server; resolves once it runs (its `ready` status follows). Never rejects. */
  async startServer(): Promise<void> {
    try {
      await this.createAndStartClient();
    } catch (e) {
      this.log.error(`the language server could not start: ${(e as Error).message}`);
      this.setServerState({ health: 'stopped', message: (e as Error).message });
    }
  }

  private async createAndStartClient(): Promise<void> {
    // Loaded here rather than imported at the top: evaluating vscode-languageclient is most of the
    // bundle's cost, and activation should not wait for it.
    const lib = await import('vscode-languageclient/node');
    if (this.disposed) return;
    const { LanguageClient, State, TransportKind } = lib;
    const messages = (this.messages = messageTypes(lib));
    const module = this.extensionContext.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const initializationOptions: InitializationOptions = {
      storageDir: this.storageDir,
      historySize: config.historySize(),
    };
    const clientOptions: LanguageClientOptions = {
      // Hovers and CodeLens on phase names (server/src/lsp/hover.ts): source files, saved or untitled.
      documentSelector: [
        'rust',
        'typescript',
        'typescriptreact',
        'javascript',
        'javascriptreact',
        'c',
        'cpp',
        'go',
        'java',
      ].flatMap((language) => [
        { scheme: 'file', language },
        { scheme: 'untitled', language },
      ]),
      outputChannel: this.log,
      // Hovers end with a "Show in Timeline" link: trusted for that command only.
      markdown: { isTrusted: { enabledCommands: ['compilerMemory.showInTimeline'] }, supportHtml: false },
      initializationOptions,
      middleware: configurationMiddleware,
    };
    const client = new LanguageClient('compilerMemory', 'Compiler Memory Insight', serverOptions, clientOptions);
    this.client = client;
    this.push(
      client.onNotification(messages.serverStatus, (s) =>
        this.setServerState({ health: s.health, ...(s.message ? { message: s.message } : {}) }),
      ),
    );
    this.push(client.onNotification(messages.buildProgress, (p) => this.onBuildProgress(p)));
    this.push(
      client.onNotification(messages.liveTimeline, (u) => {
        const run = this.active;
        if (run && u.runId === run.runId && run.live.apply(u)) this.liveEmitter.fire({ run, update: u });
      }),
    );
    this.push(
      client.onNotification(messages.buildOutput, (o) => {
        if (o.runId === this.active?.runId) this.buildOutput.append(o.text);
      }),
    );
    this.push(
      client.onDidChangeState((e) => {
        if (e.newState === State.Starting) this.setServerState({ health: 'starting' });
        // Running: the server's own `ready` notification follows once it is initialized.
        else if (e.newState === State.Stopped)
          this.setServerState({ health: 'stopped', message: 'the language server stopped' });
      }),
    );
    this.push({ dispose: () => void (client.isRunning() ? client.stop().catch(() => undefined) : undefined) });
    await client.start();
  }

  /** Stops the language server (on deactivation), cancelling a running build first. */
  async stopServer(): Promise<void> {
    this.active?.cancellation.cancel();
    const client = this.client;
    this.client = undefined;
    if (client?.isRunning())
      await client.stop(2000).catch((e: Error) => this.log.warn(`stopping the language server: ${e.message}`));
  }

  setServerState(state: ServerState): void {
    if (state.health !== this.server.health)
      this.log.info(`server: ${state.health}${state.message ? ` (${state.message})` : ''}`);
    const wasUp = this.serverIsUp;
    this.server = state;
    this.serverChanged.fire(state);
    this.updateStatusBar();
    // Whether a baseline is kept (from an earlier session): Compare with Baseline is offered then.
    if (!wasUp && this.serverIsUp)
      this.request(GetBaselineRequest.type, {}).then(
        (b) => this.setBaselineKnown(b !== null),
        (e: Error) => this.log.warn(`reading the baseline: ${e.message}`),
      );
  }

  /** Resolves true once the server is up, false when it is down or not up within `timeoutMs`. */
  whenServerUp(timeoutMs: number): Promise<boolean> {
    const settled = (s: ServerState) =>
      s.health === 'ready' || s.health === 'busy' ? true : s.health === 'starting' ? undefined : false;
    const now = settled(this.server);
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (up: boolean) => {
        clearTimeout(timer);
        listener.dispose();
        resolve(up);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const listener = this.serverChanged.event((s) => {
        const up = settled(s);
        if (up !== undefined) done(up);
      });
    });
  }

  beginRun(run: ActiveRun): void {
    this.active = run;
    void vscode.commands.executeCommand('setContext', 'compilerMemory.profiling', true);
    this.updateStatusBar();
  }

  endRun(run: ActiveRun, result: ProfileBuildResult | undefined): void {
    if (this.active === run) {
      this.active = undefined;
      void vscode.commands.executeCommand('setContext', 'compilerMemory.profiling', false);
    }
    run.cancellation.dispose();
    if (result) this.last = result;
    const summary = result?.summary;
    run.end = summary
      ? {
          status: summary.status,
          ...(summary.statusReason ? { statusReason: summary.statusReason } : {}),
          profilePath: result.profilePath,
        }
      : { status: 'incomplete', statusReason: 'no profile was written' };
    this.liveEmitter.fire({ run, end: run.end });
    this.updateStatusBar();
    if (result) this.resultChanged.fire(result);
  }

  /** Shows a profile that was not built here (imported) as the last result, as a build's would be. */
  showResult(result: ImportProfileResult): void {
    this.last = result;
    this.updateStatusBar();
    this.resultChanged.fire(result);
  }

  private onBuildProgress(p: BuildProgressParams): void {
    const run = this.active;
    if (!run || p.runId !== run.runId) return;
    run.progress = p;
    run.onProgress?.(p);
    this.updateStatusBar();
  }

  private updateStatusBar(): void {
    const view = this.active
      ? renderLive({ label: this.active.label, ...(this.active.progress ? { progress: this.active.progress } : {}) })
      : this.server.health === 'stopped' || this.server.health === 'error'
        ? renderServer(this.server)
        : this.last
          ? renderResult(this.last)
          : renderServer(this.server);
    this.statusBar.text = view.text;
    this.statusBar.tooltip = view.tooltip;
    // Screen readers read this, not the Markdown tooltip.
    this.statusBar.accessibilityInformation = { label: view.label };
    this.statusBar.command = view.command;
    this.statusBar.backgroundColor = view.background;
    this.updateContextKeys();
  }

  private contextKeys: Record<string, boolean> = {};
  /** Whether the baseline is set, as last learnt (set or cleared here, or a result compared with one). */
  private baselineSet = false;

  /** Notes that a baseline is set (or not): Compare with Baseline is offered only then. */
  setBaselineKnown(set: boolean): void {
    this.baselineSet = set;
    this.updateContextKeys();
  }

  /** The `when` clauses' keys: commands that can't act (Compare, Export without a profile) are not offered. */
  private updateContextKeys(): void {
    const keys = {
      'compilerMemory.hasProfile': this.last !== undefined,
      'compilerMemory.hasBaseline': this.baselineSet || this.last?.summary.baseline !== undefined,
    };
    for (const [key, value] of Object.entries(keys)) {
      if (this.contextKeys[key] === value) continue;
      this.contextKeys[key] = value;
      void vscode.commands.executeCommand('setContext', key, value);
    }
  }

  /** The `when` clause keys as last set, for the tests. */
  get contextKeyValues(): Record<string, boolean> {
    return { ...this.contextKeys };
  }

  /**
   * Shows a message (not waiting for it to be dismissed) and runs the action picked, if any.
   * Notifications draw no code spans: a `command` written in backticks is shown in quotes instead.
   */
  notify(severity: 'info' | 'warning' | 'error', message: string, actions: Record<string, () => unknown> = {}): void {
    const plain = plainText(message);
    this.lastNotice = { severity, message: plain };
    this.log[severity === 'warning' ? 'warn' : severity](message);
    const items = Object.keys(actions);
    // Notifications turn `[label](target)` into a link, `command:` targets included: not from a trace.
    const text = notificationText(plain);
    const shown =
      severity === 'info'
        ? vscode.window.showInformationMessage(text, ...items)
        : severity === 'warning'
          ? vscode.window.showWarningMessage(text, ...items)
          : vscode.window.showErrorMessage(text, ...items);
    void Promise.resolve(shown).then((picked) => {
      if (picked) void actions[picked]?.();
    });
  }
}
