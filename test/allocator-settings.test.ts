// Eager purge (server/src/core/collect/allocator-settings.ts) on real programs: a C program that frees
// 48 MiB of glibc heap half-way (test/programs/free-mid-run.c) through `cmi profile` with and without
// `--allocator-defaults`, the run facts and summary line, `cmi compare` across the two modes; rustc's
// jemalloc and rolldown's mimalloc reading the settings (each asked to print its own statistics).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eagerPurgeEnv } from '../server/src/core/collect/allocator-settings';
import type { Profile } from '../server/src/core/model';
import { profileBuildWithOutput } from '../server/src/core/profile-build';
import { readProfile } from '../server/src/core/profile-file';
import { cliPath, distDir, repoRoot } from './helpers';

const linux = process.platform === 'linux';
let tmp: string;
const cmi = (...args: string[]) =>
  spawnSync(process.execPath, [cliPath, ...args], { cwd: tmp, encoding: 'utf8', maxBuffer: 64 << 20 });

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-allocator-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the eager-purge environment', () => {
  it('sets every allocator, and lets the user’s own values win', () => {
    const plain = eagerPurgeEnv({});
    expect(plain.MIMALLOC_PURGE_DELAY).toBe('0');
    expect(plain.MIMALLOC_RESET_DELAY).toBe('0');
    expect(plain.MALLOC_CONF).toBe('dirty_decay_ms:0,muzzy_decay_ms:0');
    expect(plain._RJEM_MALLOC_CONF).toBe('dirty_decay_ms:0,muzzy_decay_ms:0');
    expect(plain.GLIBC_TUNABLES).toBe('glibc.malloc.mmap_threshold=65536:glibc.malloc.trim_threshold=131072');

    const user = eagerPurgeEnv({
      MIMALLOC_PURGE_DELAY: '50',
      MALLOC_CONF: 'dirty_decay_ms:1000,narenas:2',
      GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=1048576:glibc.malloc.arena_max=2',
    });
    expect(user.MIMALLOC_PURGE_DELAY).toBeUndefined(); // kept as the user set it
    // jemalloc reads its conf left to right: the user's options come last and override ours.
    expect(user.MALLOC_CONF).toBe('dirty_decay_ms:0,muzzy_decay_ms:0,dirty_decay_ms:1000,narenas:2');
    expect(user.GLIBC_TUNABLES).toBe(
      'glibc.malloc.mmap_threshold=1048576:glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=131072',
    );
  });
});

