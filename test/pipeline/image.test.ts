/**
 * Image references without backtracking: the linear scans give what docker/distribution's expression (kept here
 * as the oracle, on names short enough for it) gives, and the name that stalled the expression costs a few
 * steps per character.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandImage } from '../../sidecar/pipeline/image.ts';
import { unlimitedBudget } from '../../sidecar/pipeline/match-budget.ts';

/** The expression image.ts used before: exponential on a run of letters followed by a bad character. */
function oracleExpand(name: string): string {
  const NAME_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
  const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
  const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
  const TAG = '[\\w][\\w.-]{0,127}';
  const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
  const REFERENCE = new RegExp(
    `^((?:${DOMAIN}/)?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
  );
  if (/^[a-f0-9]{64}$/.test(name)) return name;
  if (/^[A-Za-z][A-Za-z0-9]*:[0-9a-fA-F]{32,}$/.test(name)) return name;
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
  const colon = remainder.indexOf(':');
  const remoteName = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remoteName.toLowerCase() !== remoteName) return name;
  const match = REFERENCE.exec(`${domain}/${remainder}`);
  if (match === null) return name;
  const fullName = match[1] ?? '';
  if (fullName.length > 255) return name;
  const digest = match[3] ?? '';
  if (digest !== '') {
    const [algorithm = '', encoded = ''] = digest.split(':');
    const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
    if (lengths[algorithm] !== encoded.length || !/^[a-f0-9]+$/.test(encoded)) return name;
  }
  const tag = match[2] === undefined && digest === '' ? 'latest' : (match[2] ?? '');
  return `${fullName}${tag === '' ? '' : `:${tag}`}${digest === '' ? '' : `@${digest}`}`;
}

/**
 * Short names: the oracle takes seconds once a name holds about 20 letters and digits (its splits multiply across
 * components), so the random part keeps to 10 before its tag or digest.
 */
const piece = fc.constantFrom(
  'a',
  'b',
  'z',
  '0',
  '9',
  'A',
  'Q',
  '-',
  '--',
  '_',
  '__',
  '___',
  '.',
  ':',
  '/',
  '@',
  '!',
  'io',
  ':5000',
  'sha256:',
  'sha512:',
  'sha256+x:',
  `@sha256:${'a'.repeat(64)}`,
  `@sha256:${'A'.repeat(64)}`,
  `@sha1:${'f'.repeat(40)}`,
  `:${'t'.repeat(128)}`,
  `:${'t'.repeat(129)}`,
);
const domain = fc.constantFrom('', '', 'localhost/', 'index.docker.io/', 'reg.io:5000/', 'Reg.IO/', 'a-b.c/');
const shortName = fc
  .tuple(domain, fc.array(piece, { maxLength: 6 }))
  .map(([prefix, pieces]) => prefix + pieces.join(''))
  .filter((name) => (name.replace(/[:@].*$/, '').match(/[a-z0-9]/g) ?? []).length <= 14);
const run = fc.stringMatching(/^[a-z0-9._-]{0,10}[!A/:@]?$/);
const wellFormed = fc
  .tuple(
    domain,
    fc.array(fc.stringMatching(/^[a-z0-9]{1,3}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,2})?$/), {
      minLength: 1,
      maxLength: 3,
    }),
    fc.constantFrom('', ':1.0', ':latest', `@sha256:${'a'.repeat(64)}`, `:v1@sha256:${'b'.repeat(64)}`),
  )
  .map(([prefix, components, suffix]) => `${prefix}${components.join('/')}${suffix}`);

describe('expandImage without backtracking', () => {
  it('agrees with the old expression on random names', () => {
    fc.assert(
      fc.property(fc.oneof(shortName, run, wellFormed), (name) => {
        expect(expandImage(name)).toBe(oracleExpand(name));
      }),
      { numRuns: 4000 },
    );
  });

  it('decides the name that stalled the old expression in a few steps per character', () => {
    for (const name of [
      `${'a'.repeat(12)}!`,
      `${'a'.repeat(30)}!`,
      `${'a'.repeat(4000)}!`,
      `x/${'a-'.repeat(2000)}A`,
    ]) {
      const budget = unlimitedBudget();
      expect(expandImage(name, budget)).toBe(name);
      expect(budget.steps).toBeGreaterThan(0);
      expect(budget.steps).toBeLessThanOrEqual(8 * name.length);
    }
  });
});
