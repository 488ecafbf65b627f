/**
 * Docker image references as drone-runner-docker normalises them (docker/distribution reference parsing plus
 * TagNameOnly): `golang` → `docker.io/library/golang:latest`. Unparsable names are kept as written.
 */
import type { PullPolicy } from '../core/index.ts';
import { type MatchBudget, spend, unlimitedBudget } from './match-budget.ts';

/**
 * docker/distribution's grammar, `((?:DOMAIN/)?NAME(?:/NAME)*)(?::(TAG))?(?:@(DIGEST))?`, checked by linear scans
 * instead of its regular expression: in a backtracking engine the name component's `(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
 * tries every split of a run of letters, so one bad character after a short name took minutes. The scans accept
 * exactly what the expression accepts; each character costs one step of the budget.
 */
const IDENTIFIER = /^[a-f0-9]{64}$/;
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const MAX_NAME_LENGTH = 255;
const MAX_TAG_LENGTH = 128;

interface ImageReference {
  domain: string;
  path: string;
  tag: string;
  digest: string;
}

const isDigit = (code: number) => code >= 48 && code <= 57;
const isLower = (code: number) => code >= 97 && code <= 122;
const isLetter = (code: number) => isLower(code) || (code >= 65 && code <= 90);
const isAlphanumeric = (code: number) => isLetter(code) || isDigit(code);
const isWord = (code: number) => isAlphanumeric(code) || code === 95;
const isHex = (code: number) => isDigit(code) || (code >= 97 && code <= 102) || (code >= 65 && code <= 70);

/** NAME_COMPONENT: runs of `[a-z0-9]` joined by `.`, `_`, `__` or any number of `-`. */
function isNameComponent(text: string, budget: MatchBudget): boolean {
  spend(budget, text.length);
  let index = 0;
  for (;;) {
    const runStart = index;
    while (index < text.length && (isLower(text.charCodeAt(index)) || isDigit(text.charCodeAt(index))))
      index++;
    if (index === runStart) return false;
    if (index === text.length) return true;
    const separator = text[index];
    if (separator === '.') index++;
    else if (separator === '_') index += text[index + 1] === '_' ? 2 : 1;
    else if (separator === '-') while (text[index] === '-') index++;
    else return false;
  }
}

/** DOMAIN_COMPONENT: `[a-zA-Z0-9]` runs and `-`, neither starting nor ending with `-`. */
function isDomainComponent(text: string): boolean {
  if (text === '' || text.startsWith('-') || text.endsWith('-')) return false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (!isAlphanumeric(code) && code !== 45) return false;
  }
  return true;
}

/** DOMAIN: components joined by `.`, then an optional `:port`. */
function isDomain(text: string, budget: MatchBudget): boolean {
  spend(budget, text.length);
  const colon = text.indexOf(':');
  if (colon !== -1) {
    if (colon === text.length - 1) return false;
    for (let index = colon + 1; index < text.length; index++)
      if (!isDigit(text.charCodeAt(index))) return false;
  }
  return (colon === -1 ? text : text.slice(0, colon)).split('.').every(isDomainComponent);
}

function isTag(text: string, budget: MatchBudget): boolean {
  spend(budget, text.length);
  if (text === '' || text.length > MAX_TAG_LENGTH || !isWord(text.charCodeAt(0))) return false;
  for (let index = 1; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (!isWord(code) && code !== 46 && code !== 45) return false;
  }
  return true;
}

/** DIGEST: `algorithm:hex`, the algorithm being letter-led runs joined by one of `-_+.`, the hex 32+ long. */
function isDigest(text: string, budget: MatchBudget): boolean {
  spend(budget, text.length);
  const colon = text.indexOf(':');
  if (colon === -1 || text.length - colon - 1 < 32) return false;
  for (let index = colon + 1; index < text.length; index++) if (!isHex(text.charCodeAt(index))) return false;
  let atComponentStart = true;
  for (let index = 0; index < colon; index++) {
    const code = text.charCodeAt(index);
    if (atComponentStart) {
      if (!isLetter(code)) return false;
      atComponentStart = false;
    } else if (code === 45 || code === 95 || code === 43 || code === 46) atComponentStart = true;
    else if (!isAlphanumeric(code)) return false;
  }
  return !atComponentStart;
}

