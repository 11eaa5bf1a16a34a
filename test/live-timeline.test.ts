// The live timeline (protocol/live.ts): the server's bounded buffer and its throttled updates
// (server/src/lsp/live-timeline.ts), the receiver's copy (common/live-copy.ts), and real builds
// streamed through them: what a receiver holds at the end is what the profile holds.
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveCopy } from '../common/live-copy';
import type { LivePhase, LiveTimelineUpdate } from '../protocol/live';
import { StepRecorder } from '../server/src/core/collect/sampler/step-recorder';
import type { Profile } from '../server/src/core/model';
import { profileBuild } from '../server/src/core/profile-build';
import { bytes, ms } from '../server/src/core/units';
import { LiveSeriesBuffer, LiveTimeline } from '../server/src/lsp/live-timeline';
import { repoRoot } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-live-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const MiB = 2 ** 20;

/** A LiveTimeline on a clock the test moves, and the updates it sent. */
function fakeLive(capacity?: number) {
  let now = 0;
  const sent: LiveTimelineUpdate[] = [];
  const live = new LiveTimeline({
    runId: 'r1',
    title: 'build',
    startedAt: '2026-01-01T00:00:00.000Z',
    send: (u) => sent.push(structuredClone(u)),
    now: () => now,
    ...(capacity ? { capacity } : {}),
  });
  return { live, sent, tick: (dtMs: number) => (now += dtMs) };
}

function tree(profile: Profile) {
  return profile.series.find((s) => s.kind === 'rss-tree')!;
}

describe('live series buffer', () => {
  it('keeps every tick as the sampler does (runs of equal values as their two ends) until it is full', () => {
    const values = [5, 5, 5, 7, 7, 3, 3, 3, 3, 9, 9, 9, 2];
    const buffer = new LiveSeriesBuffer(64);
    const recorder = new StepRecorder(64);
    values.forEach((v, i) => {
      buffer.add(i * 10, v * MiB);
      recorder.sample(ms(i * 10), bytes(v * MiB));
    });
    buffer.finish();
    recorder.flush();
    const s = recorder.builder.build({ id: 'rss-tree', name: 't', kind: 'rss-tree', source: 'test' });
    expect(buffer.tMs).toEqual([...s.tMs]);
    expect(buffer.bytes).toEqual([...s.bytes]);
    expect(buffer.stride).toBe(1);
  });

  it('an hour of 10 ms ticks stays within its bound and keeps the peak at its time', () => {
    const buffer = new LiveSeriesBuffer(4096);
    const ticks = 360_000;
    const peakAt = 123_457;
    let most = 0;
    for (let i = 0; i < ticks; i++) {
      // A saw-tooth that never repeats a value twice in a row, and one spike.
      const v = i === peakAt ? 5000 * MiB : ((i * 7919) % 1000) * MiB + (i % 2);
      buffer.add(i * 10, v);
      most = Math.max(most, buffer.length);
    }
    buffer.finish();
    expect(most).toBeLessThan(4096);
    expect(buffer.length).toBeGreaterThan(4096 / 4);
    expect(buffer.ticks).toBe(ticks);
    expect(buffer.stride).toBe(128); // 360,000 ticks in fewer than 4,096 points: buckets of 2^7
    const top = buffer.bytes.indexOf(Math.max(...buffer.bytes));
    expect(buffer.bytes[top]).toBe(5000 * MiB);
    expect(buffer.tMs[top]).toBe(peakAt * 10);
    for (let i = 1; i < buffer.length; i++) expect(buffer.tMs[i]!).toBeGreaterThan(buffer.tMs[i - 1]!);
  });
});

