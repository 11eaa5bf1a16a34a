// protocol/ declarations → vscode-languageclient's message types (see protocol/README.md for why
// the protocol module doesn't construct them itself). Takes the library as loaded by ctx.ts, which
// loads it after activation. Every request goes through `request()` (Ctx.request sends them); the
// notifications the client listens to are made once.
import type * as lc from 'vscode-languageclient/node';
import {
  BuildOutputNotification,
  BuildProgressNotification,
  LiveTimelineNotification,
  ServerStatusNotification,
  type NotificationDecl,
  type RequestDecl,
} from '../../protocol/custom-messages';

export type LanguageClientModule = typeof lc;

export function messageTypes(lib: LanguageClientModule) {
  const notification = <P>(d: NotificationDecl<P>) => new lib.NotificationType<P>(d.method);
  return {
    /** Any request declared in protocol/custom-messages.ts, as the library's RequestType. */
    request: <P, R>(d: RequestDecl<P, R>) => new lib.RequestType<P, R, void>(d.method),
    serverStatus: notification(ServerStatusNotification.type),
    buildProgress: notification(BuildProgressNotification.type),
    buildOutput: notification(BuildOutputNotification.type),
    liveTimeline: notification(LiveTimelineNotification.type),
  };
}

export type MessageTypes = ReturnType<typeof messageTypes>;

/** The JSON-RPC error code of a failed request, if it is one. */
export function responseErrorCode(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** LSP's RequestCancelled: the request was cancelled before the server answered it. */
export const REQUEST_CANCELLED = -32800;
