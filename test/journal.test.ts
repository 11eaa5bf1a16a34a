// The run journal (docs/journal.md): a cmi killed with SIGKILL mid-build leaves the profile so far in
// `<out>.journal/`, which `cmi summary` and `cmi import` read back, marked incomplete. Real
// processes throughout: dist/cli.js profiles a Node program whose performance measures are phases.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, isAlive } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-journal-test-'));

function cmi(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: tmp, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A build of about 4 s: a phase (a performance measure) every 200 ms, each allocating 4 MB it keeps. */
const BUILD = `
const { performance } = require('node:perf_hooks');
const keep = [];
let i = 0;
const step = () => {
  performance.mark('step' + i + ':begin');
  keep.push(Buffer.alloc(4e6, i));
  for (let k = 0; k < 20000; k++) keep.push({ k });
  setTimeout(() => {
    performance.measure('step' + i, 'step' + i + ':begin');
    if (++i < 20) step();
  }, 200);
};
step();`;

/** Stops what a killed cmi left running: the build's process group (its pgid is the root's pid). */
function stopBuild(journal: string): void {
  const { rootPid } = JSON.parse(readFileSync(path.join(journal, 'header.json'), 'utf8')) as { rootPid: number };
  try {
    process.kill(-rootPid, 'SIGKILL');
  } catch {
    // already gone (the supervisor stopped it)
  }
}

interface Summary {
  status: string;
  statusReason: string | null;
  wallMs: number;
  phases: { name: string }[];
  series: { id: string; kind: string; samples: number }[];
  warnings: { code: string; message: string }[];
}

const out = path.join(tmp, 'killed.json');
const journal = `${out}.journal`;
let killedAtMs = 0;

beforeAll(async () => {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [cliPath, 'profile', '--quiet', '--out', out, '--', process.execPath, '-e', BUILD],
    {
      cwd: tmp,
      stdio: 'ignore',
    },
  );
  await new Promise((r) => setTimeout(r, 1500));
  child.kill('SIGKILL');
  killedAtMs = Date.now() - started;
  await new Promise((r) => child.once('exit', r));
  stopBuild(journal);
}, 20_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a cmi killed with SIGKILL mid-build', () => {
  it('leaves its journal, and `cmi summary` reads it as an incomplete profile with its samples, phases and heap', () => {
    expect(existsSync(out)).toBe(false); // no profile: cmi never got to write it
    const r = cmi(['summary', '--json', journal]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.status).toBe('incomplete');
    expect(s.statusReason).toMatch(/^the tool stopped at \S+ before the build ended; the profile holds the first /);
    expect(s.warnings[0]!.code).toBe('journal-recovered');
    // The samples cover the time before the kill (less the flush period and cmi's own start-up).
    const tree = s.series.find((x) => x.kind === 'rss-tree')!;
    expect(tree.samples).toBeGreaterThan(20);
    expect(s.wallMs).toBeGreaterThan(killedAtMs - 900);
    // The Node preload's records in work/: the program's first phases and its V8 heap.
    const steps = s.phases.map((p) => p.name).filter((n) => /^step\d+$/.test(n));
    expect(steps.slice(0, 3)).toEqual(['step0', 'step1', 'step2']);
    expect(s.series.some((x) => x.kind === 'js-heap' && x.samples > 5)).toBe(true);
  });

  it('`cmi import` writes the profile so far, and the compare gate refuses to judge it', () => {
    const imported = path.join(tmp, 'imported.json');
    const r = cmi(['import', journal, '--out', imported]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Status: INCOMPLETE — the tool stopped at /m);
    const gate = cmi(['compare', imported, imported, '--fail-on-peak-increase', '10']);
    expect(gate.code).toBe(5);
    expect(gate.stderr).toContain('the base and head profiles are incomplete');
  });

  it('a journal cut mid-line still imports, with a warning naming the line', () => {
    const cut = path.join(tmp, 'cut.journal');
    cpSync(journal, cut, { recursive: true });
    const samples = readFileSync(path.join(journal, 'samples.txt'), 'utf8');
    // Cut 5 characters into the last line that has a few: what a writer killed mid-write leaves.
    const at = samples.lastIndexOf('\nT ', samples.length - 2) + 6;
    writeFileSync(path.join(cut, 'samples.txt'), samples.slice(0, at));
    const line = samples.slice(0, at).split('\n').length;
    const r = cmi(['summary', cut]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `[journal-truncated] the journal's last line was cut (5 characters) when the tool stopped: it was dropped (${path.join(cut, 'samples.txt')}:${line})`,
    );
  });

  it('a corrupt journal is exit 3, naming the file and the line', () => {
    const bad = path.join(tmp, 'bad.journal');
    cpSync(journal, bad, { recursive: true });
    const lines = readFileSync(path.join(journal, 'samples.txt'), 'utf8').split('\n');
    lines.splice(2, 0, 'T 99999 not-a-number');
    writeFileSync(path.join(bad, 'samples.txt'), lines.join('\n'));
    const r = cmi(['summary', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `cmi: ${path.join(bad, 'samples.txt')}:3: not a journal line ("not-a-number" is not a number): "T 99999 not-a-number"\n`,
    );
  });
});

describe('a run that ends', () => {
  it('leaves its profile and no journal', () => {
    const done = path.join(tmp, 'done.json');
    const r = cmi(['profile', '--quiet', '--out', done, '--', process.execPath, '-e', 'setTimeout(() => {}, 300)']);
    expect(r.code).toBe(0);
    expect(existsSync(done)).toBe(true);
    expect(existsSync(`${done}.journal`)).toBe(false);
  });

  it('sets aside the journal a killed run left at the same place, and says where', () => {
    const again = path.join(tmp, 'again.json');
    cpSync(journal, `${again}.journal`, { recursive: true });
    const r = cmi(['profile', '--quiet', '--out', again, '--', process.execPath, '-e', '0']);
    expect(r.code).toBe(0);
    const moved = /the journal of an earlier run that did not end was moved to (\S+)/.exec(r.stderr)?.[1];
    expect(moved).toBeDefined();
    expect(cmi(['summary', path.resolve(tmp, moved!)]).stdout).toMatch(/^Status: INCOMPLETE/m);
    expect(existsSync(`${again}.journal`)).toBe(false);
  });
});

it('leaves no process of the test running', () => {
  const { rootPid } = JSON.parse(readFileSync(path.join(journal, 'header.json'), 'utf8')) as { rootPid: number };
  expect(isAlive(rootPid)).toBe(false);
});
