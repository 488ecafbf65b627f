import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { BranchHead, DeliveryStatus } from '../core/index.ts';

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;

export const repos = sqliteTable(
  'repos',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    gogsId: integer().notNull(),
    owner: text().notNull(),
    name: text().notNull(),
    fullName: text().notNull(),
    private: integer({ mode: 'boolean' }).notNull().default(false),
    defaultBranch: text().notNull().default('master'),
    cloneUrl: text().notNull().default(''),
    htmlUrl: text().notNull().default(''),
    active: integer({ mode: 'boolean' }).notNull().default(false),
    trusted: integer({ mode: 'boolean' }).notNull().default(false),
    configPath: text().notNull().default('.drone.yml'),
    timeoutMinutes: integer(),
    hookId: integer(),
    hookUrl: text(),
    hookSecret: text(),
    previousHookSecret: text(),
    previousHookSecretUntil: integer(),
    createdAt: integer().notNull().default(now),
    updatedAt: integer().notNull().default(now),
    version: integer().notNull().default(1),
  },
  (table) => [
    uniqueIndex('repos_gogs_id_unique').on(table.gogsId),
    uniqueIndex('repos_full_name_unique').on(sql`lower(${table.fullName})`),
  ],
);

export const deliveries = sqliteTable(
  'deliveries',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    deliveryId: text().notNull(),
    repoId: integer()
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    event: text().notNull(),
    kind: text(),
    action: text(),
    ref: text().notNull().default(''),
    after: text().notNull().default(''),
    headers: text().notNull(),
    body: text().notNull(),
    synthetic: integer({ mode: 'boolean' }).notNull().default(false),
    status: text().$type<DeliveryStatus>().notNull(),
    statusReason: text(),
    receivedAt: integer().notNull(),
  },
  (table) => [
    uniqueIndex('deliveries_delivery_id_unique').on(table.deliveryId),
    index('deliveries_repo_after_idx').on(table.repoId, table.after),
    index('deliveries_status_idx').on(table.status, table.id),
  ],
);

export const branchHeads = sqliteTable(
  'branch_heads',
  {
    repoId: integer()
      .notNull()
      .references(() => repos.id, { onDelete: 'cascade' }),
    branch: text().notNull(),
    sha: text().notNull(),
    previousSha: text().notNull().default(''),
    status: text().$type<BranchHead['status']>().notNull(),
    observedAt: integer().notNull(),
  },
  (table) => [primaryKey({ columns: [table.repoId, table.branch] })],
);

/**
 * Step logs in chunks, as the runner sends them (masked). `seq` is the number of the chunk's first line, so a
 * step's chunks sort by it and a retried chunk collides instead of duplicating; `lines` is a JSON array of
 * `{ number, text, time }`.
 */
export const logChunks = sqliteTable(
  'log_chunks',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    repo: text().notNull(),
    build: text().notNull(),
    stage: text().notNull(),
    step: text().notNull(),
    seq: integer().notNull(),
    lastLine: integer().notNull(),
    lines: text().notNull(),
    createdAt: integer().notNull().default(now),
  },
  (table) => [
    uniqueIndex('log_chunks_step_seq_unique').on(table.repo, table.build, table.stage, table.step, table.seq),
    index('log_chunks_step_last_line_idx').on(
      table.repo,
      table.build,
      table.stage,
      table.step,
      table.lastLine,
    ),
  ],
);

/** Sidecar processes that run stages, with their heartbeats (see core's InstanceStore). */
export const instances = sqliteTable('instances', {
  id: text().primaryKey(),
  hostname: text().notNull(),
  pid: integer().notNull(),
  startedAt: integer().notNull(),
  heartbeatAt: integer().notNull(),
  stoppedAt: integer(),
});
