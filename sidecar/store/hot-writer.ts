import { AppError, type LogLine, type NewDelivery, type StepChange } from '../core/index.ts';
import type { RecordOutcome } from './group-commit.ts';
import { freshLogRows, insertLogRows, logChange, type StepLogPlace, stepLogPlace } from './log-writes.ts';
import { type NativeConnectionOptions, openNativeConnection } from './native-connection.ts';
import { createNativeDeliveryInsert } from './native-delivery-inserter.ts';
import type { Database } from './open-database.ts';
import { type StepPlace, stepUpdateQueries } from './step-writes.ts';

/** The writes that come often and small: what the one write path takes. Plain data, so they cross threads. */
export type HotWrite =
  | { kind: 'delivery'; delivery: NewDelivery }
  | { kind: 'log'; stepId: number; lines: readonly LogLine[] }
  | { kind: 'step'; place: StepPlace; change: StepChange };

/** What each write answers: a delivery stored or a duplicate; the log lines stored; nothing for a step. */
export interface HotWriteAnswers {
  delivery: RecordOutcome;
  log: LogLine[];
  step: null;
}

/**
 * The one write path for hot writes: each write resolves once it is committed, or rejects alone (AppError).
 * Writes of one kind to one row keep the order of their calls. May be called concurrently.
 */
export interface HotWriter {
  write<W extends HotWrite>(write: W): Promise<HotWriteAnswers[W['kind']]>;
  /** Waits for pending writes to commit; later writes are refused. Idempotent. */
  close(): Promise<void>;
}

interface Pending {
  write: HotWrite;
  resolve: (answer: unknown) => void;
  reject: (error: unknown) => void;
}

/** SQLite's write lock is held for one group: large enough to pay a commit once for a burst, short enough to share. */
const MAX_WRITES_PER_COMMIT = 500;

const asAppError = (error: unknown, what: string) =>
  error instanceof AppError
    ? error
    : new AppError(
        'STORE_FAILED',
        `cannot store ${what}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );

const WHAT: Record<HotWrite['kind'], string> = {
  delivery: 'the delivery',
  log: 'the log lines',
  step: "the step's status",
};

/**
 * The writer of a local database file: one native connection, group commits. Writes that arrive while a group
 * commits go into the next one; each write of several statements runs in a savepoint of the group's transaction,
 * so one that fails is rolled back alone and the others commit. An error that ends the whole transaction (a full
 * disk) fails the whole group: a write may then be stored and still answered as failed, never the other way. The log append reads the last stored line inside the transaction
 * that writes after it, so concurrent appends of one step cannot both store a line. `db` only renders the
 * drizzle queries (log-writes.ts, step-writes.ts); nothing runs through it.
 */
export function createNativeHotWriter(options: NativeConnectionOptions, db: Database): HotWriter {
  const connection = openNativeConnection(options);
  const insertDelivery = createNativeDeliveryInsert(connection);
  const begin = connection.statement('BEGIN IMMEDIATE');
  const commit = connection.statement('COMMIT');
  const savepoint = connection.statement('SAVEPOINT hot_write');
  const release = connection.statement('RELEASE hot_write');
  const undo = connection.statement('ROLLBACK TO hot_write');

  const apply = (write: HotWrite): unknown => {
    switch (write.kind) {
      case 'delivery':
        return insertDelivery(write.delivery) ? 'stored' : 'duplicate';
      case 'log': {
        const row = connection.row(stepLogPlace(db, write.stepId).toSQL());
        if (row === undefined)
          throw new AppError('NOT_FOUND', `no step ${write.stepId} is stored: its log cannot be kept`);
        const [repoId, buildId, stageId, last] = row as [number, number, number, number | null];
        const place: StepLogPlace = { repoId, buildId, stageId, last };
        const { fresh, rows } = freshLogRows(write.stepId, last ?? -1, write.lines);
        const first = fresh[0];
        if (rows.length === 0 || first === undefined) return [];
        for (const chunk of rows) connection.run(insertLogRows(db, [chunk]).toSQL());
        connection.run(logChange(db, write.stepId, place, first.number).toSQL());
        return fresh;
      }
      case 'step': {
        const [change, update] = stepUpdateQueries(db, write.place, write.change);
        connection.run(change.getQuery());
        connection.run(update.toSQL());
        return null;
      }
    }
  };

  const commitGroup = (group: Pending[]) => {
    const answers: ({ ok: unknown } | { error: unknown })[] = [];
    try {
      begin.run();
      for (const pending of group) {
        // A delivery is one statement, which SQLite undoes by itself when it fails.
        const several = pending.write.kind !== 'delivery';
        if (several) savepoint.run();
        try {
          answers.push({ ok: apply(pending.write) });
          if (several) release.run();
        } catch (error) {
          if (several) {
            undo.run();
            release.run();
          }
          answers.push({ error });
        }
      }
      commit.run();
    } catch (error) {
      if (connection.inTransaction) connection.statement('ROLLBACK').run();
      for (const pending of group) pending.reject(asAppError(error, WHAT[pending.write.kind]));
      return;
    }
    group.forEach((pending, index) => {
      const answer = answers[index]!;
      if ('ok' in answer) pending.resolve(answer.ok);
      else pending.reject(asAppError(answer.error, WHAT[pending.write.kind]));
    });
  };

  let queue: Pending[] = [];
  let flushing: Promise<void> | null = null;
  let closed = false;
  let closing: Promise<void> | null = null;
  const flush = () => {
    while (queue.length > 0) {
      const group = queue.slice(0, MAX_WRITES_PER_COMMIT);
      queue = queue.slice(group.length);
      commitGroup(group);
    }
    flushing = null;
  };

  return {
    write<W extends HotWrite>(write: W) {
      if (closed)
        return Promise.reject(new AppError('STORE_FAILED', 'the store is closed: restart the sidecar'));
      return new Promise<HotWriteAnswers[W['kind']]>((resolve, reject) => {
        queue.push({ write, resolve: resolve as (answer: unknown) => void, reject });
        // setImmediate lets the writes already made in this turn of the event loop join the first group.
        flushing ??= new Promise<void>((started) => setImmediate(started)).then(flush);
      });
    },
    close() {
      closed = true;
      closing ??= (async () => {
        while (flushing) await flushing;
        connection.close();
      })();
      return closing;
    },
  };
}
