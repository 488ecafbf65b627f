/**
 * The glob matcher of every `when`/`trigger` condition: bmatcuk/doublestar v1.1.1 `Match` with `/` as the
 * separator, ported with its edge cases (see the spec, §4.3):
 *  - pattern and value are split on `/` and matched component by component;
 *  - `**` as a whole component matches zero or more components, except that a trailing `**` needs at least one
 *    (`refs/heads/**` does not match `refs/heads`); inside a component it behaves like `*`;
 *  - `*` matches any run of non-`/` characters, including none, so `*` matches '';
 *  - `?`, `[abc]`, `[a-z]`, `[^a]`, `{a,b}` (within a component) and `\` escapes;
 *  - a malformed pattern is an error, which conditions treat as "does not match".
 * Runes are code points (Go steps through UTF-8; the results agree except on invalid UTF-8, which JS strings
 * cannot hold).
 *
 * doublestar decides by backtracking, which is exponential in the stars, `**` components and braces of a
 * pattern. Here the same recursion is memoised on (pattern position, name position), so a component costs
 * O(pattern × name) steps and a whole match O(|pattern| × |value|), each step counted in the {@link MatchBudget}.
 * Its quirks are kept exactly: an error (a malformed part reached while matching) is swallowed by the attempts
 * after a `*` or a `**` but ends a `{a,b}` at once, so a later alternative is never tried; and an alternative is
 * spliced in front of the rest of the pattern and read again, so `{a,{b,c}}` is `a}`, `b` or `c}`.
 */
import { type MatchBudget, MatchBudgetExceeded, spend, unlimitedBudget } from './match-budget.ts';

const MATCH = 1;
const NO_MATCH = 2;
const MALFORMED = 3;
type Outcome = typeof MATCH | typeof NO_MATCH | typeof MALFORMED;

