// The C/C++ adapter's compiler shims with the real gcc: the compiled shim (native/cmi-cc-shim.c,
// dist/cmi-cc-shim) and the bash wrapper it replaces (collect-scripts/cc-wrapper.sh, kept where the
// binary is missing, or with CMI_CC_SHIM=bash). Both must record the same thing, pass cc1's arguments
// and diagnostics through untouched, and leave the compiler its pid under `make -j2`.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { CC_SHIM_FILE, CC_WRAPPER_FILE, ccInstrumentation } from '../server/src/core/collect/cc';
import type { InstrumentContext } from '../server/src/core/collect/instrumentation';
import type { Profile } from '../server/src/core/model';
import { profileBuildWithOutput } from '../server/src/core/profile-build';
import { epochMs, ms } from '../server/src/core/units';
import { distDir, repoRoot } from './helpers';

const compiledShim = path.join(distDir, CC_SHIM_FILE);
const hasShim = fs.existsSync(compiledShim);
const pluginBuilt = fs.existsSync(path.join(distDir, 'cmi_gcc.so'));
const SHIMS = hasShim ? (['compiled', 'bash'] as const) : (['bash'] as const);
type Shim = (typeof SHIMS)[number];

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmi-cc-shim-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** What prepare() gives a gcc build: its env (shims on COMPILER_PATH, the records' folder) and the workDir. */
function prepared(shim: Shim, dist = distDir, argv = ['make'], userEnv: Record<string, string> = {}) {
  const workDir = fs.mkdtempSync(path.join(tmp, 'work-'));
  const ctx: InstrumentContext = {
    argv,
    // The filter's path (-ftime-report): the GCC plugin, when built, is tested on its own below.
    env: { ...process.env, CMI_CC_NO_PLUGIN: '1', ...userEnv, CMI_CC_SHIM: shim === 'bash' ? 'bash' : undefined },
    cwd: tmp,
    workDir,
    startEpochMs: epochMs(Date.now()),
    intervalMs: ms(10),
    distDir: dist,
  };
  ccInstrumentation().prepare(ctx);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) env[k] = v;
  return { env, ctx, records: path.join(workDir, 'cc-reports'), shims: path.join(workDir, 'cc-shims') };
}

/** The records of a folder, by extension: .args as argv arrays, .tr as text. */
function records(dir: string) {
  const names = fs.readdirSync(dir).filter((n) => /^\d+-\d+\.(args|tr)$/.test(n));
  const argv = names
    .filter((n) => n.endsWith('.args'))
    .map((n) => fs.readFileSync(path.join(dir, n), 'utf8').split('\0').slice(0, -1));
  const tr = names.filter((n) => n.endsWith('.tr')).map((n) => fs.readFileSync(path.join(dir, n), 'utf8'));
  return { argv, tr };
}

/** A cc1 argv without what differs between two compiles of the same file (gcc's temporary file). */
const stable = (argv: string[]) => argv.map((a) => a.replace(/^\/tmp\/cc\w+\.s$/, '/tmp/ccX.s'));

describe('the shims prepare() writes', () => {
  it('are symlinks to the compiled shim when it is built, bash scripts otherwise or on request', () => {
    if (hasShim) {
      const c = prepared('compiled', distDir, ['clang', '-c', 'x.c']);
      expect(fs.readlinkSync(path.join(c.shims, 'cc1'))).toBe(compiledShim);
      expect(fs.readlinkSync(path.join(c.shims, 'cc1plus'))).toBe(compiledShim);
      // A direct clang call runs the shim by its mode's name.
      expect(c.ctx.argv).toEqual([path.join(c.shims, 'clang'), '-c', 'x.c']);
    }
    const b = prepared('bash');
    expect(fs.lstatSync(path.join(b.shims, 'cc1')).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(path.join(b.shims, 'cc1'), 'utf8')).toContain(`${CC_WRAPPER_FILE}' cc1 "$@"`);
    // A dist folder without the binary (no C compiler, macOS): the bash wrapper.
    const dist = fs.mkdtempSync(path.join(tmp, 'dist-'));
    fs.copyFileSync(path.join(distDir, CC_WRAPPER_FILE), path.join(dist, CC_WRAPPER_FILE));
    const n = prepared('compiled', dist, ['clang', '-c', 'x.c']);
    expect(fs.readFileSync(path.join(n.shims, 'cc1plus'), 'utf8')).toContain(`${CC_WRAPPER_FILE}' cc1plus "$@"`);
    expect(n.ctx.argv.slice(0, 3)).toEqual(['/bin/bash', path.join(dist, CC_WRAPPER_FILE), 'clang']);
  });
});

