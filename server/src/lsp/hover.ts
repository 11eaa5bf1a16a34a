// Hovers on phase names: an identifier or a string literal naming a phase of the current profile
// (in any case style: `checkAllTranslationUnits`, `"type_check_crate"`), an `#include` line naming a
// header the trace timed (clang's `Source`), a line the trace names. The text is Markdown built from
// the phase index (core/analysis/phase-index.ts); only the word or string under the cursor is
// tokenised, so a hover is one Map lookup. Comments name no phase: the line is read from the
// document's code (code-text.ts), where comments are blanks.

import { fileURLToPath } from 'node:url';
import type { Connection, Hover, TextDocuments } from 'vscode-languageserver/node';
import { MarkupKind } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FileStats, PhaseIndex, PhaseStat } from '../core/analysis/phase-index';
import { lookupFile, lookupInclude, lookupName } from '../core/analysis/phase-index';
import type { SeriesKind } from '../core/model';
import { formatBytes, formatMs, formatPercent } from '../core/units';
import { labelText, markdownCode, markdownText } from '../../../common/untrusted-text';
import { MaskedDocuments } from './code-text';

/** The profile hovers and lenses speak of, loaded and indexed on first use. */
export interface CurrentIndex {
  profilePath: string;
  index: PhaseIndex;
}
export type IndexSource = () => Promise<CurrentIndex | undefined>;

/** Where on a line a hover applies (0-based, end exclusive). */
export interface Span {
  start: number;
  end: number;
}

