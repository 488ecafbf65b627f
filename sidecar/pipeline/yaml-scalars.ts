/**
 * YAML 1.1 scalar typing as go-yaml v2 (buildkite/yaml, the parser Drone uses) resolves plain scalars, and
 * docker/go-units' byte sizes. Only plain scalars are typed; quoted and block scalars are always strings.
 */
import type { YamlData } from './document.ts';

const TRUE_WORDS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE']);
const FALSE_WORDS = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE']);
const NULL_WORDS = new Set(['', '~', 'null', 'Null', 'NULL']);
const NAN_WORDS = new Set(['.nan', '.NaN', '.NAN']);
const POSITIVE_INFINITY_WORDS = new Set(['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']);
const NEGATIVE_INFINITY_WORDS = new Set(['-.inf', '-.Inf', '-.INF']);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const LEADING_DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

export function isNullScalar(source: string): boolean {
  return NULL_WORDS.has(source);
}

/** The typed value of a plain scalar. */
export function resolvePlainScalar(source: string): YamlData {
  if (NULL_WORDS.has(source)) return { type: 'null' };
  if (TRUE_WORDS.has(source)) return { type: 'bool', value: true };
  if (FALSE_WORDS.has(source)) return { type: 'bool', value: false };
  if (NAN_WORDS.has(source)) return { type: 'float', value: Number.NaN };
  if (POSITIVE_INFINITY_WORDS.has(source)) return { type: 'float', value: Number.POSITIVE_INFINITY };
  if (NEGATIVE_INFINITY_WORDS.has(source)) return { type: 'float', value: Number.NEGATIVE_INFINITY };
  const first = source[0] ?? '';
  if (first === '.') {
    return LEADING_DOT_FLOAT.test(source) ? { type: 'float', value: Number(source) } : stringData(source);
  }
  if (!'+-0123456789'.includes(first)) return stringData(source);

  const plain = source.replaceAll('_', '');
  const signed = parseGoInteger(plain, true);
  if (signed !== null) return { type: 'int', value: signed };
  const unsigned = parseGoInteger(plain, false);
  if (unsigned !== null) return { type: 'int', value: unsigned };
  if (YAML_STYLE_FLOAT.test(plain)) {
    const value = Number(plain);
    if (Number.isFinite(value)) return { type: 'float', value };
  }
  if (plain.startsWith('0b') || plain.startsWith('-0b')) {
    const negative = plain.startsWith('-');
    const digits = plain.slice(negative ? 3 : 2);
    if (/^[01]+$/.test(digits)) {
      const value = BigInt(`0b${digits}`) * (negative ? -1n : 1n);
      if (value >= INT64_MIN && value <= INT64_MAX) return { type: 'int', value };
    }
  }
  return stringData(source);
}

function stringData(value: string): YamlData {
  return { type: 'string', value };
}

/**
 * Go's strconv.ParseInt/ParseUint with base 0: optional sign (signed only), `0x`/`0b`/`0o` prefixes, a leading
 * `0` meaning octal, and a 64-bit range. Returns null where Go returns an error.
 */
export function parseGoInteger(text: string, signed: boolean): bigint | null {
  let s = text;
  let negative = false;
  if (signed && (s.startsWith('+') || s.startsWith('-'))) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '') return null;
  let base = 10;
  if (s[0] === '0') {
    const marker = s.length >= 3 ? s[1]?.toLowerCase() : undefined;
    if (marker === 'b') base = 2;
    else if (marker === 'o') base = 8;
    else if (marker === 'x') base = 16;
    else base = 8;
    s = base === 8 && marker !== 'o' ? s.slice(1) : s.slice(2);
  }
  const digitPattern =
    base === 2 ? /^[01]*$/ : base === 8 ? /^[0-7]*$/ : base === 16 ? /^[0-9a-fA-F]*$/ : /^[0-9]+$/;
  if (!digitPattern.test(s)) return null;
  if (s === '' && base !== 8) return null;
  const prefix = base === 2 ? '0b' : base === 8 ? '0o' : base === 16 ? '0x' : '';
  const magnitude = s === '' ? 0n : BigInt(`${prefix}${s}`);
  const value = negative ? -magnitude : magnitude;
  if (signed) return value >= INT64_MIN && value <= INT64_MAX ? value : null;
  return value <= UINT64_MAX ? value : null;
}

const SIZE_PATTERN = /^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;
const BINARY_UNITS: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** docker/go-units RAMInBytes: `512m`, `1GiB`, `2 GB` (always binary multiples). Null when invalid. */
export function parseRamInBytes(text: string): number | null {
  const match = SIZE_PATTERN.exec(text);
  if (match === null) return null;
  const number = match[1] ?? '';
  if (!/^\d+(\.\d+)?$/.test(number)) return null;
  const unit = (match[3] ?? '').toLowerCase();
  return Math.trunc(Number(number) * (BINARY_UNITS[unit] ?? 1));
}
