import type { Position } from './problems.ts';

/** Turns offsets in one document's text into file positions. Line starts are computed on first use. */
export class SourceMap {
  readonly #text: string;
  readonly #firstLine: number;
  #lineStarts: number[] | null = null;

  /** `firstLine` is the 1-based file line on which `text` begins. */
  constructor(text: string, firstLine: number) {
    this.#text = text;
    this.#firstLine = firstLine;
  }

  position(offset: number): Position {
    const starts = this.#starts();
    const clamped = Math.max(0, Math.min(offset, this.#text.length));
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((starts[middle] ?? 0) <= clamped) low = middle;
      else high = middle - 1;
    }
    return { line: this.#firstLine + low, col: clamped - (starts[low] ?? 0) + 1 };
  }

  #starts(): number[] {
    if (this.#lineStarts === null) {
      const starts = [0];
      for (let index = this.#text.indexOf('\n'); index !== -1; index = this.#text.indexOf('\n', index + 1)) {
        starts.push(index + 1);
      }
      this.#lineStarts = starts;
    }
    return this.#lineStarts;
  }
}
