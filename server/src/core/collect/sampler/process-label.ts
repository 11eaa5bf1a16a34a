// Process labels: the short name a process goes by in a profile (`rustc regex_syntax`, `node tsc`,
// `cc1 parser.c`), made from its command line when it is recorded. The sampler labels every process
// it sees, the runner the build's root when the sampler missed it; collectors may relabel one.
//
// Reading a recorded label back for a pid is analysis: analysis/recorded-process-name.ts.

import * as path from 'node:path';

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