export const INCLUDE_LINE = /^\s*#\s*(?:include|import|include_next)\s*([<"])([^>"]+)[>"]/;
const STRING_LITERAL = /(["'`])((?:\\.|(?!\1)[^\\])*)\1/g;
const WORD_CHAR = /[\w$]/;

/** The path of a `file:` URI; undefined for other schemes (untitled documents). */
export function uriPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

function heapLabel(kind: SeriesKind | null): string {
  switch (kind) {
    case 'js-heap':
      return 'V8 heap';
    case 'js-live-heap':
      return 'live V8 heap';
    case 'allocator-heap':
      return 'live heap';
    case 'compiler-reported':
      return 'memory (reported)';
    case 'rss-tree':
    case 'rss-process':
      return 'RSS';
    default:
      return 'memory';
  }
}

function signedBytes(b: number): string {
  return `${b >= 0 ? '+' : ''}${formatBytes(b)}`;
}

/** The phase's time: the median over runs when the profile carries repeated runs, else this run's. */
export function timeText(s: PhaseStat): string {
  if (s.repeat && s.repeat.n > 1)
    return `${formatMs(s.repeat.median)} (median of ${s.repeat.n} runs, ${formatMs(s.repeat.min)}–${formatMs(s.repeat.max)})`;
  return s.count > 1 ? `${formatMs(s.totalMs)} over ${s.count} spans` : formatMs(s.totalMs);
}

/**
 * The figures of one phase, joined by ` · `: time and share, heap change, peak inside, the global peak,
 * arenas. `label` writes the arena groups' labels (text from the trace) for where they are shown.
 */
export function statFigures(s: PhaseStat, label: (text: string) => string = (t) => t): string[] {
  const out = [`${timeText(s)}${s.shareOfWall !== null ? ` (${formatPercent(s.shareOfWall)} of the build)` : ''}`];
  if (s.memDeltaBytes !== null) out.push(`${heapLabel(s.memDeltaKind)} ${signedBytes(s.memDeltaBytes)}`);
  if (s.peakInsideBytes !== null) out.push(`peak inside ${formatBytes(s.peakInsideBytes)}`);
  if (s.holdsPeak) out.push("⚑ holds the build's peak");
  if (s.arenas) {
    const groups = s.arenas.groups
      .map((g) => `${label(g.label)}${s.arenas!.groups.length > 1 ? ` ×${g.count}` : ''}`)
      .join(', ');
    out.push(`arenas live: ${s.arenas.count} (${groups}, ${formatBytes(s.arenas.bytes)})`);
  }
  return out;
}

/** The short form for a CodeLens title: "1.20 s · 34.0 % · +96.6 MiB". */
export function lensTitle(s: PhaseStat, withName = false): string {
  const parts = [
    `${withName ? `${labelText(s.name)} ` : ''}${s.repeat && s.repeat.n > 1 ? `${formatMs(s.repeat.median)} (median of ${s.repeat.n})` : formatMs(s.totalMs)}`,
  ];
  if (s.shareOfWall !== null) parts.push(formatPercent(s.shareOfWall));
  if (s.memDeltaBytes !== null) parts.push(signedBytes(s.memDeltaBytes));
  if (s.holdsPeak) parts.push('⚑ peak');
  return parts.join(' · ');
}

function whereLine(s: PhaseStat): string {
  const paths = s.paths
    .map((p) => `${markdownCode(p.path.join(' › '))}${p.count > 1 ? ` ×${p.count}` : ''}`)
    .join(', ');
  return `${paths}${s.selfMs < s.totalMs - 0.0005 ? ` · self ${formatMs(s.selfMs)}` : ''}`;
}

/** "From the profile of `node tsc.js -p .`, 2025-11-21 09:40 (wall 2.53 s, peak 207.0 MiB)." */
export function profileLine(index: PhaseIndex): string {
  const f = index.facts;
  const what = f.importedFrom?.length
    ? `imported from ${f.importedFrom.map((x) => markdownCode(x.replace(/^.*[\\/]/, ''))).join(', ')}`
    : markdownCode(f.command.map((a, i) => (i > 0 && a.includes('/') ? a.replace(/^.*[\\/]/, '') : a)).join(' '));
  const when = f.startedAt ? `, ${markdownText(f.startedAt.replace('T', ' ').slice(0, 16))}` : '';
  return `_Profile: ${what}${when} (wall ${formatMs(f.wallMs)}${f.peakBytes !== null ? `, peak ${formatBytes(f.peakBytes)}` : ''})._`;
}

export function phaseMarkdown(index: PhaseIndex, s: PhaseStat): string {
  return [`**${markdownText(s.name)}** — ${figuresMarkdown(s)}`, whereLine(s), profileLine(index)].join('\n\n');
}

/** The figures as Markdown: ours as they are, the arena groups' labels (from the trace) escaped. */
function figuresMarkdown(s: PhaseStat): string {
  return statFigures(s, markdownText).join(' · ');
}

export function fileMarkdown(index: PhaseIndex, files: FileStats[], heading: string): string {
  const lines = [heading];
  for (const f of files.slice(0, 3)) {
    if (files.length > 1) lines.push(markdownCode(f.file));
    for (const s of f.phases.slice(0, 4)) lines.push(`- **${markdownText(s.name)}** — ${figuresMarkdown(s)}`);
  }
  if (files.length > 3) lines.push(`…and ${files.length - 3} more files`);
  lines.push(profileLine(index));
  return lines.join('\n\n');
}

/** A stat's first path (the one "Show in Timeline" selects). */
export function pathOf(s: PhaseStat | undefined): { phasePath?: string[] } {
  const p = s?.paths[0]?.path;
  return p ? { phasePath: p } : {};
}

/** The string literal or the word at `character`, with its span; undefined on blanks and punctuation. */
export function tokenAt(lineText: string, character: number): { text: string; span: Span; literal: boolean }[] {
  const out: { text: string; span: Span; literal: boolean }[] = [];
  STRING_LITERAL.lastIndex = 0;
  for (let m; (m = STRING_LITERAL.exec(lineText)); ) {
    if (m.index <= character && character < m.index + m[0].length) {
      if (m[2]) out.push({ text: m[2], span: { start: m.index, end: m.index + m[0].length }, literal: true });
      break;
    }
    if (m.index > character) break;
  }
  let a = character;
  let b = character;
  while (a > 0 && WORD_CHAR.test(lineText[a - 1]!)) a--;
  while (b < lineText.length && WORD_CHAR.test(lineText[b]!)) b++;
  if (b > a) out.push({ text: lineText.slice(a, b), span: { start: a, end: b }, literal: false });
  return out;
}

/**
 * The hover for a position: Markdown and the span it covers, or undefined when nothing there names
 * a phase or a timed file. `filePath` is the document's path (for lines the trace names).
 */
export function hoverAt(
  index: PhaseIndex,
  lineText: string,
  line: number,
  character: number,
  filePath?: string,
): { markdown: string; span: Span; phasePath?: string[] } | undefined {
  const inc = INCLUDE_LINE.exec(lineText);
  if (inc) {
    const files = lookupInclude(index, inc[2]!);
    if (files.length) {
      const start = lineText.indexOf(inc[2]!) - 1;
      return {
        markdown: fileMarkdown(
          index,
          files,
          `**${markdownCode(`#include ${inc[1]}${inc[2]}${inc[1] === '<' ? '>' : '"'}`)}** as the trace timed it:`,
        ),
        span: { start, end: start + inc[2]!.length + 2 },
        ...pathOf(files[0]!.phases[0]),
      };
    }
  }
  for (const t of tokenAt(lineText, character)) {
    const s = lookupName(index, t.text);
    if (s) return { markdown: phaseMarkdown(index, s), span: t.span, ...pathOf(s) };
  }
  if (filePath) {
    const f = lookupFile(index, filePath);
    const stats = f?.lines.get(line + 1);
    if (f && stats?.length) {
      return {
        markdown: fileMarkdown(
          index,
          [{ ...f, phases: stats }],
          `**${markdownText(`${f.file.replace(/^.*[\\/]/, '')}:${line + 1}`)}** in the trace:`,
        ),
        span: { start: 0, end: lineText.length },
        ...pathOf(stats[0]),
      };
    }
  }
  return undefined;
}

/**
 * "Show in Timeline": a command link the client trusts for this command only (ctx.ts). The arguments
 * are JSON in the URI, parentheses escaped too so that a phase name cannot end the link.
 */
export function showInTimelineLink(profilePath: string, phasePath?: string[]): string {
  const args = encodeURIComponent(JSON.stringify([profilePath, ...(phasePath ? [phasePath] : [])])).replace(
    /[()]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `[Show in Timeline](command:compilerMemory.showInTimeline?${args})`;
}

export function registerHover(deps: {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  current: IndexSource;
}): void {
  const { connection, documents } = deps;
  const masked = new MaskedDocuments();
  documents.onDidClose((e) => masked.forget(e.document.uri));
  connection.onHover(async (params): Promise<Hover | null> => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc) return null;
    const current = await deps.current();
    if (!current) return null;
    const { line, character } = params.position;
    const filePath = uriPath(doc.uri);
    const start = doc.offsetAt({ line, character: 0 });
    const end = doc.offsetAt({ line: line + 1, character: 0 });
    const lineText = masked
      .get(doc, filePath)
      .slice(start, end)
      .replace(/\r?\n$/, '');
    const h = hoverAt(current.index, lineText, line, character, filePath);
    if (!h) return null;
    return {
      contents: {
        kind: MarkupKind.Markdown,
        value: `${h.markdown}\n\n${showInTimelineLink(current.profilePath, h.phasePath)}`,
      },
      range: { start: { line, character: h.span.start }, end: { line, character: h.span.end } },
    };
  });
}
