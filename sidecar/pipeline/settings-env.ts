/**
 * Plugin `settings` into PLUGIN_* variables (drone-runner-docker internal/encoder, spec §7.11): the name is
 * `PLUGIN_` + the key upper-cased (nothing else changes), the value keeps its YAML type's canonical form; lists
 * of scalars join with commas, anything structured becomes JSON the way Go's encoding/json writes it.
 */
import type { YamlData } from './document.ts';

export function pluginVariableName(key: string): string {
  return `PLUGIN_${key.toUpperCase()}`;
}

export function encodeSetting(value: YamlData): string {
  switch (value.type) {
    case 'string':
      return value.value;
    case 'bool':
      return String(value.value);
    case 'int':
      return value.value.toString();
    case 'float':
      return formatGoFloat(value.value);
    case 'null':
      return 'null';
    case 'seq':
      return value.items.every(isScalar) ? value.items.map(scalarAsYamlString).join(',') : goJson(value);
    case 'map':
      return goJson(value);
  }
}

function isScalar(value: YamlData): boolean {
  return value.type !== 'seq' && value.type !== 'map';
}

/** A scalar marshalled by go-yaml and read back into a Go string. */
function scalarAsYamlString(value: YamlData): string {
  switch (value.type) {
    case 'null':
      return '';
    case 'float':
      if (Number.isNaN(value.value)) return '.nan';
      if (value.value === Number.POSITIVE_INFINITY) return '.inf';
      if (value.value === Number.NEGATIVE_INFINITY) return '-.inf';
      return formatGoFloat(value.value);
    default:
      return encodeSetting(value);
  }
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64): shortest digits, exponent form below 1e-4 and from 1e6. */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (value === 0) return `${sign}0`;
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  const pointAt = exponent + 1;
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return `${sign}${digits}${'0'.repeat(pointAt - digits.length)}`;
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}

/** encoding/json: keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped; floats as JSON numbers. */
function goJson(value: YamlData): string {
  switch (value.type) {
    case 'null':
      return 'null';
    case 'bool':
      return String(value.value);
    case 'int':
      return value.value.toString();
    case 'float':
      return Number.isFinite(value.value) ? JSON.stringify(value.value) : 'null';
    case 'string':
      return goJsonString(value.value);
    case 'seq':
      return `[${value.items.map(goJson).join(',')}]`;
    case 'map': {
      const entries = [...new Map(value.entries)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, item]) => `${goJsonString(key)}:${goJson(item)}`).join(',')}}`;
    }
  }
}

function goJsonString(text: string): string {
  return JSON.stringify(text)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}
