// The language client's answer to the server's `workspace/configuration` requests: in an untrusted
// workspace, restricted settings (restricted-settings.ts) carry the user's value, never the repository's.
import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';
import { withoutWorkspaceValues } from './restricted-settings';

export const configurationMiddleware: Middleware = {
  workspace: {
    configuration: async (params, token, next) => {
      const values = await next(params, token);
      if (vscode.workspace.isTrusted || !Array.isArray(values)) return values;
      return params.items.map((item, i) => {
        const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
        const config = vscode.workspace.getConfiguration(undefined, scope);
        return withoutWorkspaceValues(item.section, values[i], (key) => config.inspect(key));
      });
    },
  },
};
