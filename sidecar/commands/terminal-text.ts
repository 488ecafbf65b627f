/** Text that pushers wrote, made safe to print on a terminal. */
/**
 * Characters that would let pushed text (branch names, messages, step names) steer a terminal or disguise
 * itself, beyond the C0 controls: DEL and the C1 controls (CSI starts an escape sequence on its own), and the
 * invisible format characters that reorder or hide text (bidi overrides and isolates, zero-width characters).
 */
const UNSAFE_BEYOND_C0 = /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
/** The C0 controls too: ESC starts escape sequences, newlines and carriage returns forge lines. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Pushed text as one visible line: unsafe characters shown as escapes, at most `maxChars` characters. */
export function terminalText(text: string, maxChars: number): string {
  const escaped = text.replace(
    UNSAFE,
    (char) => NAMED_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (escaped.length <= maxChars) return escaped;
  const characters = Array.from(escaped);
  return characters.length <= maxChars ? escaped : `${characters.slice(0, maxChars - 1).join('')}…`;
}

/**
 * JSON for a terminal: JSON.stringify escapes C0 controls inside strings but leaves the others raw; they can
 * only stand inside strings, where `\uXXXX` is the same value. The newlines left are the layout's.
 */
export function terminalJson(value: unknown): string {
  const json = JSON.stringify(value, null, 2).replace(
    UNSAFE_BEYOND_C0,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${json}\n`;
}