describe.runIf(linux)('glibc: RSS follows a free in the middle of the heap', () => {
  let eager: Profile;
  let defaults: Profile;
  let eagerOut: ReturnType<typeof cmi>;
  let summaryOut: ReturnType<typeof cmi>;

  beforeAll(async () => {
    const prog = path.join(tmp, 'free-mid-run');
    execFileSync('cc', ['-O0', '-o', prog, path.join(repoRoot, 'test', 'programs', 'free-mid-run.c')]);
    // 48 MiB of 64 KiB blocks, each state held 2 s (long enough on a loaded machine).
    // RSS alone (--no-live-heap): what the settings change. Then with the live heap, which they don't.
    eagerOut = cmi('profile', '--quiet', '--no-live-heap', '--out', 'eager.json', '--', prog, '48', '2000');
    const d = cmi(
      'profile',
      '--quiet',
      '--no-live-heap',
      '--allocator-defaults',
      '--out',
      'defaults.json',
      '--',
      prog,
      '48',
      '2000',
    );
    const el = cmi('profile', '--quiet', '--out', 'eager-live.json', '--', prog, '48', '500');
    const dl = cmi(
      'profile',
      '--quiet',
      '--allocator-defaults',
      '--out',
      'defaults-live.json',
      '--',
      prog,
      '48',
      '500',
    );
    for (const r of [eagerOut, d, el, dl]) if (r.status !== 0) throw new Error(`cmi profile: ${r.stderr}`);
    eager = await readProfile(path.join(tmp, 'eager.json'));
    defaults = await readProfile(path.join(tmp, 'defaults.json'));
    summaryOut = cmi('summary', 'defaults.json');
  }, 120_000);

  /** The tree's RSS `beforeEndMs` before the build ended (in the second hold, after the free). */
  const rssNearEnd = (p: Profile, beforeEndMs: number) => {
    const s = p.series.find((x) => x.kind === 'rss-tree')!;
    const t = p.run.wallMs - beforeEndMs;
    let i = 0;
    while (i + 1 < s.tMs.length && s.tMs[i + 1]! <= t) i++;
    return { at: s.bytes[i]!, peak: Math.max(...s.bytes) };
  };

  it('with eager purge, RSS falls after the free', () => {
    const { at, peak } = rssNearEnd(eager, 400);
    expect(peak).toBeGreaterThan(45 * 2 ** 20);
    expect(at).toBeLessThan(peak * 0.25);
  });

  it("with the allocators' defaults, glibc keeps the freed pages", () => {
    const { at, peak } = rssNearEnd(defaults, 400);
    expect(peak).toBeGreaterThan(45 * 2 ** 20);
    expect(at).toBeGreaterThan(peak * 0.8);
  });

  it('the run facts and the summary say which settings applied', () => {
    expect(eager.run.allocatorSettings?.mode).toBe('eager-purge');
    expect(eager.run.allocatorSettings?.env.GLIBC_TUNABLES).toContain('glibc.malloc.mmap_threshold=65536');
    expect(eager.run.allocatorSettings?.env.MIMALLOC_PURGE_DELAY).toBe('0');
    expect(defaults.run.allocatorSettings).toBeUndefined();
    expect(eagerOut.stdout).toMatch(/^Allocators: eager purge \(RSS follows the live heap\) · .*GLIBC_TUNABLES/m);
    expect(summaryOut.stdout).toMatch(/^Allocators: their own defaults/m);
  });

  it('compare across the two modes warns, shows no RSS change, and its peak gate refuses to judge', () => {
    const r = cmi('compare', 'defaults.json', 'eager.json', '--fail-on-peak-increase', '10');
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(
      /gate failed: the peak \(RSS of the process tree\) can't be judged: base ran with allocator settings "defaults", head with "eager-purge"/,
    );
    expect(r.stdout).toMatch(
      /different allocator settings \(base: defaults, head: eager-purge\): their RSS and allocator heaps are not compared/,
    );
    // The RSS row shows both sides and no difference.
    expect(r.stdout).toMatch(/peak · RSS of the process tree.*–\s+–/);

    const j = JSON.parse(cmi('compare', 'defaults.json', 'eager.json', '--json').stdout);
    expect(j.allocatorSettingsDiffer).toEqual({ base: 'defaults', head: 'eager-purge' });
    const rss = j.peaks.find((p: { kind: string }) => p.kind === 'rss-tree');
    expect(rss.peak.delta).toBeNull();
    expect(rss.peak.base.median).toBeGreaterThan(0);

    const md = cmi('compare', 'defaults.json', 'eager.json', '--markdown');
    expect(md.stdout).toContain('> ⚠ the two sides ran with different allocator settings');

    // The same mode on both sides: no such warning, and the gate judges the peak as before.
    const same = cmi('compare', 'eager.json', 'eager.json', '--fail-on-peak-increase', '10');
    expect(same.status).toBe(0);
    expect(same.stdout).not.toContain('allocator settings');
  });

  it('with the live heap measured, the gate refuses to judge it across the modes too: glibc then rounds big blocks to pages', () => {
    const r = cmi('compare', 'defaults-live.json', 'eager-live.json', '--fail-on-peak-increase', '10', '--json');
    expect(r.status).toBe(5);
    expect(r.stderr).toMatch(
      /the peak \(live heap of .*\) can't be judged: .*the allocator's counts are not comparable across them/,
    );
    const j = JSON.parse(r.stdout);
    expect(j.peaks[0].kind).toBe('allocator-heap');
    expect(j.peaks[0].peak.delta).toBeNull();
    // 48 MiB of 64 KiB blocks live at the peak either way; mapped apart, each block's usable size is 17 pages.
    expect(j.peaks[0].peak.base.median).toBeGreaterThan(48 * 2 ** 20);
    expect(j.peaks[0].peak.head.median / j.peaks[0].peak.base.median).toBeGreaterThan(1);
    expect(j.peaks[0].peak.head.median / j.peaks[0].peak.base.median).toBeLessThan(1.07);
    // In one mode the gate judges the live heap.
    expect(cmi('compare', 'eager-live.json', 'eager-live.json', '--fail-on-peak-increase', '10').status).toBe(0);
  });
});

