// The GCC plugin's own cost on one big compile: `gcc -O2 -c <file>` alone, with dist/cmi_gcc.so (what
// `cmi profile` adds to each cc1 when the plugin is built), and with -ftime-report (what it adds
// without the plugin), in rounds whose order rotates; ratios are paired within a round. Wall time and
// CPU time (user + system, from /usr/bin/time: less sensitive to a busy machine) are both reported.
//
//   node bench/gcc-plugin.mjs --file /path/to/sqlite3.c [--runs N] [--opt -O2]
//
// A sqlite amalgamation: `npm pack better-sqlite3` in a temporary directory, then
// package/deps/sqlite3/sqlite3.c of the unpacked archive (it is not a dependency of this project).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, pairRange, runWhenMain } from './stats.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const PLUGIN = path.join(root, 'dist', 'cmi_gcc.so');

function compile(file, opt, extra, env, tmp) {
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%e %U %S', 'gcc', opt, '-c', file, '-o', path.join(tmp, 'out.o'), ...extra],
    { env, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`gcc failed: ${r.stderr.slice(-500)}`);
  const [wall, usr, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { wall, cpu: usr + sys };
}

export async function benchGccPlugin({ runs, file, opt = '-O2' }) {
  if (!file || !existsSync(file)) {
    console.log('gcc-plugin: no --file (e.g. sqlite3.c from `npm pack better-sqlite3`): skipped');
    return;
  }
  if (!existsSync(PLUGIN)) {
    console.log('gcc-plugin: dist/cmi_gcc.so was not built (no gcc plugin headers): skipped');
    return;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cmi-bench-gcc-plugin-'));
  const variants = {
    plain: { extra: [], env: process.env },
    plugin: { extra: [`-fplugin=${PLUGIN}`], env: { ...process.env, CMI_CC_PASSES: path.join(tmp, 'out.passes') } },
    'ftime-report': { extra: ['-ftime-report'], env: process.env },
  };
  const names = Object.keys(variants);
  const got = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let i = 0; i < runs; i++) {
      for (let k = 0; k < names.length; k++) {
        const n = names[(i + k) % names.length];
        got[n].push(compile(file, opt, variants[n].extra, variants[n].env, tmp));
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const base = got.plain;
  console.log(
    `gcc ${opt} -c ${path.basename(file)} alone: wall median ${median(base.map((r) => r.wall)).toFixed(2)} s, cpu ${median(base.map((r) => r.cpu)).toFixed(2)} s (${runs} rounds)`,
  );
  for (const n of ['plugin', 'ftime-report']) {
    for (const k of ['wall', 'cpu']) {
      const ratios = got[n].map((r, i) => r[k] / base[i][k]);
      console.log(`  ${`with ${n}, ${k}`.padEnd(28)} ${median(ratios).toFixed(3)}×   (${pairRange(ratios)})`);
    }
  }
}

await runWhenMain(import.meta.url, 7, ({ runs }) => {
  const args = process.argv.slice(2);
  const val = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  return benchGccPlugin({ runs, file: val('--file'), opt: val('--opt') });
});
