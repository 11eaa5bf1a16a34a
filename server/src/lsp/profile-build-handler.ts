// `compilerMemory/profileBuild`: runs the engine for the client (once, or `runs` times one after the
// other), streams its progress and output as notifications, writes the profile to the extension's
// storage and answers with a summary, with the change against the baseline when one is set.
// The LSP request's cancellation token is mapped to the AbortSignal the engine stops the tree on.

import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import {
  BuildOutputNotification,
  BuildProgressNotification,
  LiveTimelineNotification,
  ProfileBuildErrorCodes,
  ProfileBuildRequest,
  type ProfileBuildParams,
  type ProfileBuildResult,
  type ServerHealth,
} from '../../../protocol/custom-messages';
import { analyze } from '../core/analysis/analyze';
import { aggregateRuns } from '../core/compare/repeat';
import type { Profile } from '../core/model';
import { profileBuild, SpawnError } from '../core/profile-build';
import { writeProfile } from '../core/profile-file';
import { formatBytes, formatMs, ms } from '../core/units';
import { notificationType, requestType } from './messages';
import { OutputBatcher } from './output-batcher';
import { LiveTimeline } from './live-timeline';
import { digestAgainstBaseline } from './compare-handler';
import { removeJournal, setAsideJournal } from '../core/journal/writer';
import { JOURNAL_DIR_NAME, profileFileName, profilesDir, pruneProfiles } from './profile-store';
import { repeatDigest, summarize } from './summarize';

/** At most 5 progress notifications a second. */
export const PROGRESS_EVERY_MS = ms(200);

/** The most runs one request may ask for ("Profile Build (repeat N)" offers 2–50). */
export const MAX_RUNS = 50;

export interface ProfileBuildDeps {
  connection: Connection;
  /** The folder profiles are written under (from the client's initializationOptions). */
  storageDir(): string;
  setHealth(health: ServerHealth, message?: string): void;
}

function checkParams(p: ProfileBuildParams): string | undefined {
  if (!p || typeof p !== 'object') return 'missing params';
  if (typeof p.runId !== 'string') return 'runId must be a string';
  if (!Array.isArray(p.argv) || p.argv.length === 0 || !p.argv.every((a) => typeof a === 'string'))
    return 'argv must be a non-empty array of strings';
  if (typeof p.cwd !== 'string' || !path.isAbsolute(p.cwd)) return 'cwd must be an absolute path';
  if (p.intervalMs !== undefined && !(typeof p.intervalMs === 'number' && p.intervalMs > 0))
    return 'intervalMs must be a positive number';
  if (p.timeoutMs !== undefined && !(typeof p.timeoutMs === 'number' && p.timeoutMs >= 0))
    return 'timeoutMs must be a number ≥ 0';
  if (p.allocatorDefaults !== undefined && typeof p.allocatorDefaults !== 'boolean')
    return 'allocatorDefaults must be a boolean';
  if (p.runs !== undefined && !(Number.isInteger(p.runs) && p.runs >= 1 && p.runs <= MAX_RUNS))
    return `runs must be a whole number from 1 to ${MAX_RUNS}`;
  return undefined;
}

const profileBuildType = requestType(ProfileBuildRequest.type);
const buildProgress = notificationType(BuildProgressNotification.type);
const buildOutput = notificationType(BuildOutputNotification.type);
const liveTimeline = notificationType(LiveTimelineNotification.type);

