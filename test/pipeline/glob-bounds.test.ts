/**
 * The glob matcher in bounded steps: doublestar's semantics unchanged (the backtracking port it replaced is kept
 * below as the oracle and compared on random small patterns, braces, escapes and malformed parts included), and
 * every match decided within a number of steps proportional to pattern × value, counted, never timed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globSyntaxError, matchGlob } from '../../sidecar/pipeline/glob.ts';
import { MatchBudgetExceeded, unlimitedBudget } from '../../sidecar/pipeline/match-budget.ts';

// The oracle: glob.ts as it was, a direct port of doublestar v1.1.1's backtracking (exponential on purpose).

class MalformedPattern extends Error {}

/** True when `value` matches `pattern`; false for a malformed pattern, as Drone ignores the error. */
function oracleMatch(pattern: string, value: string): boolean {
  try {
    return matchComponents(splitEscaped(pattern, '/'), splitEscaped(value, '/'));
  } catch (error) {
    if (error instanceof MalformedPattern) return false;
    throw error;
  }
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

function matchComponents(patterns: string[], names: string[]): boolean {
  if (patterns.length === 0 && names.length === 0) return true;
  if (patterns.length === 0 || names.length === 0) return false;
  let patternIndex = 0;
  let nameIndex = 0;
  while (patternIndex < patterns.length && nameIndex < names.length) {
    if (patterns[patternIndex] === '**') {
      patternIndex++;
      if (patternIndex >= patterns.length) return true;
      for (; nameIndex < names.length; nameIndex++) {
        if (matchComponentsQuietly(patterns.slice(patternIndex), names.slice(nameIndex))) return true;
      }
      return false;
    }
    if (!matchComponent(Array.from(patterns[patternIndex] ?? ''), Array.from(names[nameIndex] ?? '')))
      return false;
    patternIndex++;
    nameIndex++;
  }
  return patternIndex >= patterns.length && nameIndex >= names.length;
}

/** doublestar discards errors from the recursive attempts after `**`. */
function matchComponentsQuietly(patterns: string[], names: string[]): boolean {
  try {
    return matchComponents(patterns, names);
  } catch (error) {
    if (error instanceof MalformedPattern) return false;
    throw error;
  }
}

function matchComponentQuietly(pattern: string[], name: string[]): boolean {
  try {
    return matchComponent(pattern, name);
  } catch (error) {
    if (error instanceof MalformedPattern) return false;
    throw error;
  }
}

function indexOfUnescaped(runes: string[], from: number, wanted: string): number {
  for (let index = from; index < runes.length; index++) {
    if (runes[index] === wanted && !(index > from && runes[index - 1] === '\\')) return index;
  }
  return -1;
}

/** One pattern component against one name component, rune by rune. */
function matchComponent(pattern: string[], name: string[]): boolean {
  if (pattern.length === 0 && name.length === 0) return true;
  if (pattern.length === 0) return false;
  if (name.length === 0 && !(pattern.length === 1 && pattern[0] === '*')) return false;
  let p = 0;
  let n = 0;
  while (p < pattern.length && n < name.length) {
    const rune = pattern[p];
    if (rune === '\\') {
      p++;
      if (p >= pattern.length) throw new MalformedPattern('pattern ends with \\');
      if (pattern[p] !== name[n]) return false;
      p++;
      n++;
    } else if (rune === '*') {
      p++;
      if (p >= pattern.length) return true;
      for (; n < name.length; n++) {
        if (matchComponentQuietly(pattern.slice(p), name.slice(n))) return true;
      }
      return false;
    } else if (rune === '[') {
      p++;
      const end = indexOfUnescaped(pattern, p, ']');
      if (end === -1) throw new MalformedPattern('[ without ]');
      if (!matchClass(pattern.slice(p, end), name[n] ?? '')) return false;
      p = end + 1;
      n++;
    } else if (rune === '{') {
      p++;
      const end = indexOfUnescaped(pattern, p, '}');
      if (end === -1) throw new MalformedPattern('{ without }');
      const options = splitEscaped(pattern.slice(p, end).join(''), ',');
      const rest = pattern.slice(end + 1);
      for (const option of options) {
        if (matchComponent([...Array.from(option), ...rest], name.slice(n))) return true;
      }
      return false;
    } else if (rune === '?' || rune === name[n]) {
      p++;
      n++;
    } else {
      return false;
    }
  }
  if (p >= pattern.length && n >= name.length) return true;
  const rest = pattern.slice(p).join('');
  return (n >= name.length && rest === '*') || rest === '**';
}

/** A `[...]` class body (without the brackets) against one rune. */
function matchClass(body: string[], rune: string): boolean {
  if (body.length === 0) throw new MalformedPattern('empty [] class');
  const negated = body[0] === '^';
  const target = rune.codePointAt(0) ?? -1;
  let matched = false;
  let index = negated ? 1 : 0;
  while (index < body.length) {
    let low = body[index] ?? '';
    if (low === '-') throw new MalformedPattern('- at the start of a range');
    index++;
    if (low === '\\') {
      if (index >= body.length) throw new MalformedPattern('class ends with \\');
      low = body[index] ?? '';
      index++;
    }
    let high = low;
    if (index < body.length && body[index] === '-') {
      index++;
      if (index >= body.length) throw new MalformedPattern('range without an end');
      high = body[index] ?? '';
      if (high === '-') throw new MalformedPattern('- as the end of a range');
      index++;
      if (high === '\\') {
        if (index >= body.length) throw new MalformedPattern('class ends with \\');
        high = body[index] ?? '';
        index++;
      }
    }
    const lowCode = low.codePointAt(0) ?? 0;
    const highCode = high.codePointAt(0) ?? 0;
    if (lowCode <= target && target <= highCode) matched = true;
  }
  return matched !== negated;
}

const atom = fc.constantFrom(
  'a',
  'b',
  'c',
  '-',
  '.',
  '/',
  ',',
  '}',
  ']',
  '*',
  '**',
  '?',
  '[ab]',
  '[^a]',
  '[a-c]',
  '[b-]',
  '[]',
  '[',
  '\\*',
  '\\a',
  '\\',
  '\\,',
  '\\}',
  '{',
);
const token = fc.letrec<{ token: string; braces: string }>((tie) => ({
  token: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'braces' },
    { weight: 6, arbitrary: atom },
    { weight: 1, arbitrary: tie('braces') },
  ),
  braces: fc
    .array(
      fc.array(tie('token'), { maxLength: 3 }).map((tokens) => tokens.join('')),
      {
        minLength: 1,
        maxLength: 3,
      },
    )
    .map((options) => `{${options.join(',')}}`),
})).token;
const smallPattern = fc.array(token, { maxLength: 7 }).map((tokens) => tokens.join(''));
const smallValue = fc
  .array(fc.constantFrom('a', 'b', 'c', '/', '-', '.', ',', '}', '*', '\\'), { maxLength: 9 })
  .map((chars) => chars.join(''));

