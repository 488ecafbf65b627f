/**
 * The stage queue over the builds tables. Writes are single statements or batches (see build-store.ts for why
 * there are no interactive transactions); each one writes its change-feed row in the same batch.
 */
import { and, asc, eq, inArray, notInArray, type SQL, sql } from 'drizzle-orm';
import { FINAL_STATUSES, type StageQueueStore } from '../core/index.ts';
import { stageOf, stepOf } from './build-store.ts';
import type { HotWriter } from './hot-writer.ts';
import type { Database } from './open-database.ts';
import { builds, changes, stages, steps } from './schema.ts';
import { stepUpdateQueries } from './step-writes.ts';

const FINAL = [...FINAL_STATUSES];

/**
 * The limits of a pending stage, as Drone's scheduler counts them: the stages of its repository (for the
 * repository's throttle) and of its name in the repository (for `concurrency.limit`) that run, or that are pending
 * and older. Evaluated inside the claiming UPDATE against the row being claimed (`"stages"`), so the count and
 * the claim are one statement: processes claiming at once cannot both take the last place. Running stages are
 * few (bounded by every engine's capacity) and found through the status index.
 */
const WITHIN_LIMITS = sql`(
  coalesce((select r.throttle from repos r where r.id = "stages"."repo_id"), 0) = 0
  or (select count(*) from stages s where s.repo_id = "stages"."repo_id"
      and (s.status = 'running' or (s.status = 'pending' and s.id < "stages"."id")))
    < (select r.throttle from repos r where r.id = "stages"."repo_id")
) and (
  "stages"."limit" = 0
  or (select count(*) from stages s where s.repo_id = "stages"."repo_id" and s.name = "stages"."name"
      and (s.status = 'running' or (s.status = 'pending' and s.id < "stages"."id")))
    < "stages"."limit"
)`;

/**
 * The ids of pending stages within {@link WITHIN_LIMITS}, oldest first, at most `limit`: the same rule for the
 * whole queue at once, with the older pending stages counted by window functions (one pass over the pending
 * stages, not one count per stage). A hint for whom to claim; the claim checks again.
 */
const startableStageIds = (limit: number) => sql`
  with queued as (
    select q.id, q.repo_id, q.name, q."limit",
      row_number() over (partition by q.repo_id order by q.id) - 1 as older_in_repo,
      row_number() over (partition by q.repo_id, q.name order by q.id) - 1 as older_of_name
    from stages q where q.status = 'pending'
  ),
  running as (select s.repo_id, s.name, count(*) as n from stages s where s.status = 'running' group by s.repo_id, s.name)
  select queued.id from queued left join repos r on r.id = queued.repo_id
  where (
    coalesce(r.throttle, 0) = 0
    or queued.older_in_repo + coalesce((select sum(n) from running where running.repo_id = queued.repo_id), 0)
      < r.throttle
  ) and (
    queued."limit" = 0
    or queued.older_of_name
      + coalesce((select n from running where running.repo_id = queued.repo_id and running.name = queued.name), 0)
      < queued."limit"
  )
  order by queued.id
  limit ${limit}`;

