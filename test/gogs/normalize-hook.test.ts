import { describe, expect, it } from 'vitest';
import type { HookEvent } from '../../sidecar/core/index.ts';
import { normalizeGogsHook } from '../../sidecar/gogs/index.ts';
import { fixtureJson, webhookFixtureNames } from '../support/gogs-fixtures.ts';

/** The X-Gogs-Event each fixture was sent with, from its name (see SOURCES.md). */
function eventOf(name: string): string {
  const base = name.replace(/^.*\//, '').replace(/\.json$/, '');
  if (base.startsWith('push')) return 'push';
  if (base.startsWith('create')) return 'create';
  if (base.startsWith('delete')) return 'delete';
  if (base.startsWith('issue_comment')) return 'issue_comment';
  if (base.startsWith('issues')) return 'issues';
  if (base.startsWith('pull_request')) return 'pull_request';
  if (base.startsWith('release')) return 'release';
  if (base.startsWith('fork')) return 'fork';
  throw new Error(`no event known for ${name}`);
}

function normalized(name: string): HookEvent {
  const result = normalizeGogsHook(eventOf(name), fixtureJson(name));
  if (result.outcome !== 'event') throw new Error(`${name}: ${JSON.stringify(result)}`);
  return result.event;
}

describe('normalising every real Gogs payload', () => {
  const names = webhookFixtureNames();

  it('covers the recorded fixtures', () => {
    expect(names.length).toBeGreaterThanOrEqual(48);
  });

  it.each(names)('%s is an event or ignored with a reason, never invalid', (name) => {
    const payload = fixtureJson<{ repository: { id: number; full_name: string } }>(name);
    const result = normalizeGogsHook(eventOf(name), payload);
    expect(result.outcome).not.toBe('invalid');
    if (result.outcome === 'event') {
      expect(result.event.repo.gogsId).toBe(payload.repository.id);
      expect(result.event.repo.fullName).toBe(payload.repository.full_name);
      expect(result.event.sender.login).not.toBe('');
    } else if (result.outcome === 'ignored') {
      expect(['issues', 'fork']).toContain(eventOf(name));
    }
  });
});

describe('what each event means', () => {
  it('push: ref, branch, before/after and commits newest first', () => {
    const event = normalized('push_signed.json');
    expect(event).toMatchObject({
      kind: 'push',
      action: 'pushed',
      ref: 'refs/heads/master',
      branch: 'master',
      before: 'bfb216870407953f6edbe4471e8e35168847951a',
      after: '0991f94731e43c58d08a3facbb6e223c5e548f38',
      repo: { fullName: 'maarten/webhook-test', owner: 'maarten', name: 'webhook-test' },
    });
    expect(event.commits[0]).toMatchObject({ sha: event.after, message: 'Update README\n' });
  });

  it('push from 2017 without file lists still normalises, with empty lists', () => {
    const event = normalized('push_gogs_docs_2017.json');
    expect(event.branch).toBe('develop');
    expect(event.commits.every((commit) => commit.added.length === 0 && commit.modified.length === 0)).toBe(
      true,
    );
  });

  it('push.json keeps the changed files', () => {
    expect(normalized('push.json').commits[0]!.modified).toEqual(['README.md']);
  });

  it('the test delivery button (before == after) is a push', () => {
    const event = normalized('abstruse-2017/push_test_delivery.json');
    expect(event.kind).toBe('push');
    expect(event.before).toBe(event.after);
  });

  it('a mirror sync short ref is expanded', () => {
    const payload = fixtureJson<Record<string, unknown>>('push.json');
    const result = normalizeGogsHook('push', { ...payload, ref: 'master' });
    expect(result.outcome === 'event' && result.event.ref).toBe('refs/heads/master');
  });

  it('create tag: refs/tags/<name>, the tag SHA kept as after', () => {
    expect(normalized('create_tag.json')).toMatchObject({
      kind: 'tag',
      action: 'created',
      ref: 'refs/tags/v1.0.0',
      tag: 'v1.0.0',
      after: '599d25c67b05717269f50ac082b34f176d085179',
    });
  });

  it('create branch: no sha in the 2017 payload', () => {
    expect(normalized('create_branch.json')).toMatchObject({
      kind: 'branch',
      action: 'created',
      ref: 'refs/heads/feature',
      branch: 'feature',
      after: '',
    });
  });

  it('delete branch and tag', () => {
    expect(normalized('delete_branch.json')).toMatchObject({
      kind: 'branch',
      action: 'deleted',
      branch: 'feature',
    });
    expect(normalized('delete_tag.json')).toMatchObject({ kind: 'tag', action: 'deleted', tag: 'v1.0.0' });
  });

  it.each(['opened', 'edited', 'synchronized', 'closed'])(
    'pull_request %s: refs/pull/N/head, no head SHA, target branch',
    (action) => {
      const event = normalized(`pull_request_${action}.json`);
      expect(event.kind).toBe('pull_request');
      expect(event.action).toBe(action);
      expect(event.ref).toBe(`refs/pull/${event.pullRequest!.number}/head`);
      expect(event.branch).toBe('master');
      expect(event.after).toBe('');
      expect(event.pullRequest).toMatchObject({
        headBranch: 'feature',
        baseBranch: 'master',
        fromFork: false,
      });
    },
  );

  it('every pull request action of 2017 keeps its action', () => {
    for (const action of [
      'assigned',
      'demilestoned',
      'label_cleared',
      'label_updated',
      'milestoned',
      'reopened',
      'unassigned',
    ]) {
      expect(normalized(`abstruse-2017/pull_request_${action}.json`).action).toBe(action);
    }
  });

  it('a merged pull request carries the merge commit', () => {
    const payload = fixtureJson<{ pull_request: Record<string, unknown> }>('pull_request_closed.json');
    const merged = {
      ...payload,
      pull_request: { ...payload.pull_request, merged: true, merge_commit_sha: 'a'.repeat(40) },
    };
    const result = normalizeGogsHook('pull_request', merged);
    expect(result.outcome === 'event' && result.event.after).toBe('a'.repeat(40));
  });

  it('issue comments: on a pull request or on an issue', () => {
    expect(normalized('issue_comment_on_pull_request_created.json')).toMatchObject({
      kind: 'comment',
      action: 'created',
      ref: 'refs/pull/2/head',
      comment: { onPullRequest: true, issueNumber: 2, body: 'run gofmt' },
    });
    expect(normalized('issue_comment_created.json').comment!.onPullRequest).toBe(false);
  });

  it('release published', () => {
    expect(normalized('abstruse-2017/release_published.json')).toMatchObject({
      kind: 'release',
      action: 'published',
      tag: 'aa',
      ref: 'refs/tags/aa',
      release: { tagName: 'aa', name: 'fwa', prerelease: false },
    });
  });

  it('issues and fork events are ignored with a reason; unknown events too', () => {
    expect(normalizeGogsHook('issues', fixtureJson('issues_opened.json'))).toEqual({
      outcome: 'ignored',
      reason: 'issue events do not start builds',
    });
    expect(normalizeGogsHook('fork', fixtureJson('abstruse-2017/fork.json')).outcome).toBe('ignored');
    expect(normalizeGogsHook('wiki', {})).toEqual({ outcome: 'ignored', reason: 'unknown event "wiki"' });
  });

  it('an invalid payload reports every problem by path', () => {
    const result = normalizeGogsHook('push', { ref: 'refs/heads/x', after: 'nope', repository: { id: 'x' } });
    expect(result.outcome).toBe('invalid');
    if (result.outcome !== 'invalid') return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('after'),
        expect.stringContaining('repository.id'),
        expect.stringContaining('sender'),
      ]),
    );
  });
});
