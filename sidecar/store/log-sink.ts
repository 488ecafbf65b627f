/**
 * The {@link LogSink} a stage run writes to: each chunk is stored before the runner sends the next one of that
 * step (its back-pressure), so memory holds at most one chunk per running step; stored lines then go to the
 * live hub, which therefore never has a line the store lacks.
 */
import { AppError, type LogHub, type LogSink, type LogStore } from '../core/index.ts';

export interface StoredLogSinkDeps {
  store: LogStore;
  /**
   * The stage's step rows (`steps.id`) by step name, as the runner names steps in its sink calls (names are
   * unique within a stage: a pipeline with two steps of one name fails before anything runs).
   */
  stepIds: ReadonlyMap<string, number>;
  /** Receives lines once stored, and the end of each step's log. */
  live?: LogHub;
}

export function createStoredLogSink(deps: StoredLogSinkDeps): LogSink {
  const { store, stepIds, live } = deps;
  const idOf = (step: string): number => {
    const id = stepIds.get(step);
    if (id === undefined)
      throw new AppError(
        'NOT_FOUND',
        `the stage has no stored step named ${JSON.stringify(step.slice(0, 100))}`,
      );
    return id;
  };
  return {
    async write(step, lines) {
      const id = idOf(step);
      const stored = await store.append(id, lines);
      if (stored.length > 0) live?.publish(id, stored);
    },
    end(step) {
      const id = stepIds.get(step);
      if (id !== undefined) live?.end(id);
    },
  };
}
