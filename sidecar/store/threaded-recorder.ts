import { Worker } from 'node:worker_threads';
import { AppError, type NewDelivery } from '../core/index.ts';
import type { DeliveryRecorder, RecordOutcome } from './group-commit.ts';
import type { NativeInserterOptions } from './native-delivery-inserter.ts';

type Reply = { ready: true } | { id: number; outcomes: (RecordOutcome | { error: string })[] };

/**
 * Rows wait for the end of the event-loop turn, but no longer than this many: under a burst the writer
 * starts committing while this thread is still parsing the rest (measured: about 10% more deliveries/s).
 */
const MAX_ROWS_PER_MESSAGE = 16;

interface Waiter {
  resolve: (outcome: RecordOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Records deliveries through the writer thread (delivery-writer-thread.ts). SQLite is synchronous: on the
 * HTTP thread every commit would stall every request. Rows go to the thread once per turn of the event loop
 * (or every MAX_ROWS_PER_MESSAGE), without waiting for earlier sends; each call resolves when its row is committed. A thread that dies fails
 * the rows it held and is started again on next use.
 */
export function createThreadedRecorder(
  options: NativeInserterOptions,
  spawn: () => Worker = () =>
    new Worker(new URL('./delivery-writer-thread.ts', import.meta.url), { workerData: options }),
): DeliveryRecorder {
  let worker: { thread: Worker; ready: Promise<void> } | null = null;
  const inFlight = new Map<number, Waiter[]>();
  let batch: { rows: NewDelivery[]; waiters: Waiter[] } | null = null;
  let nextId = 1;
  let closing: Promise<void> | null = null;
  let drained: (() => void) | null = null;

  const settle = (id: number, settleOne: (waiter: Waiter, index: number) => void) => {
    const waiters = inFlight.get(id) ?? [];
    inFlight.delete(id);
    waiters.forEach(settleOne);
    if (inFlight.size === 0 && !batch) drained?.();
  };

  const start = () => {
    const thread = spawn();
    const ready = new Promise<void>((resolve, reject) => {
      thread.on('message', (reply: Reply) => {
        if ('ready' in reply) return resolve();
        settle(reply.id, (waiter, index) => {
          const outcome = reply.outcomes[index]!;
          if (typeof outcome === 'string') waiter.resolve(outcome);
          else waiter.reject(new AppError('STORE_FAILED', `cannot store the delivery: ${outcome.error}`));
        });
      });
      const died = (cause: unknown) => {
        if (worker?.thread === thread) worker = null;
        const error = new AppError('STORE_FAILED', 'the delivery writer thread stopped', { cause });
        reject(error);
        for (const id of [...inFlight.keys()]) settle(id, (waiter) => waiter.reject(error));
      };
      thread.on('error', died);
      thread.on('exit', (code) => died(new Error(`exit code ${code}`)));
    });
    ready.catch(() => {});
    return { thread, ready };
  };

  const send = async () => {
    if (!batch) return;
    const sending = batch;
    batch = null;
    const id = nextId++;
    inFlight.set(id, sending.waiters);
    try {
      worker ??= start();
      const current = worker;
      await current.ready;
      current.thread.postMessage({ id, rows: sending.rows });
    } catch (error) {
      settle(id, (waiter) => waiter.reject(error));
    }
  };

  return {
    record(delivery) {
      if (closing) return Promise.reject(new AppError('STORE_FAILED', 'the delivery store is closed'));
      return new Promise<RecordOutcome>((resolve, reject) => {
        if (!batch) {
          batch = { rows: [], waiters: [] };
          setImmediate(send);
        }
        batch.rows.push(delivery);
        batch.waiters.push({ resolve, reject });
        if (batch.rows.length >= MAX_ROWS_PER_MESSAGE) void send();
      });
    },
    close() {
      closing ??= (async () => {
        if (inFlight.size > 0 || batch) await new Promise<void>((resolve) => (drained = resolve));
        if (!worker) return;
        const { thread } = worker;
        worker = null;
        const exited = new Promise((resolve) => thread.once('exit', resolve));
        thread.postMessage({ close: true });
        await exited;
      })();
      return closing;
    },
  };
}
