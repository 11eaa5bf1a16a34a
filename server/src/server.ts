// The language server: hosts the engine for the extension. Started by the client over IPC
// (`--node-ipc`); everything it says to the client goes through protocol/custom-messages.ts, and its
// log goes to the client's log channel through `connection.console`.

import * as os from 'node:os';
import * as path from 'node:path';
import { createConnection, type InitializeResult } from 'vscode-languageserver/node';
import { ServerStatusNotification, type InitializationOptions, type ServerHealth } from '../../protocol/custom-messages';
import { notificationType } from './lsp/messages';
import { registerImportProfile } from './lsp/import-profile-handler';
import { registerProfileBuild } from './lsp/profile-build-handler';
import { registerTimeline } from './lsp/timeline-handler';

const connection = createConnection();
const serverStatus = notificationType(ServerStatusNotification.type);

let storageDir: string | undefined;

function setHealth(health: ServerHealth, message?: string): void {
  void connection.sendNotification(serverStatus, { health, ...(message ? { message } : {}) });
}

connection.onInitialize((params): InitializeResult => {
  const options = params.initializationOptions as Partial<InitializationOptions> | undefined;
  if (typeof options?.storageDir === 'string' && path.isAbsolute(options.storageDir)) storageDir = options.storageDir;
  return {
    capabilities: {},
    serverInfo: { name: 'Compiler Memory Insight' },
  };
});

connection.onInitialized(() => {
  connection.console.info(`server ready (pid ${process.pid}, node ${process.version}); profiles go to ${storageDir ?? '(no storage folder given)'}`);
  setHealth('ready');
});

/** Where profiles go, built or imported. */
function profileStorageDir(): string {
  if (storageDir) return storageDir;
  // The client always passes a storage folder; a client that does not gets a private temp folder
  // rather than the user's repository.
  storageDir = path.join(os.tmpdir(), `compiler-memory-insight-${process.pid}`);
  connection.console.warn(`no storage folder given by the client: profiles go to ${storageDir}`);
  return storageDir;
}

registerProfileBuild({ connection, storageDir: profileStorageDir, setHealth });
registerImportProfile({ connection, storageDir: profileStorageDir });
registerTimeline({ connection });

connection.listen();
