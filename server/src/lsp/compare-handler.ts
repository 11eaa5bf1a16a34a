// The baseline and the comparison for the extension: `compilerMemory/setBaseline`, `clearBaseline`,
// `getBaseline`, `compare` and `summaryMarkdown`, on the engine the CLI uses (`cmi baseline`, `cmi
// compare`: core/compare/). The baseline is kept in `<storageDir>/baseline/`, the extension's own
// storage: never the user's repository, and apart from the profile history (so never pruned with it).

import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { ResponseError } from 'vscode-languageserver/node';
import {
  ClearBaselineRequest,
  CompareErrorCodes,
  CompareRequest,
  GetBaselineRequest,
  SetBaselineRequest,
  SummaryMarkdownRequest,
  type BaselineDigest,
  type BaselineInfo,
  type CompareResult,
} from '../../../protocol/custom-messages';
import { analyze } from '../core/analysis/analyze';
import { clearBaseline, readBaseline, setBaseline, type Baseline } from '../core/compare/baseline';
import { compareProfiles } from '../core/compare/compare';
import { envFacts } from '../core/compare/env-facts';
import { comparisonMarkdown, comparisonText, summaryMarkdown } from '../core/compare/markdown';
import { buildOverlayModel } from '../core/compare/overlay';
import type { Profile } from '../core/model';
import { readProfile } from '../core/profile-file';
import { formatBytes, formatMs } from '../core/units';
import { requestType } from './messages';
import { baselineDigest } from './summarize';

export interface CompareDeps {
  connection: Connection;
  /** The extension's storage folder (from the client's initializationOptions). */
  storageDir(): string;
}

/** Where the extension keeps its baseline. */
export function baselineDir(storageDir: string): string {
  return path.join(storageDir, 'baseline');
}

/** A baseline as the client sees it. */
export function baselineInfo(b: Baseline): BaselineInfo {
  const a = analyze(b.profile);
  return {
    command: b.profile.run.command,
    facts: envFacts(b.profile),
    setAt: b.setAt,
    sourcePath: b.source,
    storedPath: b.file,
    runs: b.profile.repeat?.runs ?? 1,
    status: b.profile.run.status,
    wallText: formatMs(b.profile.repeat?.wallMs.median ?? b.profile.run.wallMs),
    peakText: a.peak ? formatBytes(a.peak.bytes) : null,
  };
}

/**
 * The change of a freshly written profile against the baseline, for its BuildSummary; undefined when no
 * baseline is set. A damaged baseline is logged, not an error of the build.
 */
export async function digestAgainstBaseline(
  connection: Connection,
  storageDir: string,
  head: Profile,
  headPath: string,
): Promise<BaselineDigest | undefined> {
  let base: Baseline | null;
  try {
    base = await readBaseline(baselineDir(storageDir));
  } catch (e) {
    connection.console.warn(
      `the baseline could not be read, so the build is not compared with it: ${(e as Error).message}`,
    );
    return undefined;
  }
  if (!base) return undefined;
  const c = compareProfiles(base.profile, head, {
    ...(base.source ? { baseSource: base.source } : {}),
    headSource: headPath,
  });
  return baselineDigest(c);
}

function absolute(method: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || !path.isAbsolute(value))
    throw new ResponseError(CompareErrorCodes.badRequest, `${method}: ${name} must be an absolute path`);
  return value;
}

/** Reads a profile; its message names the file and what is wrong with it. */
async function read(file: string): Promise<Profile> {
  try {
    return await readProfile(file);
  } catch (e) {
    throw new ResponseError(CompareErrorCodes.profileUnreadable, (e as Error).message);
  }
}

async function baselineOrThrow(dir: string): Promise<Baseline | null> {
  try {
    return await readBaseline(dir);
  } catch (e) {
    throw new ResponseError(
      CompareErrorCodes.profileUnreadable,
      `the baseline is damaged (clear it and set it again): ${(e as Error).message}`,
    );
  }
}

export function registerCompare(deps: CompareDeps): void {
  const { connection } = deps;
  const dir = () => baselineDir(deps.storageDir());

  connection.onRequest(requestType(SetBaselineRequest.type), async (params): Promise<BaselineInfo> => {
    const profilePath = absolute(SetBaselineRequest.method, 'profilePath', params?.profilePath);
    let b: Baseline;
    try {
      b = await setBaseline(dir(), profilePath);
    } catch (e) {
      throw new ResponseError(CompareErrorCodes.profileUnreadable, (e as Error).message);
    }
    connection.console.info(
      `baseline set from ${profilePath} (\`${b.profile.run.command.join(' ')}\`), kept in ${b.file}`,
    );
    return baselineInfo(b);
  });

  connection.onRequest(requestType(ClearBaselineRequest.type), async () => {
    const cleared = await clearBaseline(dir());
    connection.console.info(cleared ? 'baseline cleared' : 'clear baseline: none was set');
    return { cleared };
  });

  connection.onRequest(requestType(GetBaselineRequest.type), async (): Promise<BaselineInfo | null> => {
    const b = await baselineOrThrow(dir());
    return b && baselineInfo(b);
  });

  connection.onRequest(requestType(CompareRequest.type), async (params): Promise<CompareResult> => {
    const headPath = absolute(CompareRequest.method, 'headPath', params?.headPath);
    let base: { profile: Profile; source: string | undefined };
    if (params.basePath !== undefined) {
      const basePath = absolute(CompareRequest.method, 'basePath', params.basePath);
      base = { profile: await read(basePath), source: basePath };
    } else {
      const b = await baselineOrThrow(dir());
      if (!b)
        throw new ResponseError(CompareErrorCodes.noBaseline, 'No baseline is set: set one first ("Set as Baseline").');
      base = { profile: b.profile, source: b.source ?? b.file };
    }
    const head = await read(headPath);
    const comparison = compareProfiles(base.profile, head, {
      ...(base.source ? { baseSource: base.source } : {}),
      headSource: headPath,
    });
    connection.console.info(`compared ${headPath} with ${base.source}: ${comparison.warnings.length} warning(s)`);
    return {
      comparison,
      markdown: comparisonMarkdown(comparison),
      text: comparisonText(comparison),
      overlay: buildOverlayModel(base.profile, head, comparison),
    };
  });

  connection.onRequest(requestType(SummaryMarkdownRequest.type), async (params) => {
    const profilePath = absolute(SummaryMarkdownRequest.method, 'profilePath', params?.profilePath);
    const head = await read(profilePath);
    const b = await baselineOrThrow(dir());
    if (!b) return { markdown: summaryMarkdown(head), againstBaseline: false };
    const c = compareProfiles(b.profile, head, { baseSource: b.source ?? b.file, headSource: profilePath });
    return { markdown: comparisonMarkdown(c), againstBaseline: true };
  });
}
