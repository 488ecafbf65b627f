/**
 * The queries of a step's progress, shared by the writer on the native connection (hot-writer.ts) and the
 * @libsql/client path of a database server (stage-queue.ts), so both keep the same rules.
 */
import { and, eq, notInArray, sql } from 'drizzle-orm';
import type { StepChange, StepStatus } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { changes, steps } from './schema.ts';

const ENDED_STEP: StepStatus[] = ['success', 'failure', 'error', 'killed', 'skipped'];

/** Where a step is, for its change-feed row. */
export interface StepPlace {
  repoId: number;
  buildId: number;
  stageId: number;
  stepId: number;
}

/**
 * The change-feed row and the update, in this order and on the same condition: recorded only while the step has
 * not ended, so a step a cancel killed keeps that end, unrecorded twice.
 */
export function stepUpdateQueries(db: Database, place: StepPlace, update: StepChange) {
  const at = update.finishedAt || update.startedAt || Date.now();
  const open = notInArray(steps.status, ENDED_STEP);
  return [
    db.run(
      sql`insert into ${changes} ("kind", "repo_id", "build_id", "stage_id", "step_id", "detail", "created_at") select ${'step'}, ${place.repoId}, ${place.buildId}, ${place.stageId}, ${place.stepId}, ${update.status}, ${at} where exists (select 1 from ${steps} where ${steps.id} = ${place.stepId} and ${open})`,
    ),
    db
      .update(steps)
      .set({ ...update, version: sql`${steps.version} + 1` })
      .where(and(eq(steps.id, place.stepId), open)),
  ] as const;
}
