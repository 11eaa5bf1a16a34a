// The view's host port inside VS Code: `acquireVsCodeApi()` (callable once per page). Besides passing
// messages, it keeps what the host asks it to keep (`hostState`, e.g. the profile path) with
// setState, so that VS Code hands it back to the extension's panel serializer after a reload. The
// view's own state (the visible window, sort orders, hidden series) rides along under `view`.

import type { HostToViewMessage, TimelineHostPort, ViewToHostMessage } from '../../protocol/timeline';
import type { ViewState, ViewStateStore } from './view-state';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** The state VS Code keeps for the panel: the host's fields, and the view's under `view`. */
type KeptState = Record<string, unknown> & { view?: ViewState };

export function vscodePort(acquire: () => VsCodeApi): { port: TimelineHostPort; store: ViewStateStore } {
  const api = acquire();
  const kept = (): KeptState => {
    const s = api.getState();
    return s && typeof s === 'object' ? (s as KeptState) : {};
  };
  window.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as HostToViewMessage | null;
    if (m && typeof m === 'object' && m.type === 'hostState') {
      const view = kept().view;
      api.setState(
        m.state && typeof m.state === 'object' ? { ...(m.state as object), ...(view ? { view } : {}) } : m.state,
      );
    }
  });
  return {
    port: { postMessage: (message: ViewToHostMessage) => api.postMessage(message) },
    store: {
      load: () => kept().view,
      save: (view) => api.setState({ ...kept(), view }),
    },
  };
}