describe('matchGlob against the backtracking port it replaced', () => {
  it('agrees on random small patterns and values', () => {
    fc.assert(
      fc.property(smallPattern, smallValue, (pattern, value) => {
        expect(matchGlob(pattern, value)).toBe(oracleMatch(pattern, value));
      }),
      { numRuns: 20_000 },
    );
  });
});

/** A piece of a pattern and a piece of a value it matches, so that random pairs often match deep down. */
type Piece = { pattern: string; sample: string };
const letters = fc.nat(600).map((length) => 'ab'.repeat(length).slice(0, length));
const simplePiece: fc.Arbitrary<Piece> = fc.oneof(
  fc.constantFrom('a', 'b', '-', 'ab', '/').map((literal) => ({ pattern: literal, sample: literal })),
  letters.map((sample) => ({ pattern: '*', sample })),
  fc.constant({ pattern: '**', sample: 'ab' }),
  fc.constant({ pattern: '?', sample: 'b' }),
  fc.constantFrom('[ab]', '[^c]', '[a-z]').map((pattern) => ({ pattern, sample: 'a' })),
  fc.nat(40).map((depth) => ({ pattern: '**/', sample: 'a/'.repeat(depth) })),
  fc.nat(40).map((depth) => ({ pattern: '/**/', sample: `/${'b/'.repeat(depth)}` })),
);
const bracePiece: fc.Arbitrary<Piece> = fc
  .array(fc.array(simplePiece, { maxLength: 4 }), { minLength: 2, maxLength: 4 })
  .chain((options) =>
    fc.nat(options.length - 1).map((chosen) => ({
      pattern: `{${options.map((pieces) => pieces.map((piece) => piece.pattern).join('')).join(',')}}`,
      sample: (options[chosen] ?? []).map((piece) => piece.sample).join(''),
    })),
  );
