/** What the runner reports, as the queue stores it: step states on the step rows, a stage's result as its end. */
import type {
  Stage,
  StageEnd,
  StageQueueStore,
  StageResult,
  StatusSink,
  Step,
  StepState,
} from '../core/index.ts';

/** The stage's end for its result; `machine` when the runner names no engine. */
export function stageEndOf(result: StageResult, machine: string): StageEnd {
  const failed = result.steps.find((step) => step.status === 'failure' || step.status === 'error');
  return {
    status: result.outcome,
    error: result.error,
    exitCode: failed?.exitCode ?? 0,
    finishedAt: result.finishedAt,
    machine: result.engine ?? machine,
  };
}

/** Writes the runner's step states to the stage's step rows (by the plan's step number). */
export function stepRecorder(
  queue: Pick<StageQueueStore, 'updateStep'>,
  stage: Stage,
  rows: ReadonlyMap<number, Step>,
): StatusSink {
  return {
    async step(state: StepState) {
      const row = rows.get(state.number);
      if (row === undefined) return;
      await queue.updateStep(stage, row, {
        status: state.status,
        exitCode: state.exitCode,
        error: state.error,
        startedAt: state.startedAt ?? 0,
        finishedAt: state.finishedAt ?? 0,
        ...(state.digest === undefined ? {} : { digest: state.digest }),
      });
    },
  };
}
