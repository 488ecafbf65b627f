/**
 * Drone's `${...}` substitution (drone/envsubst v1.0.3), applied by the runner to the whole raw file before
 * parsing. A port of its scanner and parser, quirks included: only `${` opens an expression (bare `$VAR` is
 * text), `$$` is an escape for `$`, and `\\`/`\/` are escapes everywhere the scanner allows them (so `\\/`
 * in a plain YAML value reaches the shell as `\/`). Undefined variables are ''. A syntax error fails the stage.
 */
import { goQuote } from './go-quote.ts';
import { type MatchBudget, spend, unlimitedBudget } from './match-budget.ts';
import { applySubstitutionFunction, SubstitutionPanic } from './substitute-functions.ts';

export type SubstitutionResult = { ok: true; text: string } | { ok: false; error: string; offset: number };

type TemplateNode =
  | { type: 'text'; value: string }
  | { type: 'func'; param: string; name: string; args: TemplateNode[] };

const EOF = -1;
const Token = { Illegal: 0, Eof: 1, Ident: 2, Lbrack: 3, Rbrack: 4 } as const;
type Token = (typeof Token)[keyof typeof Token];
const SCAN_IDENT = 1;
const SCAN_LBRACK = 2;
const SCAN_RBRACK = 4;
const SCAN_ESCAPE = 8;
const MAX_NESTING = 64;

type Accept = (char: number, index: number) => boolean;

const isLetterOrDigit = (char: number) => /[\p{L}\p{Nd}]/u.test(String.fromCodePoint(char));
const acceptRune: Accept = () => true;
const acceptIdent: Accept = (c) => c === 0x5f || c === 0x2d || isLetterOrDigit(c);
const acceptColon: Accept = (c) => c === 0x3a;
const acceptOneHash: Accept = (c, i) => c === 0x23 && i === 1;
const acceptNotClosing: Accept = (c) => c !== 0x7d;
const acceptHashFunc: Accept = (c, i) => c === 0x23 && i < 3;
const acceptPercentFunc: Accept = (c, i) => c === 0x25 && i < 3;
const acceptDefaultFunc: Accept = (c, i) =>
  (i === 1 && c === 0x3a) || (i === 2 && '=-?+'.includes(String.fromCharCode(c)));
const acceptReplaceFunc: Accept = (c, i) =>
  (i === 1 && c === 0x2f) || (i === 2 && '/#%'.includes(String.fromCharCode(c)));
const acceptOneEqual: Accept = (c, i) => i === 1 && c === 0x3d;
const acceptOneColon: Accept = (c, i) => i === 1 && c === 0x3a;
const rejectColonClose: Accept = (c) => c !== 0x3a && c !== 0x7d;
const acceptSlash: Accept = (c) => c === 0x2f;
const acceptNotSlash: Accept = (c) => c !== 0x2f;
const acceptCasingFunc: Accept = (c, i) => (c === 0x2c || c === 0x5e) && i < 3;

class BadSubstitution extends Error {
  readonly offset: number;
  constructor(offset: number, message = 'bad substitution') {
    super(message);
    this.offset = offset;
  }
}

/** envsubst's scanner; `width` is the size of the last rune read, as in Go (one level of unread). */
class Scanner {
  readonly #text: string;
  pos = 0;
  #width = 0;
  mode = 0;
  accept: Accept = acceptRune;
  /** Text of the last identifier token, escape characters removed. */
  token = '';

  constructor(text: string) {
    this.#text = text;
  }

  read(): number {
    if (this.pos >= this.#text.length) {
      this.#width = 0;
      return EOF;
    }
    const char = this.#text.codePointAt(this.pos) ?? EOF;
    this.#width = char > 0xffff ? 2 : 1;
    this.pos += this.#width;
    return char;
  }

  unread(): void {
    this.pos -= this.#width;
  }

  peek(): number {
    const char = this.read();
    this.unread();
    return char;
  }

