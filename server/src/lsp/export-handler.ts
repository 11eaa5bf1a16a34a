// `compilerMemory/exportChromeTrace`: a profile file → a Trace Event file, by the engine's exporter
// (core/export/chrome-trace.ts, the one `cmi export --chrome-trace` uses). Runs nothing.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { ResponseError } from 'vscode-languageserver/node';
import {
  ExportChromeTraceErrorCodes,
  ExportChromeTraceRequest,
  type ExportChromeTraceResult,
} from '../../../protocol/custom-messages';
import { writeChromeTrace } from '../core/export/chrome-trace';
import type { Profile } from '../core/model';
import { readProfile } from '../core/profile-file';
import { formatBytes } from '../core/units';
import { requestType } from './messages';

export interface ExportDeps {
  connection: Connection;
}

const exportChromeTraceType = requestType(ExportChromeTraceRequest.type);

export function registerExport(deps: ExportDeps): void {
  const { connection } = deps;

  connection.onRequest(exportChromeTraceType, async (params): Promise<ExportChromeTraceResult> => {
    const { profilePath, outPath } = params ?? {};
    if (
      typeof profilePath !== 'string' ||
      !path.isAbsolute(profilePath) ||
      typeof outPath !== 'string' ||
      !path.isAbsolute(outPath)
    ) {
      throw new ResponseError(
        ExportChromeTraceErrorCodes.badRequest,
        `${ExportChromeTraceRequest.method}: profilePath and outPath must be absolute paths`,
      );
    }
    let profile: Profile;
    try {
      profile = await readProfile(profilePath);
    } catch (e) {
      // readProfile's message names the file and what is wrong with it.
      throw new ResponseError(ExportChromeTraceErrorCodes.profileUnreadable, (e as Error).message);
    }
    try {
      await writeChromeTrace(outPath, profile);
    } catch (e) {
      throw new ResponseError(
        ExportChromeTraceErrorCodes.writeFailed,
        `could not write ${outPath}: ${(e as Error).message}`,
      );
    }
    const bytes = (await fsp.stat(outPath)).size;
    connection.console.info(`exported ${profilePath} as a Trace Event file: ${outPath} (${formatBytes(bytes)})`);
    return { outPath, bytes, bytesText: formatBytes(bytes), phaseCount: profile.phases.length };
  });
}
