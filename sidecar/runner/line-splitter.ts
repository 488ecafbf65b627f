/**
 * Splits one stream's (already masked) text into lines. A line longer than `maxLineChars` is cut so that memory
 * stays bounded; masking happens before, on the stream, so a cut cannot split a secret.
 */
export class LineSplitter {
  readonly #maxLineChars: number;
  #pending = '';

  constructor(maxLineChars: number) {
    this.#maxLineChars = maxLineChars;
  }

  push(text: string): string[] {
    const lines: string[] = [];
    const data = this.#pending === '' ? text : this.#pending + text;
    // Lines are sliced out of `data` by index: slicing off the rest after each line would allocate a string per line.
    let start = 0;
    let newline = data.indexOf('\n');
    while (newline !== -1) {
      lines.push(trimCarriageReturn(data.slice(start, newline)));
      start = newline + 1;
      newline = data.indexOf('\n', start);
    }
    while (data.length - start > this.#maxLineChars) {
      lines.push(data.slice(start, start + this.#maxLineChars));
      start += this.#maxLineChars;
    }
    this.#pending = start === 0 ? data : data.slice(start);
    return lines;
  }

  /** The unterminated last line, if any. */
  end(): string[] {
    const rest = this.#pending;
    this.#pending = '';
    return rest === '' ? [] : [trimCarriageReturn(rest)];
  }
}

function trimCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
