/**
 * go-macaron/binding as Gogs uses it, for the TEST DOUBLE: a bound body needs a JSON Content-Type (415 when
 * empty or unsupported), malformed JSON or a wrong type is 400, a missing `binding:"Required"` field is 422,
 * each answered with binding's array of `{fieldNames?, classification, message}`. Field names in errors are the
 * Go struct field names (`Name`, `Config`), as binding reports them.
 */
import { type ApiContext, jsonReply } from './api-support.ts';

type FieldType = 'string' | 'bool' | 'int' | 'stringList' | 'stringMap';

export interface BoundField {
  json: string;
  go: string;
  type: FieldType;
  required?: boolean;
}

const GO_TYPES: Record<FieldType, string> = {
  string: 'string',
  bool: 'bool',
  int: 'int64',
  stringList: '[]string',
  stringMap: 'map[string]string',
};

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

function fits(type: FieldType, value: unknown): boolean {
  if (value === null) return true;
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'int':
      return Number.isInteger(value);
    case 'stringList':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'stringMap':
      return (
        jsonKind(value) === 'object' &&
        Object.values(value as object).every((item) => typeof item === 'string')
      );
  }
}

function isZero(type: FieldType, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (type === 'string') return value === '';
  if (type === 'bool') return value === false;
  if (type === 'int') return value === 0;
  return false;
}

function bindingErrors(c: ApiContext, status: number, errors: object[]): Response {
  return jsonReply(c, status, errors, 'application/json; charset=utf-8');
}

/** The bound body, or the Response binding's ErrorHandler would send. */
export async function bindJson(
  c: ApiContext,
  structName: string,
  fields: readonly BoundField[],
): Promise<Record<string, unknown> | Response> {
  const contentType = c.req.header('content-type') ?? '';
  if (!contentType.includes('json')) {
    const message = contentType === '' ? 'Empty Content-Type' : 'Unsupported Content-Type';
    return bindingErrors(c, 415, [{ classification: 'ContentTypeError', message }]);
  }
  const text = await c.req.text();
  let body: unknown = {};
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      return bindingErrors(c, 400, [
        {
          classification: 'DeserializationError',
          message: 'invalid character looking for beginning of value',
        },
      ]);
    }
  }
  if (jsonKind(body) !== 'object') {
    return bindingErrors(c, 400, [
      {
        classification: 'DeserializationError',
        message: `json: cannot unmarshal ${jsonKind(body)} into Go value of type api.${structName}`,
      },
    ]);
  }
  const values = body as Record<string, unknown>;
  for (const field of fields) {
    const value = values[field.json];
    if (value !== undefined && !fits(field.type, value)) {
      return bindingErrors(c, 400, [
        {
          classification: 'DeserializationError',
          message: `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${structName}.${field.json} of type ${GO_TYPES[field.type]}`,
        },
      ]);
    }
  }
  const missing = fields.filter((field) => field.required && isZero(field.type, values[field.json]));
  if (missing.length > 0) {
    return bindingErrors(
      c,
      422,
      missing.map((field) => ({
        fieldNames: [field.go],
        classification: 'RequiredError',
        message: 'Required',
      })),
    );
  }
  return values;
}
