/** The result of a stage that never reached an engine: every created step reported pending, then skipped. */
import type { PlanStep, StageOutcome, StageResult, StageRun, StepState } from '../core/index.ts';

/** A created step before it runs: what every step is reported as first. */
export function pendingState(step: PlanStep): StepState {
  return {
    name: step.name,
    number: step.number ?? 0,
    status: 'pending',
    exitCode: null,
    startedAt: null,
    finishedAt: null,
    error: null,
  };
}

export async function unstartedResult(
  run: Pick<StageRun, 'stage' | 'statuses'>,
  outcome: StageOutcome,
  error: string,
  startedAt: number,
): Promise<StageResult> {
  const steps: StepState[] = [];
  for (const step of run.stage.steps) {
    if (step.runPolicy === 'never') continue;
    const pending = pendingState(step);
    const skipped: StepState = { ...pending, status: 'skipped' };
    for (const state of [pending, skipped]) {
      try {
        await run.statuses.step({ ...state });
      } catch {
        // A failing status sink never changes a result; the runner logs such failures where it has a logger.
      }
    }
    steps.push(skipped);
  }
  return { outcome, error, steps, startedAt, finishedAt: Date.now() };
}
