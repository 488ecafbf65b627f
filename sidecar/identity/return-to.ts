/**
 * Where to go after signing in, reduced to a path on this site: a `returnTo` that could leave it (an absolute
 * URL, `//host`, `/\host`, a control character) becomes '/', so the login cannot be used as an open redirect.
 */
const MAX_CHARS = 2048;
const ORIGIN = 'http://return-to.invalid';

export function localReturnTo(value: string | undefined): string {
  if (value === undefined || value.length > MAX_CHARS) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(value)) return '/';
  let url: URL;
  try {
    url = new URL(value, ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== ORIGIN) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
