/** The git name checks agree with git itself: `git check-ref-format` is the oracle, on chosen and random names. */
import { execFile } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  branchNameProblem,
  buildRefProblem,
  commitShaProblem,
  isCommitSha,
  refNameProblem,
  tagNameProblem,
  ZERO_SHA,
} from '../../sidecar/core/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';

let outside: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  outside = await makeTempDir('drone-gogs-refs-');
});
afterAll(() => outside.remove());

/**
 * git's verdict on each name, outside any repository (so `@{-1}` and the like cannot resolve). One shell runs
 * git once per name, which costs far less than a process started from here for each.
 */
function gitAccepts(names: string[], flags: string[]): Promise<boolean[]> {
  const script =
    'for name do git check-ref-format $FLAGS "$name" >/dev/null 2>&1 && printf 1 || printf 0; done';
  return new Promise((resolve, reject) => {
    execFile(
      'sh',
      ['-c', script, 'sh', ...names],
      {
        cwd: outside.path,
        env: { PATH: process.env.PATH, GIT_CEILING_DIRECTORIES: outside.path, FLAGS: flags.join(' ') },
      },
      (error, stdout) => (error ? reject(error) : resolve([...stdout].map((verdict) => verdict === '1'))),
    );
  });
}

const TOKENS = [
  'a',
  'b',
  'x',
  '/',
  '/',
  '.',
  '-',
  '@',
  '{',
  '}',
  '..',
  '.lock',
  'lock',
  '@{',
  '//',
  'refs/',
  'heads/',
  'refs/heads/',
  'HEAD',
  '~',
  '^',
  ':',
  '?',
  '*',
  '[',
  ']',
  '\\',
  ' ',
  '\t',
  '\n',
  '\x01',
  '\x1f',
  '\x7f',
  'é',
  '\u0085',
  '日本',
  '+',
  '=',
  ',',
  '#',
];
const SAFE_PIECES = ['a', 'b', 'main', 'x', 'lock', 'é', '日本', '-', '+', '#', '@', '}'];
const RISKY_PIECES = ['.', '.lock', '{', ' ', '~', '\x7f'];
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SAFE_PIECES) },
  { weight: 1, arbitrary: fc.constantFrom(...RISKY_PIECES) },
);
const component = fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => parts.join(''));
/** Mostly built from the characters and pieces the rules are about, so that both verdicts come up often. */
const names = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.array(component, { minLength: 2, maxLength: 4 }).map((parts) => parts.join('/')),
  },
  {
    weight: 2,
    arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 10 }).map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);
// A NUL cannot be passed to a process at all; the checks refuse it like any control character.
const passable = names.filter((name) => !name.includes('\0'));

/** Our verdicts against git's on random names: the names they disagree on, and how many each verdict got. */
async function disagreements(check: (name: string) => string | null, flags: string[]) {
  const names = fc.sample(passable, 400);
  const verdicts = await gitAccepts(names, flags);
  expect(verdicts).toHaveLength(names.length);
  const ours = names.map((name) => check(name) === null);
  return {
    disagreeing: names.filter((_, index) => ours[index] !== verdicts[index]),
    accepted: ours.filter(Boolean).length,
    refused: ours.filter((accepted) => !accepted).length,
  };
}

describe('git names', () => {
  it('full ref names: the same verdict as `git check-ref-format` on random names', async () => {
    const { disagreeing, accepted, refused } = await disagreements(refNameProblem, []);
    expect(disagreeing).toEqual([]);
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });

  it('branch names: the same verdict as `git check-ref-format --branch` on random names', async () => {
    const { disagreeing, accepted, refused } = await disagreements(branchNameProblem, ['--branch']);
    expect(disagreeing).toEqual([]);
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });

  it.each([
    ['refs/heads/main', null],
    ['refs/heads/feature/x', null],
    ['refs/pull/7/head', null],
    ['refs/heads/日本', null],
    ['main', 'has a single component (expected refs/…)'],
    ['--upload-pack=touch /tmp/x;', 'starts with "-"'],
    ['refs/heads/a..b', 'contains ".."'],
    ['refs/heads/a b', 'contains " "'],
    ['refs/heads/a\0b', 'contains "\\u0000"'],
    ['refs/heads/a~1', 'contains "~"'],
    ['refs/heads/x@{1}', 'contains "@{"'],
    ['@', 'is "@"'],
    ['refs/heads/x.lock', 'has a component ending with ".lock" (x.lock)'],
    ['refs/heads/.hidden', 'has a component starting with "." (.hidden)'],
    ['refs/heads/x.', 'ends with "."'],
    ['refs/heads/', 'has an empty component (a leading, trailing or double slash)'],
    ['refs//heads', 'has an empty component (a leading, trailing or double slash)'],
  ])('%j: %s', (ref, problem) => {
    expect(refNameProblem(ref)).toBe(problem);
  });

  it('branch and tag names refuse a leading "-"; a branch may not be HEAD, a tag may', () => {
    expect(branchNameProblem('-x')).toBe('starts with "-"');
    expect(tagNameProblem('-x')).toBe('starts with "-"');
    expect(branchNameProblem('HEAD')).toBe('is "HEAD"');
    expect(tagNameProblem('HEAD')).toBeNull();
    expect(branchNameProblem('')).toBe('is empty');
    expect(tagNameProblem('v1.0.0')).toBeNull();
  });

  it('a build ref applies the branch or tag rules to its short name', () => {
    expect(buildRefProblem('refs/heads/-x')).toBe('starts with "-"');
    expect(buildRefProblem('refs/tags/-v1')).toBe('starts with "-"');
    expect(buildRefProblem('refs/heads/HEAD')).toBe('is "HEAD"');
    expect(buildRefProblem('refs/pull/3/head')).toBeNull();
    expect(buildRefProblem('refs/tags/v1')).toBeNull();
    expect(buildRefProblem('-refs/heads/x')).toBe('starts with "-"');
  });

  it('commit SHAs: 40 or 64 lowercase hex, nothing else', () => {
    expect(isCommitSha('a'.repeat(40))).toBe(true);
    expect(isCommitSha('0123456789abcdef'.repeat(4))).toBe(true);
    expect(isCommitSha(ZERO_SHA)).toBe(true);
    for (const bad of [
      '',
      'a'.repeat(39),
      'a'.repeat(41),
      'A'.repeat(40),
      'a'.repeat(63),
      `${'a'.repeat(40)}\n`,
    ])
      expect(isCommitSha(bad)).toBe(false);
    expect(commitShaProblem('--upload-pack=x')).toBe(
      'expected a full commit SHA (40 or 64 lowercase hex characters)',
    );
  });
});
