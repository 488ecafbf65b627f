/**
 * What a secret's name, value and owner may be, worded for the CLI and the API alike. Each check returns what is
 * wrong, or null; none echoes a value.
 */

/** Drone's secret names: letters, digits, underscore, dot and dash. */
const SECRET_NAME = /^[A-Za-z0-9_.-]+$/;
export const MAX_SECRET_NAME_CHARS = 128;
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;
/** Gogs' user and organisation names (letters, digits, dash, underscore, dot), bounded generously. */
const OWNER_NAME = /^[A-Za-z0-9_.-]{1,255}$/;
/** OWNER/NAME as Gogs spells repositories. */
const FULL_NAME = /^[A-Za-z0-9_.-]{1,255}\/[A-Za-z0-9_.-]{1,255}$/;

export function secretNameProblem(name: string): string | null {
  if (name.length === 0) return 'a secret needs a name';
  if (name.length > MAX_SECRET_NAME_CHARS)
    return `a secret name is at most ${MAX_SECRET_NAME_CHARS} characters`;
  if (!SECRET_NAME.test(name))
    return 'a secret name may hold letters, digits, underscores, dots and dashes only';
  return null;
}

export function secretValueProblem(value: string): string | null {
  if (value.length === 0) return 'the secret value is empty';
  // One character is not masked in logs (the masker leaves single characters alone, or every log would be stars).
  if (value.length < 2) return 'a secret value of one character cannot be masked in logs; use a longer one';
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_SECRET_VALUE_BYTES)
    return `the secret value is ${bytes} bytes; the limit is ${MAX_SECRET_VALUE_BYTES} (64 KiB)`;
  if (value.includes('\u0000'))
    return 'the secret value holds a NUL character, which no environment variable can carry';
  return null;
}

export function orgNameProblem(org: string): string | null {
  return OWNER_NAME.test(org)
    ? null
    : 'an organisation is a Gogs user or organisation name (letters, digits, dashes, underscores, dots)';
}

export function repoNameProblem(fullName: string): string | null {
  return FULL_NAME.test(fullName) ? null : 'a repository is named OWNER/NAME, as Gogs spells it';
}
