/**
 * `${...}` substitution without parsing the file again. The runner substitutes the raw text and parses the
 * result; most edits only change the inside of one single-line scalar, or a comment, in a way that cannot
 * change how the text parses. For those, this module writes the new values into the tree already parsed,
 * reads it, and puts the old values back. Whenever it cannot prove the two equal it answers null, and the caller parses the
 * substituted text as the runner does (test/pipeline/substitute-in-place.test.ts compares both).
 *
 * Positions in problems then point into the file as the pusher wrote it, not into the substituted text.
 */
import { type Document, isMap, isPair, isScalar, isSeq, type Scalar } from 'yaml';
import type { ParsedDocument } from './document.ts';
import { type ParsedFile, parsedTree, readTree } from './parse.ts';
import type { Problem } from './problems.ts';
import { SourceMap } from './source-map.ts';
import { excessiveFlowNesting, MAX_LINE_BYTES, type SourceDocument } from './source-text.ts';
import { applyEdits, type TextEdit } from './substitute.ts';

/**
 * Characters a value may bring into a scalar: printable, no line break of any YAML version, no tab (which
 * can start a comment), nothing the file reader would have refused.
 */
const UNSAFE_CHARACTER =
  /[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u;
/** Characters that give a plain scalar's first position another meaning. */
const PLAIN_INDICATORS = new Set([...'-?:,[]{}#&*!|>\'"%@`']);
/** `: ` or a final `:` (a mapping), ` #` (a comment). */
const PLAIN_BREAKER = /:(?:\s|$)|\s#/;
const ONE_CHARACTER_ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};
/** Problems after which the file's documents are not all of its text: its edits cannot be placed. */
const UNSPLIT_FILE_RULES = new Set(['legacy-format', 'line-too-long', 'too-many-documents', 'alias-bomb']);
const HEX_ESCAPE_LENGTHS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/**
 * The edits of the whole file's text, per document and in that document's offsets; edits outside every
 * document (separator lines, after `...`) are dropped. Null when some edit could change how Drone splits the
 * file: a line that would start or stop being a separator or the end marker, a line grown past the scanner's
 * limit, an edit across or bringing a line break, or a file with carriage returns (whose documents are not
 * slices of it).
 */
export function editsByDocument(file: ParsedFile, edits: readonly TextEdit[]): TextEdit[][] | null {
  const text = file.text;
  if (text.includes('\r') || file.problems.some((problem) => UNSPLIT_FILE_RULES.has(problem.rule)))
    return null;
  const lineStarts = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1))
    lineStarts.push(index + 1);
  const byDocument: TextEdit[][] = file.documents.map(() => []);
  const starts = file.documents.map(({ startLine }) => lineStarts[startLine - 1] ?? text.length);
  let line = 0;
  let documentIndex = 0;
  for (let first = 0; first < edits.length; ) {
    const edit = edits[first] as TextEdit;
    while (line + 1 < lineStarts.length && (lineStarts[line + 1] ?? 0) <= edit.start) line++;
    const lineStart = lineStarts[line] ?? 0;
    const lineEnd = line + 1 < lineStarts.length ? (lineStarts[line + 1] ?? 0) - 1 : text.length;
    let last = first;
    while (last + 1 < edits.length && (edits[last + 1] as TextEdit).start < lineEnd) last++;
    const onLine = edits.slice(first, last + 1);
    if (onLine.some((each) => each.end > lineEnd || /[\n\r]/.test(each.text))) return null;
    const before = text.slice(lineStart, lineEnd);
    const after = applyEdits(before, onLine, lineStart);
    if (
      before.startsWith('---') !== after.startsWith('---') ||
      before.startsWith('...') !== after.startsWith('...') ||
      after.length > MAX_LINE_BYTES / 3
    )
      return null;
    while (documentIndex + 1 < starts.length && (starts[documentIndex + 1] ?? 0) <= lineStart)
      documentIndex++;
    const document = file.documents[documentIndex];
    const start = starts[documentIndex] ?? 0;
    if (document !== undefined && lineStart >= start && lineEnd < start + document.data.length) {
      byDocument[documentIndex]?.push(
        ...onLine.map((each) => ({ start: each.start - start, end: each.end - start, text: each.text })),
      );
    }
    first = last + 1;
  }
  return byDocument;
}

interface ScalarSite {
  node: Scalar;
  start: number;
  end: number;
  inFlow: boolean;
  /** A mapping key or the document itself: its text decides the structure, so it is never rewritten. */
  structural: boolean;
}

/**
 * `document` after `edits` (in its own offsets), whose text is then `substituted`: read from its tree with the
 * new values, or null when only parsing `substituted` can tell.
 */
