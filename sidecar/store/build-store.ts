import { createHash, randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, lt, type SQL, sql } from 'drizzle-orm';
import {
  AppError,
  type Build,
  type BuildStatus,
  type BuildStore,
  type BuildWithStages,
  type Stage,
  type Step,
} from '../core/index.ts';
import type { Database } from './open-database.ts';
import { builds, changes, pipelineFiles, repos, stages, steps } from './schema.ts';

type BuildRow = typeof builds.$inferSelect;
type StageRow = typeof stages.$inferSelect;
type StepRow = typeof steps.$inferSelect;

export function buildOf(row: BuildRow): Build {
  return {
    id: row.id,
    repoId: row.repoId,
    number: row.number,
    idempotencyKey: row.idempotencyKey,
    origin: {
      event: row.event,
      action: row.action,
      ref: row.ref,
      source: row.source,
      target: row.target,
      before: row.before,
      after: row.after,
      message: row.message,
      title: row.title,
      link: row.link,
      authorLogin: row.authorLogin,
      authorName: row.authorName,
      authorEmail: row.authorEmail,
      authorAvatar: row.authorAvatar,
      sender: row.sender,
      pullRequest: row.pullRequest,
      fork: row.fork,
      params: JSON.parse(row.params) as Record<string, string>,
      cron: row.cron,
      deployTo: row.deployTo,
    },
    status: row.status,
    error: row.error,
    parent: row.parent,
    configSha256: row.configSha256,
    changedPaths: row.changedPaths === null ? null : (JSON.parse(row.changedPaths) as string[]),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    version: row.version,
  };
}

export function stageOf(row: StageRow): Stage {
  return {
    ...row,
    dependsOn: JSON.parse(row.dependsOn) as string[],
    labels: JSON.parse(row.labels) as Record<string, string>,
  };
}

export function stepOf(row: StepRow): Step {
  return { ...row, dependsOn: JSON.parse(row.dependsOn) as string[] };
}

