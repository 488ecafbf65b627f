/** What approving and declining blocked stages decide, from stage statuses alone. */
import { describe, expect, it } from 'vitest';
import { approvalOf, blockedStages, declineOf, type StageFacts } from '../../sidecar/builds/index.ts';
import { isAppError, type StageStatus } from '../../sidecar/core/index.ts';

const stage = (number: number, name: string, status: StageStatus, dependsOn: string[] = []): StageFacts => ({
  id: number * 10,
  number,
  name,
  status,
  dependsOn,
  onSuccess: true,
  onFailure: false,
});

const BUILD = { number: 3, status: 'blocked' as const, fullName: 'alice/app' };

describe('stage decisions', () => {
  it('approves every blocked stage back to its planned status, the build pending', () => {
    const stages = [stage(1, 'test', 'blocked'), stage(2, 'deploy', 'blocked', ['test'])];
    const chosen = blockedStages(stages, BUILD, undefined, 'approve');
    expect(chosen.map((each) => each.number)).toEqual([1, 2]);
    expect(approvalOf(stages, 'blocked', chosen)).toEqual({
      moves: [
        { id: 10, from: 'blocked', to: 'pending' },
        { id: 20, from: 'blocked', to: 'waiting_on_dependencies' },
      ],
      status: 'pending',
    });
  });

  it('approves one stage of two: the other stays blocked, and so does the build', () => {
    const stages = [stage(1, 'test', 'blocked'), stage(2, 'lint', 'blocked')];
    const chosen = blockedStages(stages, BUILD, 2, 'approve');
    expect(approvalOf(stages, 'blocked', chosen)).toEqual({
      moves: [{ id: 20, from: 'blocked', to: 'pending' }],
      status: 'blocked',
    });
  });

  it('releases an approved stage whose dependencies already ended', () => {
    const stages = [stage(1, 'test', 'success'), stage(2, 'deploy', 'blocked', ['test'])];
    expect(approvalOf(stages, 'blocked', [stages[1] as StageFacts])).toEqual({
      moves: [{ id: 20, from: 'blocked', to: 'pending' }],
      status: 'pending',
    });
  });

  it('declines: the build is declined once nothing else is left, what waits on a declined stage is skipped', () => {
    const stages = [stage(1, 'test', 'blocked'), stage(2, 'deploy', 'blocked', ['test'])];
    expect(declineOf(stages, 'blocked', stages)).toEqual({
      moves: [
        { id: 10, from: 'blocked', to: 'declined' },
        { id: 20, from: 'blocked', to: 'declined' },
      ],
      status: 'declined',
    });
    // One declined, the other approved later: it waits on a stage that never ran, so it is skipped.
    const one = declineOf(stages, 'blocked', [stages[0] as StageFacts]);
    expect(one).toEqual({ moves: [{ id: 10, from: 'blocked', to: 'declined' }], status: 'blocked' });
    const after = [stage(1, 'test', 'declined'), stage(2, 'deploy', 'blocked', ['test'])];
    expect(approvalOf(after, 'blocked', [after[1] as StageFacts])).toEqual({
      moves: [{ id: 20, from: 'blocked', to: 'skipped' }],
      status: 'declined',
    });
    // With a failure policy too: a declined stage is not a failure.
    const notify = { ...stage(2, 'notify', 'blocked', ['test']), onSuccess: false, onFailure: true };
    expect(approvalOf([after[0] as StageFacts, notify], 'blocked', [notify]).moves).toEqual([
      { id: 20, from: 'blocked', to: 'skipped' },
    ]);
  });

  it('refuses what is not blocked, saying what to do, and a stage that does not exist', () => {
    const stages = [stage(1, 'test', 'running')];
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isAppError(error) ? [error.code, error.message] : error;
      }
      return 'no error';
    };
    expect(
      refusal(() => blockedStages(stages, { ...BUILD, status: 'running' }, undefined, 'approve')),
    ).toEqual([
      'BAD_REQUEST',
      'build #3 of alice/app is running, with no stage waiting for approval: there is nothing to approve; `drone-gogs build info alice/app 3` shows its stages',
    ]);
    expect(refusal(() => blockedStages(stages, BUILD, 1, 'decline'))).toEqual([
      'BAD_REQUEST',
      'stage 1 of build #3 is running, not blocked: only stages waiting for approval can be declined',
    ]);
    expect(refusal(() => blockedStages(stages, BUILD, 4, 'approve'))).toEqual([
      'NOT_FOUND',
      'build #3 of alice/app has no stage 4; `drone-gogs build info alice/app 3` lists them',
    ]);
  });
});