export function substituteInPlace(
  document: ParsedDocument,
  edits: readonly TextEdit[],
  substituted: SourceDocument,
): { document: ParsedDocument; problems: Problem[] } | null {
  const tree = parsedTree(document);
  if (tree === undefined || excessiveFlowNesting(substituted.data) !== -1) return null;
  const sites = scalarSites(tree);
  const values = newScalarValues(document.data, sites, edits);
  if (values === null) return null;
  // The tree is rewritten for the one synchronous read and then put back: copying it costs more than parsing.
  const saved = [...values.keys()].map((index) => {
    const node = (sites[index] as ScalarSite).node;
    return { node, value: node.value, source: node.source };
  });
  try {
    for (const [index, value] of values) {
      const node = (sites[index] as ScalarSite).node;
      node.value = value;
      node.source = value;
    }
    return readTree(tree, substituted, document.index, new SourceMap(document.data, document.startLine));
  } finally {
    for (const { node, value, source } of saved) {
      node.value = value;
      node.source = source;
    }
  }
}

const sitesOfTree = new WeakMap<Document, ScalarSite[]>();

/** Every scalar of the tree in document order, with what its place allows; found once per tree. */
function scalarSites(tree: Document): ScalarSite[] {
  const known = sitesOfTree.get(tree);
  if (known !== undefined) return known;
  const sites: ScalarSite[] = [];
  const walk = (node: unknown, structural: boolean, inFlow: boolean): void => {
    if (isScalar(node)) {
      const [start, end] = node.range ?? [-1, -1];
      sites.push({ node, start, end, structural, inFlow });
    } else if (isMap(node) || isSeq(node)) {
      const flow = inFlow || node.flow === true;
      for (const item of node.items) {
        if (isPair(item)) {
          walk(item.key, true, flow);
          walk(item.value, false, flow);
        } else walk(item, false, flow);
      }
    }
  };
  walk(tree.contents, true, false);
  sites.sort((a, b) => a.start - b.start);
  sitesOfTree.set(tree, sites);
  return sites;
}

/** New values by scalar site; null when an edit falls anywhere its effect is not provably local. */
function newScalarValues(
  data: string,
  sites: readonly ScalarSite[],
  edits: readonly TextEdit[],
): Map<number, string> | null {
  const editsBySite = new Map<number, TextEdit[]>();
  const commentStarts = new Map<number, number>();
  for (const edit of edits) {
    if (UNSAFE_CHARACTER.test(edit.text)) return null;
    const index = siteAt(sites, edit.start);
    if (index === -1 || edit.end > (sites[index] as ScalarSite).end) {
      if (index !== -1) return null;
      const lineStart = data.lastIndexOf('\n', edit.start - 1) + 1;
      let comment = commentStarts.get(lineStart);
      if (comment === undefined) {
        comment = commentStart(data, lineStart, sites);
        commentStarts.set(lineStart, comment);
      }
      if (comment === -1 || comment > edit.start) return null;
      continue;
    }
    const site = sites[index] as ScalarSite;
    if (site.structural) return null;
    const list = editsBySite.get(index) ?? [];
    list.push(edit);
    editsBySite.set(index, list);
  }
  const values = new Map<number, string>();
  for (const [index, siteEdits] of editsBySite) {
    const value = substitutedScalar(data, sites[index] as ScalarSite, siteEdits);
    if (value === null) return null;
    values.set(index, value);
  }
  return values;
}

