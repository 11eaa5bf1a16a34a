// On start-up: a journal left in the profile store by a server that stopped mid-build (the editor
// closed, the server was killed) becomes a profile of the store, marked incomplete, so that it shows
// in the history and the hovers like any other (docs/journal.md).

import * as path from 'node:path';
import { isRunning, journalDirOf, readJournalHeader, recoverJournal } from '../core/journal/recover';
import { removeJournal, setAsideJournal } from '../core/journal/writer';
import { writeProfile } from '../core/profile-file';
import { JOURNAL_DIR_NAME, profileFileName, profilesDir } from './profile-store';

export interface JournalLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Recovers the store's leftover journal into a profile file; returns its path, or undefined when there was none. */
export async function recoverLeftoverJournal(storageDir: string, log: JournalLog): Promise<string | undefined> {
  const dir = path.join(profilesDir(storageDir), JOURNAL_DIR_NAME);
  if (!journalDirOf(dir)) return undefined;
  try {
    const { toolPid } = await readJournalHeader(dir);
    if (toolPid !== process.pid && isRunning(toolPid)) {
      log.info(`${dir}: the server that writes it (pid ${toolPid}) still runs: left alone`);
      return undefined;
    }
    const profile = await recoverJournal(dir);
    if (profile.warnings.some((w) => w.code === 'journal-build-running')) {
      log.info(`${dir}: processes of its build still run: left for the next start`);
      return undefined;
    }
    const file = path.join(profilesDir(storageDir), profileFileName(profile.run.startedAt, profile.run.command));
    await writeProfile(file, profile);
    removeJournal(dir);
    log.info(
      `recovered the profile so far of \`${profile.run.command.join(' ')}\` (${profile.run.statusReason}): ${file}`,
    );
    return file;
  } catch (e) {
    const aside = setAsideJournal(dir);
    log.warn(
      `the journal of a build that did not end could not be read (${(e as Error).message}); it was moved to ${aside}`,
    );
    return undefined;
  }
}
