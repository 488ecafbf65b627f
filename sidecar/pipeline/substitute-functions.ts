/**
 * The string functions behind `${var<op>...}` in drone/envsubst, with Go's byte-oriented semantics (lengths
 * and offsets count UTF-8 bytes). Patterns for `#`, `##`, `%`, `%%` use envsubst's copy of path.Match, in which
 * `*` and `?` also match `/`.
 */

import { type MatchBudget, spend, unlimitedBudget } from './match-budget.ts';

/** Where Go would panic (a substring with a negative length, say): the stage fails instead. */
export class SubstitutionPanic extends Error {}

type SubstitutionFunction = (value: string, args: string[], budget: MatchBudget) => string;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * envsubst's lookupFunc: unknown names (and the unsupported `-`, `+`, `:?`, `:+`) behave as a default. Pattern
 * matching and the text replacements produce spend from `budget`.
 */
export function applySubstitutionFunction(
  name: string,
  value: string,
  args: string[],
  budget: MatchBudget = unlimitedBudget(),
): string {
  return functionFor(name, args.length)(value, args, budget);
}

function functionFor(name: string, argCount: number): SubstitutionFunction {
  switch (name) {
    case ',':
      return (s) => mapFirstRune(s, (c) => c.toLowerCase());
    case ',,':
      return (s) => s.toLowerCase();
    case '^':
      return (s) => mapFirstRune(s, (c) => c.toUpperCase());
    case '^^':
      return (s) => s.toUpperCase();
    case '#':
      return argCount === 0 ? (s) => String(encoder.encode(s).length) : trimShortestPrefix;
    case '##':
      return trimLongestPrefix;
    case '%':
      return trimShortestSuffix;
    case '%%':
      return trimLongestSuffix;
    case ':':
      return substring;
    case '/#':
      return (s, args, budget) =>
        args.length === 2 && s.startsWith(args[0] ?? '')
          ? goReplace(s, args[0] ?? '', args[1] ?? '', 1, budget)
          : s;
    case '/%':
      return (s, args) => {
        const [pattern = '', replacement = ''] = args;
        return args.length === 2 && s.endsWith(pattern)
          ? s.slice(0, s.length - pattern.length) + replacement
          : s;
      };
    case '/':
      return (s, args, budget) =>
        args.length === 0 ? s : goReplace(s, args[0] ?? '', args[1] ?? '', 1, budget);
    case '//':
      return (s, args, budget) =>
        args.length === 0 ? s : goReplace(s, args[0] ?? '', args[1] ?? '', -1, budget);
    default:
      return (s, args) => (s === '' && args.length > 0 ? args.join('') : s);
  }
}

function mapFirstRune(s: string, map: (char: string) => string): string {
  if (s === '') return s;
  const first = String.fromCodePoint(s.codePointAt(0) ?? 0);
  return map(first) + s.slice(first.length);
}

/** Go's strings.Replace: an empty `old` inserts before every rune and at the end. Spends what it writes. */
function goReplace(s: string, old: string, replacement: string, count: number, budget: MatchBudget): string {
  if (old === replacement || count === 0) return s;
  spend(budget, s.length);
  let out = '';
  let done = 0;
  let index = 0;
  if (old === '') {
    const runes = Array.from(s);
    for (const [position, rune] of runes.entries()) {
      if (count < 0 || done < count) {
        spend(budget, replacement.length);
        out += replacement;
        done++;
      }
      out += rune;
      if (position === runes.length - 1 && (count < 0 || done < count)) {
        spend(budget, replacement.length);
        out += replacement;
      }
    }
    return runes.length === 0 ? replacement : out;
  }
  for (;;) {
    const found = s.indexOf(old, index);
    if (found === -1 || (count >= 0 && done >= count)) break;
    spend(budget, replacement.length + 1);
    out += s.slice(index, found) + replacement;
    index = found + old.length;
    done++;
  }
  return out + s.slice(index);
}

/** Go's strconv.Atoi; null where it fails. */
function atoi(text: string): number | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

function substring(s: string, args: string[]): string {
  if (args.length === 0) return s;
  let position = atoi(args[0] ?? '');
  if (position === null) return s;
  const bytes = encoder.encode(s);
  if (position < 0) position = Math.max(0, bytes.length + position);
  if (args.length === 1) return position < bytes.length ? decoder.decode(bytes.subarray(position)) : '';
  const length = atoi(args[1] ?? '');
  if (length === null) return s;
  if (position > bytes.length || position + length < position) {
    throw new SubstitutionPanic(`substring \${...:${args[0]}:${args[1]}} is out of range`);
  }
  if (position + length >= bytes.length) return decoder.decode(bytes.subarray(position));
  return decoder.decode(bytes.subarray(position, position + length));
}

function trimShortestPrefix(s: string, args: string[], budget: MatchBudget): string {
  return args.length === 0 ? s : trimShortest(s, args[0] ?? '', budget);
}

function trimLongestPrefix(s: string, args: string[], budget: MatchBudget): string {
  return args.length === 0 ? s : trimLongest(s, args[0] ?? '', budget);
}

function trimShortestSuffix(s: string, args: string[], budget: MatchBudget): string {
  return args.length === 0 ? s : reverse(trimShortest(reverse(s), reverse(args[0] ?? ''), budget));
}

