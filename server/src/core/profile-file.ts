// The profile file: one versioned JSON document (reference: docs/profile-format.md).
//
// Samples are the bulk of a profile, so each series is stored as two delta-encoded integer arrays
// rather than an array of objects: `tUs` (microseconds) and `bytes` (in units of `bytesScale`, the
// largest power of two up to 4096 that divides every value — page-granular RSS becomes small
// integers). A million samples take roughly 10 bytes each and load with one JSON.parse plus a prefix
// sum.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Arena, MemorySeries, Profile } from './model';
import { checkProfile, ProfileShapeError } from './profile-check';
import type { EncodedSamples } from './sample-codec';
import { decodeSamples, encodeSamples } from './sample-codec';

export const PROFILE_FORMAT = 'compiler-memory-insight/profile';
export const PROFILE_VERSION = 1;

/** A profile file that cannot be read: names the file and, where known, the place. */
export class ProfileFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${file}${line !== undefined ? `:${line}${column !== undefined ? `:${column}` : ''}` : ''}: ${message}`);
    this.name = 'ProfileFileError';
  }
}

interface FileSamples extends EncodedSamples {
  n: number;
}

function encodeFileSamples(tMs: Float64Array, bytes: Float64Array): FileSamples {
  return { n: tMs.length, ...encodeSamples(tMs, bytes) };
}

function decodeFileSamples(e: FileSamples, where: string, file: string): { tMs: Float64Array; bytes: Float64Array } {
  if (!e || !Array.isArray(e.tUs) || !Array.isArray(e.bytes) || e.tUs.length !== e.bytes.length) {
    throw new ProfileFileError(`${where}: tUs and bytes must be arrays of the same length`, file);
  }
  for (const key of ['tUs', 'bytes'] as const) {
    const bad = e[key].findIndex((v) => typeof v !== 'number');
    if (bad >= 0) throw new ProfileFileError(`${where}.${key}[${bad}]: not a number`, file);
  }
  // Absurd values (a delta of 1e305) are dropped by checkProfile, sample by sample.
  return decodeSamples(e);
}

/** The profile as the JSON text of the file. */
export function serializeProfile(p: Profile): string {
  const series = p.series.map(({ tMs, bytes, ...meta }: MemorySeries) => ({
    ...meta,
    samples: encodeFileSamples(tMs, bytes),
  }));
  const arenas = p.arenas.map(({ tMs, bytes, ...meta }: Arena) => ({
    ...meta,
    samples: encodeFileSamples(tMs, bytes),
  }));
  // Phases are the other bulk: one object per line keeps the file diffable and greppable.
  const doc = {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    run: p.run,
    processes: p.processes,
    warnings: p.warnings,
    markers: p.markers,
    series,
    arenas,
    ...(p.repeat ? { repeat: p.repeat } : {}),
  };
  const head = JSON.stringify(doc);
  const phases = p.phases.map((ph) => JSON.stringify(ph)).join(',\n');
  return `${head.slice(0, -1)},"phases":[\n${phases}\n]}\n`;
}

/** Parses the text of a profile file; `file` names it in errors. */
export function parseProfile(text: string, file = '<profile>'): Profile {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    const msg = (e as Error).message;
    const offset = jsonErrorOffset(msg, text);
    const { line, column } = lineColumnAt(text, offset);
    const truncated = offset >= text.trimEnd().length;
    throw new ProfileFileError(
      `not valid JSON (${shortJsonMessage(msg)})${truncated ? ' — the file is truncated' : ''}`,
      file,
      line,
      column,
    );
  }
  if (typeof doc !== 'object' || doc === null || doc.format !== PROFILE_FORMAT) {
    throw new ProfileFileError(
      `not a Compiler Memory Insight profile (no "format": "${PROFILE_FORMAT}"); to read a compiler's trace, use \`cmi import\``,
      file,
    );
  }
  if (typeof doc.version !== 'number')
    throw new ProfileFileError(`"version": ${JSON.stringify(doc.version)} is not a number`, file);
  if (doc.version > PROFILE_VERSION) {
    throw new ProfileFileError(
      `profile format version ${String(doc.version)} is newer than this tool reads (${PROFILE_VERSION}); update Compiler Memory Insight`,
      file,
    );
  }
  for (const key of ['run', 'processes', 'series', 'phases', 'markers', 'arenas', 'warnings']) {
    const v = doc[key];
    if (key === 'run' ? typeof v !== 'object' || v === null || Array.isArray(v) : !Array.isArray(v))
      throw new ProfileFileError(`missing or malformed "${key}"`, file);
  }
  for (const key of ['series', 'arenas'] as const) {
    const bad = (doc[key] as unknown[]).findIndex((x) => typeof x !== 'object' || x === null);
    if (bad >= 0) throw new ProfileFileError(`${key}[${bad}]: must be an object`, file);
  }
  checkAllocatorSettings((doc.run as Profile['run']).allocatorSettings, file);
  type Enc<T> = Omit<T, 'tMs' | 'bytes'> & { samples: FileSamples };
  const series = (doc.series as Enc<MemorySeries>[]).map(({ samples, ...meta }, i) => ({
    ...meta,
    ...decodeFileSamples(samples, `series[${i}].samples`, file),
  }));
  const arenas = (doc.arenas as Enc<Arena>[]).map(({ samples, ...meta }, i) => ({
    ...meta,
    ...decodeFileSamples(samples, `arenas[${i}].samples`, file),
  }));
  const profile: Profile = {
    run: doc.run as Profile['run'],
    processes: doc.processes as Profile['processes'],
    series,
    phases: doc.phases as Profile['phases'],
    markers: doc.markers as Profile['markers'],
    arenas,
    warnings: doc.warnings as Profile['warnings'],
    // Optional (files written before `cmi profile --runs` have none).
    ...(doc.repeat !== undefined && doc.repeat !== null ? { repeat: parseRepeat(doc.repeat, file) } : {}),
  };
  try {
    checkProfile(profile, file);
  } catch (e) {
    if (e instanceof ProfileShapeError) throw new ProfileFileError(e.message, file);
    throw e;
  }
  return profile;
}