/** Index of the site whose text holds `offset` (sites are sorted and do not overlap), or -1. */
function siteAt(sites: readonly ScalarSite[], offset: number): number {
  let low = 0;
  let high = sites.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if ((sites[middle] as ScalarSite).start <= offset) {
      found = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return found !== -1 && offset < (sites[found] as ScalarSite).end ? found : -1;
}

/** Where a comment starts on the line: the first `#` at the line start or after a blank, in no scalar; or -1. */
function commentStart(data: string, lineStart: number, sites: readonly ScalarSite[]): number {
  const lineEnd = data.indexOf('\n', lineStart);
  const end = lineEnd === -1 ? data.length : lineEnd;
  for (let at = data.indexOf('#', lineStart); at !== -1 && at < end; at = data.indexOf('#', at + 1)) {
    const spaced = at === lineStart || data[at - 1] === ' ' || data[at - 1] === '\t';
    if (spaced && siteAt(sites, at) === -1) return at;
  }
  return -1;
}

/** The scalar's value after its edits, when its style makes that a local change; otherwise null. */
function substitutedScalar(data: string, site: ScalarSite, edits: readonly TextEdit[]): string | null {
  const value = site.node.source;
  if (typeof value !== 'string') return null;
  const source = data.slice(site.start, site.end);
  const result = applyEdits(source, edits, site.start);
  switch (site.node.type) {
    case 'PLAIN':
      return substitutedPlain(source, value, result, site.inFlow);
    case 'QUOTE_SINGLE':
      return substitutedQuoted(source, value, result, unquoteSingle);
    case 'QUOTE_DOUBLE':
      return substitutedQuoted(source, value, result, unquoteDouble);
    default:
      return null;
  }
}

/** A plain scalar's value: lines trimmed, one line break folded to a space, more kept as line breaks. */
function foldPlain(source: string): string {
  const lines = source.split('\n').map((line) => line.replace(/^[ \t]+|[ \t]+$/g, ''));
  const parts = [lines[0] ?? ''];
  let emptyLines = 0;
  for (const line of lines.slice(1)) {
    if (line === '') emptyLines++;
    else {
      parts.push(emptyLines === 0 ? ' ' : '\n'.repeat(emptyLines), line);
      emptyLines = 0;
    }
  }
  return parts.join('');
}

/** True when `content` (one line of a block plain scalar, trailing blanks removed) still reads as plain text, and only that. */
function stillPlain(content: string): boolean {
  const first = content[0];
  if (first === undefined || first === ' ' || first === '\t' || PLAIN_BREAKER.test(content)) return false;
  if (!PLAIN_INDICATORS.has(first)) return true;
  // `-`, `?` and `:` may open plain text when text follows at once.
  const second = content[1];
  return '-?:'.includes(first) && second !== undefined && second !== ' ' && second !== '\t';
}

/**
 * A plain scalar in a block whose lines keep their indentation, stay non-empty and still read as plain text:
 * the new value is the new text folded the same way (blanks at a line's end are not part of it). The old
 * value must be what folding the old text gives. In a flow collection, where `${` cannot even be written
 * unquoted, nothing is rewritten.
 */
function substitutedPlain(source: string, value: string, result: string, inFlow: boolean): string | null {
  if (inFlow || foldPlain(source) !== value) return null;
  const before = source.split('\n');
  const after = result.split('\n');
  if (before.length !== after.length) return null;
  // A single line left blank is the empty scalar.
  if (after.length === 1 && /^[ \t]*$/.test(result)) return '';
  for (const [index, line] of after.entries()) {
    const old = before[index] as string;
    if (line === old) continue;
    const lead = (/^[ \t]*/.exec(old)?.[0] ?? '').length;
    if (!stillPlain(line.slice(lead).replace(/[ \t]+$/, ''))) return null;
  }
  return foldPlain(result);
}

/** The value a quoted scalar's inside stands for; null for text this module does not read (it then re-parses). */
type Unquote = (inside: string) => string | null;

const unquoteSingle: Unquote = (inside) => {
  const parts: string[] = [];
  for (let at = 0; at < inside.length; ) {
    const quote = inside.indexOf("'", at);
    if (quote === -1) {
      parts.push(inside.slice(at));
      break;
    }
    if (inside[quote + 1] !== "'") return null;
    parts.push(inside.slice(at, quote + 1));
    at = quote + 2;
  }
  return parts.join('');
};

const DOUBLE_QUOTED_SPECIAL = /["\\]/g;

const unquoteDouble: Unquote = (inside) => {
  const parts: string[] = [];
  for (let at = 0; at < inside.length; ) {
    DOUBLE_QUOTED_SPECIAL.lastIndex = at;
    const special = DOUBLE_QUOTED_SPECIAL.exec(inside)?.index;
    if (special === undefined) {
      parts.push(inside.slice(at));
      break;
    }
    parts.push(inside.slice(at, special));
    at = special;
    if (inside[at] === '"') return null;
    const kind = inside[at + 1] ?? '';
    const digits = HEX_ESCAPE_LENGTHS[kind];
    if (digits !== undefined) {
      const hex = inside.slice(at + 2, at + 2 + digits);
      if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex)) return null;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) return null;
      parts.push(String.fromCodePoint(code));
      at += 2 + digits;
      continue;
    }
    const value = ONE_CHARACTER_ESCAPES[kind];
    if (value === undefined) return null;
    parts.push(value);
    at += 2;
  }
  return parts.join('');
};

/**
 * A single-line quoted scalar that stays one: the old inside must unquote to the parsed value (so this reading
 * agrees with the parser on it), and the new value is the new inside unquoted the same way.
 */
function substitutedQuoted(source: string, value: string, result: string, unquote: Unquote): string | null {
  const quote = source[0];
  const quoted = (text: string) => text.length >= 2 && text[0] === quote && text[text.length - 1] === quote;
  if (source.includes('\n') || !quoted(source) || !quoted(result)) return null;
  return unquote(source.slice(1, -1)) === value ? unquote(result.slice(1, -1)) : null;
}
