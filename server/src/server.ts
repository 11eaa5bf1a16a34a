// The language server: hosts the engine for the extension. Started by the client over IPC
// (`--node-ipc`); everything it says to the client goes through protocol/custom-messages.ts, and its
// log goes to the client's log channel through `connection.console`.

import { promises as fsp, watch, type FSWatcher } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CodeLensRefreshRequest,
  createConnection,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  ServerStatusNotification,
  type InitializationOptions,
  type ServerHealth,
} from '../../protocol/custom-messages';
import { notificationType } from './lsp/messages';
import { registerCompare } from './lsp/compare-handler';
import { registerExport } from './lsp/export-handler';
import { registerImportProfile } from './lsp/import-profile-handler';
import { recoverLeftoverJournal } from './lsp/leftover-journal';
import { registerProfileBuild } from './lsp/profile-build-handler';
import { registerSideBar } from './lsp/side-bar-handler';
import { registerTimeline, TimelineCache } from './lsp/timeline-handler';
import { buildPhaseIndex } from './core/analysis/phase-index';
import { readProfile } from './core/profile-file';
import { registerCodeLens } from './lsp/code-lens';
import { registerHover, type CurrentIndex } from './lsp/hover';
import { CurrentProfile, PROFILE_SUFFIX, profilesDir, setHistorySize, useNewestReadable } from './lsp/profile-store';
import { notificationText } from '../../common/untrusted-text';

const connection = createConnection();
const serverStatus = notificationType(ServerStatusNotification.type);

let storageDir: string | undefined;
let lensRefreshSupported = false;

function setHealth(health: ServerHealth, message?: string): void {
  void connection.sendNotification(serverStatus, { health, ...(message ? { message } : {}) });
}

connection.onInitialize((params): InitializeResult => {
  const options = params.initializationOptions as Partial<InitializationOptions> | undefined;
  if (typeof options?.storageDir === 'string' && path.isAbsolute(options.storageDir)) storageDir = options.storageDir;
  setHistorySize(options?.historySize);
  lensRefreshSupported = params.capabilities.workspace?.codeLens?.refreshSupport === true;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
    },
    serverInfo: { name: 'Compiler Memory Insight' },
  };
});

connection.onInitialized(() => {
  connection.console.info(
    `server ready (pid ${process.pid}, node ${process.version}); profiles go to ${storageDir ?? '(no storage folder given)'}`,
  );
  setHealth('ready');
  // A journal left by a server stopped mid-build becomes a profile of the store before it is followed.
  const recovered = storageDir ? recoverLeftoverJournal(storageDir, connection.console) : Promise.resolve(undefined);
  void recovered
    .catch((e: Error) => connection.console.warn(`the leftover journal could not be recovered: ${e.message}`))
    .then(() => followProfiles());
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

// Hovers and CodeLens speak of the current profile: the newest written to the storage folder (by a
// build or an import: watched), or the last one the timeline opened.
const currentProfile = new CurrentProfile(async (file) => buildPhaseIndex(await readProfile(file)));
const documents = new TextDocuments(TextDocument);
let profilesWatcher: FSWatcher | undefined;

async function followProfiles(): Promise<void> {
  const dir = profilesDir(profileStorageDir());
  try {
    await fsp.mkdir(dir, { recursive: true });
    await useNewestReadable(currentProfile, dir, (file, reason) => {
      const message = `Compiler Memory: skipped the stored profile ${file}: ${reason}`;
      connection.console.warn(message);
      void connection.window.showWarningMessage(notificationText(message));
    });
    profilesWatcher = watch(dir, (_event, name) => {
      // writeProfile renames a finished temp file into place: a name with the suffix is complete.
      const file = name ? path.join(dir, name.toString()) : undefined;
      if (file?.endsWith(PROFILE_SUFFIX))
        void fsp.access(file).then(
          () => currentProfile.set(file),
          () => undefined,
        );
    });
    profilesWatcher.on('error', () => undefined);
  } catch (e) {
    connection.console.warn(`not following new profiles in ${dir}: ${(e as Error).message}`);
  }
}

currentProfile.onDidChange(() => {
  connection.console.info(`hovers and CodeLens now use ${currentProfile.path}`);
  if (lensRefreshSupported) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
});

const currentIndex = async (): Promise<CurrentIndex | undefined> => {
  const c = await currentProfile.get();
  return c && { profilePath: c.path, index: c.value };
};

/** The timeline's cache, noting the profile the timeline opened as the current one. */
class FollowingTimelineCache extends TimelineCache {
  override async get(profilePath: string): ReturnType<TimelineCache['get']> {
    const loaded = await super.get(profilePath);
    currentProfile.set(profilePath);
    return loaded;
  }
}

registerProfileBuild({ connection, storageDir: profileStorageDir, setHealth });
registerImportProfile({ connection, storageDir: profileStorageDir });
registerExport({ connection });
registerCompare({ connection, storageDir: profileStorageDir });
const timelineCache = new FollowingTimelineCache();
registerTimeline({ connection, cache: timelineCache });
registerSideBar({
  connection,
  storageDir: profileStorageDir,
  current: currentProfile,
  load: async (file) => (await timelineCache.get(file)).profile,
});
registerHover({ connection, documents, current: currentIndex });
registerCodeLens({ connection, documents, current: currentIndex });
connection.onShutdown(() => profilesWatcher?.close());

documents.listen(connection);

connection.listen();
