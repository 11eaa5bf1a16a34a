// The run journal (docs/journal.md): a cmi killed with SIGKILL mid-build leaves the profile so far in
// `<out>.journal/`, which `cmi summary` and `cmi import` read back, marked incomplete. Real
// processes throughout: dist/cli.js profiles a Node program whose performance measures are phases.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackedProcesses } from '../server/src/core/collect/sampler/tracked-processes';
import type { JournalHeader } from '../server/src/core/journal/format';
import { readJournalSamples } from '../server/src/core/journal/reader';
import { JournalWriter } from '../server/src/core/journal/writer';
import { recoverJournal } from '../server/src/core/journal/recover';
import type { Ms, Profile } from '../server/src/core/model';
import { readProfile } from '../server/src/core/profile-file';
import { runBuild } from '../server/src/core/runner';
import { recoverLeftoverJournal } from '../server/src/lsp/leftover-journal';
import { JOURNAL_DIR_NAME, profilesDir, storedProfiles } from '../server/src/lsp/profile-store';
import { bytes, epochMs, ms } from '../server/src/core/units';
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

/**
 * Stops what a killed cmi left running, as its supervisor does (a no-op when it did): the build's
 * process group (its pgid is the root's pid), and waits until it is gone.
 */
async function stopBuild(journal: string): Promise<void> {
  const { rootPid } = JSON.parse(readFileSync(path.join(journal, 'header.json'), 'utf8')) as { rootPid: number };
  try {
    process.kill(-rootPid, 'SIGKILL');
  } catch {
    // already gone (the supervisor stopped it)
  }
  for (let i = 0; i < 100 && isAlive(rootPid); i++) await new Promise((r) => setTimeout(r, 20));
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
/** Epoch ms of the SIGKILL. */
let killedAtEpochMs = 0;

beforeAll(async () => {
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
  killedAtEpochMs = Date.now();
  await new Promise((r) => child.once('exit', r));
  await stopBuild(journal);
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
    const tree = s.series.find((x) => x.kind === 'rss-tree')!;
    expect(tree.samples).toBeGreaterThan(20);
    // The Node preload's records in work/: the program's first phases and its V8 heap.
    const steps = s.phases.map((p) => p.name).filter((n) => /^step\d+$/.test(n));
    expect(steps.slice(0, 3)).toEqual(['step0', 'step1', 'step2']);
    expect(s.series.some((x) => x.kind === 'js-heap' && x.samples > 5)).toBe(true);
  });

  it('`cmi import` writes the profile so far, and the compare gate refuses to judge it', async () => {
    const imported = path.join(tmp, 'imported.json');
    const r = cmi(['import', journal, '--out', imported]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Status: INCOMPLETE — the tool stopped at /m);
    // The samples reach the kill, less at most the flush period (250 ms) and a late timer on a busy machine.
    const p = await readProfile(imported);
    const tree = p.series.find((x) => x.kind === 'rss-tree')!;
    const killedAtMs = killedAtEpochMs - p.run.startEpochMs;
    expect(killedAtMs).toBeGreaterThan(1000);
    expect(tree.tMs[tree.tMs.length - 1]).toBeGreaterThan(killedAtMs - 600);
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

  it('runs nothing a journal names: a hostile header cannot make the recovery execute its command', () => {
    const hostile = path.join(tmp, 'hostile.journal');
    cpSync(journal, hostile, { recursive: true });
    const marker = path.join(tmp, 'ran');
    for (const tool of ['cargo', 'gcc']) {
      writeFileSync(path.join(tmp, tool), `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    }
    const file = path.join(hostile, 'header.json');
    const header = JSON.parse(readFileSync(file, 'utf8')) as JournalHeader;
    for (const argv of [
      [path.join(tmp, 'cargo'), 'build'],
      [path.join(tmp, 'gcc'), '-c', 'x.c'],
    ]) {
      writeFileSync(file, JSON.stringify({ ...header, argv, instrumentations: ['rustc', 'cc'] }));
      const r = cmi(['summary', hostile]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Status: INCOMPLETE/m);
    }
    expect(existsSync(marker)).toBe(false);
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

describe("the language server's profile store", () => {
  it('turns a journal left by a server stopped mid-build into a stored profile, marked incomplete', async () => {
    const storage = path.join(tmp, 'storage');
    const left = path.join(profilesDir(storage), JOURNAL_DIR_NAME);
    cpSync(journal, left, { recursive: true });
    const logged: string[] = [];
    const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(`warn: ${m}`) };
    const file = await recoverLeftoverJournal(storage, log);
    expect(file).toBeDefined();
    expect(await storedProfiles(profilesDir(storage))).toEqual([file]);
    expect((await readProfile(file!)).run.status).toBe('incomplete');
    expect(existsSync(left)).toBe(false);
    expect(logged).toEqual([expect.stringMatching(/^recovered the profile so far of `\S+ -e /)]);
    expect(await recoverLeftoverJournal(storage, log)).toBeUndefined(); // nothing left the second time
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

  it('can be looked at while it runs: the profile so far, without touching the build', async () => {
    const live = path.join(tmp, 'live.json');
    const child = spawn(
      process.execPath,
      [cliPath, 'profile', '--quiet', '--out', live, '--', process.execPath, '-e', BUILD],
      {
        cwd: tmp,
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 1500));
    const r = cmi(['summary', '--json', `${live}.journal`]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.status).toBe('incomplete');
    expect(s.statusReason).toMatch(
      /^read while the build runs \(the journal of pid \d+\); the profile holds the first /,
    );
    expect(s.warnings.map((w) => w.code)).toEqual(['journal-live', 'journal-build-running']);
    expect(await exited).toBe(0);
    expect((await readProfile(live)).phases.filter((p) => /^step\d+$/.test(p.name))).toHaveLength(20);
    expect(existsSync(`${live}.journal`)).toBe(false);
  }, 20_000);

  it("refuses a journal folder that holds what a journal doesn't, and leaves it alone", () => {
    const mine = path.join(tmp, 'mine.json');
    mkdirSync(`${mine}.journal`);
    writeFileSync(path.join(`${mine}.journal`, 'notes.txt'), 'mine');
    const r = cmi(['profile', '--quiet', '--out', mine, '--', process.execPath, '-e', '0']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `cmi: cannot keep the run's journal: ${mine}.journal is not a journal folder (it holds notes.txt)\n`,
    );
    expect(readFileSync(path.join(`${mine}.journal`, 'notes.txt'), 'utf8')).toBe('mine');
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

describe('what the journal holds', () => {
  it("gives back the sampler's series and processes as the runner reported them", async () => {
    const dir = path.join(tmp, 'fidelity.journal');
    const grow = `const k=[];const t=setInterval(()=>k.push(Buffer.alloc(1e6,1)),20);setTimeout(()=>clearInterval(t),400)`;
    const { profile } = await runBuild({
      argv: ['sh', '-c', `node -e '${grow}' & node -e '${grow}'; wait`],
      cwd: tmp,
      sampler: 'procfs',
      journalDir: dir,
    });
    expect(profile.run.status).toBe('ok');
    expect(existsSync(path.join(dir, 'work'))).toBe(false); // the runner removes work/; the caller the rest
    const recovered = await recoverJournal(dir);
    const rss = (p: Profile) =>
      p.series
        .filter((x) => x.kind.startsWith('rss'))
        .map((x) => `${x.id} ${x.name}: ${[...x.tMs].map((t, i) => `${t.toFixed(3)}=${x.bytes[i]}`).join(' ')}`);
    expect(rss(recovered)).toEqual(rss(profile));
    expect(recovered.processes.length).toBeGreaterThanOrEqual(3); // sh and its two node processes
    expect(recovered.processes).toEqual(
      profile.processes.map((p) => ({
        ...p,
        startMs: round3(p.startMs),
        endMs: p.endMs === null ? null : round3(p.endMs),
      })),
    );
    expect(recovered.warnings.map((w) => w.code)).toEqual(['journal-recovered', 'journal-no-work']);
  });
});

describe('the journal bound', () => {
  it('decimates, then stops the ticks, each step a warning the reader repeats', () => {
    const dir = path.join(tmp, 'bounded.journal');
    mkdirSync(dir);
    const maxBytes = 4000;
    const w = new JournalWriter(dir, header(), maxBytes);
    const procs = new TrackedProcesses(4242);
    const p = procs.track(4242, ms(0), {});
    for (let tick = 1; tick <= 1000; tick++) {
      const t = ms(tick * 10);
      procs.record(p, tick, t, bytes(1e6 + tick * 4096)); // a new value every tick: the worst case
      w.tick(t, bytes(1e6 + tick * 4096), procs);
    }
    w.close();
    const text = readFileSync(path.join(dir, 'samples.txt'), 'utf8');
    expect(text.length).toBeLessThanOrEqual(maxBytes + 200);
    const r = readJournalSamples(text, 'samples.txt', 'test');
    expect(r.warnings.map((x) => x.code)).toEqual([...Array(5).fill('journal-decimated'), 'journal-bounded']);
    expect(r.warnings[0]!.message).toBe('the journal kept one tick in 2 from 800 ms on (bound: 4000 bytes)');
    expect(r.warnings[5]!.message).toBe(
      'the journal reached its bound of 4000 bytes at 2890 ms: later ticks were not journaled',
    );
    expect(r.lastMs).toBe(2890);
  });
});

describe("the journal's copy of the output", () => {
  it('keeps the last 2 to 4 MiB of a stream, in order, across two files', () => {
    const dir = path.join(tmp, 'output.journal');
    mkdirSync(path.join(dir, 'work'), { recursive: true });
    const w = new JournalWriter(dir, header());
    const chunk = (n: number) => `${String(n).padStart(7, '0')}${'.'.repeat(1024 * 1024 - 8)}\n`;
    for (let n = 0; n < 7; n++) {
      w.outputChunk('stdout', chunk(n));
      w.flush();
    }
    w.close();
    const kept =
      readFileSync(path.join(dir, 'stdout.txt.1'), 'utf8') + readFileSync(path.join(dir, 'stdout.txt'), 'utf8');
    const starts = kept
      .split('\n')
      .filter(Boolean)
      .map((l) => Number(l.slice(0, 7)));
    expect(starts).toEqual([4, 5, 6]); // at 2 MiB the file became .1: the newest 3 MiB, oldest first
  });
});

function round3(t: number): Ms {
  return ms(Math.round(t * 1000) / 1000);
}

function header(): Omit<JournalHeader, 'format' | 'version'> {
  return {
    argv: ['x'],
    cwd: tmp,
    startEpochMs: epochMs(0),
    startedAt: '',
    rootPid: 4242,
    toolPid: process.pid,
    host: { platform: 'linux', arch: 'x64', cpus: 1, totalMemoryBytes: bytes(0), node: '' },
    intervalMs: ms(10),
    sampler: 'procfs',
    distDir: tmp,
    instrumentations: [],
  };
}