  scan(): Token {
    const char = this.read();
    if (char === EOF) return Token.Eof;
    if (this.#scanLbrack(char)) return Token.Lbrack;
    if (this.mode & SCAN_RBRACK && char === 0x7d) return Token.Rbrack;
    if (this.#scanIdent(char)) return Token.Ident;
    return Token.Illegal;
  }

  #scanLbrack(char: number): boolean {
    if (!(this.mode & SCAN_LBRACK) || char !== 0x24) return false;
    if (this.read() === 0x7b) return true;
    this.unread();
    return false;
  }

  /** True when `char` (just read) escapes the next rune: `$$`, `\\` or `\/`. */
  #isEscape(char: number): boolean {
    if (!(this.mode & SCAN_ESCAPE) || (char !== 0x24 && char !== 0x5c)) return false;
    const next = this.peek();
    if (char === 0x24) return next === 0x24;
    return next === 0x2f || next === 0x5c;
  }

  #scanIdent(first: number): boolean {
    if (!(this.mode & SCAN_IDENT)) return false;
    const parts: string[] = [];
    let length = 0;
    const takeEscaped = () => {
      const escaped = this.read();
      parts.push(String.fromCodePoint(escaped));
      length++;
    };
    if (this.#isEscape(first)) takeEscaped();
    else if (this.accept(first, 1)) {
      parts.push(String.fromCodePoint(first));
      length++;
    } else return false;
    for (;;) {
      const char = this.read();
      if (char === EOF) {
        this.unread();
        break;
      }
      if (this.#scanLbrack(char)) {
        this.unread();
        this.unread();
        break;
      }
      if (this.#isEscape(char)) {
        takeEscaped();
        continue;
      }
      if (!this.accept(char, length + 1)) {
        this.unread();
        break;
      }
      parts.push(String.fromCodePoint(char));
      length++;
    }
    this.token = parts.join('');
    return true;
  }
}

class TemplateParser {
  readonly #text: string;
  readonly #special = /[$\\]/g;
  readonly #s: Scanner;
  #depth = 0;

  constructor(text: string) {
    this.#text = text;
    this.#s = new Scanner(text);
  }

  /**
   * Top-level text, which envsubst scans one rune at a time, is equivalent to: copy up to the next `$` or `\`;
   * `$$`, `\\` and `\/` are escapes; `${` starts an expression; anything else is literal. Doing that with
   * a regular expression keeps substitution cheap on large files. Only what changes the text is returned.
   */
  parse(): TemplateItem[] {
    const items: TemplateItem[] = [];
    const text = this.#text;
    let index = 0;
    while (index < text.length) {
      this.#special.lastIndex = index;
      const found = this.#special.exec(text);
      if (found === null) break;
      const at = found.index;
      const next = text[at + 1];
      if (text[at] === '$' && next === '{') {
        this.#s.pos = at + 2;
        const node = this.#parseExpression();
        items.push({ start: at, end: this.#s.pos, node });
        index = this.#s.pos;
      } else if (
        (text[at] === '$' && next === '$') ||
        (text[at] === '\\' && (next === '\\' || next === '/'))
      ) {
        items.push({ start: at, end: at + 2, node: { type: 'text', value: next } });
        index = at + 2;
      } else index = at + 1;
    }
    return items;
  }

  /** A top-level `${...}`; a syntax error anywhere inside is reported at its `${`. */
  #parseExpression(): TemplateNode {
    const start = this.#s.pos - 2;
    try {
      return this.#parseFunc();
    } catch (error) {
      if (error instanceof BadSubstitution) throw new BadSubstitution(start, error.message);
      throw error;
    }
  }

  #fail(): never {
    throw new BadSubstitution(this.#s.pos);
  }

  #expect(token: Token): void {
    if (this.#s.scan() !== token) this.#fail();
  }

  #scanName(accept: Accept): string {
    this.#s.accept = accept;
    this.#s.mode = SCAN_IDENT;
    this.#expect(Token.Ident);
    return this.#s.token;
  }

