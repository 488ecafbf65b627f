import type { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode, type StoreThread, type StoreThreadLane } from '../core/index.ts';
import type { HotWrite, HotWriteAnswers, HotWriter } from './hot-writer.ts';

type Lane = 'intake' | 'write';

/** The messages between a thread of the process and the store-writer thread (intake-thread.ts). */
export type StoreThreadRequest = { id: number; calls: { lane: Lane; body: unknown }[] } | { close: true };
export type StoreThreadAnswer = { ok: unknown } | { error: { code: ErrorCode; message: string } };
export type StoreThreadReply = { ready: true } | { id: number; answers: StoreThreadAnswer[] };

/**
 * Requests wait for the end of the event-loop turn, but no longer than this many: under a burst the thread
 * starts on the first ones while this one still reads the rest (measured: about 10% more deliveries a second).
 */
const MAX_CALLS_PER_MESSAGE = 16;

interface Waiter {
  resolve: (answer: unknown) => void;
  reject: (error: unknown) => void;
}

/** An answer of the thread as it crosses: errors keep their code, never their stack or cause. */
export function answerOf(result: PromiseSettledResult<unknown>): StoreThreadAnswer {
  if (result.status === 'fulfilled') return { ok: result.value };
  const error = result.reason;
  return error instanceof AppError
    ? { error: { code: error.code, message: error.message } }
    : { error: { code: 'STORE_FAILED', message: error instanceof Error ? error.message : String(error) } };
}

/**
 * The client side of the store-writer thread, started by `spawn` on the first request and again after it died.
 * SQLite is synchronous, so in this thread every commit's fsync would stall all requests: the thread takes them.
 */
export function createStoreThread(spawn: () => Worker): StoreThread {
  let worker: { thread: Worker; ready: Promise<void> } | null = null;
  const inFlight = new Map<number, Waiter[]>();
  let batch: { calls: { lane: Lane; body: unknown }[]; waiters: Waiter[] } | null = null;
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
      thread.on('message', (reply: StoreThreadReply) => {
        if ('ready' in reply) return resolve();
        settle(reply.id, (waiter, index) => {
          const answer = reply.answers[index]!;
          if ('error' in answer) waiter.reject(new AppError(answer.error.code, answer.error.message));
          else waiter.resolve(answer.ok);
        });
      });
      const died = (cause: unknown) => {
        if (worker?.thread === thread) worker = null;
        const error = new AppError('STORE_FAILED', 'the intake thread stopped', {
          cause,
        });
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
      current.thread.postMessage({ id, calls: sending.calls } satisfies StoreThreadRequest);
    } catch (error) {
      settle(id, (waiter) => waiter.reject(error));
    }
  };

  const request = (lane: Lane, body: unknown) => {
    if (closing) return Promise.reject(new AppError('STORE_FAILED', 'the store-writer thread is stopped'));
    return new Promise<unknown>((resolve, reject) => {
      if (!batch) {
        batch = { calls: [], waiters: [] };
        setImmediate(send);
      }
      batch.calls.push({ lane, body });
      batch.waiters.push({ resolve, reject });
      if (batch.calls.length >= MAX_CALLS_PER_MESSAGE) void send();
    });
  };

  return {
    lane(name) {
      const pending = new Set<Promise<unknown>>();
      let closed = false;
      return {
        request(body) {
          if (closed)
            return Promise.reject(
              new AppError('STORE_FAILED', `the ${name} lane is closed: restart the sidecar`),
            );
          const answer = request(name, body);
          pending.add(answer);
          const forget = () => pending.delete(answer);
          answer.then(forget, forget);
          return answer;
        },
        async close() {
          closed = true;
          await Promise.allSettled([...pending]);
        },
      } satisfies StoreThreadLane;
    },
    close() {
      closing ??= (async () => {
        if (inFlight.size > 0 || batch) await new Promise<void>((resolve) => (drained = resolve));
        if (!worker) return;
        const { thread } = worker;
        worker = null;
        const exited = new Promise((resolve) => thread.once('exit', resolve));
        thread.postMessage({ close: true } satisfies StoreThreadRequest);
        await exited;
      })();
      return closing;
    },
  };
}

/** The hot writes of this thread, written by the store-writer thread. `close()` waits for this writer's answers. */
export function hotWriterOver(thread: StoreThread): HotWriter {
  const lane = thread.lane('write');
  return {
    write: <W extends HotWrite>(write: W) => lane.request(write) as Promise<HotWriteAnswers[W['kind']]>,
    close: () => lane.close(),
  };
}
