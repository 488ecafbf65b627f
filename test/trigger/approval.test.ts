/** Whether a new build waits for approval: the decision as a table over every rule, event, fork and allow-list. */
import { describe, expect, it } from 'vitest';
import type { ApprovalRule, BuildEvent } from '../../sidecar/core/index.ts';
import {
  approvalWait,
  approvedStatus,
  newStagesOf,
  type PlannedStage,
  WAIT_RULES,
} from '../../sidecar/trigger/index.ts';

type Case = [rule: ApprovalRule, event: BuildEvent, fork: string, sender: string, waits: string | null];

const FORK = 'mallory/app';
const CASES: Case[] = [
  // none: nothing waits, not even a fork's pull request.
  ['none', 'push', '', 'alice', null],
  ['none', 'pull_request', FORK, 'mallory', null],
  // forks (the default): only pull requests from forks.
  ['forks', 'push', '', 'alice', null],
  ['forks', 'tag', '', 'alice', null],
  ['forks', 'pull_request', '', 'bob', null],
  ['forks', 'pull_request', FORK, 'mallory', 'fork-pull-request'],
  // pull_requests: every pull request, from a fork or not; pushes run.
  ['pull_requests', 'push', '', 'alice', null],
  ['pull_requests', 'pull_request', '', 'bob', 'pull-request'],
  ['pull_requests', 'pull_request', FORK, 'mallory', 'pull-request'],
  // all: every build.
  ['all', 'push', '', 'alice', 'every-build'],
  ['all', 'tag', '', 'alice', 'every-build'],
  ['all', 'pull_request', FORK, 'mallory', 'every-build'],
  // A sender on the allow-list never waits, whatever the rule; the login matches in any case.
  ['all', 'push', '', 'Carol', null],
  ['pull_requests', 'pull_request', FORK, 'CAROL', null],
  ['forks', 'pull_request', FORK, 'carol', null],
];

describe('approval', () => {
  it.each(CASES)('%s: a %s (fork %j) by %s waits by %s', (rule, event, fork, sender, waits) => {
    const decision = approvalWait({
      repo: { fullName: 'alice/app', requireApproval: rule, approvalAllowList: ['carol'] },
      origin: { event, fork, sender },
    });
    expect(decision?.rule ?? null).toBe(waits);
    if (waits !== null) expect(decision?.reason).toMatch(/wait for approval|waits for approval/);
  });

  it('names each rule once, the way the trigger logs them', () => {
    expect(WAIT_RULES.map((rule) => rule.name)).toEqual([
      'every-build',
      'pull-request',
      'unverified-pusher',
      'fork-pull-request',
    ]);
  });

  it('holds a push or tag of an unverified pusher when the repository requires verified pushers', () => {
    const waitsFor = (
      event: BuildEvent,
      sender: string,
      pusherVerified: boolean | undefined,
      required = true,
    ) =>
      approvalWait({
        repo: {
          fullName: 'alice/app',
          requireApproval: 'forks',
          approvalAllowList: ['carol'],
          requireVerifiedPusher: required,
        },
        origin: { event, fork: '', sender },
        ...(pusherVerified === undefined ? {} : { pusherVerified }),
      })?.rule ?? null;
    expect(waitsFor('push', 'alice', false)).toBe('unverified-pusher');
    expect(waitsFor('tag', 'alice', false)).toBe('unverified-pusher');
    // Not known counts as not verified.
    expect(waitsFor('push', 'alice', undefined)).toBe('unverified-pusher');
    expect(waitsFor('push', 'alice', true)).toBeNull();
    // Pull requests keep their own rules; the allow-list still wins; the setting off asks nothing.
    expect(waitsFor('pull_request', 'bob', false)).toBeNull();
    expect(waitsFor('push', 'carol', false)).toBeNull();
    expect(waitsFor('push', 'alice', false, false)).toBeNull();
  });

  it('creates every stage of a waiting build blocked, and approval gives back the planned status', () => {
    const planned = [stage('test', [], 'pending'), stage('deploy', ['test'], 'waiting_on_dependencies')];
    expect(newStagesOf(planned, false).map((each) => each.status)).toEqual([
      'pending',
      'waiting_on_dependencies',
    ]);
    const blocked = newStagesOf(planned, true);
    expect(blocked.map((each) => each.status)).toEqual(['blocked', 'blocked']);
    expect(blocked.map((each) => approvedStatus(each))).toEqual(['pending', 'waiting_on_dependencies']);
    expect(blocked[1]).toMatchObject({
      name: 'deploy',
      dependsOn: ['test'],
      limit: 2,
      labels: { disk: 'ssd' },
    });
  });
});

function stage(
  name: string,
  dependsOn: string[],
  initialStatus: PlannedStage['initialStatus'],
): PlannedStage {
  return {
    number: 1,
    name,
    kind: 'pipeline',
    type: 'docker',
    platform: { os: 'linux', arch: 'amd64', variant: '', version: '' },
    node: { disk: 'ssd' },
    concurrencyLimit: 2,
    dependsOn,
    onSuccess: true,
    onFailure: false,
    initialStatus,
  };
}