const largePair = fc
  .tuple(
    fc.array(fc.oneof({ weight: 5, arbitrary: simplePiece }, { weight: 2, arbitrary: bracePiece }), {
      maxLength: 120,
    }),
    fc.constantFrom('', '', 'c', '/'),
  )
  .map(([pieces, spoil]) => ({
    pattern: pieces
      .map((piece) => piece.pattern)
      .join('')
      .slice(0, 256),
    value: `${pieces.map((piece) => piece.sample).join('')}${spoil}`.slice(0, 4096),
  }));
const noisePair = fc.record({
  pattern: fc.array(token, { maxLength: 160 }).map((tokens) => tokens.join('').slice(0, 256)),
  value: fc.oneof(
    fc.nat(4096).map((length) => 'a'.repeat(length)),
    fc
      .array(fc.constantFrom('a', 'b', '/', 'a/', 'aaaa', '}', ','), { maxLength: 1500 })
      .map((chars) => chars.join('').slice(0, 4096)),
  ),
});

/** At most this many steps per (pattern rune, value rune) pair: memo rows, attempts and comparisons. */
const STEPS_PER_CELL = 16;

function stepsOf(pattern: string, value: string): { matched: boolean; steps: number; bound: number } {
  const budget = unlimitedBudget();
  const matched = matchGlob(pattern, value, budget);
  return { matched, steps: budget.steps, bound: STEPS_PER_CELL * (pattern.length + 1) * (value.length + 1) };
}

describe('matchGlob in steps bounded by pattern × value', () => {
  it('decides random patterns of up to 256 characters against values of up to 4 KB within the bound', () => {
    let matches = 0;
    fc.assert(
      fc.property(fc.oneof(largePair, noisePair), ({ pattern, value }) => {
        const { matched, steps, bound } = stepsOf(pattern, value);
        if (matched) matches++;
        expect(steps).toBeGreaterThan(value.length);
        expect(steps).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 400 },
    );
    expect(matches).toBeGreaterThan(20);
  });

  const nasty: [name: string, pattern: string, value: string][] = [
    ['stars against a run that almost matches', `${'*a'.repeat(16)}*b`, 'a'.repeat(4000)],
    ['255 stars', `${'*'.repeat(255)}b`, 'a'.repeat(4096)],
    ['** segments against deep paths', `${'**/'.repeat(60)}b`, 'a/'.repeat(2000)],
    ['braces of stars', `${'{a,a*,*a}'.repeat(25)}b`, 'a'.repeat(4000)],
    ['nested braces', '{{{{{{{{a,b},c},d},e},f},g},h}'.repeat(8), 'a'.repeat(4000)],
    ['a run of 4,000 stars', `${'*'.repeat(4000)}b`, 'a'.repeat(4096)],
    ['a run of 4,000 ** components', `${'**/'.repeat(4000)}b`, 'a/'.repeat(2000)],
  ];
  for (const [name, pattern, value] of nasty) {
    it(`decides ${name} in a few steps per pair`, () => {
      const { matched, steps } = stepsOf(pattern, value);
      expect(matched).toBe(false);
      expect(steps).toBeGreaterThan(value.length);
      expect(steps).toBeLessThanOrEqual(6 * (pattern.length + 1) * (value.length + 1));
    });
  }

  it('turns a pattern nested deeper than the stack into running out of budget, not a crash', () => {
    expect(() => matchGlob(`${'*a'.repeat(20_000)}b`, 'a'.repeat(4096))).toThrow(MatchBudgetExceeded);
  });

  it('keeps the lint check linear: 200,000 unclosed braces are one problem', () => {
    expect(globSyntaxError('{'.repeat(200_000))).toBe('{ is not closed by }');
    expect(globSyntaxError(`${'{'.repeat(200_000)}}`)).toBeNull();
  });
});