/** `run.allocatorSettings`: absent, or `{ mode: "eager-purge", env: { NAME: "value", … } }`. */
function checkAllocatorSettings(a: unknown, file: string): void {
  if (a === undefined) return;
  const o = a as { mode?: unknown; env?: unknown };
  const env = o?.env as Record<string, unknown> | undefined;
  if (
    typeof o !== 'object' ||
    o === null ||
    o.mode !== 'eager-purge' ||
    typeof env !== 'object' ||
    env === null ||
    !Object.values(env).every((v) => typeof v === 'string')
  )
    throw new ProfileFileError(
      'malformed "run.allocatorSettings" (needs mode "eager-purge" and env, an object of strings)',
      file,
    );
}

function parseRepeat(r: unknown, file: string): NonNullable<Profile['repeat']> {
  const o = r as Record<string, unknown>;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.runs !== 'number' ||
    !Array.isArray(o.perRun) ||
    !Array.isArray(o.phases) ||
    !Array.isArray(o.series) ||
    !Array.isArray(o.arenaGroups)
  ) {
    throw new ProfileFileError('malformed "repeat" (needs runs, perRun[], phases[], series[], arenaGroups[])', file);
  }
  return o as unknown as NonNullable<Profile['repeat']>;
}

/** Where JSON.parse stopped: V8 says "at position N", or quotes the text around the bad token. */
function jsonErrorOffset(msg: string, text: string): number {
  const pos = /position (\d+)/.exec(msg);
  if (pos) return Number(pos[1]);
  // Long inputs are quoted as ...context... around the token; short ones whole, as a JSON string.
  const near = /Unexpected token '(.+?)', (.*) is not valid JSON/.exec(msg);
  if (near) {
    let snippet = near[2]!;
    // V8 writes ..."context"... with the context's own quotes unescaped.
    if (snippet.startsWith('...') || snippet.endsWith('...'))
      snippet = snippet
        .replace(/^\.\.\./, '')
        .replace(/\.\.\.$/, '')
        .replace(/^"([\s\S]*)"$/, '$1');
    else {
      try {
        snippet = JSON.parse(snippet) as string;
      } catch {
        // Not a quoted string after all: search for it as it is.
      }
    }
    const at = text.indexOf(snippet);
    if (at >= 0) return at + Math.max(0, snippet.indexOf(near[1]!));
  }
  return text.length;
}

function shortJsonMessage(msg: string): string {
  return msg.replace(/, .* is not valid JSON$/, '').replace(/ in JSON at position \d+.*$/, '');
}

function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

/** Writes atomically: a temporary file beside the target, then a rename. */
export async function writeProfile(file: string, p: Profile): Promise<void> {
  await fsp.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fsp.writeFile(tmp, serializeProfile(p));
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

export async function readProfile(file: string): Promise<Profile> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ProfileFileError(code === 'ENOENT' ? 'no such file' : `cannot read: ${(e as Error).message}`, file);
  }
  return parseProfile(text, file);
}
