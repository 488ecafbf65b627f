import type { Masker } from './log-masker.ts';

/**
 * Splits decoded output into lines and masks each one. A line longer than `maxLineChars` is cut so memory stays
 * bounded; the cut keeps the last `longest - 1` characters (after masking) for the next piece, so a secret that
 * straddles the cut is still masked whole there instead of leaking its first half.
 */
export class MaskedLineSplitter {
  readonly #masker: Masker;
  readonly #maxLineChars: number;
  #pending = '';

  constructor(masker: Masker, maxLineChars: number) {
    this.#masker = masker;
    this.#maxLineChars = Math.max(maxLineChars, masker.longest * 2);
  }

  push(text: string): string[] {
    const lines: string[] = [];
    const data = this.#pending === '' ? text : this.#pending + text;
    // Lines are sliced out of `data` by index: slicing off the rest after each line would allocate a string per line.
    let start = 0;
    let newline = data.indexOf('\n');
    while (newline !== -1) {
      lines.push(this.#masker.mask(trimCarriageReturn(data.slice(start, newline))));
      start = newline + 1;
      newline = data.indexOf('\n', start);
    }
    let rest = start === 0 ? data : data.slice(start);
    while (rest.length > this.#maxLineChars) {
      const masked = this.#masker.mask(rest);
      const keep = Math.max(this.#masker.longest - 1, 0);
      lines.push(masked.slice(0, masked.length - keep));
      rest = masked.slice(masked.length - keep);
    }
    this.#pending = rest;
    return lines;
  }

  /** The unterminated last line, if any. */
  end(): string[] {
    const rest = this.#pending;
    this.#pending = '';
    return rest === '' ? [] : [this.#masker.mask(trimCarriageReturn(rest))];
  }
}

function trimCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
