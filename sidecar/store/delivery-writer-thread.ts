/**
 * The thread that writes deliveries to a local libSQL file (see threaded-recorder.ts). Messages in:
 * {id, rows} or {close}; out: {ready}, then {id, outcomes} per message. Rows of messages that arrive
 * while a commit runs share the next commit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { NewDelivery } from '../core/index.ts';
import { createGroupCommit } from './group-commit.ts';
import { createNativeDeliveryInserter, type NativeInserterOptions } from './native-delivery-inserter.ts';

const port = parentPort;
if (!port) throw new Error('delivery-writer-thread.ts runs only as a worker thread');

const native = createNativeDeliveryInserter(workerData as NativeInserterOptions);
const recorder = createGroupCommit(native.insert);

port.on('message', async (message: { id: number; rows: NewDelivery[] } | { close: true }) => {
  if ('close' in message) {
    await recorder.close();
    native.close();
    port.close();
    return;
  }
  const results = await Promise.allSettled(message.rows.map((row) => recorder.record(row)));
  port.postMessage({
    id: message.id,
    outcomes: results.map((result) =>
      result.status === 'fulfilled'
        ? result.value
        : { error: (result.reason as Error)?.message ?? String(result.reason) },
    ),
  });
});
port.postMessage({ ready: true });
