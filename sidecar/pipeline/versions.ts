/**
 * DRONE_SEMVER_* and DRONE_CALVER_* for tag builds (drone/runner-go environ/semver.go with coreos/go-semver,
 * environ/calver.go).
 */

/** Go's strconv.ParseInt(s, 10, 64): sign allowed, decimal digits only. */
function parseInt64(text: string): { value: bigint } | { error: string } {
  if (!/^[+-]?\d+$/.test(text))
    return { error: `strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax` };
  const value = BigInt(text);
  if (value < -(2n ** 63n) || value > 2n ** 63n - 1n) {
    return { error: `strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range` };
  }
  return { value };
}

function splitOff(text: string, delimiter: string): [string, string] {
  const index = text.indexOf(delimiter);
  return index === -1 ? [text, ''] : [text.slice(0, index), text.slice(index + 1)];
}

export function semverVariables(tag: string): Record<string, string> {
  const text = tag.startsWith('v') ? tag.slice(1) : tag;
  const [withoutMetadata, metadata] = splitOff(text, '+');
  const [core, preRelease] = splitOff(withoutMetadata, '-');
  const dotParts = splitN(core, '.', 3);
  if (dotParts.length !== 3) return { DRONE_SEMVER_ERROR: `${core} is not in dotted-tri format` };
  const numbers: bigint[] = [];
  for (const part of dotParts) {
    const parsed = parseInt64(part);
    if ('error' in parsed) return { DRONE_SEMVER_ERROR: parsed.error };
    numbers.push(parsed.value);
  }
  const [major, minor, patch] = numbers.map(String);
  const short = `${major}.${minor}.${patch}`;
  const env: Record<string, string> = {
    DRONE_SEMVER: `${short}${preRelease === '' ? '' : `-${preRelease}`}${metadata === '' ? '' : `+${metadata}`}`,
    DRONE_SEMVER_MAJOR: major ?? '',
    DRONE_SEMVER_MINOR: minor ?? '',
    DRONE_SEMVER_PATCH: patch ?? '',
    DRONE_SEMVER_SHORT: short,
  };
  if (preRelease !== '') env.DRONE_SEMVER_PRERELEASE = preRelease;
  if (metadata !== '') env.DRONE_SEMVER_BUILD = metadata;
  return env;
}

/** Go's strings.SplitN. */
function splitN(text: string, separator: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (parts.length < limit - 1) {
    const index = rest.indexOf(separator);
    if (index === -1) break;
    parts.push(rest.slice(0, index));
    rest = rest.slice(index + separator.length);
  }
  parts.push(rest);
  return parts;
}

function isGoInt(text: string): boolean {
  return /^[+-]?\d+$/.test(text) && Number.isSafeInteger(Number(text));
}

export function calverVariables(tag: string): Record<string, string> {
  const text = tag.startsWith('v') ? tag.slice(1) : tag;
  const parts = splitN(text, '.', 3);
  if (parts.length < 2) return {};
  const major = parts[0] ?? '';
  const minor = parts[1] ?? '';
  let micro = parts[2] ?? '';
  let modifier = '';
  if (micro.includes('-')) [micro, modifier] = splitN(micro, '-', 2) as [string, string];
  if (!isGoInt(major) || !isGoInt(minor)) return {};
  const year = Number(major);
  if (!((year > 18 && year < 100) || (year > 2018 && year < 9999))) return {};
  const short = `${major}.${minor}${micro === '' ? '' : `.${micro}`}`;
  const env: Record<string, string> = {
    DRONE_CALVER: `${short}${modifier === '' ? '' : `-${modifier}`}`,
    DRONE_CALVER_MAJOR_MINOR: `${major}.${minor}`,
    DRONE_CALVER_MAJOR: major,
    DRONE_CALVER_MINOR: minor,
    DRONE_CALVER_MICRO: micro,
    DRONE_CALVER_SHORT: short,
  };
  if (modifier !== '') env.DRONE_CALVER_MODIFIER = modifier;
  return env;
}
