// The extension's profile history in its storage folder: the newest readable profile is the one
// hovers and CodeLens use, a corrupt one is skipped with the reason, and the history keeps N.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../server/src/core/importers';
import { readProfile, writeProfile } from '../server/src/core/profile-file';
import {
  CurrentProfile,
  profileFileName,
  pruneProfiles,
  setHistorySize,
  storedProfiles,
  useNewestReadable,
} from '../server/src/lsp/profile-store';
import { repoRoot } from './helpers';

let dir: string;
let good: string;
const fixture = path.join(repoRoot, 'test/fixtures/rustc/time-passes.regex-syntax.debug.json.txt');

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cmi-store-'));
  const profile = await importFiles([fixture]);
  good = path.join(dir, profileFileName('2026-01-01T10:00:00.000Z', ['rustc']));
  await writeProfile(good, profile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the stored profiles', () => {
  it('skips a newer, truncated profile with its reason and uses the newest readable one', async () => {
    const text = readFileSync(good, 'utf8');
    const broken = path.join(dir, profileFileName('2026-01-02T10:00:00.000Z', ['rustc']));
    writeFileSync(broken, text.slice(0, Math.floor(text.length / 2)));
    const current = new CurrentProfile(async (f) => (await readProfile(f)).phases.length);
    const skipped: { file: string; reason: string }[] = [];
    await useNewestReadable(current, dir, (file, reason) => skipped.push({ file, reason }));
    expect(skipped.map((s) => s.file)).toEqual([broken]);
    expect(skipped[0]!.reason).toContain(broken);
    expect(skipped[0]!.reason).toMatch(/truncated/);
    expect(current.path).toBe(good);
    expect((await current.get())!.value).toBeGreaterThan(10);
    rmSync(broken);
  });

  it('keeps the newest N of the history', async () => {
    const text = readFileSync(good, 'utf8');
    for (let day = 3; day <= 9; day++)
      writeFileSync(path.join(dir, profileFileName(`2026-01-0${day}T10:00:00.000Z`, ['rustc'])), text);
    writeFileSync(path.join(dir, 'notes.txt'), 'not a profile');
    setHistorySize(3);
    try {
      await pruneProfiles(dir);
    } finally {
      setHistorySize(undefined);
    }
    expect((await storedProfiles(dir)).map((f) => path.basename(f).slice(0, 10))).toEqual([
      '2026-01-09',
      '2026-01-08',
      '2026-01-07',
    ]);
    expect(readdirSync(dir)).toContain('notes.txt');
  });
});
