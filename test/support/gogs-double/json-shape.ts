/**
 * Compares the shape of two JSON values (key sets and value types, recursively) for the contract tests of the
 * Gogs TEST DOUBLE against recorded Gogs replies. Values do not matter; arrays compare their first elements.
 */

export interface ShapeOptions {
  /** Paths (e.g. `html_url`, `user.login`, `commits[].added`) the double may have although the recording lacks them. */
  extraAllowed?: readonly string[];
  /** Paths where one side may be null and the other a value. */
  nullable?: readonly string[];
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function shapeDifferences(
  expected: unknown,
  actual: unknown,
  options: ShapeOptions = {},
  path = '',
): string[] {
  const expectedKind = kindOf(expected);
  const actualKind = kindOf(actual);
  if (expectedKind !== actualKind) {
    const eitherNull = expectedKind === 'null' || actualKind === 'null';
    if (eitherNull && options.nullable?.includes(path)) return [];
    return [`${path || '(root)'}: recorded ${expectedKind}, double ${actualKind}`];
  }
  if (expectedKind === 'array') {
    const [first] = expected as unknown[];
    const [firstActual] = actual as unknown[];
    if (first === undefined || firstActual === undefined) return [];
    return shapeDifferences(first, firstActual, options, `${path}[]`);
  }
  if (expectedKind !== 'object') return [];
  const expectedObject = expected as Record<string, unknown>;
  const actualObject = actual as Record<string, unknown>;
  const differences: string[] = [];
  for (const key of Object.keys(expectedObject)) {
    if (!(key in actualObject)) differences.push(`${join(path, key)}: missing in the double`);
    else
      differences.push(...shapeDifferences(expectedObject[key], actualObject[key], options, join(path, key)));
  }
  for (const key of Object.keys(actualObject)) {
    if (!(key in expectedObject) && !options.extraAllowed?.includes(join(path, key))) {
      differences.push(`${join(path, key)}: only in the double`);
    }
  }
  return differences;
}
