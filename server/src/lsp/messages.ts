// protocol/ declarations → vscode-languageserver's message types (see protocol/README.md for why
// the protocol module doesn't construct them itself).
import { NotificationType, RequestType } from 'vscode-languageserver/node';
import type { NotificationDecl, RequestDecl } from '../../../protocol/custom-messages';

export function requestType<P, R>(decl: RequestDecl<P, R>): RequestType<P, R, void> {
  return new RequestType<P, R, void>(decl.method);
}

export function notificationType<P>(decl: NotificationDecl<P>): NotificationType<P> {
  return new NotificationType<P>(decl.method);
}
