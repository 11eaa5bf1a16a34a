// Ninja's .ninja_log on real files (test/fixtures/ninja-log/COMMAND.txt): one phase per command with
// ninja's own start and end, overlapping commands in separate slots, only the last of several runs
// appended to one log, and a log cut short mid-line.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importFile, importFiles } from '../server/src/core/importers';
import { analyze } from '../server/src/core/analysis/analyze';
import { buildTimelineModel } from '../server/src/report/timeline-model';
import { ImportError } from '../server/src/core/importers/import-error';
import type { ImportResult } from '../server/src/core/importers/importer';
import { importNinjaLog, isNinjaLog, parseNinjaLog } from '../server/src/core/importers/ninja-log';
import type { Phase } from '../server/src/core/model';
import { phaseTree, text, warningLines } from './dump';

const fx = (name: string) => path.join(__dirname, 'fixtures', 'ninja-log', name);
const read = (name: string) => readFileSync(fx(name), 'utf8');

const slotPart = (p: Phase) => `@${p.startMs}-${p.endMs} ms  slot ${p.args?.slot}`;
/** The dump of a fixture imported under its base name (the snapshot holds no absolute path). */
function dump(name: string): string {
  const r: ImportResult = importNinjaLog(read(name), name);
  return text([
    'phases:',
    ...phaseTree(r.phases ?? [], [slotPart], { indentFrom: 1 }),
    `wall: ${r.run?.wallMs} ms`,
    ...warningLines(r.warnings ?? []),
  ]);
}

/** The log's data lines as [start, end, target], read independently of the importer. */
function logLines(t: string): [number, number, string][] {
  return t
    .split('\n')
    .slice(1)
    .filter((l) => l.split('\t').length === 5)
    .map((l) => {
      const [s, e, , target] = l.split('\t');
      return [Number(s), Number(e), target!];
    });
}

describe('ninja-log', () => {
  it('sniffs the header of v5 and later, and nothing else', () => {
    expect(isNinjaLog(read('cmake-c-multi.j4.ninja_log'))).toBe(true);
    expect(isNinjaLog('# ninja log v7\n')).toBe(true);
    expect(isNinjaLog('# ninja deps v4\n')).toBe(false);
    expect(isNinjaLog('x\n# ninja log v5\n')).toBe(false);
  });

  it('gives one phase per line of a clean build, with the times of the log', async () => {
    const r = await importFile(fx('cmake-c-multi.j4.ninja_log'));
    const got = (r.phases ?? []).map((p) => [p.startMs, p.endMs, p.name]);
    const want = logLines(read('cmake-c-multi.j4.ninja_log'));
    expect(got).toHaveLength(7);
    expect(got).toEqual(expect.arrayContaining(want));
    expect(want).toEqual(expect.arrayContaining(got));
    expect(r.run?.wallMs).toBe(286);
    expect(r.warnings ?? []).toEqual([]);
    await expect(dump('cmake-c-multi.j4.ninja_log')).toMatchFileSnapshot(fx('expected/cmake-c-multi.j4.dump.txt'));
  });

  it('puts commands that overlap in different slots, and reuses a slot once it is free', async () => {
    const phases = (await importFile(fx('cmake-c-multi.j4.ninja_log'))).phases ?? [];
    for (const a of phases)
      for (const b of phases)
        if (a !== b && a.startMs < b.endMs && b.startMs < a.endMs) expect(a.args?.slot).not.toBe(b.args?.slot);
    // -j4 and four compiles started within 13 ms: four slots, no more.
    expect(new Set(phases.map((p) => p.args?.slot)).size).toBe(4);
    const slotOf = (t: string) => phases.find((p) => p.name.endsWith(t))!.args?.slot;
    expect(slotOf('vm.c.o')).toBe(slotOf('hashtab.c.o')); // vm starts at 106, when hashtab ends
  });

  it('keeps only the last run of a log that ninja appended to, and says how many lines it left out', async () => {
    const r = await importFile(fx('cmake-c-multi.j4.rebuild.ninja_log'));
    expect((r.phases ?? []).map((p) => [p.startMs, p.endMs, p.name])).toEqual([
      [1, 48, 'CMakeFiles/minivm.dir/lexer.c.o'],
      [1, 104, 'CMakeFiles/minivm.dir/parser.c.o'],
      [104, 124, 'minivm'],
    ]);
    expect(r.run?.wallMs).toBe(124);
    expect(r.warnings?.map((w) => w.code)).toEqual(['ninja-log-earlier-runs']);
    expect(r.warnings?.[0]?.message).toMatch(/ninja appended 7 line\(s\) of earlier runs .* \(from line 9\)/);
    await expect(dump('cmake-c-multi.j4.rebuild.ninja_log')).toMatchFileSnapshot(
      fx('expected/cmake-c-multi.j4.rebuild.dump.txt'),
    );
  });

  it('keeps the complete lines of a log cut mid-line, and names the file and the cut line', async () => {
    const file = fx('cmake-c-multi.j4.ninja_log.cut-400');
    const r = await importFile(file);
    const whole = logLines(read('cmake-c-multi.j4.ninja_log'));
    expect((r.phases ?? []).map((p) => p.name).sort()).toEqual(
      whole
        .slice(0, 5)
        .map((l) => l[2])
        .sort(),
    );
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings?.[0]).toMatchObject({ code: 'ninja-log-truncated', file, line: 7 });
    expect(r.warnings?.[0]?.message).toContain(`${file}:7: the last line has no newline`);
    await expect(dump('cmake-c-multi.j4.ninja_log.cut-400')).toMatchFileSnapshot(
      fx('expected/cmake-c-multi.j4.ninja_log.cut-400.dump.txt'),
    );
  });

  it('refuses a damaged line in the middle, naming the line, and logs older than v5', () => {
    const lines = read('cmake-c-multi.j4.ninja_log').split('\n');
    lines[3] = lines[3]!.replace('\t', ' ');
    const err = (() => {
      try {
        importNinjaLog(lines.join('\n'), 'x.ninja_log');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).kind).toBe('broken');
    expect((err as Error).message).toMatch(/^x\.ninja_log:4: /);
    expect(() => parseNinjaLog('# ninja log v4\n', 'old')).toThrow(/v4 is older than v5/);
  });

  it('reads a log with only its header (a build with nothing to do) as no phase, with a warning', () => {
    const r = importNinjaLog('# ninja log v5\n', 'empty');
    expect(r.phases).toEqual([]);
    expect(r.warnings?.map((w) => w.code)).toEqual(['ninja-log-empty']);
  });
});

describe('ninja-log on the timeline', () => {
  it('draws jobs that overlapped on lanes of their own, one per slot', async () => {
    const p = await importFiles([fx('cmake-c-multi.j4.ninja_log')]);
    const m = buildTimelineModel(p, analyze(p));
    const slots = new Set(p.phases.map((ph) => ph.args?.slot));
    expect(m.groups.map((g) => g.label)).toEqual([...slots].sort().map((s) => `slot ${s}`));
    // No two spans of one lane group overlap.
    for (const g of m.groups.keys()) {
      const spans = m.phases.filter((ph) => ph.group === g).sort((x, y) => x.startMs - y.startMs);
      for (let i = 1; i < spans.length; i++) expect(spans[i]!.startMs).toBeGreaterThanOrEqual(spans[i - 1]!.endMs);
    }
  });
});
