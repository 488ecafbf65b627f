/**
 * The queries of a log append, shared by the writer on the native connection (hot-writer.ts) and the
 * @libsql/client path of a database server (log-store.ts), so both keep the same rules.
 */
import { eq, sql } from 'drizzle-orm';
import type { LogLine } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { changes, logChunks, stages, steps } from './schema.ts';

/** A row stays well under SQLite's and the network's comfortable sizes, whatever a step prints. */
const MAX_ROW_CHARS = 256 * 1024;

export interface LogChunkRow {
  stepId: number;
  seq: number;
  lastLine: number;
  lines: string;
}

/** The step's place for the change feed and its last stored line (null: none), in one read. */
export const stepLogPlace = (db: Database, stepId: number) =>
  db
    .select({
      repoId: stages.repoId,
      buildId: steps.buildId,
      stageId: steps.stageId,
      last: sql<
        number | null
      >`(select max(${logChunks.lastLine}) from ${logChunks} where ${logChunks.stepId} = ${steps.id})`,
    })
    .from(steps)
    .innerJoin(stages, eq(stages.id, steps.stageId))
    .where(eq(steps.id, stepId))
    .limit(1);

export interface StepLogPlace {
  repoId: number;
  buildId: number;
  stageId: number;
  last: number | null;
}

/** The lines above the last stored one, and the rows that hold them. Pure. */
export function freshLogRows(
  stepId: number,
  last: number,
  lines: readonly LogLine[],
): { fresh: LogLine[]; rows: LogChunkRow[] } {
  const fresh = lines.filter((line) => line.number > last);
  const rows: LogChunkRow[] = [];
  let row: LogLine[] = [];
  let size = 0;
  const push = () => {
    rows.push({
      stepId,
      seq: row[0]?.number ?? 0,
      lastLine: row.at(-1)?.number ?? 0,
      lines: JSON.stringify(row),
    });
  };
  for (const line of fresh) {
    const lineSize = line.text.length + 32;
    if (row.length > 0 && size + lineSize > MAX_ROW_CHARS) {
      push();
      row = [];
      size = 0;
    }
    row.push({ number: line.number, text: line.text, time: line.time });
    size += lineSize;
  }
  if (row.length > 0) push();
  return { fresh, rows };
}

export const insertLogRows = (db: Database, rows: LogChunkRow[]) =>
  db.insert(logChunks).values(rows).onConflictDoNothing();

/** The `log` change-feed row of an append whose first stored line is `firstLine`. */
export const logChange = (db: Database, stepId: number, place: StepLogPlace, firstLine: number) =>
  db.insert(changes).values({
    kind: 'log',
    repoId: place.repoId,
    buildId: place.buildId,
    stageId: place.stageId,
    stepId,
    detail: String(firstLine),
    createdAt: Date.now(),
  });
