import { and, asc, eq, gt, max, sql } from 'drizzle-orm';
import { AppError, FINAL_STATUSES, type LogLine, type LogStore } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { changes, logChunks, stages, steps } from './schema.ts';

/** A row stays well under SQLite's and the network's comfortable sizes, whatever a step prints. */
const MAX_ROW_CHARS = 256 * 1024;
const ROWS_PER_READ = 50;
const DEFAULT_READ_LIMIT = 5000;

function rowsOf(lines: readonly LogLine[]): LogLine[][] {
  const rows: LogLine[][] = [];
  let row: LogLine[] = [];
  let size = 0;
  for (const line of lines) {
    const lineSize = line.text.length + 32;
    if (row.length > 0 && size + lineSize > MAX_ROW_CHARS) {
      rows.push(row);
      row = [];
      size = 0;
    }
    row.push({ number: line.number, text: line.text, time: line.time });
    size += lineSize;
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

export function createLogStore(db: Database): LogStore {
  const lastLine = async (stepId: number): Promise<number> => {
    const [row] = await db
      .select({ last: max(logChunks.lastLine) })
      .from(logChunks)
      .where(eq(logChunks.stepId, stepId));
    return row?.last ?? -1;
  };

  return {
    lastLine,

    async append(stepId, lines) {
      if (lines.length === 0) return [];
      // The step's place for the change feed and its last stored line, in one read.
      const [step] = await db
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
      if (step === undefined)
        throw new AppError('NOT_FOUND', `no step ${stepId} is stored: its log cannot be kept`);
      const last = step.last ?? -1;
      const fresh = lines.filter((line) => line.number > last);
      const rows = rowsOf(fresh);
      const first = fresh[0];
      if (rows.length === 0 || first === undefined) return [];
      await db.batch([
        db
          .insert(logChunks)
          .values(
            rows.map((row) => ({
              stepId,
              seq: row[0]?.number ?? 0,
              lastLine: row.at(-1)?.number ?? 0,
              lines: JSON.stringify(row),
            })),
          )
          .onConflictDoNothing(),
        db.insert(changes).values({
          kind: 'log',
          repoId: step.repoId,
          buildId: step.buildId,
          stageId: step.stageId,
          stepId,
          detail: String(first.number),
          createdAt: Date.now(),
        }),
      ]);
      return fresh;
    },

    async read(stepId, options = {}) {
      const limit = options.limit ?? DEFAULT_READ_LIMIT;
      let after = options.afterLine ?? -1;
      const lines: LogLine[] = [];
      while (lines.length < limit) {
        const rows = await db
          .select({ lines: logChunks.lines })
          .from(logChunks)
          .where(and(eq(logChunks.stepId, stepId), gt(logChunks.lastLine, after)))
          .orderBy(asc(logChunks.seq))
          .limit(ROWS_PER_READ);
        for (const row of rows) {
          for (const line of JSON.parse(row.lines) as LogLine[]) {
            if (line.number <= after || lines.length >= limit) continue;
            lines.push(line);
            after = line.number;
          }
        }
        if (rows.length < ROWS_PER_READ) break;
      }
      return lines;
    },

    async logState(stepId) {
      const [step] = await db
        .select({ stageId: steps.stageId, status: steps.status })
        .from(steps)
        .where(eq(steps.id, stepId))
        .limit(1);
      return step === undefined ? null : { stageId: step.stageId, ended: FINAL_STATUSES.has(step.status) };
    },
  };
}
