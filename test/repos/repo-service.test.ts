/** The repository service the CLI calls today and the API tomorrow, against the Gogs test double. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ApprovalRule,
  isAppError,
  LOCAL_ADMIN,
  type RepoSettingsChange,
} from '../../sidecar/core/index.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';

const VIEW_FIELDS = [
  'active',
  'approvalAllowList',
  'autoCancelPullRequests',
  'autoCancelPushes',
  'autoCancelRunning',
  'configPath',
  'defaultBranch',
  'fullName',
  'gogsId',
  'hookId',
  'hookUrl',
  'htmlUrl',
  'ignoreForks',
  'ignorePullRequests',
  'private',
  'requireApproval',
  'requireVerifiedPusher',
  'secretRotatedGraceUntil',
  'throttle',
  'timeoutMinutes',
  'trusted',
];

describe('the repository service', () => {
  let t: SidecarBesideGogs;
  afterEach(() => t.dispose());

  it('answers every operation with views that carry neither webhook secret nor its ciphertext', async () => {
    t = await startSidecarBesideGogs();
    const service = t.sidecar.services.repos;
    const answers: unknown[] = [];
    answers.push(await service.enable(LOCAL_ADMIN, 'alice/app'));
    const firstSecret = t.gogs.hooks('alice', 'app')[0]?.secret;
    answers.push(await service.rotateHookSecrets(LOCAL_ADMIN, 'alice/app'));
    const secondSecret = t.gogs.hooks('alice', 'app')[0]?.secret;
    answers.push(await service.repair(LOCAL_ADMIN));
    answers.push(await service.changeSettings(LOCAL_ADMIN, 'alice/app', { trusted: true }));
    answers.push(await service.list(LOCAL_ADMIN));
    const stored = await t.sidecar.services.stores.repos.findByFullName('alice/app');

    expect(firstSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(secondSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.hookSecret).toBeTruthy();
    expect(stored?.previousHookSecret).toBeTruthy();
    const text = JSON.stringify(answers);
    for (const secret of [firstSecret, secondSecret, stored?.hookSecret, stored?.previousHookSecret])
      expect(text).not.toContain(secret);
    const [view] = await service.list(LOCAL_ADMIN);
    expect(Object.keys(view ?? {}).sort()).toEqual(VIEW_FIELDS);
    expect(view).toMatchObject({ fullName: 'alice/app', active: true, trusted: true });
    expect(view?.secretRotatedGraceUntil).toBeGreaterThan(0);

    const disabled = await service.disable(LOCAL_ADMIN, 'alice/app');
    expect(disabled.repo.active).toBe(false);
    expect(t.gogs.hooks('alice', 'app')).toEqual([]);
  });

  it('refuses settings out of range and unknown repositories without changing the stored row', async () => {
    t = await startSidecarBesideGogs();
    const service = t.sidecar.services.repos;
    await service.enable(LOCAL_ADMIN, 'alice/app');
    const before = await t.sidecar.services.stores.repos.findByFullName('alice/app');
    for (const change of [
      { timeoutMinutes: 0 },
      { timeoutMinutes: 1.5 },
      { timeoutMinutes: 7 * 24 * 60 + 1 },
      { configPath: '../../etc/passwd' },
      { configPath: '/abs.yml' },
      { configPath: 'ci/\u0000.yml' },
      { trusted: true, configPath: '' },
      { requireApproval: 'sometimes' as ApprovalRule },
      { throttle: -1 },
      { throttle: 1001 },
      { throttle: 1.5 },
      { approvalAllowListAdd: ['bob', '--upload-pack=x'] },
      { approvalAllowListAdd: ['a'.repeat(36)] },
      { approvalAllowListAdd: ['..'] },
      { approvalAllowListRemove: ['bad login'] },
      { approvalAllowListAdd: Array.from({ length: 101 }, (_, index) => `user${index}`) },
      { ignoreForks: true, throttle: Number.NaN },
    ] satisfies RepoSettingsChange[]) {
      const error = await service.changeSettings(LOCAL_ADMIN, 'alice/app', change).catch((e: unknown) => e);
      expect(isAppError(error, 'BAD_REQUEST'), JSON.stringify(change)).toBe(true);
    }
    expect(await t.sidecar.services.stores.repos.findByFullName('alice/app')).toEqual(before);

    const unknown = await service
      .changeSettings(LOCAL_ADMIN, 'alice/nope', { trusted: true })
      .catch((e: unknown) => e);
    expect(isAppError(unknown, 'NOT_FOUND')).toBe(true);

    const changed = await service.changeSettings(LOCAL_ADMIN, 'ALICE/App', { timeoutMinutes: null });
    expect(changed.effectiveTimeoutMinutes).toBe(t.sidecar.services.config.runner.stageTimeoutMs / 60_000);
    expect(changed.warnings).toEqual([]);
  });

  it('keeps the approval allow-list in lower case, once each, and refuses to grow it past 100', async () => {
    t = await startSidecarBesideGogs();
    const service = t.sidecar.services.repos;
    await service.enable(LOCAL_ADMIN, 'alice/app');
    const first = await service.changeSettings(LOCAL_ADMIN, 'alice/app', {
      approvalAllowListAdd: ['Bob', 'carol', 'BOB'],
    });
    expect(first.repo.approvalAllowList).toEqual(['bob', 'carol']);
    const second = await service.changeSettings(LOCAL_ADMIN, 'alice/app', {
      approvalAllowListRemove: ['CAROL', 'nobody'],
      approvalAllowListAdd: ['dave'],
    });
    expect(second.repo.approvalAllowList).toEqual(['bob', 'dave']);
    expect((await t.sidecar.services.stores.repos.findByFullName('alice/app'))?.approvalAllowList).toEqual([
      'bob',
      'dave',
    ]);

    const many = Array.from({ length: 99 }, (_, index) => `user${index}`);
    const error = await service
      .changeSettings(LOCAL_ADMIN, 'alice/app', { approvalAllowListAdd: many })
      .catch((e: unknown) => e);
    expect(isAppError(error, 'BAD_REQUEST')).toBe(true);
    expect((error as Error).message).toBe(
      'the approval allow-list of alice/app would hold 101 users; at most 100 (remove some with --no-approve-user)',
    );
    expect((await service.list(LOCAL_ADMIN))[0]?.approvalAllowList).toEqual(['bob', 'dave']);
  });
});
