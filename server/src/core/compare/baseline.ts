// The baseline store of the CLI (`cmi baseline set|clear|show`, `cmi compare baseline HEAD`): a copy
// of the profile at `<dir>/baseline.cmi.json` (written atomically) and, beside it,
// `<dir>/baseline.meta.json` with the original path and the time it was set. The directory defaults
// to `.cmi` in the working directory. The profile keeps its command and run facts, so a comparison
// can say when it crosses other compiler versions or flags.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Profile } from '../model';
import { readProfile, writeProfile } from '../profile-file';

export const DEFAULT_BASELINE_DIR = '.cmi';
export const BASELINE_FILE = 'baseline.cmi.json';
const META_FILE = 'baseline.meta.json';

export interface Baseline {
  profile: Profile;
  /** The stored copy. */
  file: string;
  /** The file it was set from (absolute), and when (ISO 8601). */
  source: string | null;
  setAt: string | null;
}

/** Copies the profile into the store (after reading it: an unreadable file throws ProfileFileError). */
export async function setBaseline(dir: string, profilePath: string): Promise<Baseline> {
  const profile = await readProfile(profilePath);
  const file = path.join(dir, BASELINE_FILE);
  await writeProfile(file, profile);
  const meta = { source: path.resolve(profilePath), setAt: new Date().toISOString() };
  const tmp = path.join(dir, `${META_FILE}.${process.pid}.tmp`);
  await fsp.writeFile(tmp, `${JSON.stringify(meta, null, 2)}\n`);
  await fsp.rename(tmp, path.join(dir, META_FILE));
  return { profile, file, ...meta };
}

/** Removes the baseline; true when there was one. */
export async function clearBaseline(dir: string): Promise<boolean> {
  const file = path.join(dir, BASELINE_FILE);
  const had = await fsp.stat(file).then(
    () => true,
    () => false,
  );
  await fsp.rm(file, { force: true });
  await fsp.rm(path.join(dir, META_FILE), { force: true });
  return had;
}

/** The baseline, or null when none is set; a damaged copy throws ProfileFileError. */
export async function readBaseline(dir: string): Promise<Baseline | null> {
  const file = path.join(dir, BASELINE_FILE);
  try {
    await fsp.access(file);
  } catch {
    return null;
  }
  const profile = await readProfile(file);
  let meta: { source?: string; setAt?: string } = {};
  try {
    meta = JSON.parse(await fsp.readFile(path.join(dir, META_FILE), 'utf8')) as typeof meta;
  } catch {
    // The copy alone still serves as the baseline.
  }
  return { profile, file, source: meta.source ?? null, setAt: meta.setAt ?? null };
}
