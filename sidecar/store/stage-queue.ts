/**
 * The stage queue over the builds tables. Writes are single statements or batches (see build-store.ts for why
 * there are no interactive transactions); each one writes its change-feed row in the same batch.
 */
import { and, asc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { FINAL_STATUSES, type StageQueueStore } from '../core/index.ts';
import { stageOf, stepOf } from './build-store.ts';
import type { Database } from './open-database.ts';
import { builds, changes, stages, steps } from './schema.ts';

const FINAL = [...FINAL_STATUSES];

export function createStageQueueStore(db: Database): StageQueueStore {
  const change = (
    kind: 'build' | 'stage' | 'step',
    ids: { repoId: number; buildId: number; stageId?: number; stepId?: number },
    detail: string,
    at: number,
  ) =>
    db.insert(changes).values({
      kind,
      repoId: ids.repoId,
      buildId: ids.buildId,
      stageId: ids.stageId ?? null,
      stepId: ids.stepId ?? null,
      detail,
      createdAt: at,
    });

  return {
    async pending(limit) {
      const rows = await db
        .select()
        .from(stages)
        .where(eq(stages.status, 'pending'))
        .orderBy(asc(stages.id))
        .limit(limit);
      return rows.map(stageOf);
    },

    async claim(stage, holder, machine, now) {
      const [claimed] = await db
        .update(stages)
        .set({
          status: 'running',
          machine,
          claimedBy: holder,
          startedAt: now,
          updatedAt: now,
          version: sql`${stages.version} + 1`,
        })
        .where(and(eq(stages.id, stage.id), eq(stages.version, stage.version), eq(stages.status, 'pending')))
        .returning({ id: stages.id });
      if (!claimed) return false;
      await change(
        'stage',
        { repoId: stage.repoId, buildId: stage.buildId, stageId: stage.id },
        'running',
        now,
      );
      return true;
    },

    async addSteps(stage, newSteps) {
      if (newSteps.length === 0) return [];
      const rows = await db
        .insert(steps)
        .values(
          newSteps.map((step) => ({
            ...step,
            stageId: stage.id,
            buildId: stage.buildId,
            dependsOn: JSON.stringify(step.dependsOn),
          })),
        )
        .onConflictDoNothing()
        .returning();
      const all =
        rows.length === newSteps.length
          ? rows
          : await db.select().from(steps).where(eq(steps.stageId, stage.id));
      return all.map(stepOf).sort((a, b) => a.number - b.number);
    },

    async updateStep(stage, step, update) {
      const at = update.finishedAt || update.startedAt || Date.now();
      await db.batch([
        db
          .update(steps)
          .set({ ...update, version: sql`${steps.version} + 1` })
          .where(
            and(
              eq(steps.id, step.id),
              notInArray(steps.status, ['success', 'failure', 'error', 'killed', 'skipped']),
            ),
          ),
        change(
          'step',
          { repoId: stage.repoId, buildId: step.buildId, stageId: step.stageId, stepId: step.id },
          update.status,
          at,
        ),
      ]);
    },

    async finishStage(stage, end) {
      await db.batch([
        db
          .update(stages)
          .set({
            status: end.status,
            error: end.error,
            exitCode: end.exitCode,
            machine: end.machine,
            finishedAt: end.finishedAt,
            updatedAt: end.finishedAt,
            version: sql`${stages.version} + 1`,
          })
          .where(and(eq(stages.id, stage.id), eq(stages.status, 'running'))),
        change(
          'stage',
          { repoId: stage.repoId, buildId: stage.buildId, stageId: stage.id },
          end.status,
          end.finishedAt,
        ),
      ]);
    },

    async progressFacts(buildId) {
      const [build] = await db
        .select({ id: builds.id, repoId: builds.repoId, status: builds.status })
        .from(builds)
        .where(eq(builds.id, buildId))
        .limit(1);
      if (!build) return null;
      const rows = await db
        .select()
        .from(stages)
        .where(eq(stages.buildId, buildId))
        .orderBy(asc(stages.number));
      return { buildId: build.id, repoId: build.repoId, status: build.status, stages: rows.map(stageOf) };
    },

    async applyProgress(facts, released, status, now) {
      const releases = released.map((each) =>
        db
          .update(stages)
          .set({
            status: each.status,
            updatedAt: now,
            ...(each.status === 'skipped' ? { startedAt: now, finishedAt: now } : {}),
            version: sql`${stages.version} + 1`,
          })
          .where(and(eq(stages.id, each.id), eq(stages.status, 'waiting_on_dependencies'))),
      );
      const final = FINAL_STATUSES.has(status);
      const statusChanged = status !== facts.status;
      const statements = [
        ...releases,
        ...released.map((each) =>
          change(
            'stage',
            { repoId: facts.repoId, buildId: facts.buildId, stageId: each.id },
            each.status,
            now,
          ),
        ),
        ...(statusChanged
          ? [
              db
                .update(builds)
                .set({
                  status,
                  updatedAt: now,
                  ...(final ? { finishedAt: now } : {}),
                  ...(status === 'running'
                    ? {
                        startedAt: sql`case when ${builds.startedAt} = 0 then ${now} else ${builds.startedAt} end`,
                      }
                    : {}),
                  version: sql`${builds.version} + 1`,
                })
                .where(and(eq(builds.id, facts.buildId), notInArray(builds.status, FINAL))),
              change('build', { repoId: facts.repoId, buildId: facts.buildId }, status, now),
            ]
          : []),
      ];
      const [first, ...rest] = statements;
      if (first !== undefined) await db.batch([first, ...rest]);
    },

    async running() {
      const rows = await db.select().from(stages).where(eq(stages.status, 'running')).orderBy(asc(stages.id));
      return rows.map(stageOf);
    },

    async abandon(stage, reason, now) {
      await db.batch([
        db
          .update(steps)
          .set({
            status: sql`case when ${steps.status} = 'running' then 'error' else 'skipped' end`,
            error: sql`case when ${steps.status} = 'running' then ${reason} else ${steps.error} end`,
            finishedAt: now,
            version: sql`${steps.version} + 1`,
          })
          .where(and(eq(steps.stageId, stage.id), inArray(steps.status, ['pending', 'running']))),
        db
          .update(stages)
          .set({
            status: 'error',
            error: reason,
            finishedAt: now,
            updatedAt: now,
            version: sql`${stages.version} + 1`,
          })
          .where(and(eq(stages.id, stage.id), eq(stages.status, 'running'))),
        change('stage', { repoId: stage.repoId, buildId: stage.buildId, stageId: stage.id }, 'error', now),
      ]);
    },

    async unsettledBuilds(limit) {
      const rows = await db
        .selectDistinct({ id: builds.id })
        .from(builds)
        .innerJoin(stages, eq(stages.buildId, builds.id))
        .where(and(notInArray(builds.status, FINAL), inArray(stages.status, FINAL)))
        .orderBy(asc(builds.id))
        .limit(limit);
      return rows.map((row) => row.id);
    },
  };
}