describe.runIf(linux)('the allocators linked into real builds read the settings', () => {
  it("rustc's jemalloc: cargo build runs with decays 0, the user's MALLOC_CONF options merged", async () => {
    const ws = path.join(tmp, 'cargo-std');
    cpSync(path.join(repoRoot, 'test', 'workspaces', 'cargo-std'), ws, { recursive: true });
    // stats_print makes jemalloc print its options at exit: rustc's stderr, which cargo passes on.
    const run = (allocatorDefaults: boolean) =>
      profileBuildWithOutput({
        argv: ['cargo', 'build', '-p', 'tokenizer'],
        cwd: ws,
        env: { MALLOC_CONF: 'stats_print:true', CARGO_TARGET_DIR: path.join(tmp, `target-${allocatorDefaults}`) },
        distDir,
        allocatorDefaults,
      });
    const eager = await run(false);
    expect(eager.profile.run.status).toBe('ok');
    expect(eager.profile.run.allocatorSettings?.env.MALLOC_CONF).toBe(
      'dirty_decay_ms:0,muzzy_decay_ms:0,stats_print:true',
    );
    expect(eager.profile.processes.some((p) => p.label?.startsWith('rustc'))).toBe(true);
    expect(eager.stderr).toContain('opt.dirty_decay_ms: 0 (arenas.dirty_decay_ms: 0)');
    expect(eager.stderr).not.toMatch(/opt\.dirty_decay_ms: [1-9]/);

    const plain = await run(true);
    expect(plain.profile.run.status).toBe('ok');
    expect(plain.stderr).toMatch(/opt\.dirty_decay_ms: [1-9]\d*/);
  }, 240_000);

  it("rolldown's mimalloc: the bundle builds and mimalloc purges", async () => {
    const ws = path.join(repoRoot, 'test', 'workspaces', 'rolldown-three');
    const out = path.join(tmp, 'rolldown-out');
    // MIMALLOC_SHOW_STATS prints mimalloc's counters at exit, "purges" among them.
    const run = (allocatorDefaults: boolean) =>
      profileBuildWithOutput({
        argv: ['node', 'build.mjs', '--out-dir', out],
        cwd: ws,
        env: { MIMALLOC_SHOW_STATS: '1' },
        distDir,
        allocatorDefaults,
        noNodePreload: true,
      });
    const purges = (stderr: string) => Number(/^\s*purges\s*:\s*(\d+)/m.exec(stderr)?.[1]);
    const eager = await run(false);
    expect(eager.profile.run.status).toBe('ok');
    expect(existsSync(path.join(out, 'three.js'))).toBe(true);
    expect(eager.profile.run.allocatorSettings?.env.MIMALLOC_PURGE_DELAY).toBe('0');
    expect(purges(eager.stderr)).toBeGreaterThan(0);
    const plain = await run(true);
    expect(plain.profile.run.status).toBe('ok');
    expect(purges(plain.stderr)).toBe(0);
  }, 120_000);
});
