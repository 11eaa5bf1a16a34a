// Process labels: the short name a process goes by in a profile (`rustc regex_syntax`, `node tsc`,
// `cc1 parser.c`), made from its command line when it is recorded. The sampler labels every process
// it sees, the runner the build's root when the sampler missed it; collectors may relabel one.
//
// Two functions, two moments: processLabel makes a label from a command line while recording;
// recordedProcessName reads back, for a pid, the label a profile recorded (the views and the
// comparison of runs use it, each with its own wording around it).

import * as path from 'node:path';
import type { ProcessInfo } from '../../model';

const C_SOURCE = /\.(c|cc|cpp|cxx|c\+\+|m|mm|cu|s|S)$/;
const C_COMPILERS = /^(cc|c\+\+|gcc|g\+\+|clang|clang\+\+|cc1|cc1plus|cc1obj|as)(-\d+)?$/;

/**
 * A short label for a process: the program's name, plus what it works on when that is cheap to
 * tell: `rustc regex_syntax`, `node tsc`, `cc1 parser.c`.
 */
export function processLabel(argv: string[], fallbackName = '?'): string {
  // Programs that set their process title (npm: "npm exec tsc -p .") leave one space-separated string.
  if (argv.length === 1 && /\s/.test(argv[0]!)) argv = argv[0]!.trim().split(/\s+/);
  const exe = argv[0] ? path.basename(argv[0].replace(/\\/g, '/')).replace(/\.exe$/i, '') : '';
  if (!exe) return fallbackName || '?';
  const rest = argv.slice(1);
  if (exe === 'rustc' || exe === 'clippy-driver') {
    const i = rest.indexOf('--crate-name');
    if (i >= 0 && rest[i + 1]) return `${exe} ${rest[i + 1]}`;
  }
  if (exe === 'node' || exe === 'nodejs' || exe === 'bun' || exe === 'deno') {
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') return `${exe} ${a}`;
      if (a === '-r' || a === '--require' || a === '--import' || a === '--loader') {
        i++;
        continue;
      }
      if (a.startsWith('-')) continue;
      return `${exe} ${path.basename(a).replace(/\.(c|m)?js$/, '')}`;
    }
  }
  if (C_COMPILERS.test(exe)) {
    const src = rest.find((a) => !a.startsWith('-') && C_SOURCE.test(a));
    if (src) return `${exe} ${path.basename(src)}`;
  }
  return exe;
}

/**
 * The name a profile recorded for a pid: its label, else the base name of its argv[0]; undefined
 * when the profile knows neither. The first process with the pid counts (a reused pid's later ones
 * are not told apart here).
 */
export function recordedProcessName(processes: readonly ProcessInfo[], pid: number): string | undefined {
  const proc = processes.find((q) => q.pid === pid);
  const argv0 = proc?.argv[0];
  return proc?.label ?? (argv0 ? argv0.split('/').pop() : undefined);
}
