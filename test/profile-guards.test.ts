// cmi's own profile as hostile input: each repro of issue 17 as a user meets it through the CLI, and
// the walkers' guards on a profile built in memory (one that never went through the file's checks).
// Every hostile copy is a real profile (test/fixtures/cmi-profile) with the one edit its test states.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { buildPhaseIndex } from '../server/src/core/analysis/phase-index';
import { exportChromeTrace } from '../server/src/core/export/chrome-trace';
import { parseProfile } from '../server/src/core/profile-file';
import { buildTimelineModel } from '../server/src/report/timeline-model';
import { cliPath, repoRoot } from './helpers';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'cmi-profile');
const tsc = path.join(fixtures, 'tsc-small.profile.json');
const heaptrack = path.join(fixtures, 'rustc-tokenizer.heaptrack.import.profile.json');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-guards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noExplicitAny: a profile file as JSON.parse gives it, edited field by field
type Doc = Record<string, any>;

/** The fixture with one edit, written to a temporary file; returns its path. */
function hostile(from: string, name: string, edit: (doc: Doc) => void): string {
  const doc = JSON.parse(readFileSync(from, 'utf8')) as Doc;
  edit(doc);
  const file = path.join(tmp, name);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

async function cmi(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cliPath, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('a phase tree that is not a tree', () => {
  // The time bound is each test's timeout: before the fix `cmi summary` looped at 100 % CPU.
  it('a phase that is its own parent ends with exit 3 naming the file and phases[N].parent', {
    timeout: 1_000,
  }, async () => {
    const file = hostile(tsc, 'self-parent.json', (d) => {
      d.phases[7].parent = 7;
    });
    const r = await cmi('summary', file);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`cmi: ${file}: phases[7].parent: the phase is its own parent\n`);
  });

  it('a cycle of two phases is named with both', { timeout: 1_000 }, async () => {
    const file = hostile(tsc, 'cycle.json', (d) => {
      d.phases[3].parent = 9;
      d.phases[9].parent = 3;
    });
    const r = await cmi('summary', file);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('a cycle of parents (phases[3] → phases[9] → phases[3])');
  });

  it('a parent out of range is refused by summary, report and export alike', async () => {
    const file = hostile(tsc, 'out-of-range.json', (d) => {
      d.phases[5].parent = 99_999;
    });
    for (const args of [
      ['summary'],
      ['report', '--html', path.join(tmp, 'r.html')],
      ['export', '--chrome-trace', path.join(tmp, 'e.json')],
    ]) {
      const r = await cmi(args[0]!, file, ...args.slice(1));
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`${file}: phases[5].parent: 99999 is not null or the index of a phase (0 to 335)`);
    }
  });

  it('the language server reads profiles through parseProfile: the cycle is an error there too', () => {
    const doc = JSON.parse(readFileSync(tsc, 'utf8')) as Doc;
    doc.phases[4].parent = 4;
    expect(() => parseProfile(JSON.stringify(doc), 'run.json')).toThrow(
      'run.json: phases[4].parent: the phase is its own parent',
    );
  });
});

describe('fields of the wrong type are named', () => {
  it('a version that is not a number says so (not "newer than this tool reads")', () => {
    const doc = JSON.parse(readFileSync(tsc, 'utf8')) as Doc;
    doc.version = true;
    expect(() => parseProfile(JSON.stringify(doc), 'run.json')).toThrow('run.json: "version": true is not a number');
  });

  it('a phase name that is not a string is refused at its JSON path', () => {
    const doc = JSON.parse(readFileSync(tsc, 'utf8')) as Doc;
    doc.phases[2].name = 42;
    expect(() => parseProfile(JSON.stringify(doc), 'run.json')).toThrow('run.json: phases[2].name: must be a string');
  });
});

describe('absurd values are dropped and counted', () => {
  it('an arena without uses is summarised (its uses taken as none)', async () => {
    const file = hostile(heaptrack, 'no-uses.json', (d) => {
      delete d.arenas[0].uses;
    });
    const r = await cmi('summary', file, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Doc;
    expect(s.peak.bytes).toBeGreaterThan(0);
  });

  it('`cmi report` on a sample of 1e305 bytes writes the report and counts what it dropped', async () => {
    const file = hostile(tsc, 'absurd-samples.json', (d) => {
      // Delta-encoded: every sample after this one is absurd too.
      const b = d.series[0].samples.bytes as number[];
      b[b.length - 3] = 1e305;
    });
    const html = path.join(tmp, 'absurd.html');
    const r = await cmi('report', file, '--html', html);
    expect(r.code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('<html');
    const s = await cmi('summary', file);
    expect(s.stdout).toContain('[implausible-value-dropped] 3 memory samples dropped');
  });

  it('a phase at 1e305 ms is dropped and its children move up to its parent', () => {
    const doc = JSON.parse(readFileSync(tsc, 'utf8')) as Doc;
    const child = (doc.phases as Doc[]).findIndex((ph) => ph.parent !== null && doc.phases[ph.parent].parent !== null);
    const parent = doc.phases[child].parent as number;
    const grandparent = doc.phases[parent].parent as number;
    doc.phases[parent].endMs = 1e305;
    const p = parseProfile(JSON.stringify(doc), 'run.json');
    expect(p.phases).toHaveLength(doc.phases.length - 1);
    expect(p.phases[child - 1]!.parent).toBe(grandparent);
    expect(p.warnings.at(-1)!.message).toBe(
      '1 phases with an absurd or negative span dropped: outside what a build can report (see plausible.ts bounds)',
    );
  });

  it('a start time past the year 2100 becomes "no wall clock" (0) with a warning', () => {
    const doc = JSON.parse(readFileSync(tsc, 'utf8')) as Doc;
    doc.run.startEpochMs = 1e305;
    const p = parseProfile(JSON.stringify(doc), 'run.json');
    expect(p.run.startEpochMs).toBe(0);
    expect(p.warnings.at(-1)!.message).toMatch(/^1 run start time .* dropped/);
  });
});

describe('the walkers stop on a profile built in memory', () => {
  // No file check ran on these: only the guards of the walks stand between them and a hang.
  const cyclic = () => {
    const p = parseProfile(readFileSync(tsc, 'utf8'), tsc);
    for (const ph of p.phases) if (ph.parent === null) ph.parent = p.phases.indexOf(ph);
    p.phases[10]!.parent = 200;
    p.phases[200]!.parent = 10;
    return p;
  };

  it('analysis, the phase index, the timeline and the export all end', { timeout: 1_000 }, () => {
    const p = cyclic();
    const a = analyze(p);
    expect(a.phases.length).toBeGreaterThan(0);
    expect(buildPhaseIndex(p).byName.size).toBeGreaterThan(0);
    expect(buildTimelineModel(p, a).phases.length).toBe(p.phases.length);
    expect(exportChromeTrace(p)).toContain('"traceEvents"');
  });
});