function trimLongestSuffix(s: string, args: string[], budget: MatchBudget): string {
  return args.length === 0 ? s : reverse(trimLongest(reverse(s), reverse(args[0] ?? ''), budget));
}

/** Drops the shortest non-empty prefix matching `pattern` (tries every prefix, keeps the last match). */
function trimShortest(s: string, pattern: string, budget: MatchBudget): string {
  let shortest = '';
  for (let cut = 0; cut < s.length; cut++) {
    const prefix = s.slice(0, s.length - cut);
    const matched = pathMatch(pattern, prefix, budget);
    if (matched === null) return s;
    if (matched) shortest = prefix;
  }
  return shortest === '' ? s : s.slice(shortest.length);
}

function trimLongest(s: string, pattern: string, budget: MatchBudget): string {
  for (let cut = 0; cut < s.length; cut++) {
    const prefix = s.slice(0, s.length - cut);
    const matched = pathMatch(pattern, prefix, budget);
    if (matched === null) return s;
    if (matched) return s.slice(prefix.length);
  }
  return s;
}

function reverse(s: string): string {
  return Array.from(s).reverse().join('');
}

/**
 * envsubst's path.Match: Go's path.Match with the `/` special cases removed. Null for a malformed pattern.
 * Works on UTF-16 code units, which equals Go's bytes for the ASCII patterns used in practice. Go's own
 * algorithm: the retries after a star make it O(pattern × name) per call, each rune tried spent from `budget`.
 */
export function pathMatch(
  pattern: string,
  name: string,
  budget: MatchBudget = unlimitedBudget(),
): boolean | null {
  let rest = pattern;
  let text = name;
  outer: while (rest.length > 0) {
    const { star, chunk, remaining } = scanChunk(rest);
    rest = remaining;
    if (star && chunk === '') return true;
    spend(budget, chunk.length + 1);
    const here = matchChunk(chunk, text);
    if (here.ok && (here.rest.length === 0 || rest.length > 0)) {
      text = here.rest;
      continue;
    }
    if (here.bad) return null;
    if (star) {
      for (let skip = 0; skip < text.length; skip++) {
        spend(budget, chunk.length + 1);
        const attempt = matchChunk(chunk, text.slice(skip + 1));
        if (attempt.ok) {
          if (rest.length === 0 && attempt.rest.length > 0) continue;
          text = attempt.rest;
          continue outer;
        }
        if (attempt.bad) return null;
      }
    }
    return false;
  }
  return text.length === 0;
}

function scanChunk(pattern: string): { star: boolean; chunk: string; remaining: string } {
  let index = 0;
  while (pattern[index] === '*') index++;
  const star = index > 0;
  const body = pattern.slice(index);
  let inRange = false;
  let end = 0;
  for (; end < body.length; end++) {
    const char = body[end];
    if (char === '\\') {
      if (end + 1 < body.length) end++;
    } else if (char === '[') inRange = true;
    else if (char === ']') inRange = false;
    else if (char === '*' && !inRange) break;
  }
  return { star, chunk: body.slice(0, end), remaining: body.slice(end) };
}

function matchChunk(chunkIn: string, textIn: string): { ok: boolean; bad: boolean; rest: string } {
  let chunk = chunkIn;
  let text = textIn;
  const fail = { ok: false, bad: false, rest: '' };
  const bad = { ok: false, bad: true, rest: '' };
  while (chunk.length > 0) {
    if (text.length === 0) return fail;
    const head = chunk[0];
    if (head === '[') {
      const char = text.codePointAt(0) ?? 0;
      text = text.slice(char > 0xffff ? 2 : 1);
      chunk = chunk.slice(1);
      let negated = false;
      if (chunk[0] === '^') {
        negated = true;
        chunk = chunk.slice(1);
      }
      let matched = false;
      let ranges = 0;
      for (;;) {
        if (chunk[0] === ']' && ranges > 0) {
          chunk = chunk.slice(1);
          break;
        }
        const low = classChar(chunk);
        if (low === null) return bad;
        chunk = low.rest;
        let high = low.char;
        if (chunk[0] === '-') {
          const upper = classChar(chunk.slice(1));
          if (upper === null) return bad;
          chunk = upper.rest;
          high = upper.char;
        }
        if (low.char <= char && char <= high) matched = true;
        ranges++;
      }
      if (matched === negated) return fail;
    } else if (head === '?') {
      const char = text.codePointAt(0) ?? 0;
      text = text.slice(char > 0xffff ? 2 : 1);
      chunk = chunk.slice(1);
    } else {
      if (head === '\\') {
        chunk = chunk.slice(1);
        if (chunk.length === 0) return bad;
      }
      if (chunk[0] !== text[0]) return fail;
      text = text.slice(1);
      chunk = chunk.slice(1);
    }
  }
  return { ok: true, bad: false, rest: text };
}

/** One possibly escaped character of a class; null when the class is malformed (Go's getEsc error). */
function classChar(chunk: string): { char: number; rest: string } | null {
  if (chunk.length === 0 || chunk[0] === '-' || chunk[0] === ']') return null;
  let body = chunk;
  if (body[0] === '\\') {
    body = body.slice(1);
    if (body.length === 0) return null;
  }
  const char = body.codePointAt(0) ?? 0;
  const rest = body.slice(char > 0xffff ? 2 : 1);
  if (rest.length === 0) return null;
  return { char, rest };
}