export function registerProfileBuild(deps: ProfileBuildDeps): void {
  const { connection } = deps;
  let running: string | undefined;

  connection.onRequest(profileBuildType, async (params, token): Promise<ProfileBuildResult> => {
    const bad = checkParams(params);
    if (bad) throw new ResponseError(ProfileBuildErrorCodes.spawnFailed, `${ProfileBuildRequest.method}: ${bad}`);
    const label = params.argv.join(' ');
    if (running !== undefined)
      throw new ResponseError(ProfileBuildErrorCodes.busy, `A build is already being profiled (\`${running}\`).`);

    running = label;
    deps.setHealth('busy', `profiling \`${label}\``);
    connection.console.info(`profiling \`${label}\` in ${params.cwd}`);
    const abort = new AbortController();
    const onCancel = token.onCancellationRequested(() => {
      connection.console.info(`cancel requested: stopping the process tree of \`${label}\``);
      abort.abort();
    });
    const output = new OutputBatcher(
      (stream, text) => void connection.sendNotification(buildOutput, { runId: params.runId, stream, text }),
    );
    const runs = params.runs ?? 1;
    // A server killed mid-build (the editor closed) leaves the run so far here; Import Profile reads it.
    const journalDir = path.join(profilesDir(deps.storageDir()), JOURNAL_DIR_NAME);
    const setAside = setAsideJournal(journalDir);
    if (setAside) connection.console.info(`the journal of an earlier run that did not end was moved to ${setAside}`);
    try {
      const profiles: Profile[] = [];
      for (let i = 0; i < runs && !abort.signal.aborted; i++) {
        if (runs > 1) connection.console.info(`run ${i + 1} of ${runs}: \`${label}\``);
        const runOf = runs > 1 ? { run: i + 1, runs } : {};
        // For a timeline panel open meanwhile: a few small notifications a second (live-timeline.ts).
        const live = new LiveTimeline({
          runId: params.runId,
          title: label,
          startedAt: new Date().toISOString(),
          ...(runs > 1 ? { run: { run: i + 1, runs } } : {}),
          send: (u) => void connection.sendNotification(liveTimeline, u),
        });
        let one: Profile;
        try {
          one = await profileBuild({
            argv: params.argv,
            cwd: params.cwd,
            journalDir,
            ...(params.env ? { env: params.env } : {}),
            ...(params.intervalMs ? { intervalMs: ms(params.intervalMs) } : {}),
            ...(params.timeoutMs ? { timeoutMs: ms(params.timeoutMs) } : {}),
            ...(params.allocatorDefaults ? { allocatorDefaults: true } : {}),
            signal: abort.signal,
            progressEveryMs: PROGRESS_EVERY_MS,
            onOutput: output.push,
            onSample: (t, b) => live.sample(t, b),
            onProgress: (p) => {
              live.progress(p);
              void connection.sendNotification(buildProgress, {
                runId: params.runId,
                ...p,
                elapsedText: formatMs(p.elapsedMs),
                treeRssText: formatBytes(p.treeRssBytes),
                peakTreeRssText: formatBytes(p.peakTreeRssBytes),
                ...runOf,
              });
            },
          });
          live.finish(one.run.wallMs);
        } catch (e) {
          // Cancelled after some runs were done: those runs are the answer.
          if (profiles.length && abort.signal.aborted) break;
          if (abort.signal.aborted)
            throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled before the build started');
          if (e instanceof SpawnError) throw new ResponseError(ProfileBuildErrorCodes.spawnFailed, e.message);
          throw e;
        } finally {
          output.flush();
          removeJournal(journalDir);
        }
        // A run cut short by the user is left out when others were done: its peak would skew the statistics.
        if (abort.signal.aborted && profiles.length) {
          connection.console.info(
            `cancelled during run ${i + 1} of ${runs}: keeping the ${profiles.length} run(s) done`,
          );
          break;
        }
        profiles.push(one);
        // A run that did not end ok ends the series: its runs would not be comparable.
        if (one.run.status !== 'ok') break;
      }
      let profile = aggregateRuns(profiles);
      if (runs > 1 && profiles.length < runs) {
        const why = abort.signal.aborted
          ? 'cancelled'
          : `run ${profiles.length} ${profiles[profiles.length - 1]!.run.status === 'failed' ? 'failed' : `was ${profiles[profiles.length - 1]!.run.status}`}`;
        profile = {
          ...profile,
          warnings: [
            ...profile.warnings,
            { code: 'repeat-stopped-early', message: `${profiles.length} of ${runs} runs were done (${why})` },
          ],
        };
      }

      const analysis = analyze(profile);
      const dir = profilesDir(deps.storageDir());
      const profilePath = path.join(dir, profileFileName(profile.run.startedAt, params.argv));
      try {
        await writeProfile(profilePath, profile);
      } catch (e) {
        throw new ResponseError(
          ProfileBuildErrorCodes.writeFailed,
          `The build ran, but its profile could not be written to ${profilePath}: ${(e as Error).message}`,
        );
      }
      await pruneProfiles(dir);
      const summary = summarize(analysis);
      if (profile.repeat) summary.repeat = repeatDigest(profile.repeat);
      const baseline = await digestAgainstBaseline(connection, deps.storageDir(), profile, profilePath);
      if (baseline) summary.baseline = baseline;
      connection.console.info(
        `${summary.status}: \`${label}\` in ${summary.wallText}, peak ${summary.peak?.bytesText ?? '–'}${summary.repeat ? ` (${summary.repeat.runs} runs: peak ${summary.repeat.peakText ?? '–'})` : ''}${baseline ? `, ${baseline.peakDeltaText} vs baseline${baseline.noise ? ' (noise)' : ''}` : ''}; profile ${profilePath}`,
      );
      return { summary, profilePath };
    } catch (e) {
      connection.console.error(`profiling \`${label}\` failed: ${(e as Error).message}`);
      throw e;
    } finally {
      onCancel.dispose();
      running = undefined;
      deps.setHealth('ready');
    }
  });
}
