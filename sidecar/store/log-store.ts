import { and, asc, eq, gt, max } from 'drizzle-orm';
import { AppError, FINAL_STATUSES, type LogLine, type LogStore } from '../core/index.ts';
import type { HotWriter } from './hot-writer.ts';
import { freshLogRows, insertLogRows, logChange, stepLogPlace } from './log-writes.ts';
import type { Database } from './open-database.ts';
import { logChunks, steps } from './schema.ts';

const ROWS_PER_READ = 50;
const DEFAULT_READ_LIMIT = 5000;

/** Log chunks. Appends go through `writer` when there is one (the one write path of a local file). */
export function createLogStore(db: Database, writer?: HotWriter): LogStore {
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
      if (writer) return writer.write({ kind: 'log', stepId, lines });
      const [place] = await stepLogPlace(db, stepId);
      if (place === undefined)
        throw new AppError('NOT_FOUND', `no step ${stepId} is stored: its log cannot be kept`);
      const { fresh, rows } = freshLogRows(stepId, place.last ?? -1, lines);
      const first = fresh[0];
      if (rows.length === 0 || first === undefined) return [];
      await db.batch([insertLogRows(db, rows), logChange(db, stepId, place, first.number)]);
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
