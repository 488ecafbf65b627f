/**
 * A second writer on a database file, in a thread of its own as a second sidecar process would be: creates one
 * build per idempotency key it is given and answers with what the store returned.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { NewBuild } from '../../sidecar/core/index.ts';
import { openStores } from '../../sidecar/store/index.ts';

const { url, builds } = workerData as { url: string; builds: NewBuild[] };
const stores = await openStores({ url, sync: 'normal' });
try {
  const results = await Promise.all(builds.map((build) => stores.builds.create(build)));
  parentPort?.postMessage(
    results.map(({ build, created }) => ({ key: build.idempotencyKey, number: build.number, created })),
  );
} finally {
  await stores.close();
}
