// The profile file: a real run's profile survives the round trip; broken files get messages that
// name the file and the place.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocatorSettingsInstrumentation } from '../server/src/core/collect/allocator-settings';
import type { Profile } from '../server/src/core/model';
import {
  parseProfile,
  PROFILE_VERSION,
  readProfile,
  serializeProfile,
  writeProfile,
} from '../server/src/core/profile-file';
import { runBuild } from '../server/src/core/runner';
import { repoRoot } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-file-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let profile: Profile;

beforeAll(async () => {
  // A real run: node allocating ~60 MiB in steps, so RSS moves.
  const script =
    'const a=[]; let i=0; const t=setInterval(()=>{a.push(Buffer.alloc(6<<20,1)); if(++i===10){clearInterval(t)}},15)';
  profile = (await runBuild({ argv: [process.execPath, '-e', script], cwd: tmp })).profile;
});

describe('profile file', () => {
  it('round-trips a real profile: run facts, processes and every sample', async () => {
    const file = path.join(tmp, 'p.json');
    await writeProfile(file, profile);
    const back = await readProfile(file);
    expect(back.run).toEqual(profile.run);
    expect(back.processes).toEqual(profile.processes);
    expect(back.series.map((s) => s.id)).toEqual(profile.series.map((s) => s.id));
    for (const [i, s] of profile.series.entries()) {
      const b = back.series[i]!;
      expect(Array.from(b.bytes)).toEqual(Array.from(s.bytes));
      for (let j = 0; j < s.tMs.length; j++) expect(Math.abs(b.tMs[j]! - s.tMs[j]!)).toBeLessThanOrEqual(0.0005 + 1e-9);
    }
    const tree = back.series.find((s) => s.kind === 'rss-tree')!;
    expect(Math.max(...tree.bytes)).toBeGreaterThan(60 * 2 ** 20);
  });

  it('keeps the allocator settings of a run, and refuses malformed ones naming the file', async () => {
    const { profile: eager } = await runBuild({
      argv: [process.execPath, '-e', '0'],
      cwd: tmp,
      instrumentations: [allocatorSettingsInstrumentation()],
    });
    expect(eager.run.allocatorSettings?.mode).toBe('eager-purge');
    const text = serializeProfile(eager);
    expect(parseProfile(text).run.allocatorSettings).toEqual(eager.run.allocatorSettings);
    const doc = JSON.parse(text);
    doc.run.allocatorSettings = { mode: 'eager-purge', env: { MALLOC_CONF: 0 } };
    expect(() => parseProfile(JSON.stringify(doc), 'odd.json')).toThrowError(
      /^odd\.json: malformed "run\.allocatorSettings"/,
    );
  });

  it('names the file, line and column of a truncated file', () => {
    const text = serializeProfile(profile);
    const file = path.join(tmp, 'truncated.json');
    writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    expect(() => parseProfile(readFileSync(file, 'utf8'), file)).toThrowError(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: not valid JSON.*truncated`),
    );
  });

  it('says when a file is valid JSON but not a profile', () => {
    const file = path.join(repoRoot, 'package.json');
    expect(() => parseProfile(readFileSync(file, 'utf8'), file)).toThrowError(
      /package\.json: not a Compiler Memory Insight profile .*cmi import/,
    );
  });

  it('refuses a newer version with a message to update', () => {
    const doc = JSON.parse(serializeProfile(profile));
    doc.version = PROFILE_VERSION + 1;
    expect(() => parseProfile(JSON.stringify(doc), 'future.json')).toThrowError(
      /future\.json: profile format version 2 is newer than this tool reads \(1\)/,
    );
  });

  it('`cmi summary` on a broken file exits 3 and names the place on stderr', () => {
    const file = path.join(tmp, 'broken.json');
    writeFileSync(file, serializeProfile(profile).replace('"series":[', '"series":[}'));
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'summary', file], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/cmi: .*broken\.json:1:\d+: not valid JSON/);
  });
});