export function createStageQueueStore(db: Database, writer?: HotWriter): StageQueueStore {
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

  /** A change row written only if `condition` holds; put before the update it records, on the same condition. */
  const changeWhile = (
    kind: 'stage' | 'step',
    ids: { repoId: number; buildId: number; stageId: number; stepId?: number },
    detail: string,
    at: number,
    condition: SQL,
  ) =>
    db.run(
      sql`insert into ${changes} ("kind", "repo_id", "build_id", "stage_id", "step_id", "detail", "created_at") select ${kind}, ${ids.repoId}, ${ids.buildId}, ${ids.stageId}, ${ids.stepId ?? null}, ${detail}, ${at} where ${condition}`,
    );

  return {
    async pending(limit) {
      const ids = (await db.all<{ id: number }>(startableStageIds(limit))).map((row) => row.id);
      if (ids.length === 0) return [];
      const rows = await db
        .select()
        .from(stages)
        .where(and(inArray(stages.id, ids), eq(stages.status, 'pending')))
        .orderBy(asc(stages.id));
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
        .where(
          and(
            eq(stages.id, stage.id),
            eq(stages.version, stage.version),
            eq(stages.status, 'pending'),
            WITHIN_LIMITS,
          ),
        )
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
      const place = { repoId: stage.repoId, buildId: step.buildId, stageId: step.stageId, stepId: step.id };
      if (writer) await writer.write({ kind: 'step', place, change: update });
      else await db.batch(stepUpdateQueries(db, place, update));
    },

    async finishStage(stage, end) {
      await db.batch([
        // Recorded only while the stage runs: a stage a cancel killed keeps that end, unrecorded twice.
        changeWhile(
          'stage',
          { repoId: stage.repoId, buildId: stage.buildId, stageId: stage.id },
          end.status,
          end.finishedAt,
          sql`exists (select 1 from ${stages} where ${stages.id} = ${stage.id} and ${stages.status} = 'running')`,
        ),
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

    async takeOver(stage, holder, now) {
      const [taken] = await db
        .update(stages)
        .set({ claimedBy: holder, updatedAt: now, version: sql`${stages.version} + 1` })
        .where(
          and(
            eq(stages.id, stage.id),
            eq(stages.version, stage.version),
            eq(stages.status, 'running'),
            eq(stages.claimedBy, stage.claimedBy),
          ),
        )
        .returning();
      return taken === undefined ? null : stageOf(taken);
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

    async moveStages(facts, moves, status, now) {
      // Each change row is written before its update and on the same condition, so it exists only if the row moved.
      const statements = moves.flatMap((move) => {
        const ended = FINAL_STATUSES.has(move.to);
        return [
          db.run(
            sql`insert into ${changes} ("kind", "repo_id", "build_id", "stage_id", "detail", "created_at") select 'stage', ${stages.repoId}, ${stages.buildId}, ${stages.id}, ${move.to}, ${now} from ${stages} where ${stages.id} = ${move.id} and ${stages.status} = ${move.from}`,
          ),
          db
            .update(stages)
            .set({
              status: move.to,
              updatedAt: now,
              ...(ended ? { finishedAt: now } : {}),
              version: sql`${stages.version} + 1`,
            })
            .where(and(eq(stages.id, move.id), eq(stages.status, move.from)))
            .returning({ id: stages.id }),
        ];
      });
      const notEnded = and(eq(builds.id, facts.buildId), notInArray(builds.status, FINAL));
      const buildStatements =
        status === facts.status
          ? []
          : [
              db.run(
                sql`insert into ${changes} ("kind", "repo_id", "build_id", "detail", "created_at") select 'build', ${builds.repoId}, ${builds.id}, ${status}, ${now} from ${builds} where ${notEnded} and ${builds.status} <> ${status}`,
              ),
              db
                .update(builds)
                .set({
                  status,
                  updatedAt: now,
                  ...(FINAL_STATUSES.has(status) ? { finishedAt: now } : {}),
                  version: sql`${builds.version} + 1`,
                })
                .where(notEnded),
            ];
      const [first, ...rest] = [...statements, ...buildStatements];
      if (first === undefined) return [];
      const results = await db.batch([first, ...rest]);
      return results.flatMap((result) =>
        Array.isArray(result) ? result.map((row) => (row as { id: number }).id) : [],
      );
    },

    async cancelBuild(buildId, error, now, options = {}) {
      const ofBuild = eq(builds.id, buildId);
      const runningStage = sql`exists (select 1 from ${stages} where ${stages.buildId} = ${buildId} and ${stages.status} = 'running')`;
      const cancellable = and(
        ofBuild,
        notInArray(builds.status, FINAL),
        options.unlessRunning ? sql`${builds.status} <> 'running' and not ${runningStage}` : undefined,
      );
      // Every statement checks the build as it was when the batch began: the build's own row is updated last.
      const allowed = sql`exists (select 1 from ${builds} where ${cancellable})`;
      const repoId = sql`(select ${builds.repoId} from ${builds} where ${ofBuild})`;
      const openStage = and(eq(stages.buildId, buildId), notInArray(stages.status, FINAL), allowed);
      // Through the build's stages: steps are indexed by stage, not by build.
      const ofStages = db.select({ id: stages.id }).from(stages).where(eq(stages.buildId, buildId));
      const openStep = and(
        inArray(steps.stageId, ofStages),
        inArray(steps.status, ['pending', 'running']),
        allowed,
      );
      const stepEnd = sql`case when ${steps.status} = 'running' then 'killed' else 'skipped' end`;
      const [before, open, , , , , , killed] = await db.batch([
        db.select({ status: builds.status }).from(builds).where(ofBuild),
        db.select().from(stages).where(openStage),
        db.run(
          sql`insert into ${changes} ("kind", "repo_id", "build_id", "stage_id", "step_id", "detail", "created_at") select 'step', ${repoId}, ${steps.buildId}, ${steps.stageId}, ${steps.id}, ${stepEnd}, ${now} from ${steps} where ${openStep}`,
        ),
        db
          .update(steps)
          .set({
            status: stepEnd,
            exitCode: sql`case when ${steps.status} = 'running' then ${KILLED_EXIT_CODE} else ${steps.exitCode} end`,
            finishedAt: now,
            version: sql`${steps.version} + 1`,
          })
          .where(openStep),
        db.run(
          sql`insert into ${changes} ("kind", "repo_id", "build_id", "stage_id", "detail", "created_at") select 'stage', ${stages.repoId}, ${stages.buildId}, ${stages.id}, 'killed', ${now} from ${stages} where ${openStage}`,
        ),
        db
          .update(stages)
          .set({
            status: 'killed',
            finishedAt: now,
            updatedAt: now,
            version: sql`${stages.version} + 1`,
          })
          .where(openStage),
        db.run(
          sql`insert into ${changes} ("kind", "repo_id", "build_id", "detail", "created_at") select 'build', ${builds.repoId}, ${builds.id}, 'killed', ${now} from ${builds} where ${cancellable}`,
        ),
        db
          .update(builds)
          .set({
            status: 'killed',
            error,
            finishedAt: now,
            updatedAt: now,
            version: sql`${builds.version} + 1`,
          })
          .where(cancellable)
          .returning({ id: builds.id }),
      ]);
      const [found] = before;
      if (found === undefined) return null;
      return {
        before: found.status,
        killed: killed.length > 0,
        running: open.map(stageOf).filter((stage) => stage.status === 'running'),
      };
    },

    async stillRunning(stageIds) {
      if (stageIds.length === 0) return [];
      const rows = await db
        .select({ id: stages.id })
        .from(stages)
        .where(and(inArray(stages.id, [...stageIds]), eq(stages.status, 'running')));
      return rows.map((row) => row.id);
    },
  };
}

/** The exit code a killed step reports, as the runner's (128 + SIGKILL). */
const KILLED_EXIT_CODE = 137;