describe.each(SHIMS)('the %s shim, with the real gcc', (shim) => {
  it('passes odd arguments to cc1 exactly as they came, and records them', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'odd-'));
    const source = 'odd name $x "q" \'s\' `b`\nline.c';
    const message = "a  b $HOME \" '' `x` \\n";
    fs.writeFileSync(path.join(dir, source), '#include <stdio.h>\nint main(void) { fputs(MSG, stdout); return 0; }\n');
    const { env, records: rec } = prepared(shim);
    execFileSync('gcc', ['-O2', `-DMSG="${message.replace(/["\\]/g, '\\$&')}"`, '-c', source, '-o', 'odd.o'], {
      cwd: dir,
      env,
    });
    execFileSync('gcc', ['odd.o', '-o', 'odd'], { cwd: dir });
    expect(execFileSync(path.join(dir, 'odd'), { encoding: 'utf8' })).toBe(message);
    const { argv, tr } = records(rec);
    expect(argv).toHaveLength(1);
    expect(path.basename(argv[0]![0]!)).toBe('cc1');
    expect(argv[0]).toContain(source);
    expect(argv[0]).toContain(`MSG="${message.replace(/["\\]/g, '\\$&')}"`);
    expect(tr[0]).toMatch(/^# cmi-cc-wrapper 1 pid=\d+ filter=\d+ ppid=\d+ prog=cc1 start=\d+\.\d{6} cwd=/);
    expect(tr[0]!.split('\n')[0]!.endsWith(`cwd=${dir}`)).toBe(true);
    expect(tr[0]).toMatch(/\n# report \d+\.\d{6}\nTime variable[^\n]*\n[\s\S]* TOTAL [^\n]*\n# end \d+\.\d{6}\n$/);
  });

  it("passes cc1's diagnostics to the build's stderr unchanged and in order", () => {
    // Enough warnings to fill several of the filter's reads, and a last line without a newline.
    const dir = fs.mkdtempSync(path.join(tmp, 'warn-'));
    const fns = Array.from({ length: 400 }, (_, i) => `int f${i}(void) { int x${i}; return x${i}; }\n`);
    fs.writeFileSync(path.join(dir, 'warn.c'), `#warning first\n${fns.join('')}#pragma message "last"\n`);
    const argv = ['-O2', '-Wall', '-fdiagnostics-color=never', '-c', 'warn.c', '-o', 'warn.o'];
    const plain = spawnSync('gcc', argv, { cwd: dir, encoding: 'utf8' });
    const { env } = prepared(shim);
    const shimmed = spawnSync('gcc', argv, { cwd: dir, env, encoding: 'utf8' });
    expect(plain.stderr.length).toBeGreaterThan(100_000);
    expect(shimmed.status).toBe(0);
    expect(shimmed.stderr).toBe(plain.stderr);
    // An error: the same message and the same failure.
    fs.writeFileSync(path.join(dir, 'bad.c'), 'int f(void) { return y; }\n\n');
    const bad = ['-fdiagnostics-color=never', '-c', 'bad.c', '-o', 'bad.o'];
    const plainBad = spawnSync('gcc', bad, { cwd: dir, encoding: 'utf8' });
    const shimmedBad = spawnSync('gcc', bad, { cwd: dir, env, encoding: 'utf8' });
    expect(shimmedBad.status).toBe(plainBad.status);
    expect(plainBad.status).not.toBe(0);
    expect(shimmedBad.stderr).toBe(plainBad.stderr);
  });

  it('runs preprocessing and compiles that asked for -ftime-report untouched, without a record', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'skip-'));
    fs.writeFileSync(path.join(dir, 'a.c'), 'int a(void) { return 1; }\n');
    const { env, records: rec } = prepared(shim);
    execFileSync('gcc', ['-E', 'a.c', '-o', 'a.i'], { cwd: dir, env });
    const r = spawnSync('gcc', ['-ftime-report', '-c', 'a.c'], { cwd: dir, env, encoding: 'utf8' });
    expect(r.stderr).toMatch(/Time variable/); // the user's own report stays where they asked for it
    expect(records(rec).argv).toEqual([]);
  });
});

