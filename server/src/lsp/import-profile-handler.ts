// `compilerMemory/importProfile`: imports files the compilers wrote (rustc's -Z time-passes, tsc's
// diagnostics, …) with the engine's importer registry, writes the profile into the same storage as
// the profiled builds and answers with the same summary. Runs nothing. The LSP request's
// cancellation token is mapped to the AbortSignal the importers take.

import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import {
  ImportProfileErrorCodes,
  ImportProfileRequest,
  ProfileBuildErrorCodes,
  type ImportProfileParams,
  type ImportProfileResult,
} from '../../../protocol/custom-messages';
import { analyze } from '../core/analysis/analyze';
import type { ArenaRule } from '../core/analysis/arena-rules';
import { DEFAULT_ARENA_RULES, mergeRules, parseArenaRule } from '../core/analysis/arena-rules';
import { ImportError, importFiles } from '../core/importers';
import { journalDirOf, recoverJournal } from '../core/journal/recover';
import { writeProfile } from '../core/profile-file';
import { requestType } from './messages';
import { importedProfileFileName, profilesDir, pruneProfiles } from './profile-store';
import { summarize } from './summarize';
import { notificationText } from '../../../common/untrusted-text';

export interface ImportProfileDeps {
  connection: Connection;
  /** The folder profiles are written under (from the client's initializationOptions). */
  storageDir(): string;
}

function checkParams(p: ImportProfileParams): string | undefined {
  if (!p || typeof p !== 'object') return 'missing params';
  if (
    !Array.isArray(p.files) ||
    p.files.length === 0 ||
    !p.files.every((f) => typeof f === 'string' && path.isAbsolute(f))
  )
    return 'files must be a non-empty array of absolute paths';
  if (p.format !== undefined && (typeof p.format !== 'string' || !p.format)) return 'format must be a non-empty string';
  return undefined;
}

const importProfileType = requestType(ImportProfileRequest.type);

function cancelled(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'the import was cancelled');
}

/**
 * The setting `compilerMemory.arenas.rules` ("NAME=REGEX" strings) merged before the built-in rules;
 * undefined when unset. A malformed rule (or one RE2 can't run: a backreference, lookaround) is
 * skipped, and said in the log and in a warning naming it.
 */
async function userArenaRules(connection: Connection): Promise<ArenaRule[] | undefined> {
  let specs: unknown;
  try {
    specs = await connection.workspace.getConfiguration('compilerMemory.arenas.rules');
  } catch {
    return undefined; // a client without workspace/configuration
  }
  if (!Array.isArray(specs) || specs.length === 0) return undefined;
  const rules: ArenaRule[] = [];
  for (const spec of specs) {
    try {
      rules.push(parseArenaRule(String(spec)));
    } catch (e) {
      const message = `compilerMemory.arenas.rules: ${(e as Error).message}`;
      connection.console.warn(message);
      void connection.window.showWarningMessage(notificationText(`Compiler Memory: ${message} (skipped)`));
    }
  }
  return mergeRules(rules, DEFAULT_ARENA_RULES);
}

export function registerImportProfile(deps: ImportProfileDeps): void {
  const { connection } = deps;

  connection.onRequest(importProfileType, async (params, token): Promise<ImportProfileResult> => {
    const bad = checkParams(params);
    if (bad) throw new ResponseError(ImportProfileErrorCodes.importFailed, `${ImportProfileRequest.method}: ${bad}`);
    const label = params.files.join(', ');
    connection.console.info(`importing ${label}${params.format ? ` as ${params.format}` : ''}`);
    const abort = new AbortController();
    const onCancel = token.onCancellationRequested(() => abort.abort());
    try {
      let profile;
      try {
        const arenaRules = await userArenaRules(connection);
        // A journal folder left by a tool killed mid-build: the profile so far, marked incomplete.
        const journal = params.files.length === 1 ? journalDirOf(params.files[0]!) : undefined;
        profile = journal
          ? await recoverJournal(journal)
          : await importFiles(params.files, {
              signal: abort.signal,
              ...(params.format ? { format: params.format } : {}),
              ...(arenaRules ? { arenaRules } : {}),
            });
      } catch (e) {
        if (abort.signal.aborted) throw cancelled();
        // The ImportError's message names the file and the place (line or byte offset).
        if (e instanceof ImportError) throw new ResponseError(ImportProfileErrorCodes.importFailed, e.message);
        throw e;
      }
      if (abort.signal.aborted) throw cancelled();

      const analysis = analyze(profile);
      const dir = profilesDir(deps.storageDir());
      const profilePath = path.join(dir, importedProfileFileName(new Date(), params.files));
      try {
        await writeProfile(profilePath, profile);
      } catch (e) {
        throw new ResponseError(
          ProfileBuildErrorCodes.writeFailed,
          `The files were imported, but the profile could not be written to ${profilePath}: ${(e as Error).message}`,
        );
      }
      await pruneProfiles(dir);
      const summary = summarize(analysis);
      connection.console.info(
        `imported ${label}: ${summary.phaseCount} phases, peak ${summary.peak?.bytesText ?? '–'}; profile ${profilePath}`,
      );
      return { summary, profilePath };
    } catch (e) {
      connection.console.error(`importing ${label} failed: ${(e as Error).message}`);
      throw e;
    } finally {
      onCancel.dispose();
    }
  });
}