  #consumeRbrack(): void {
    this.#s.mode = SCAN_RBRACK;
    this.#expect(Token.Rbrack);
  }

  #parseFunc(): TemplateNode {
    if (++this.#depth > MAX_NESTING) throw new BadSubstitution(this.#s.pos, 'substitution nested too deeply');
    try {
      if (this.#s.peek() === 0x23) return this.#parseLength();
      const param = this.#scanName(acceptIdent);
      switch (this.#s.peek()) {
        case 0x3a:
          return this.#parseDefaultOrSubstring(param);
        case 0x3d:
          return this.#parseDefault(param);
        case 0x2c:
        case 0x5e:
          return { type: 'func', param, name: this.#scanName(acceptCasingFunc), args: this.#closed([]) };
        case 0x2f:
          return this.#parseReplace(param);
        case 0x23:
          return this.#parseRemove(param, acceptHashFunc);
        case 0x25:
          return this.#parseRemove(param, acceptPercentFunc);
      }
      this.#s.accept = acceptIdent;
      this.#s.mode = SCAN_RBRACK;
      this.#expect(Token.Rbrack);
      return { type: 'func', param, name: '', args: [] };
    } finally {
      this.#depth--;
    }
  }

  #closed(args: TemplateNode[]): TemplateNode[] {
    this.#consumeRbrack();
    return args;
  }

  #parseParam(accept: Accept, mode: number): TemplateNode {
    this.#s.accept = accept;
    this.#s.mode = mode | SCAN_LBRACK;
    const token = this.#s.scan();
    if (token === Token.Lbrack) return this.#parseFunc();
    if (token === Token.Ident) return { type: 'text', value: this.#s.token };
    return this.#fail();
  }

  #parseDefaultOrSubstring(param: string): TemplateNode {
    this.#s.read();
    const next = this.#s.peek();
    this.#s.unread();
    return next === 0x3d || next === 0x2d || next === 0x3f || next === 0x2b
      ? this.#parseDefault(param)
      : this.#parseSubstring(param);
  }

  #parseSubstring(param: string): TemplateNode {
    const name = this.#scanName(acceptOneColon);
    const args = [this.#parseParam(rejectColonClose, SCAN_IDENT)];
    this.#s.accept = acceptColon;
    this.#s.mode = SCAN_IDENT | SCAN_RBRACK;
    const token = this.#s.scan();
    if (token === Token.Rbrack) return { type: 'func', param, name, args };
    if (token !== Token.Ident) this.#fail();
    args.push(this.#parseParam(acceptNotClosing, SCAN_IDENT));
    return { type: 'func', param, name, args: this.#closed(args) };
  }

  #parseRemove(param: string, accept: Accept): TemplateNode {
    const name = this.#scanName(accept);
    return {
      type: 'func',
      param,
      name,
      args: this.#closed([this.#parseParam(acceptNotClosing, SCAN_IDENT)]),
    };
  }

  #parseReplace(param: string): TemplateNode {
    const name = this.#scanName(acceptReplaceFunc);
    const args = [this.#parseParam(acceptNotSlash, SCAN_IDENT | SCAN_ESCAPE)];
    this.#scanName(acceptSlash);
    if (this.#s.peek() === 0x7d) return { type: 'func', param, name, args: this.#closed(args) };
    args.push(this.#parseParam(acceptNotClosing, SCAN_IDENT | SCAN_ESCAPE));
    return { type: 'func', param, name, args: this.#closed(args) };
  }

  #parseDefault(param: string): TemplateNode {
    const name = this.#scanName(this.#s.peek() === 0x3d ? acceptOneEqual : acceptDefaultFunc);
    const args: TemplateNode[] = [];
    while (this.#s.peek() !== 0x7d) args.push(this.#parseParam(acceptNotClosing, SCAN_IDENT));
    return { type: 'func', param, name, args: this.#closed(args) };
  }

  #parseLength(): TemplateNode {
    const name = this.#scanName(acceptOneHash);
    const param = this.#scanName(acceptIdent);
    return { type: 'func', param, name, args: this.#closed([]) };
  }
}

function evaluate(node: TemplateNode, lookup: (name: string) => string, budget: MatchBudget): string {
  if (node.type === 'text') return node.value;
  const args = node.args.map((arg) => evaluate(arg, lookup, budget));
  const value = lookup(node.param);
  spend(budget, value.length + 1);
  return applySubstitutionFunction(node.name, value, args, budget);
}

function collectVariables(node: TemplateNode, into: Set<string>): void {
  if (node.type === 'text') return;
  into.add(node.param);
  for (const arg of node.args) collectVariables(arg, into);
}

/** What one expression or escape of the template became: `text` replaces the source `[start, end)`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** An expression or escape of the source text, `[start, end)`; the text around it is copied as it is. */
interface TemplateItem {
  start: number;
  end: number;
  node: TemplateNode;
}

export type EditsResult = { ok: true; edits: TextEdit[] } | { ok: false; error: string; offset: number };

/** A parsed file, to be evaluated once per distinct set of values (stages differ only in DRONE_STAGE_*). */
export interface Template {
  /** Names the template reads. */
  variables: ReadonlySet<string>;
  /** Pattern matches (`#`, `%`) and replacements spend from `budget`, which throws past its limit. */
  evaluate(variables: Readonly<Record<string, string>>, budget?: MatchBudget): SubstitutionResult;
  /** The same evaluation as the edits it makes to the source, in source order. */
  edits(variables: Readonly<Record<string, string>>, budget?: MatchBudget): EditsResult;
}

export type TemplateResult = { ok: true; template: Template } | { ok: false; error: string; offset: number };

/** `text` with `edits` (in order, not overlapping) applied; `origin` is where `text` begins in their offsets. */
export function applyEdits(text: string, edits: readonly TextEdit[], origin = 0): string {
  if (edits.length === 0) return text;
  const parts: string[] = [];
  let copied = 0;
  for (const edit of edits) {
    parts.push(text.slice(copied, edit.start - origin), edit.text);
    copied = edit.end - origin;
  }
  parts.push(text.slice(copied));
  return parts.join('');
}

export function parseTemplate(text: string): TemplateResult {
  if (!text.includes('$') && !text.includes('\\')) {
    return {
      ok: true,
      template: {
        variables: new Set(),
        evaluate: () => ({ ok: true, text }),
        edits: () => ({ ok: true, edits: [] }),
      },
    };
  }
  let items: TemplateItem[];
  try {
    items = new TemplateParser(text).parse();
  } catch (error) {
    if (error instanceof BadSubstitution) return { ok: false, error: error.message, offset: error.offset };
    throw error;
  }
  const variables = new Set<string>();
  for (const item of items) collectVariables(item.node, variables);
  const edits = (values: Readonly<Record<string, string>>, budget = unlimitedBudget()): EditsResult => {
    const lookup = (name: string) => {
      const value = Object.hasOwn(values, name) ? (values[name] ?? '') : '';
      return value.includes('\n') ? goQuote(value) : value;
    };
    try {
      return {
        ok: true,
        edits: items.map(({ start, end, node }) => ({ start, end, text: evaluate(node, lookup, budget) })),
      };
    } catch (error) {
      if (error instanceof SubstitutionPanic) return { ok: false, error: error.message, offset: 0 };
      throw error;
    }
  };
  return {
    ok: true,
    template: {
      variables,
      edits,
      evaluate: (values, budget) => {
        const result = edits(values, budget);
        return result.ok ? { ok: true, text: applyEdits(text, result.edits) } : result;
      },
    },
  };
}

/**
 * Substitutes `${...}` in `text` from `variables`. A value containing a newline is inserted Go-quoted, as the
 * runner does, so that it stays on one YAML line.
 */
export function substitute(text: string, variables: Readonly<Record<string, string>>): SubstitutionResult {
  const parsed = parseTemplate(text);
  return parsed.ok ? parsed.template.evaluate(variables) : parsed;
}
