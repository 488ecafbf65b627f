/**
 * Hostile-input guards and Drone's document splitting. Everything here is linear in the input and bounded, so
 * that a 10 MB upload, binary junk or a nesting bomb becomes one clear problem instead of a hang.
 */
import { Lexer } from 'yaml';
import type { Problem } from './problems.ts';

/** Real `.drone.yml` files are a few KB; Drone-sized monsters stay well under this. */
export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_DOCUMENTS = 1000;
/** Deepest `[`/`{` nesting accepted; deeper input is refused before the YAML parser sees it. */
export const MAX_FLOW_DEPTH = 64;
/** Go's bufio.Scanner stops at a line this long (64 KiB including the newline) and Drone drops the rest. */
export const MAX_LINE_BYTES = 64 * 1024 - 1;

export type DecodedSource = { ok: true; text: string } | { ok: false; problem: Problem };

const LEGACY_FORMAT = /^pipeline:(\s+)?$/m;
/** Markers the yaml lexer emits that are not source text (document start, scalar, flow end). */
const LEXER_CONTROL_TOKENS = new Set(['\x02', '\x18', '\x1f']);

function fileProblem(rule: string, message: string, line = 1, col = 1): Problem {
  return { severity: 'error', rule, message, line, col };
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function fileTooLarge(bytes: number): Problem {
  return fileProblem(
    'file-too-large',
    `file is ${megabytes(bytes)}; the limit is ${megabytes(MAX_FILE_BYTES)}`,
  );
}

/** Bytes or text into text: size cap, UTF-8 validity, no binary, no control characters (as go-yaml). */
export function decodeSource(source: string | Uint8Array): DecodedSource {
  let text: string;
  if (typeof source === 'string') {
    const bytes = source.length > MAX_FILE_BYTES / 3 ? Buffer.byteLength(source, 'utf8') : source.length;
    if (bytes > MAX_FILE_BYTES) return { ok: false, problem: fileTooLarge(bytes) };
    text = source;
  } else {
    if (source.length > MAX_FILE_BYTES) return { ok: false, problem: fileTooLarge(source.length) };
    const nul = source.indexOf(0);
    if (nul !== -1) return { ok: false, problem: binaryProblem(source, nul) };
    const invalid = firstInvalidUtf8(source);
    if (invalid !== -1) {
      const { line, col } = bytePosition(source, invalid);
      return {
        ok: false,
        problem: fileProblem('invalid-utf8', `file is not valid UTF-8 (byte ${invalid})`, line, col),
      };
    }
    text = new TextDecoder('utf-8').decode(source);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const { line, col } = textPosition(text, nul);
    return {
      ok: false,
      problem: fileProblem(
        'binary-file',
        'file contains NUL bytes: binary data is not a pipeline',
        line,
        col,
      ),
    };
  }
  const control = /[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]/u.exec(
    text,
  );
  if (control !== null) {
    const { line, col } = textPosition(text, control.index);
    const code = (control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    return {
      ok: false,
      problem: fileProblem(
        'control-character',
        `control character U+${code} is not allowed in YAML`,
        line,
        col,
      ),
    };
  }
  return { ok: true, text };
}

function binaryProblem(bytes: Uint8Array, offset: number): Problem {
  const { line, col } = bytePosition(bytes, offset);
  return fileProblem('binary-file', 'file contains NUL bytes: binary data is not a pipeline', line, col);
}

function bytePosition(bytes: Uint8Array, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < offset; index++) {
    if (bytes[index] === 0x0a) {
      line++;
      lineStart = index + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

function textPosition(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, col: offset - lineStart + 1 };
}

/** Offset of the first byte that does not start a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index] ?? 0;
    if (lead < 0x80) {
      index++;
      continue;
    }
    let length: number;
    let min: number;
    if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
    else if (lead >= 0xe0 && lead <= 0xef) [length, min] = [3, 0x800];
    else if (lead >= 0xf0 && lead <= 0xf4) [length, min] = [4, 0x10000];
    else return index;
    if (index + length > bytes.length) return index;
    let codePoint = lead & (0xff >> (length + 1));
    for (let next = 1; next < length; next++) {
      const byte = bytes[index + next] ?? 0;
      if ((byte & 0xc0) !== 0x80) return index;
      codePoint = (codePoint << 6) | (byte & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return index;
    index += length;
  }
  return -1;
}

/** Drone 0.8 files (`pipeline:` as a top-level map) need converting; Drone's open-source server runs them as is and fails. */
export function isLegacyFormat(text: string): boolean {
  return LEGACY_FORMAT.test(text);
}

export interface SourceDocument {
  /** Every line followed by `\n`; separator lines excluded. What `kind: signature` signs. */
  data: string;
  /** 1-based file line of the first line of `data`. */
  startLine: number;
}

export interface SplitResult {
  documents: SourceDocument[];
  /** Line at which Drone's scanner would stop (a line over 64 KiB); null when none. */
  longLine: number | null;
}

/**
 * Drone's line-based split (drone-yaml ParseRaw): a line starting with `---` opens a new document and is
 * dropped, a line starting with `...` ends the file, `\r\n` becomes `\n`. Not YAML-aware, on purpose.
 */
export function splitDocuments(text: string): SplitResult {
  const documents: SourceDocument[] = [];
  let current: { lines: string[]; startLine: number } | null = null;
  const flush = () => {
    if (current !== null) {
      documents.push({
        data: current.lines.length === 0 ? '' : `${current.lines.join('\n')}\n`,
        startLine: current.startLine,
      });
    }
  };
  let lineNumber = 0;
  let start = 0;
  let longLine: number | null = null;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    let line = end === -1 ? text.slice(start) : text.slice(start, end);
    start = end === -1 ? text.length : end + 1;
    lineNumber++;
    if (line.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) {
      longLine = lineNumber;
      break;
    }
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const separator = line.startsWith('---');
    if (separator) {
      flush();
      current = null;
    }
    if (current === null) current = { lines: [], startLine: separator ? lineNumber + 1 : lineNumber };
    if (separator) continue;
    if (line.startsWith('...')) break;
    current.lines.push(line);
  }
  flush();
  return { documents, longLine };
}

/**
 * Offset at which `[`/`{` nesting passes {@link MAX_FLOW_DEPTH}, or -1. The raw bracket balance decides whether
 * the exact (lexer) check is worth running; input that hides brackets in quotes to defeat it still meets the
 * YAML parser's own recursion guard, which turns it into an error.
 */
export function excessiveFlowNesting(text: string): number {
  let balance = 0;
  let deepest = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x5b || code === 0x7b) {
      balance++;
      if (balance > deepest) deepest = balance;
    } else if ((code === 0x5d || code === 0x7d) && balance > 0) balance--;
    else if ((code === 0x22 || code === 0x27) && balance > 0) {
      // Skip a quoted scalar inside brackets, so that quoted closers do not hide the nesting.
      let end = index + 1;
      while (end < text.length && text.charCodeAt(end) !== code)
        end += code === 0x22 && text.charCodeAt(end) === 0x5c ? 2 : 1;
      index = end;
    }
  }
  if (deepest <= MAX_FLOW_DEPTH) return -1;
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      depth++;
      if (depth > MAX_FLOW_DEPTH) return offset;
    } else if (token === ']' || token === '}') {
      depth--;
    }
    if (!LEXER_CONTROL_TOKENS.has(token)) offset += token.length;
  }
  return -1;
}
