// Hovers and CodeLens on phase names, on real profiles imported from real compilers' output
// (test/fixtures: rustc -Z time-passes=json of regex-syntax, clang 14 -ftime-trace of better-sqlite3,
// tsc 6 --generateTrace of rxjs; the commands are in each folder's COMMAND.txt).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../server/src/core/analysis/analyze';
import { aggregateRuns } from '../server/src/core/compare/repeat';
import { formatMs } from '../server/src/core/units';
import { buildPhaseIndex, normalizeName, type PhaseIndex } from '../server/src/core/analysis/phase-index';
import { importFiles } from '../server/src/core/importers';
import type { Profile } from '../server/src/core/model';
import { lensesFor } from '../server/src/lsp/code-lens';
import { codeOnly } from '../server/src/lsp/code-text';
import { readProfile } from '../server/src/core/profile-file';
import { hoverAt, showInTimelineLink } from '../server/src/lsp/hover';

const fixtures = path.join(__dirname, 'fixtures');

async function indexOf(file: string): Promise<{ profile: Profile; index: PhaseIndex }> {
  const profile = await importFiles([path.join(fixtures, file)]);
  return { profile, index: buildPhaseIndex(profile) };
}

/** The hover's Markdown with the cursor on the first character of `word` in `line`. */
function hover(index: PhaseIndex, line: string, word: string, filePath?: string): string | undefined {
  const at = line.indexOf(word);
  expect(at, `${word} in ${line}`).toBeGreaterThanOrEqual(0);
  return hoverAt(index, line, 0, at + 1, filePath)?.markdown;
}

describe('normalizeName', () => {
  it('makes case styles meet', () => {
    for (const s of [
      'checkAllTranslationUnits',
      'check_all_translation_units',
      'CheckAllTranslationUnits',
      'check all translation units',
      'check-all-translation-units',
      'check.all.translation.units',
    ]) {
      expect(normalizeName(s)).toBe('check_all_translation_units');
    }
    expect(normalizeName('MIR_borrow_checking')).toBe('mir_borrow_checking');
    expect(normalizeName('HTMLParser')).toBe('html_parser');
  });
});

describe('hover on rustc -Z time-passes (regex-syntax)', () => {
  let index: PhaseIndex;
  let profile: Profile;
  beforeAll(async () => ({ index, profile } = await indexOf('rustc/time-passes.regex-syntax.debug.json.txt')));

  it('a snake_case identifier: time, share of the build, memory change, peak inside', () => {
    const md = hover(index, "fn type_check_crate(tcx: TyCtxt<'_>) {", 'type_check_crate');
    expect(md).toContain(
      '**type_check_crate** — 382.0 ms (29.3 % of the build) · memory (reported) +99.3 MiB · peak inside 213.3 MiB',
    );
    expect(md).toContain('`rustc #1 › type_check_crate` · self 312.7 ms');
    expect(md).toContain('_Profile: imported from `time-passes.regex-syntax.debug.json.txt`');
  });

  it('a camelCase identifier meets the same phase', () => {
    expect(hover(index, 'const t = typeCheckCrate(tcx);', 'typeCheckCrate')).toContain(
      '**type_check_crate** — 382.0 ms (29.3 % of the build)',
    );
  });

  it('a string literal, also with spaces for underscores', () => {
    expect(hover(index, 'let _t = sess.timer("MIR_borrow_checking");', 'MIR_borrow')).toContain(
      '**MIR_borrow_checking** — 250.2 ms (19.2 % of the build)',
    );
    expect(hover(index, "label = 'mir borrow checking'", 'borrow')).toContain('**MIR_borrow_checking** — 250.2 ms');
  });

  it('the phase holding the peak says so', () => {
    const peakPhase = analyze(profile).peak!.phasePath.at(-1)!;
    expect(hover(index, `"${peakPhase}"`, peakPhase)).toContain("⚑ holds the build's peak");
  });

  it('no hover on a word that names nothing, nor on blanks', () => {
    expect(hover(index, 'let banana = 1;', 'banana')).toBeUndefined();
    expect(hoverAt(index, 'let banana = 1;', 0, 3)).toBeUndefined();
  });

  it('a CodeLens above the definition and the string literal', () => {
    expect(
      lensesFor(index, 'fn type_check_crate() {}\nfn unrelated() {}\nlet _t = timer("MIR_borrow_checking");\n'),
    ).toEqual([
      // The phase path "Show in Timeline" selects.
      { line: 0, title: '382.0 ms · 29.3 % · +99.3 MiB', phasePath: ['rustc #1', 'type_check_crate'] },
      { line: 2, title: '250.2 ms · 19.2 % · +21.7 MiB', phasePath: ['rustc #1', 'MIR_borrow_checking'] },
    ]);
  });
});

describe('hover on clang -ftime-trace (better-sqlite3)', () => {
  let index: PhaseIndex;
  beforeAll(async () => ({ index } = await indexOf('chrome-trace/clang14.better_sqlite3.O2.json')));

  it('an #include line: the Source time of the header, matched by path suffix', () => {
    const md = hover(index, '#include <bits/os_defines.h>', 'os_defines');
    expect(md).toContain('**`#include <bits/os_defines.h>`** as the trace timed it:');
    expect(md).toContain('- **Source** — 4.08 ms (0.1 % of the build)');
    expect(hover(index, '#include "sqlite3.h"', 'sqlite3')).toContain('- **Source** — 4.70 ms');
    expect(hover(index, '#include <no/such/header.h>', 'header')).toBeUndefined();
  });

  it('a PascalCase phase named in lowercase, over its spans', () => {
    expect(hover(index, 'auto frontend = 1;', 'frontend')).toContain(
      '**Frontend** — 2.86 s over 2 spans (45.1 % of the build)',
    );
  });

  it('a CodeLens on the #include line', () => {
    expect(lensesFor(index, 'int a;\n#include <bits/os_defines.h>\n')).toEqual([
      {
        line: 1,
        title: 'Source 4.08 ms · 0.1 %',
        phasePath: ['ExecuteCompiler', 'Frontend', 'Source', 'Source', 'Source'],
      },
    ]);
  });
});

