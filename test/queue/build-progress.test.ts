/** What ended stages imply, decided from statuses alone. */
import { describe, expect, it } from 'vitest';
import type { StageStatus } from '../../sidecar/core/index.ts';
import { buildStatusOf, releasedStages, type StageFacts } from '../../sidecar/queue/index.ts';

let nextId = 1;
const stage = (
  name: string,
  status: StageStatus,
  dependsOn: string[] = [],
  policy: Partial<StageFacts> = {},
): StageFacts => ({
  id: nextId++,
  name,
  status,
  dependsOn,
  onSuccess: true,
  onFailure: false,
  ...policy,
});

describe('build progress', () => {
  it('releases a waiting stage once every dependency ended, by its success and failure policy', () => {
    const build = stage('build', 'success');
    const lint = stage('lint', 'running');
    const deploy = stage('deploy', 'waiting_on_dependencies', ['build', 'lint']);
    expect(releasedStages([build, lint, deploy])).toEqual([]);
    expect(releasedStages([build, { ...lint, status: 'success' }, deploy])).toEqual([
      { id: deploy.id, status: 'pending' },
    ]);
    expect(releasedStages([build, { ...lint, status: 'failure' }, deploy])).toEqual([
      { id: deploy.id, status: 'skipped' },
    ]);
    const notify = stage('notify', 'waiting_on_dependencies', ['build'], {
      onSuccess: false,
      onFailure: true,
    });
    expect(releasedStages([build, notify])).toEqual([{ id: notify.id, status: 'skipped' }]);
    expect(releasedStages([{ ...build, status: 'error' }, notify])).toEqual([
      { id: notify.id, status: 'pending' },
    ]);
    // A skipped dependency counts as ended, not failed.
    expect(
      releasedStages([
        { ...build, status: 'skipped' },
        { ...deploy, dependsOn: ['build'] },
      ]),
    ).toEqual([{ id: deploy.id, status: 'pending' }]);
  });

  it('gives the build running, pending or blocked while stages remain, then the worst end', () => {
    expect(buildStatusOf([stage('a', 'running'), stage('b', 'pending')], 'pending')).toBe('running');
    expect(buildStatusOf([stage('a', 'success'), stage('b', 'pending')], 'running')).toBe('running');
    expect(buildStatusOf([stage('a', 'pending')], 'pending')).toBe('pending');
    expect(buildStatusOf([stage('a', 'blocked')], 'pending')).toBe('blocked');
    expect(buildStatusOf([stage('a', 'success'), stage('b', 'skipped')], 'running')).toBe('success');
    expect(buildStatusOf([stage('a', 'failure'), stage('b', 'error')], 'running')).toBe('error');
    expect(buildStatusOf([stage('a', 'killed'), stage('b', 'error')], 'running')).toBe('killed');
    expect(buildStatusOf([stage('a', 'failure'), stage('b', 'skipped')], 'running')).toBe('failure');
    expect(buildStatusOf([], 'error')).toBe('error');
  });
});
