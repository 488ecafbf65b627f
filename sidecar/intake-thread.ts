/**
 * The composition root of the store-writer thread (store/writer-thread.ts): the process's one connection for hot
 * writes, and a DeliveryIntake over it. Its lanes: `intake` parses, validates and stores a verified delivery
 * (leaving the HTTP thread only the signature check); `write` commits a hot write of another thread's stores.
 * Both share the writer's group commits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from './core/index.ts';
import {
  answerOf,
  type DatabaseOptions,
  type HotWrite,
  openStores,
  type StoreThreadReply,
  type StoreThreadRequest,
} from './store/index.ts';
import { createDeliveryIntake, type VerifiedDelivery } from './webhooks/index.ts';

const port = parentPort;
if (!port) throw new Error('intake-thread.ts runs only as a worker thread');

const options = workerData as DatabaseOptions;
const stores = await openStores({ ...options, migrate: false });
const { writer } = stores;
if (!writer) throw new Error('the store-writer thread writes only to a local database file');
const intake = createDeliveryIntake({ deliveries: stores.deliveries, clock: systemClock });
const lanes = {
  intake: (body: unknown) => intake.take(body as VerifiedDelivery),
  write: (body: unknown) => writer.write(body as HotWrite),
};

port.on('message', async (message: StoreThreadRequest) => {
  if ('close' in message) {
    await intake.close();
    await stores.close();
    port.close();
    return;
  }
  const results = await Promise.allSettled(message.calls.map((call) => lanes[call.lane](call.body)));
  port.postMessage({ id: message.id, answers: results.map(answerOf) } satisfies StoreThreadReply);
});
port.postMessage({ ready: true } satisfies StoreThreadReply);
