/**
 * What Caddy's forward_auth asks about: the original request URI (X-Forwarded-Uri) as the page it names.
 * Pure. Anything that could be read two ways (by this check and by the file server behind it) is refused rather
 * than guessed at: dot segments, encoded slashes or backslashes, double encoding, empty segments, non-ASCII.
 */
export type ForwardedTarget =
  | { kind: 'public' }
  | { kind: 'private'; fullName: string }
  | { kind: 'refused'; reason: string };

export const MAX_FORWARDED_URI_CHARS = 2048;

/** Gogs' owner and repository names. */
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** Printable ASCII without space: what a request target is made of. */
const REQUEST_TARGET = /^[\x21-\x7e]+$/;

const refused = (reason: string): ForwardedTarget => ({ kind: 'refused', reason });

function decodedSegment(raw: string): string | null {
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    return null;
  }
  if (segment === '.' || segment === '..' || /[/\\%\p{Cc}]/u.test(segment)) return null;
  return segment;
}

export function forwardedTarget(uri: string | undefined): ForwardedTarget {
  if (uri === undefined || uri === '') return refused('no X-Forwarded-Uri');
  if (uri.length > MAX_FORWARDED_URI_CHARS) return refused('the URI is too long');
  if (!REQUEST_TARGET.test(uri)) return refused('the URI holds characters a request target cannot');
  if (!uri.startsWith('/') || uri.startsWith('//')) return refused('the URI is not a path');
  const path = uri.split(/[?#]/, 1)[0] ?? '';
  if (path.includes('\\')) return refused('the path holds a backslash');
  const raw = path.slice(1).split('/');
  const segments: string[] = [];
  for (const [index, part] of raw.entries()) {
    // A trailing slash is a directory's page; an empty segment anywhere else reads differently after cleaning.
    if (part === '' && index === raw.length - 1) break;
    const segment = decodedSegment(part);
    if (segment === null || segment === '') return refused('the path has a dot, empty or encoded segment');
    segments.push(segment);
  }
  if (segments[0]?.toLowerCase() !== 'private') return { kind: 'public' };
  const [, owner, name] = segments;
  if (owner === undefined || name === undefined || !NAME.test(owner) || !NAME.test(name))
    return refused('a private page names no repository');
  return { kind: 'private', fullName: `${owner}/${name}` };
}
