// The view's host port inside VS Code: `acquireVsCodeApi()` (callable once per page). Besides passing
// messages, it keeps what the host asks it to keep (`hostState`, e.g. the profile path) with
// setState, so that VS Code hands it back to the extension's panel serializer after a reload.

import type { HostToViewMessage, TimelineHostPort, ViewToHostMessage } from '../../protocol/timeline';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export function vscodePort(acquire: () => VsCodeApi): TimelineHostPort {
  const api = acquire();
  window.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as HostToViewMessage | null;
    if (m && typeof m === 'object' && m.type === 'hostState') api.setState(m.state);
  });
  return { postMessage: (message: ViewToHostMessage) => api.postMessage(message) };
}
