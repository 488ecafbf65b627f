/**
 * Go's `json.MarshalIndent(v, "", "  ")` (HTML escaping on, as encoding/json does by default) and
 * `url.QueryEscape`, so the double's webhook bodies are byte-for-byte what Gogs sends. Objects keep their key
 * insertion order, which is how the payload builders mirror Go's struct field order; `undefined` members are
 * left out, like Go's `omitempty` on nil pointers.
 */

const HEX = '0123456789abcdef';

function unicodeEscape(code: number): string {
  return `\\u${HEX[(code >> 12) & 0xf]}${HEX[(code >> 8) & 0xf]}${HEX[(code >> 4) & 0xf]}${HEX[code & 0xf]}`;
}

/** encoding/json `appendString` with escapeHTML: Go 1.22+ writes \b and \f short; lone surrogates become \ufffd. */
export function quoteGoString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else {
        out += '\\ufffd';
      }
      continue;
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    switch (code) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += '\\\\';
        continue;
      case 0x08:
        out += '\\b';
        continue;
      case 0x0c:
        out += '\\f';
        continue;
      case 0x0a:
        out += '\\n';
        continue;
      case 0x0d:
        out += '\\r';
        continue;
      case 0x09:
        out += '\\t';
        continue;
      case 0x3c:
      case 0x3e:
      case 0x26:
      case 0x2028:
      case 0x2029:
        out += unicodeEscape(code);
        continue;
    }
    out += code < 0x20 ? unicodeEscape(code) : text[i]!;
  }
  return `${out}"`;
}

function marshalValue(value: unknown, indent: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`json: unsupported value: ${value}`);
      return String(value);
    case 'string':
      return quoteGoString(value);
    case 'object':
      break;
    default:
      throw new Error(`json: unsupported type: ${typeof value}`);
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => `${inner}${marshalValue(item, inner)}`);
    return `[\n${items.join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(
    ([, member]) => member !== undefined,
  );
  if (entries.length === 0) return '{}';
  const members = entries.map(
    ([key, member]) => `${inner}${quoteGoString(key)}: ${marshalValue(member, inner)}`,
  );
  return `{\n${members.join(',\n')}\n${indent}}`;
}

export function marshalIndentGo(value: unknown): string {
  return marshalValue(value, '');
}

/** Go's url.QueryEscape: everything but [A-Za-z0-9-_.~] is %XX (upper case), and a space is '+'. */
export function goQueryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}
