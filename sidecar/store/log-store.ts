import { and, asc, eq, gt, max } from 'drizzle-orm';
import type { LogLine, LogStore, StepLogKey } from '../core/index.ts';
import type { Database } from './open-database.ts';
import { logChunks } from './schema.ts';

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
  const ofStep = (key: StepLogKey) =>
    and(
      eq(logChunks.repo, key.repo),
      eq(logChunks.build, key.build),
      eq(logChunks.stage, key.stage),
      eq(logChunks.step, key.step),
    );

  const lastLine = async (key: StepLogKey): Promise<number> => {
    const [row] = await db
      .select({ last: max(logChunks.lastLine) })
      .from(logChunks)
      .where(ofStep(key));
    return row?.last ?? -1;
  };

  return {
    lastLine,

    async append(key, lines) {
      if (lines.length === 0) return [];
      const last = await lastLine(key);
      const fresh = lines.filter((line) => line.number > last);
      const rows = rowsOf(fresh);
      if (rows.length === 0) return [];
      await db
        .insert(logChunks)
        .values(
          rows.map((row) => ({
            ...key,
            seq: row[0]?.number ?? 0,
            lastLine: row.at(-1)?.number ?? 0,
            lines: JSON.stringify(row),
          })),
        )
        .onConflictDoNothing();
      return fresh;
    },

    async read(key, options = {}) {
      const limit = options.limit ?? DEFAULT_READ_LIMIT;
      let after = options.afterLine ?? -1;
      const lines: LogLine[] = [];
      while (lines.length < limit) {
        const rows = await db
          .select({ lines: logChunks.lines })
          .from(logChunks)
          .where(and(ofStep(key), gt(logChunks.lastLine, after)))
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
  };
}
