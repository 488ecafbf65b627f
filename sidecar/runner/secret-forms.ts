/**
 * The texts that count as a secret in a log or an error: the value itself and the forms in which a step is likely
 * to print it without meaning to.
 *
 * - The value, trimmed, when it has 2 or more characters (drone/runner-go's replacer: one character would mask half
 *   the log).
 * - Each line of a multi-line value, trimmed, when it has 4 or more characters, so that a key printed line by line,
 *   indented or inside JSON is still masked; shorter lines (`}`, `==`, `--`) are everywhere in logs.
 * - Base64, standard and URL-safe, of the value at each of the three byte alignments it can have inside a longer
 *   encoded text (a value that starts 1 or 2 bytes into a 3-byte group encodes to different characters). Only the
 *   characters whose 6 bits all come from the value are kept, since the others depend on what surrounds it; this
 *   is how the GitHub Actions runner masks base64 (ValueEncoders.Base64StringEscapeShift1/2).
 * - URL encoding: `encodeURIComponent` and form encoding (`+` for spaces), where they differ from the value.
 *
 * Encoded forms shorter than 4 characters are left out: they would match at random in any base64 text.
 * Hexadecimal is not added: hex dumps (xxd, od, hexdump) break the bytes into groups, lines and offsets, so a
 * literal pattern would only catch the rare unbroken form.
 */

const MIN_VALUE = 2;
const MIN_LINE = 4;
const MIN_ENCODED = 4;

/** The characters of base64(`shift` bytes + value + anything) that depend on the value's bytes alone. */
function base64Core(bytes: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes, Buffer.alloc(2)]).toString('base64');
  const first = Math.ceil((8 * shift) / 6);
  const end = Math.floor((8 * (shift + bytes.length)) / 6);
  return encoded.slice(first, Math.max(first, end));
}

function encodedForms(value: string): string[] {
  const forms: string[] = [];
  const bytes = Buffer.from(value, 'utf8');
  for (const shift of [0, 1, 2]) {
    const core = base64Core(bytes, shift);
    forms.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  forms.push(encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2));
  return forms.filter((form) => form.length >= MIN_ENCODED && form !== value);
}

/** Every text to mask for these secret values, without duplicates. */
export function secretForms(values: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const raw of values) {
    const value = raw.trim();
    if (value.length < MIN_VALUE) continue;
    forms.add(value);
    const lines = value.split(/\r?\n/);
    if (lines.length > 1) {
      for (const line of lines) {
        const part = line.trim();
        if (part.length >= MIN_LINE) forms.add(part);
      }
    }
    for (const form of encodedForms(value)) forms.add(form);
  }
  return [...forms];
}