describe('live timeline updates', () => {
  it('sends at most one update per 250 ms; the updates rebuild the buffer exactly', () => {
    const { live, sent, tick } = fakeLive();
    for (let i = 0; i < 300; i++) {
      tick(10);
      live.sample(i * 10, (100 + i) * MiB);
    }
    live.finish(3000);
    // 3 s of ticks: one update at the first tick, then one per 250 ms, and the last one.
    expect(sent.length).toBeLessThanOrEqual(3000 / 250 + 2);
    expect(sent.length).toBeGreaterThanOrEqual(3000 / 250);
    expect(sent[0]!.reset).toBe(true);
    expect(sent.slice(1).every((u) => !u.reset)).toBe(true);
    const copy = new LiveCopy<LivePhase, LiveTimelineUpdate>();
    for (const u of sent) expect(copy.apply(u)).toBe(true);
    expect(copy.tMs).toEqual(live.buffer.tMs);
    expect(copy.bytes).toEqual(live.buffer.bytes);
    expect(copy.latest!.peakTreeRssBytes).toBe(399 * MiB);
    expect(copy.latest!.elapsedMs).toBe(3000);
  });

  it('after the buffer is thinned the next update is a reset; the copy never holds more than the bound', () => {
    const { live, sent, tick } = fakeLive(64);
    const copy = new LiveCopy<LivePhase, LiveTimelineUpdate>();
    let most = 0;
    for (let i = 0; i < 5000; i++) {
      tick(10);
      live.sample(i * 10, (i % 97) * MiB + i);
      while (sent.length) {
        copy.apply(sent.shift()!);
        most = Math.max(most, copy.tMs.length);
      }
    }
    live.finish();
    for (const u of sent) copy.apply(u);
    expect(most).toBeLessThan(64);
    expect(copy.stale).toBe(false);
    expect(copy.tMs).toEqual(live.buffer.tMs);
    expect(copy.latest!.stride).toBeGreaterThan(1);
  });

  it('phases follow the progress reports: nested by " › ", ended when the path changes, open ones ended by finish', () => {
    const { live, sent, tick } = fakeLive();
    const progress = (elapsedMs: number, phase?: string) => {
      tick(300);
      live.progress({ elapsedMs, treeRssBytes: 0, peakTreeRssBytes: 0, processCount: 1, ...(phase ? { phase } : {}) });
    };
    progress(200, 'Parse');
    progress(400, 'Check');
    progress(600, 'Check › checkSourceFile');
    progress(800, 'Emit › printTime');
    progress(1000);
    progress(1200, 'Emit');
    live.finish(1500);
    const copy = new LiveCopy<LivePhase, LiveTimelineUpdate>();
    for (const u of sent) copy.apply(u);
    const shown = copy.phases.map((p) => `${'  '.repeat(p.depth)}${p.name} ${p.startMs}–${p.endMs}`);
    expect(shown).toEqual([
      'Parse 200–400',
      'Check 400–800',
      '  checkSourceFile 600–800',
      'Emit 800–1000',
      '  printTime 800–1000',
      'Emit 1200–1500',
    ]);
  });

  it('a receiver that missed an update waits for the next reset', () => {
    const { live, sent, tick } = fakeLive(16);
    for (let i = 0; i < 40; i++) {
      tick(300);
      live.sample(i * 10, i * MiB);
    }
    const copy = new LiveCopy<LivePhase, LiveTimelineUpdate>();
    copy.apply(sent[0]!);
    copy.apply(sent[1]!);
    expect(copy.apply(sent[3]!)).toBe(false); // sent[2] was lost
    expect(copy.stale).toBe(true);
    const nextReset = sent.findIndex((u, i) => i > 3 && u.reset);
    expect(nextReset).toBeGreaterThan(3);
    for (const u of sent.slice(4)) copy.apply(u);
    expect(copy.stale).toBe(false);
    expect(copy.tMs).toEqual(live.buffer.tMs);
  });
});

describe('live timeline of real builds', () => {
  it('a Node program allocating in steps: updates grow while it runs and end with the RSS series of its profile', async () => {
    const { live, sent } = (() => {
      const sent: LiveTimelineUpdate[] = [];
      return {
        sent,
        live: new LiveTimeline({
          runId: 'r',
          title: 'steps',
          startedAt: '',
          send: (u) => sent.push(structuredClone(u)),
        }),
      };
    })();
    const steps =
      'const a=[];let i=0;const t=setInterval(()=>{a.push(Buffer.alloc(16<<20,1));if(++i===8){clearInterval(t);setTimeout(()=>{},200)}},150)';
    const profile = await profileBuild({
      argv: [process.execPath, '-e', steps],
      cwd: tmp,
      progressEveryMs: ms(200),
      onSample: (t, b) => live.sample(t, b),
      onProgress: (p) => live.progress(p),
    });
    live.finish(profile.run.wallMs);
    expect(profile.run.status).toBe('ok');
    const copy = new LiveCopy<LivePhase, LiveTimelineUpdate>();
    const lengths: number[] = [];
    for (const u of sent) {
      expect(copy.apply(u)).toBe(true);
      lengths.push(copy.tMs.length);
    }
    // Several updates while it ran, each holding more than the one before.
    expect(new Set(lengths).size).toBeGreaterThanOrEqual(4);
    const s = tree(profile);
    expect(copy.tMs).toEqual([...s.tMs]);
    expect(copy.bytes).toEqual([...s.bytes]);
    expect(copy.latest!.peakTreeRssBytes).toBeGreaterThan(128 * MiB);
  });

  it('tsc: its phases arrive while it runs, and the points end equal to those of its profile', async () => {
    const sent: LiveTimelineUpdate[] = [];
    const live = new LiveTimeline({
      runId: 'r',
      title: 'tsc',
      startedAt: '',
      send: (u) => sent.push(structuredClone(u)),
    });
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'lib', 'tsc.js');
    const profile = await profileBuild({
      argv: [process.execPath, tsc, '-p', 'test/workspaces/tsc-small', '--outDir', path.join(tmp, 'tsc-out')],
      cwd: repoRoot,
      progressEveryMs: ms(100),
      onSample: (t, b) => live.sample(t, b),
      onProgress: (p) => live.progress(p),
    });
    live.finish(profile.run.wallMs);
    expect(profile.run.status).toBe('ok');
    const copy = new LiveCopy<LivePhase, LiveTimelineUpdate>();
    for (const u of sent) copy.apply(u);
    const names = new Set(copy.phases.map((p) => p.name));
    // At 0.1 s resolution at least one of tsc's long phases is seen running (which: the machine's speed).
    expect([...names].some((n) => ['Check', 'Emit', 'Bind', 'Parse', 'Program'].includes(n))).toBe(true);
    expect(copy.phases.every((p) => p.endMs !== null && p.endMs >= p.startMs)).toBe(true);
    expect(copy.tMs).toEqual([...tree(profile).tMs]);
  });
});
