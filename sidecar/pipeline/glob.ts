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
 */

export class MalformedPattern extends Error {}

/** True when `value` matches `pattern`; false for a malformed pattern, as Drone ignores the error. */
export function matchGlob(pattern: string, value: string): boolean {
  try {
    return matchComponents(splitEscaped(pattern, '/'), splitEscaped(value, '/'));
  } catch (error) {
    if (error instanceof MalformedPattern) return false;
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

/** Static checks matching what matchComponent would throw for some value; used by lint. */
function componentSyntaxError(pattern: string[]): string | null {
  for (let index = 0; index < pattern.length; index++) {
    const rune = pattern[index];
    if (rune === '\\') {
      if (index + 1 >= pattern.length) return 'the pattern ends with a lone \\';
      index++;
    } else if (rune === '[') {
      const end = indexOfUnescaped(pattern, index + 1, ']');
      if (end === -1) return '[ is not closed by ]';
      try {
        matchClass(pattern.slice(index + 1, end), 'a');
      } catch (error) {
        if (error instanceof MalformedPattern) return `bad character class: ${error.message}`;
        throw error;
      }
      index = end;
    } else if (rune === '{') {
      if (indexOfUnescaped(pattern, index + 1, '}') === -1) return '{ is not closed by }';
    }
  }
  return null;
}
