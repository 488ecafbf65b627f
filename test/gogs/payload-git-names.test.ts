/**
 * Security: what a pusher writes into a payload (refs, branch and tag names) and the SHAs beside them are checked
 * as git would check them before anything can pass them on. Gogs' own empty and all-zero SHAs stay accepted.
 */
import { describe, expect, it } from 'vitest';
import { ZERO_SHA } from '../../sidecar/core/index.ts';
import { normalizeGogsHook } from '../../sidecar/gogs/index.ts';
import { fixtureJson } from '../support/gogs-fixtures.ts';

type Payload = Record<string, unknown>;
const SHA256 = '0123456789abcdef'.repeat(4);
const BAD_SHA = 'not a valid commit SHA: expected a full commit SHA (40 or 64 lowercase hex characters)';

function problems(event: string, payload: Payload): string[] {
  const result = normalizeGogsHook(event, payload);
  return result.outcome === 'invalid' ? result.problems : [];
}

function eventOf(event: string, payload: Payload) {
  const result = normalizeGogsHook(event, payload);
  if (result.outcome !== 'event') throw new Error(JSON.stringify(result));
  return result.event;
}

const push = fixtureJson<Payload>('push_signed.json');
const pullRequest = fixtureJson<{ pull_request: Payload } & Payload>('pull_request_closed.json');
const withPullRequest = (fields: Payload) => ({
  ...pullRequest,
  pull_request: { ...pullRequest.pull_request, ...fields },
});

describe('payloads: SHAs', () => {
  it('a merged pull request with a merge commit that is not a SHA is invalid', () => {
    expect(
      problems(
        'pull_request',
        withPullRequest({ merged: true, merge_commit_sha: '--upload-pack=touch /tmp/x;' }),
      ),
    ).toEqual([`pull_request.merge_commit_sha: ${BAD_SHA}`]);
  });

  it('an open pull request has no merge commit yet: null and empty are accepted as absent', () => {
    for (const absent of [null, '']) {
      const event = eventOf('pull_request', withPullRequest({ merged: false, merge_commit_sha: absent }));
      expect(event.pullRequest!.mergeCommitSha).toBe('');
      expect(event.after).toBe('');
    }
  });

  it('push: before and after take 40 or 64 hex; before may be all zeros (a new branch) or empty', () => {
    expect(eventOf('push', { ...push, before: ZERO_SHA }).before).toBe(ZERO_SHA);
    expect(eventOf('push', { ...push, before: '' }).before).toBe('');
    expect(eventOf('push', { ...push, after: SHA256, commits: [] }).after).toBe(SHA256);
    expect(problems('push', { ...push, before: 'HEAD~1', after: 'A'.repeat(40) })).toEqual([
      `before: ${BAD_SHA}`,
      `after: ${BAD_SHA}`,
    ]);
  });

  it('a create event with a sha that is not one is invalid; the empty sha of a branch is not', () => {
    const create = fixtureJson<Payload>('create_tag.json');
    expect(problems('create', { ...create, sha: '-v' })).toEqual([`sha: ${BAD_SHA}`]);
    expect(eventOf('create', { ...create, ref_type: 'branch', sha: '' }).after).toBe('');
  });
});

describe('payloads: refs, branch and tag names', () => {
  it.each([
    ['refs/heads/--upload-pack=touch /tmp/x', 'ref: not a valid ref: starts with "-"'],
    ['refs/heads/x y', 'ref: not a valid ref: contains " "'],
    ['refs/heads/-x', 'ref: not a valid ref: starts with "-"'],
    ['refs/heads/a..b', 'ref: not a valid ref: contains ".."'],
    ['refs/heads/x.lock', 'ref: not a valid ref: has a component ending with ".lock" (x.lock)'],
    ['refs/heads/', 'ref: not a valid ref: is empty'],
    ['-x', 'ref: not a valid ref: starts with "-"'],
    ['', 'ref: not a valid ref: is empty'],
  ])('push of %j is invalid', (ref, problem) => {
    expect(problems('push', { ...push, ref })).toEqual([problem]);
  });

  it('pull request branches follow the branch rules, and every problem is listed', () => {
    expect(
      problems(
        'pull_request',
        withPullRequest({ head_branch: '--exec=x', base_branch: 'main@{1}', merge_commit_sha: 'x' }),
      ),
    ).toEqual([
      `pull_request.merge_commit_sha: ${BAD_SHA}`,
      'pull_request.head_branch: not a valid branch name: starts with "-"',
      'pull_request.base_branch: not a valid branch name: contains "@{"',
    ]);
  });

  it('create and delete name a branch or a tag by the rules of their ref_type', () => {
    const createBranch = fixtureJson<Payload>('create_branch.json');
    const deleteTag = fixtureJson<Payload>('delete_tag.json');
    expect(problems('create', { ...createBranch, ref: 'HEAD' })).toEqual([
      'ref: not a valid branch name: is "HEAD"',
    ]);
    expect(problems('create', { ...createBranch, ref: 'a b', sender: null })).toEqual([
      'sender: Invalid input: expected object, received null',
      'ref: not a valid branch name: contains " "',
    ]);
    expect(problems('delete', { ...deleteTag, ref: '-v1' })).toEqual([
      'ref: not a valid tag name: starts with "-"',
    ]);
    expect(eventOf('create', { ...createBranch, ref: 'feature/ü-1' }).ref).toBe('refs/heads/feature/ü-1');
  });

  it('a release tag follows the tag rules', () => {
    const release = fixtureJson<{ release: Payload } & Payload>('abstruse-2017/release_published.json');
    expect(problems('release', { ...release, release: { ...release.release, tag_name: 'v1~2' } })).toEqual([
      'release.tag_name: not a valid tag name: contains "~"',
    ]);
  });
});
