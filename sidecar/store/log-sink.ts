/**
 * The {@link LogSink} a stage run writes to: each chunk is stored before the runner sends the next one of that
 * step (its back-pressure), so memory holds at most one chunk per running step; stored lines then go to the
 * live hub, which therefore never has a line the store lacks.
 */
import type { LogHub, LogSink, LogStore, StageRunIds, StepLogKey } from '../core/index.ts';

export interface StoredLogSinkDeps {
  store: LogStore;
  ids: StageRunIds;
  /** Receives lines once stored, and the end of each step's log. */
  live?: LogHub;
}

export function createStoredLogSink(deps: StoredLogSinkDeps): LogSink {
  const { store, ids, live } = deps;
  const keyOf = (step: string): StepLogKey => ({ repo: ids.repo, build: ids.build, stage: ids.stage, step });
  return {
    async write(step, lines) {
      const key = keyOf(step);
      const stored = await store.append(key, lines);
      if (stored.length > 0) live?.publish(key, stored);
    },
    end(step) {
      live?.end(keyOf(step));
    },
  };
}