const SPECIAL = /[*?[{\\]/;

/**
 * True when `value` matches `pattern`; false for a malformed pattern, as Drone ignores the error. Every step
 * counts in `budget`, which throws {@link MatchBudgetExceeded} past its limit (or when the pattern nests deeper
 * than the stack).
 */
export function matchGlob(pattern: string, value: string, budget: MatchBudget = unlimitedBudget()): boolean {
  spend(budget, pattern.length + value.length + 1);
  if (!SPECIAL.test(pattern)) return pattern === value;
  try {
    return matchComponents(splitEscaped(pattern, '/'), splitEscaped(value, '/'), budget);
  } catch (error) {
    // The memo recursion goes one level deeper per star, `**` and brace that is really tried: thousands of
    // them against a long name run out of stack, which is one more way of taking too long.
    if (error instanceof RangeError) throw new MatchBudgetExceeded();
    throw error;
  }
}

/** Why a pattern is malformed, or null when it is well formed. */
export function globSyntaxError(pattern: string): string | null {
  for (const component of splitEscaped(pattern, '/')) {
    const problem = componentSyntaxError(Array.from(component));
    if (problem !== null) return problem;
  }
  return null;
}

/** Splits on `separator`, ignoring separators preceded by `\` (one level, as doublestar does). */
function splitEscaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let from = 0;
  for (;;) {
    let index = text.indexOf(separator, from);
    while (index > 0 && text[index - 1] === '\\') index = text.indexOf(separator, index + 1);
    if (index === -1) break;
    parts.push(text.slice(start, index));
    start = index + separator.length;
    from = start;
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Memo rows by pattern position, one entry per name position (0 unknown, else an outcome). For the star (or
 * `**`) at k, `rows.get(k)[n]` answers "does an attempt from name position n or later match".
 */
type AttemptRows = Map<number, Uint8Array>;

/**
 * OR of `attempt(n)` for n in [from, end), memoised in `row`: a known answer at n stands for every attempt from
 * n on, and what one pass learns is written back for every start it covered.
 */
function anyAttempt(
  row: Uint8Array,
  from: number,
  end: number,
  attempt: (n: number) => boolean,
  budget: MatchBudget,
): boolean {
  let n = from;
  let found = false;
  for (; n < end; n++) {
    spend(budget, 1);
    if (row[n] !== 0) {
      found = row[n] === MATCH;
      break;
    }
    if (attempt(n)) {
      found = true;
      break;
    }
  }
  row.fill(found ? MATCH : NO_MATCH, from, Math.min(n + 1, end));
  return found;
}

function attemptRow(rows: AttemptRows, key: number, size: number, budget: MatchBudget): Uint8Array {
  let row = rows.get(key);
  if (row === undefined) {
    spend(budget, size);
    row = new Uint8Array(size);
    rows.set(key, row);
  }
  return row;
}

/** Component by component; a malformed component is a mismatch here (doublestar's caller ignores the error). */
function matchComponents(patterns: string[], names: string[], budget: MatchBudget): boolean {
  const rows: AttemptRows = new Map();
  const walk = (from: number, nameFrom: number): boolean => {
    let index = from;
    let nameIndex = nameFrom;
    while (index < patterns.length && nameIndex < names.length) {
      if (patterns[index] === '**') {
        // With value left, `**/**` matches what `**` matches: a run of them is decided by its last one.
        let star = index;
        while (patterns[star + 1] === '**') star++;
        if (star + 1 >= patterns.length) return true;
        const row = attemptRow(rows, star, names.length + 1, budget);
        return anyAttempt(row, nameIndex, names.length, (n) => walk(star + 1, n), budget);
      }
      if (!matchComponent(patterns[index] ?? '', names[nameIndex] ?? '', budget)) return false;
      index++;
      nameIndex++;
    }
    return index >= patterns.length && nameIndex >= names.length;
  };
  return walk(0, 0);
}

/**
 * A pattern as the matcher reads it: its own runes, then (for an alternative of a brace) the rest of the pattern
 * it was spliced in front of, which is `parent` from `offset` on. Positions past `own` are the parent's, so the
 * memo of what follows a brace is shared by all of its alternatives.
 */
interface Pattern {
  own: string[];
  parent: Pattern | null;
  offset: number;
  /** own.length plus what follows in the parent. */
  length: number;
  id: number;
  /** Memo of matches starting at a position, by position: one entry per name position. */
  starts: AttemptRows | null;
  /** Memo of the attempts after a `*`, by the star's position. */
  stars: AttemptRows | null;
  classes: Map<number, CharacterClass | null> | null;
  braces: Map<number, Pattern[] | null> | null;
}

interface CharacterClass {
  negated: boolean;
  /** Code point ranges, low and high inclusive, flattened. */
  ranges: number[];
  /** Position of the closing `]`. */
  end: number;
}

interface ComponentMatch {
  name: string[];
  budget: MatchBudget;
  /** Alternatives spliced in front of the same rest are one pattern: keyed by parent id, offset and text. */
  spliced: Map<string, Pattern>;
  nextId: number;
}

function newPattern(match: ComponentMatch, own: string[], parent: Pattern | null, offset: number): Pattern {
  const length = own.length + (parent === null ? 0 : parent.length - offset);
  return {
    own,
    parent,
    offset,
    length,
    id: match.nextId++,
    starts: null,
    stars: null,
    classes: null,
    braces: null,
  };
}

/** One pattern component against one name component (doublestar's matchComponent). */
function matchComponent(pattern: string, name: string, budget: MatchBudget): boolean {
  if (!SPECIAL.test(pattern)) return pattern === name;
  if (name === '') return pattern === '*';
  const match: ComponentMatch = { name: Array.from(name), budget, spliced: new Map(), nextId: 0 };
  return run(match, newPattern(match, Array.from(pattern), null, 0), 0, 0) === MATCH;
}

/** Where position `p` of `pattern` really is: the pattern that owns the rune there, and its index. */
function locate(pattern: Pattern, p: number): { pattern: Pattern; p: number } {
  let current = pattern;
  let position = p;
  while (current.parent !== null && position >= current.own.length) {
    position = current.offset + position - current.own.length;
    current = current.parent;
  }
  return { pattern: current, p: position };
}

function runeAt(pattern: Pattern, p: number): string | undefined {
  const at = locate(pattern, p);
  return at.pattern.own[at.p];
}

/** Matching from (p, n) to the end, memoised; doublestar's loop and its end checks. */
function run(match: ComponentMatch, from: Pattern, fromP: number, n: number): Outcome {
  const { pattern, p } = locate(from, fromP);
  pattern.starts ??= new Map();
  const row = attemptRow(pattern.starts, p, match.name.length + 1, match.budget);
  const known = row[n] as Outcome | 0;
  if (known !== 0) return known;
  const outcome = walk(match, pattern, p, n);
  row[n] = outcome;
  return outcome;
}

function walk(match: ComponentMatch, pattern: Pattern, start: number, nameStart: number): Outcome {
  const { name, budget } = match;
  let p = start;
  let n = nameStart;
  while (p < pattern.length && n < name.length) {
    if (p >= pattern.own.length) return run(match, pattern, p, n);
    spend(budget, 1);
    const rune = pattern.own[p];
    if (rune === '\\') {
      const escaped = runeAt(pattern, p + 1);
      if (escaped === undefined) return MALFORMED;
      if (escaped !== name[n]) return NO_MATCH;
      p += 2;
      n++;
    } else if (rune === '*') {
      // With name left, `**` matches what `*` matches: a run of stars is decided by its last one.
      let star = p;
      while (star + 1 < pattern.own.length && pattern.own[star + 1] === '*') star++;
      if (star + 1 >= pattern.length) return MATCH;
      pattern.stars ??= new Map();
      const row = attemptRow(pattern.stars, star, name.length + 1, budget);
      return anyAttempt(row, n, name.length, (m) => run(match, pattern, star + 1, m) === MATCH, budget)
        ? MATCH
        : NO_MATCH;
    } else if (rune === '[') {
      const characterClass = classAt(match, pattern, p);
      if (characterClass === null) return MALFORMED;
      if (!inClass(characterClass, name[n] ?? '', budget)) return NO_MATCH;
      p = characterClass.end + 1;
      n++;
    } else if (rune === '{') {
      const alternatives = bracesAt(match, pattern, p);
      if (alternatives === null) return MALFORMED;
      for (const alternative of alternatives) {
        const outcome = run(match, alternative, 0, n);
        if (outcome !== NO_MATCH) return outcome;
      }
      return NO_MATCH;
    } else if (rune === '?' || rune === name[n]) {
      p++;
      n++;
    } else {
      return NO_MATCH;
    }
  }
  if (p >= pattern.length && n >= name.length) return MATCH;
  const rest = pattern.length - p;
  const star = rest >= 1 && runeAt(pattern, p) === '*';
  if (star && rest === 1 && n >= name.length) return MATCH;
  return star && rest === 2 && runeAt(pattern, p + 1) === '*' ? MATCH : NO_MATCH;
}

/** The first `wanted` at or after `from` not preceded by `\` (the rune at `from` itself always counts). */
function scan(
  match: ComponentMatch,
  pattern: Pattern,
  from: number,
  wanted: string,
): { end: number; body: string[] } | null {
  const body: string[] = [];
  let previous = '';
  for (let index = from; index < pattern.length; index++) {
    spend(match.budget, 1);
    const rune = runeAt(pattern, index) ?? '';
    if (rune === wanted && !(index > from && previous === '\\')) return { end: index, body };
    body.push(rune);
    previous = rune;
  }
  return null;
}

function classAt(match: ComponentMatch, pattern: Pattern, p: number): CharacterClass | null {
  pattern.classes ??= new Map();
  const cached = pattern.classes.get(p);
  if (cached !== undefined) return cached;
  const found = scan(match, pattern, p + 1, ']');
  const parsed = found === null ? 'unclosed' : parseClass(found.body);
  const characterClass = found === null || typeof parsed === 'string' ? null : { ...parsed, end: found.end };
  pattern.classes.set(p, characterClass);
  return characterClass;
}

/** The alternatives of the brace at `p`, each spliced in front of what follows the `}`; null when unclosed. */
function bracesAt(match: ComponentMatch, pattern: Pattern, p: number): Pattern[] | null {
  pattern.braces ??= new Map();
  const cached = pattern.braces.get(p);
  if (cached !== undefined) return cached;
  const found = scan(match, pattern, p + 1, '}');
  let alternatives: Pattern[] | null = null;
  if (found !== null) {
    const rest = locate(pattern, found.end + 1);
    alternatives = splitEscaped(found.body.join(''), ',').map((text) => {
      const key = `${rest.pattern.id}:${rest.p}:${text}`;
      let alternative = match.spliced.get(key);
      if (alternative === undefined) {
        spend(match.budget, text.length + 1);
        alternative = newPattern(match, Array.from(text), rest.pattern, rest.p);
        match.spliced.set(key, alternative);
      }
      return alternative;
    });
  }
  pattern.braces.set(p, alternatives);
  return alternatives;
}

function inClass(characterClass: CharacterClass, rune: string, budget: MatchBudget): boolean {
  const { ranges, negated } = characterClass;
  spend(budget, ranges.length / 2);
  const target = rune.codePointAt(0) ?? -1;
  let matched = false;
  for (let index = 0; index < ranges.length; index += 2) {
    if ((ranges[index] ?? 0) <= target && target <= (ranges[index + 1] ?? 0)) matched = true;
  }
  return matched !== negated;
}

/** A `[...]` class body (without the brackets) as ranges, or why it is malformed. */
function parseClass(body: string[]): { negated: boolean; ranges: number[] } | string {
  if (body.length === 0) return 'empty [] class';
  const negated = body[0] === '^';
  const ranges: number[] = [];
  let index = negated ? 1 : 0;
  while (index < body.length) {
    let low = body[index] ?? '';
    if (low === '-') return '- at the start of a range';
    index++;
    if (low === '\\') {
      if (index >= body.length) return 'class ends with \\';
      low = body[index] ?? '';
      index++;
    }
    let high = low;
    if (index < body.length && body[index] === '-') {
      index++;
      if (index >= body.length) return 'range without an end';
      high = body[index] ?? '';
      if (high === '-') return '- as the end of a range';
      index++;
      if (high === '\\') {
        if (index >= body.length) return 'class ends with \\';
        high = body[index] ?? '';
        index++;
      }
    }
    ranges.push(low.codePointAt(0) ?? 0, high.codePointAt(0) ?? 0);
  }
  return { negated, ranges };
}

function indexOfUnescaped(runes: string[], from: number, wanted: string): number {
  for (let index = from; index < runes.length; index++) {
    if (runes[index] === wanted && !(index > from && runes[index - 1] === '\\')) return index;
  }
  return -1;
}

/** Static checks matching what matching would find malformed for some value; used by lint. Linear. */
function componentSyntaxError(pattern: string[]): string | null {
  // A `{` is closed when a `}` follows it directly or some later `}` is not escaped.
  let lastClosing = -1;
  for (let index = pattern.length - 1; index > 0 && lastClosing === -1; index--) {
    if (pattern[index] === '}' && pattern[index - 1] !== '\\') lastClosing = index;
  }
  for (let index = 0; index < pattern.length; index++) {
    const rune = pattern[index];
    if (rune === '\\') {
      if (index + 1 >= pattern.length) return 'the pattern ends with a lone \\';
      index++;
    } else if (rune === '[') {
      const end = indexOfUnescaped(pattern, index + 1, ']');
      if (end === -1) return '[ is not closed by ]';
      const parsed = parseClass(pattern.slice(index + 1, end));
      if (typeof parsed === 'string') return `bad character class: ${parsed}`;
      index = end;
    } else if (rune === '{') {
      if (pattern[index + 1] !== '}' && lastClosing <= index + 1) return '{ is not closed by }';
    }
  }
  return null;
}