describe.runIf(hasShim)('the compiled shim and the GCC plugin protocol', () => {
  const pluginDir = spawnSync('gcc', ['-print-file-name=plugin'], { encoding: 'utf8' }).stdout.trim();
  const hasHeaders = fs.existsSync(path.join(pluginDir, 'include', 'gcc-plugin.h'));
  const cc1Dir = path.dirname(spawnSync('gcc', ['-print-prog-name=cc1'], { encoding: 'utf8' }).stdout.trim());

  it.runIf(hasHeaders)('execs cc1 in place with -fplugin when the plugin is for this cc1, else -ftime-report', () => {
    // A stand-in plugin: it writes its pid and COMPILER_PATH to $CMI_CC_PASSES (the real one: pass times).
    const dir = fs.mkdtempSync(path.join(tmp, 'plugin-'));
    fs.writeFileSync(
      path.join(dir, 'mark.cc'),
      '#include "gcc-plugin.h"\n#include <cstdio>\n#include <cstdlib>\n#include <unistd.h>\nint plugin_is_GPL_compatible;\n' +
        'int plugin_init(struct plugin_name_args *, struct plugin_gcc_version *) {\n' +
        '  const char *f = getenv("CMI_CC_PASSES"); if (!f) return 0;\n' +
        '  FILE *o = fopen(f, "w"); if (o) { const char *cp = getenv("COMPILER_PATH"); fprintf(o, "pid=%d COMPILER_PATH=%s\\n", (int)getpid(), cp ? cp : "(unset)"); fclose(o); } return 0; }\n',
    );
    execFileSync('g++', ['-shared', '-fPIC', '-fno-rtti', `-I${pluginDir}/include`, 'mark.cc', '-o', 'mark.so'], {
      cwd: dir,
    });
    fs.writeFileSync(path.join(dir, 'a.c'), 'int a(int x) { return x * 3; }\n');
    const plugin = path.join(dir, 'mark.so');
    for (const [cc1dir, expectPlugin] of [
      [cc1Dir, true],
      ['/elsewhere', false],
    ] as const) {
      // The user's own COMPILER_PATH: the driver searches the shims first, the compiler sees the user's.
      const { env, records: rec } = prepared('compiled', distDir, ['make'], { COMPILER_PATH: '/user/libexec' });
      expect(env.COMPILER_PATH?.endsWith(':/user/libexec')).toBe(true);
      env.CMI_CC_PLUGIN = plugin;
      env.CMI_CC_PLUGIN_CC1DIR = cc1dir;
      const r = spawnSync('gcc', ['-O2', '-c', 'a.c', '-o', 'a.o'], { cwd: dir, env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const names = fs.readdirSync(rec);
      const tr = records(rec).tr[0]!;
      const pid = /pid=(\d+)/.exec(tr)![1];
      if (expectPlugin) {
        expect(tr).toMatch(/^# cmi-cc-wrapper 1 pid=\d+ filter= ppid=\d+ prog=cc1 start=\S+ cwd=.*\n# plugin\n$/);
        const passes = names.find((n) => n.endsWith('.passes'))!;
        expect(passes.replace(/\.passes$/, '.tr')).toBe(names.find((n) => n.endsWith('.tr')));
        // The plugin ran in the process the record names: cc1 kept the shim's pid.
        expect(fs.readFileSync(path.join(rec, passes), 'utf8')).toBe(`pid=${pid} COMPILER_PATH=/user/libexec\n`);
        expect(records(rec).argv[0]).not.toContain(`-fplugin=${plugin}`);
      } else {
        expect(names.some((n) => n.endsWith('.passes'))).toBe(false);
        expect(tr).toMatch(/filter=\d+ [\s\S]*\nTime variable/);
      }
    }
  });
});

describe('make -B -j2 under cmi profile, compiled shim and bash wrapper', () => {
  const ws = () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'c-multi-'));
    fs.cpSync(path.join(repoRoot, 'test', 'workspaces', 'c-multi'), dir, { recursive: true });
    return dir;
  };
  const profile = async (cwd: string, env: Record<string, string | undefined>) =>
    (await profileBuildWithOutput({ argv: ['make', '-B', '-j2'], cwd, env, noTraceFile: true })).profile;

  /** The translation units: name → what the record says of it, and whether gcc's passes are nested in it. */
  const units = (p: Profile) =>
    Object.fromEntries(
      p.phases
        .map((ph, i) => ({ ph, i }))
        .filter(({ ph }) => ph.category === 'translation-unit')
        .map(({ ph, i }) => {
          const proc = p.processes.find((q) => q.pid === ph.pid);
          const { compiler, source, object } = ph.args ?? {};
          return [
            ph.name,
            {
              args: { compiler, source, object },
              label: proc?.label,
              role: proc?.role,
              argv: stable(proc?.argv ?? []),
              passes: p.phases.some((c) => c.parent === i),
            },
          ];
        }),
    );

  it.runIf(hasShim)(
    'gives the peak to the process whose phase it names, in 10 runs',
    async () => {
      const dir = ws();
      for (let run = 0; run < 10; run++) {
        const p = await profile(dir, {});
        expect(p.run.status).toBe('ok');
        expect(Object.keys(units(p))).toHaveLength(6);
        const peak = analyze(p).peak!;
        const named = peak.afterPhasePath ?? peak.phasePath;
        // The innermost phase named by the peak (its own phase, or the last one it ran before exit).
        const at =
          peak.phaseIndex !== undefined
            ? p.phases[peak.phaseIndex]
            : p.phases.find((ph) => ph.parent === null && ph.name === named[0]);
        if (at?.pid !== undefined && peak.pid !== undefined)
          expect(at.pid, `run ${run}: ${named.join(' › ')}`).toBe(peak.pid);
        // The shim's own processes (its filters, seen with the shim's argv) are instrumentation, never
        // a build process of their own; every compiler is labelled by its file.
        for (const q of p.processes.filter((q) => q.argv?.[0]?.includes(`${path.sep}cc-shims${path.sep}`)))
          expect(q.role, q.label).toBe('instrumentation');
        expect(p.processes.filter((q) => q.label?.startsWith('cc1 ')).map((q) => q.role)).toEqual(
          Array(6).fill('build'),
        );
      }
    },
    120_000,
  );

  it('records the same units, arguments and phases with either shim', async () => {
    const dir = ws();
    const seen = new Map<Shim, ReturnType<typeof units>>();
    for (const shim of SHIMS) {
      const p = await profile(dir, { CMI_CC_SHIM: shim === 'bash' ? 'bash' : undefined });
      expect(p.run.status).toBe('ok');
      // Every report was stamped when cc1 printed it (none ends at its process's end by default).
      const untimed = p.warnings.find((w) => w.code === 'cc-passes-not-timed');
      if (untimed) expect(untimed.message).not.toMatch(/report\(s\) had no time stamp/);
      const u = units(p);
      expect(Object.keys(u).sort()).toEqual(['hashtab.c', 'lexer.c', 'main.c', 'parser.c', 'strbuf.c', 'vm.c']);
      for (const [name, x] of Object.entries(u)) {
        // With the GCC plugin, timed stages below the unit; without it, a table of durations only.
        expect(x.passes, name).toBe(pluginBuilt);
        expect(x.role, name).toBe('build');
        expect(x.label, name).toBe(`cc1 ${name}`);
      }
      seen.set(shim, u);
    }
    if (hasShim) {
      // The sources' paths, objects, compiler and argv: only the pids differ.
      expect(seen.get('compiled')).toEqual(seen.get('bash'));
    }
  }, 60_000);
});