/** `(?:DOMAIN/)?NAME(?:/NAME)*`. */
function isRepositoryName(text: string, budget: MatchBudget): boolean {
  const [first = '', ...rest] = text.split('/');
  if (!rest.every((component) => isNameComponent(component, budget))) return false;
  return isNameComponent(first, budget) || (rest.length > 0 && isDomain(first, budget));
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

function parseReference(name: string, budget: MatchBudget): ImageReference | null {
  spend(budget, name.length);
  if (IDENTIFIER.test(name)) return null;
  if (/^[A-Za-z][A-Za-z0-9]*:[0-9a-fA-F]{32,}$/.test(name)) return null;
  const { domain, remainder } = splitDomain(name);
  const colon = remainder.indexOf(':');
  const remoteName = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remoteName.toLowerCase() !== remoteName) return null;
  const text = `${domain}/${remainder}`;
  // Neither the name nor the tag holds an `@`, and after the last `/` a `:` can only start the tag.
  const at = text.indexOf('@');
  const beforeDigest = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? '' : text.slice(at + 1);
  if (at !== -1 && !isDigest(digest, budget)) return null;
  const tagColon = beforeDigest.lastIndexOf(':');
  const hasTag = tagColon > beforeDigest.lastIndexOf('/');
  const fullName = hasTag ? beforeDigest.slice(0, tagColon) : beforeDigest;
  const tag = hasTag ? beforeDigest.slice(tagColon + 1) : '';
  if (hasTag && !isTag(tag, budget)) return null;
  if (!isRepositoryName(fullName, budget)) return null;
  if (fullName.length > MAX_NAME_LENGTH) return null;
  if (digest !== '') {
    const [algorithm = '', encoded = ''] = digest.split(':');
    const length = DIGEST_LENGTHS[algorithm];
    if (length === undefined || encoded.length !== length || !/^[a-f0-9]+$/.test(encoded)) return null;
  }
  return { domain, path: fullName.slice(domain.length + 1), tag, digest };
}

/** Fully qualified reference with a tag (`:latest` when neither tag nor digest is given). */
export function expandImage(name: string, budget: MatchBudget = unlimitedBudget()): string {
  const reference = parseReference(name, budget);
  if (reference === null) return name;
  const tag = reference.tag === '' && reference.digest === '' ? 'latest' : reference.tag;
  return `${reference.domain}/${reference.path}${tag === '' ? '' : `:${tag}`}${reference.digest === '' ? '' : `@${reference.digest}`}`;
}

/** The short name without tag or digest, as `docker` prints it (`golang`, `plugins/docker`, `gcr.io/x/y`). */
export function familiarName(name: string, budget: MatchBudget = unlimitedBudget()): string {
  const reference = parseReference(name, budget);
  if (reference === null) return name;
  if (reference.domain !== 'docker.io') return `${reference.domain}/${reference.path}`;
  const path = reference.path;
  return path.startsWith('library/') && path.indexOf('/', 'library/'.length) === -1
    ? path.slice('library/'.length)
    : path;
}

/** Same image regardless of tag and registry spelling. */
export function sameImage(a: string, b: string, budget: MatchBudget = unlimitedBudget()): boolean {
  return familiarName(a, budget) === familiarName(b, budget);
}

/** `always`, `if-not-exists`, `never` (any case); anything else is the default policy. */
export function pullPolicy(text: string): PullPolicy {
  const lower = text.toLowerCase();
  return lower === 'always' || lower === 'if-not-exists' || lower === 'never' ? lower : 'default';
}
