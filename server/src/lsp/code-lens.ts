// CodeLens on phase names: above a function or method definition or a string literal naming a phase
// of the current profile (`fn type_check_crate`, `function checkSourceFile`, `"instantiate_chunks"`),
// above a line the trace names, and at the top of a file the trace timed (tsc's per-file check time,
// clang's `Source` time of a header). The lens shows the phase in the timeline of that profile, beside
// the code ("Show in Timeline": the phase selected and zoomed to). Names are read in
// code only: a comment mentioning a phase gets no lens (code-text.ts).

import type { CodeLens, Connection, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { PhaseIndex, PhaseStat } from '../core/analysis/phase-index';
import { lookupFile, lookupInclude, lookupName } from '../core/analysis/phase-index';
import { codeOnly, languageOf } from './code-text';
import { INCLUDE_LINE, lensTitle, pathOf, uriPath, type IndexSource } from './hover';

/** `(profilePath, phasePath)`: the client's "Show in Timeline". */
export const SHOW_IN_TIMELINE_COMMAND = 'compilerMemory.showInTimeline';
/** A document with more lenses than this gets the first ones only. */
export const MAX_LENSES = 200;

/** A definition's name: `fn x`, `function x`, `def x`, `func x`, `func (r T) x`, or a method/C function `x(…) {`. */
const DEFINITION = [
  /\b(?:fn|function\*?|def|func(?:\s*\([^)]*\))?)\s+([A-Za-z_$][\w$]*)/g,
  /^\s*(?:(?:export|public|private|protected|static|async|override|virtual|inline|pub(?:\([^)]*\))?|const|unsafe|extern|[\w:<>*&]+)\s+)*([A-Za-z_$][\w$]*)\s*\([^;]*\)\s*(?::[^={;]+)?\{?\s*$/g,
];
const NOT_A_DEFINITION = new Set([
  'if',
  'for',
  'while',
  'switch',
  'catch',
  'return',
  'function',
  'fn',
  'match',
  'else',
  'new',
  'sizeof',
  'typeof',
  'await',
]);
const STRING_LITERAL = /(["'`])((?:\\.|(?!\1)[^\\])*)\1/g;

export interface LensSpec {
  line: number;
  title: string;
  /** The path of the (first) phase the lens names, to select in the timeline. */
  phasePath?: string[];
}

/**
 * The lenses of a document's text: line and title. Pure, for tests. `languageId` (VS Code's; else
 * taken from the file's extension) says how comments are written.
 */
export function lensesFor(index: PhaseIndex, text: string, filePath?: string, languageId?: string): LensSpec[] {
  const out: LensSpec[] = [];
  const file = filePath ? lookupFile(index, filePath) : undefined;
  if (file?.phases.length)
    out.push({
      line: 0,
      title: file.phases
        .slice(0, 2)
        .map((s) => lensTitle(s, true))
        .join('  '),
      ...pathOf(file.phases[0]),
    });
  const lines = codeOnly(text, languageOf(languageId, filePath)).split(/\r?\n/);
  for (let ln = 0; ln < lines.length && out.length < MAX_LENSES; ln++) {
    const l = lines[ln]!;
    const seen = new Set<string>();
    const found: PhaseStat[] = [];
    const add = (s: PhaseStat | undefined) => {
      if (s && !seen.has(s.key)) {
        seen.add(s.key);
        found.push(s);
      }
    };
    const inc = INCLUDE_LINE.exec(l);
    if (inc) {
      const files = lookupInclude(index, inc[2]!);
      if (files[0]?.phases[0])
        out.push({ line: ln, title: lensTitle(files[0].phases[0], true), ...pathOf(files[0].phases[0]) });
      continue;
    }
    for (const re of DEFINITION) {
      re.lastIndex = 0;
      for (let m; (m = re.exec(l)); ) if (!NOT_A_DEFINITION.has(m[1]!)) add(lookupName(index, m[1]!));
    }
    STRING_LITERAL.lastIndex = 0;
    for (let m; (m = STRING_LITERAL.exec(l)); ) if (m[2] && m[2].length <= 120) add(lookupName(index, m[2]));
    const atLine = file?.lines.get(ln + 1);
    if (atLine) for (const s of atLine) add(s);
    if (found.length)
      out.push({
        line: ln,
        title: found.map((s) => lensTitle(s, found.length > 1)).join('  '),
        ...pathOf(found[0]),
      });
  }
  return out.slice(0, MAX_LENSES);
}

export function registerCodeLens(deps: {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  current: IndexSource;
}): void {
  const { connection, documents } = deps;
  connection.onCodeLens(async (params): Promise<CodeLens[]> => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return [];
    const current = await deps.current();
    if (!current) return [];
    return lensesFor(current.index, doc.getText(), uriPath(doc.uri), doc.languageId).map((l) => ({
      range: { start: { line: l.line, character: 0 }, end: { line: l.line, character: 0 } },
      command: {
        title: l.title,
        command: SHOW_IN_TIMELINE_COMMAND,
        arguments: [current.profilePath, ...(l.phasePath ? [l.phasePath] : [])],
      },
    }));
  });
}