describe('CodeLens on files tsc checked (rxjs --generateTrace)', () => {
  let index: PhaseIndex;
  beforeAll(async () => ({ index } = await indexOf('chrome-trace/tsc6.rxjs.trace.json')));

  it('at the top of a file the trace names, matched by its path tail', () => {
    const lenses = lensesFor(index, 'export function audit() {}\n', '/home/me/rxjs/src/internal/operators/audit.ts');
    expect(lenses[0]?.line).toBe(0);
    expect(lenses[0]?.title).toMatch(/^checkSourceFile \d+\.\d+ ms · \d+\.\d %/);
  });

  it('a function named after a tsc phase', () => {
    expect(hover(index, 'function checkSourceFile() {}', 'checkSourceFile')).toContain(
      '**checkSourceFile** — 3.51 s over 616 spans (72.0 % of the build)',
    );
  });
});

describe('hover on a profile of repeated runs', () => {
  it('gives the median over the runs, with their range', async () => {
    const file = path.join(fixtures, 'rustc/time-passes.regex-syntax.debug.json.txt');
    // Two imports of one real output: the plumbing of `profile.repeat` into the hover, not the statistics (test/compare-repeat.test.ts).
    const profile = aggregateRuns([await importFiles([file]), await importFiles([file])]);
    const md = hover(buildPhaseIndex(profile), 'fn type_check_crate() {}', 'type_check_crate')!;
    const row = profile.repeat!.phases.find((r) => r.path.at(-1) === 'type_check_crate')!;
    expect(row.durationMs.n).toBe(2);
    expect(md).toContain(`${formatMs(row.durationMs.median)} (median of 2 runs`);
  });
});

describe('names in comments are not code (a cargo workspace, issue 19 item 7)', () => {
  let index: PhaseIndex;
  const libRs = path.join(__dirname, 'workspaces', 'cargo-std', 'parser', 'src', 'lib.rs');
  beforeAll(
    async () => (index = buildPhaseIndex(await readProfile(path.join(fixtures, 'cmi-profile/cargo-std.profile.json')))),
  );

  it("another crate's lib.rs naming `tokenizer` in its doc comment gets no lens and no peak flag", () => {
    const text = readFileSync(libRs, 'utf8');
    expect(text.split('\n')[0]).toContain('`tokenizer`');
    // The profile has a phase the comment's word names, holding the peak: the comment alone must not show it.
    expect(hover(index, 'let t = "tokenizer";', 'tokenizer')).toContain('**tokenizer**');
    const lenses = lensesFor(index, text, libRs, 'rust');
    expect(lenses.find((l) => l.line === 0)).toBeUndefined();
    expect(lenses.some((l) => l.title.includes('⚑ peak'))).toBe(false);
    // The doc comment of `run` names `source` in backticks: no lens there either.
    expect(lenses.map((l) => text.split('\n')[l.line]!.trim()).filter((l) => l.startsWith('//'))).toEqual([]);
  });

  it('a hover on a word inside a comment shows nothing; in a string or identifier it does', () => {
    const raw = '//! lexed by `tokenizer`\nlet t = "tokenizer"; /* tokenizer */\n';
    const [comment, code] = codeOnly(raw, 'rust').split('\n') as [string, string];
    const rawCode = raw.split('\n')[1]!;
    expect(hoverAt(index, comment, 0, 16)).toBeUndefined();
    expect(hoverAt(index, raw.split('\n')[0]!, 0, 16)?.markdown).toContain('**tokenizer**'); // what it was before
    expect(hoverAt(index, code, 1, rawCode.indexOf('tokenizer') + 1)?.markdown).toContain('**tokenizer**');
    expect(hoverAt(index, code, 1, rawCode.lastIndexOf('tokenizer') + 1)).toBeUndefined();
  });
});

describe('Show in Timeline', () => {
  it("a hover's link carries the profile and the phase path, parentheses escaped", () => {
    const link = showInTimelineLink('/p/x.json', ['rustc #1', 'fn (a)](command:evil)']);
    expect(link).toMatch(/^\[Show in Timeline\]\(command:compilerMemory\.showInTimeline\?[^()\s]+\)$/);
    const args = JSON.parse(decodeURIComponent(link.slice(link.indexOf('?') + 1, -1)));
    expect(args).toEqual(['/p/x.json', ['rustc #1', 'fn (a)](command:evil)']]);
  });
});

describe('codeOnly', () => {
  it('blanks comments and keeps literals, offsets and line breaks', () => {
    const rust = "/* a /* nested */ still */ fn f<'a>(x: &'a str) -> char { '/' } // tail\nlet s = r#\"// not\"#;";
    const out = codeOnly(rust, 'rust');
    expect(out.length).toBe(rust.length);
    expect(out).toBe(`${' '.repeat(26)} fn f<'a>(x: &'a str) -> char { '/' } ${' '.repeat(7)}\nlet s = r#"// not"#;`);
    expect(codeOnly('const u = "http://x"; // c\n`/* t */` /* c */', 'typescript')).toBe(
      `const u = "http://x";     \n\`/* t */\`        `,
    );
    // A C block comment does not nest; a backtick is plain text.
    expect(codeOnly('/* a /* b */ x `y` /* z */', 'c')).toBe(`${' '.repeat(12)} x \`y\` ${' '.repeat(7)}`);
  });
});
