/**
 * The composition root of the intake thread (see webhooks/threaded-intake.ts): its own connections to the
 * database and a DeliveryIntake over them, answering the HTTP thread's messages. Parsing, validating and
 * storing deliveries here leaves the HTTP thread only the signature check.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from './core/index.ts';
import { type DatabaseOptions, openStores } from './store/index.ts';
import { createDeliveryIntake, type IntakeReply, type IntakeRequest } from './webhooks/index.ts';

const port = parentPort;
if (!port) throw new Error('intake-thread.ts runs only as a worker thread');

const stores = await openStores({ ...(workerData as DatabaseOptions), migrate: false });
const intake = createDeliveryIntake({ deliveries: stores.deliveries, clock: systemClock });

port.on('message', async (message: IntakeRequest) => {
  if ('close' in message) {
    await intake.close();
    await stores.close();
    port.close();
    return;
  }
  const results = await Promise.allSettled(message.deliveries.map((delivery) => intake.take(delivery)));
  const outcomes = results.map((result) =>
    result.status === 'fulfilled'
      ? result.value
      : { error: (result.reason as Error)?.message ?? String(result.reason) },
  );
  port.postMessage({ id: message.id, outcomes } satisfies IntakeReply);
});
port.postMessage({ ready: true } satisfies IntakeReply);
