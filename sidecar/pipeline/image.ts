/**
 * Docker image references as drone-runner-docker normalises them (docker/distribution reference parsing plus
 * TagNameOnly): `golang` → `docker.io/library/golang:latest`. Unparsable names are kept as written.
 */
import type { PullPolicy } from '../core/index.ts';

const NAME_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);
const IDENTIFIER = /^[a-f0-9]{64}$/;
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const MAX_NAME_LENGTH = 255;

interface ImageReference {
  domain: string;
  path: string;
  tag: string;
  digest: string;
}

function splitDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  let domain = 'docker.io';
  let remainder = name;
  if (slash !== -1 && (/[.:]/.test(first) || first === 'localhost')) {
    domain = first;
    remainder = name.slice(slash + 1);
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  return { domain, remainder };
}

function parseReference(name: string): ImageReference | null {
  if (IDENTIFIER.test(name)) return null;
  if (/^[A-Za-z][A-Za-z0-9]*:[0-9a-fA-F]{32,}$/.test(name)) return null;
  const { domain, remainder } = splitDomain(name);
  const colon = remainder.indexOf(':');
  const remoteName = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remoteName.toLowerCase() !== remoteName) return null;
  const match = REFERENCE.exec(`${domain}/${remainder}`);
  if (match === null) return null;
  const fullName = match[1] ?? '';
  if (fullName.length > MAX_NAME_LENGTH) return null;
  const digest = match[3] ?? '';
  if (digest !== '') {
    const [algorithm = '', encoded = ''] = digest.split(':');
    const length = DIGEST_LENGTHS[algorithm];
    if (length === undefined || encoded.length !== length || !/^[a-f0-9]+$/.test(encoded)) return null;
  }
  return { domain, path: fullName.slice(domain.length + 1), tag: match[2] ?? '', digest };
}

/** Fully qualified reference with a tag (`:latest` when neither tag nor digest is given). */
export function expandImage(name: string): string {
  const reference = parseReference(name);
  if (reference === null) return name;
  const tag = reference.tag === '' && reference.digest === '' ? 'latest' : reference.tag;
  return `${reference.domain}/${reference.path}${tag === '' ? '' : `:${tag}`}${reference.digest === '' ? '' : `@${reference.digest}`}`;
}

/** The short name without tag or digest, as `docker` prints it (`golang`, `plugins/docker`, `gcr.io/x/y`). */
export function familiarName(name: string): string {
  const reference = parseReference(name);
  if (reference === null) return name;
  if (reference.domain !== 'docker.io') return `${reference.domain}/${reference.path}`;
  const path = reference.path;
  return path.startsWith('library/') && path.indexOf('/', 'library/'.length) === -1
    ? path.slice('library/'.length)
    : path;
}

/** Same image regardless of tag and registry spelling. */
export function sameImage(a: string, b: string): boolean {
  return familiarName(a) === familiarName(b);
}

/** `always`, `if-not-exists`, `never` (any case); anything else is the default policy. */
export function pullPolicy(text: string): PullPolicy {
  const lower = text.toLowerCase();
  return lower === 'always' || lower === 'if-not-exists' || lower === 'never' ? lower : 'default';
}