/** Builds with their stages and steps. Creation is one write transaction: number, rows and change together. */
export function createBuildStore(db: Database, now: () => number = Date.now): BuildStore {
  const withStages = async (row: BuildRow): Promise<BuildWithStages> => {
    const stageRows = await db
      .select()
      .from(stages)
      .where(eq(stages.buildId, row.id))
      .orderBy(asc(stages.number));
    const stepRows =
      stageRows.length === 0
        ? []
        : await db
            .select()
            .from(steps)
            .where(
              inArray(
                steps.stageId,
                stageRows.map((stage) => stage.id),
              ),
            )
            .orderBy(asc(steps.stageId), asc(steps.number));
    return {
      build: buildOf(row),
      stages: stageRows.map((stage) => ({
        ...stageOf(stage),
        steps: stepRows.filter((step) => step.stageId === stage.id).map(stepOf),
      })),
    };
  };

  return {
    async create(build) {
      // One batch, not an interactive transaction: the local client has a single connection that an open
      // transaction would hold across awaits (every other query of the process would fail meanwhile). The
      // batch runs atomically; each statement after the first inserts only if this attempt created the build.
      const token = randomUUID();
      const at = now();
      const { origin } = build;
      const configSha256 = build.config === '' ? '' : sha256(build.config);
      const key = build.idempotencyKey;
      const ours = sql`exists (select 1 from ${builds} where ${builds.idempotencyKey} = ${key} and ${builds.creationToken} = ${token})`;
      const buildId = sql`(select ${builds.id} from ${builds} where ${builds.idempotencyKey} = ${key})`;
      const values = {
        repo_id: build.repoId,
        idempotency_key: key,
        creation_token: token,
        status: build.status,
        error: build.error,
        event: origin.event,
        action: origin.action,
        ref: origin.ref,
        source: origin.source,
        target: origin.target,
        before: origin.before,
        after: origin.after,
        message: origin.message,
        title: origin.title,
        link: origin.link,
        author_login: origin.authorLogin,
        author_name: origin.authorName,
        author_email: origin.authorEmail,
        author_avatar: origin.authorAvatar,
        sender: origin.sender,
        pull_request: origin.pullRequest,
        fork: origin.fork,
        params: JSON.stringify(origin.params),
        cron: origin.cron,
        deploy_to: origin.deployTo,
        parent: build.parent,
        config_sha256: configSha256,
        changed_paths: build.changedPaths === null ? null : JSON.stringify(build.changedPaths),
        created_at: at,
        updated_at: at,
      };
      const columns = sql.raw(
        Object.keys(values)
          .map((name) => `"${name}"`)
          .join(', '),
      );
      const params = sql.join(
        Object.values(values).map((value) => sql`${value}`),
        sql`, `,
      );
      const updateCounter = db.run(
        sql`update ${repos} set ${sql.raw('"build_counter"')} = ${repos.buildCounter} + 1 where ${repos.id} = ${build.repoId} and not exists (select 1 from ${builds} where ${builds.idempotencyKey} = ${key})`,
      );
      const statements = [
        db.run(
          sql`insert into ${builds} (${columns}, "number") select ${params}, ${repos.buildCounter} from ${repos} where ${repos.id} = ${build.repoId} and not exists (select 1 from ${builds} where ${builds.idempotencyKey} = ${key})`,
        ),
        ...(configSha256 === ''
          ? []
          : [
              db.run(
                sql`insert into ${pipelineFiles} ("sha256", "data", "created_at") select ${configSha256}, ${build.config}, ${at} where ${ours} on conflict do nothing`,
              ),
            ]),
        ...build.stages.flatMap((stage) => [
          db.run(
            sql`insert into ${stages} ("build_id", "repo_id", "number", "name", "kind", "type", "status", "error", "os", "arch", "variant", "limit", "depends_on", "on_success", "on_failure", "labels", "created_at", "updated_at") select ${buildId}, ${build.repoId}, ${stage.number}, ${stage.name}, ${stage.kind}, ${stage.type}, ${stage.status}, ${stage.error}, ${stage.os}, ${stage.arch}, ${stage.variant}, ${stage.limit}, ${JSON.stringify(stage.dependsOn)}, ${stage.onSuccess ? 1 : 0}, ${stage.onFailure ? 1 : 0}, ${JSON.stringify(stage.labels)}, ${at}, ${at} where ${ours}`,
          ),
          ...stage.steps.map((step) =>
            db.run(
              sql`insert into ${steps} ("stage_id", "build_id", "number", "name", "status", "err_ignore", "image", "detached", "depends_on") select (select ${stages.id} from ${stages} where ${stages.buildId} = ${buildId} and ${stages.number} = ${stage.number}), ${buildId}, ${step.number}, ${step.name}, ${step.status}, ${step.errIgnore ? 1 : 0}, ${step.image}, ${step.detached ? 1 : 0}, ${JSON.stringify(step.dependsOn)} where ${ours}`,
            ),
          ),
        ]),
        db.run(
          sql`insert into ${changes} ("kind", "repo_id", "build_id", "detail", "created_at") select 'build', ${build.repoId}, ${buildId}, ${build.status}, ${at} where ${ours}`,
        ),
      ];
      await db.batch([updateCounter, ...statements]);
      const [row] = await db.select().from(builds).where(eq(builds.idempotencyKey, key)).limit(1);
      if (!row) throw new AppError('NOT_FOUND', `repository #${build.repoId} does not exist`);
      return { build: buildOf(row), created: row.creationToken === token };
    },

    async find(repoId, number) {
      const [row] = await db
        .select()
        .from(builds)
        .where(and(eq(builds.repoId, repoId), eq(builds.number, number)))
        .limit(1);
      return row ? withStages(row) : null;
    },

    async get(id) {
      const [row] = await db.select().from(builds).where(eq(builds.id, id)).limit(1);
      return row ? withStages(row) : null;
    },

    async findByKey(idempotencyKey) {
      const [row] = await db.select().from(builds).where(eq(builds.idempotencyKey, idempotencyKey)).limit(1);
      return row ? buildOf(row) : null;
    },

    async config(hash) {
      const [row] = await db
        .select({ data: pipelineFiles.data })
        .from(pipelineFiles)
        .where(eq(pipelineFiles.sha256, hash))
        .limit(1);
      return row?.data ?? null;
    },

    async list(repoId, filter) {
      const conditions: (SQL | undefined)[] = [eq(builds.repoId, repoId)];
      if (filter.beforeNumber !== undefined) conditions.push(lt(builds.number, filter.beforeNumber));
      if (filter.event !== undefined) conditions.push(eq(builds.event, filter.event));
      if (filter.status !== undefined) conditions.push(eq(builds.status, filter.status));
      if (filter.branch !== undefined) conditions.push(eq(builds.target, filter.branch));
      const rows = await db
        .select()
        .from(builds)
        .where(and(...conditions))
        .orderBy(desc(builds.number))
        .limit(filter.limit)
        .offset(filter.offset ?? 0);
      return rows.map(buildOf);
    },

    async unfinished(repoId, line, beforeNumber, limit) {
      const sameLine =
        line.event === 'push'
          ? and(eq(builds.event, 'push'), eq(builds.target, line.branch))
          : and(eq(builds.event, 'pull_request'), eq(builds.pullRequest, line.pullRequest));
      const rows = await db
        .select()
        .from(builds)
        .where(
          and(
            // Few builds have not ended: the status index finds them without walking the repository's history
            // (the unary + keeps SQLite from the repository's indexes, which would scan every older push).
            inArray(builds.status, UNFINISHED),
            sql`+${builds.repoId} = ${repoId}`,
            lt(builds.number, beforeNumber),
            sameLine,
          ),
        )
        .orderBy(asc(builds.number))
        .limit(limit);
      return rows.map(buildOf);
    },
  };
}

/** Every status that is not final. */
const UNFINISHED: BuildStatus[] = ['pending', 'blocked', 'waiting_on_dependencies', 'running'];

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
