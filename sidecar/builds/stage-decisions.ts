/**
 * What approving or declining blocked stages does to a build, decided from its stored stages alone: the stages
 * addressed, how each moves, what that releases in turn (a stage waiting on a declined one is skipped), and the
 * build's status after. Pure; the store applies the moves conditionally, so a decision made on rows another
 * writer changed meanwhile moves nothing of theirs.
 */
import { AppError, type BuildStatus, type Stage, type StageMove, type StageStatus } from '../core/index.ts';
import { buildStatusOf, releasedStages } from '../queue/index.ts';
import { approvedStatus } from '../trigger/index.ts';

export type StageFacts = Pick<
  Stage,
  'id' | 'number' | 'name' | 'status' | 'dependsOn' | 'onSuccess' | 'onFailure'
>;

export interface StageDecision {
  moves: StageMove[];
  status: BuildStatus;
}

/** The blocked stages an approval or a decline of `number` (every one when undefined) is about. */
export function blockedStages<S extends StageFacts>(
  stages: readonly S[],
  build: { number: number; status: BuildStatus; fullName: string },
  number: number | undefined,
  verb: 'approve' | 'decline',
): S[] {
  if (number === undefined) {
    const blocked = stages.filter((stage) => stage.status === 'blocked');
    if (blocked.length === 0)
      throw new AppError(
        'BAD_REQUEST',
        `build #${build.number} of ${build.fullName} is ${build.status}, with no stage waiting for approval: there is nothing to ${verb}; \`drone-gogs build info ${build.fullName} ${build.number}\` shows its stages`,
      );
    return blocked;
  }
  const stage = stages.find((each) => each.number === number);
  if (stage === undefined)
    throw new AppError(
      'NOT_FOUND',
      `build #${build.number} of ${build.fullName} has no stage ${number}; \`drone-gogs build info ${build.fullName} ${build.number}\` lists them`,
    );
  if (stage.status !== 'blocked')
    throw new AppError(
      'BAD_REQUEST',
      `stage ${number} of build #${build.number} is ${stage.status}, not blocked: only stages waiting for approval can be ${verb}d`,
    );
  return [stage];
}

/** Approved stages go back to the status they were planned with; what that releases follows. */
export function approvalOf(
  stages: readonly StageFacts[],
  current: BuildStatus,
  chosen: readonly StageFacts[],
): StageDecision {
  return decide(stages, current, new Map(chosen.map((stage) => [stage.id, approvedStatus(stage)])));
}

/** Declined stages end `declined`; the stages waiting on them are skipped as they are released. */
export function declineOf(
  stages: readonly StageFacts[],
  current: BuildStatus,
  chosen: readonly StageFacts[],
): StageDecision {
  return decide(stages, current, new Map(chosen.map((stage) => [stage.id, 'declined' as const])));
}

/** Passes at most while releases cascade (as settle-build.ts). */
const MAX_PASSES = 64;

function decide(
  stages: readonly StageFacts[],
  current: BuildStatus,
  first: ReadonlyMap<number, StageStatus>,
): StageDecision {
  let view = stages.map((stage) => ({ ...stage, status: first.get(stage.id) ?? stage.status }));
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const released = new Map(releasedStages(view).map((each) => [each.id, each.status]));
    if (released.size === 0) break;
    view = view.map((stage) => ({ ...stage, status: released.get(stage.id) ?? stage.status }));
  }
  const moves = stages.flatMap((stage, index) => {
    const to = view[index]?.status ?? stage.status;
    return to === stage.status ? [] : [{ id: stage.id, from: stage.status, to }];
  });
  return { moves, status: buildStatusOf(view, current) };
}
