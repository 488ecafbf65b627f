import { Worker } from 'node:worker_threads';
import type { Logger, Running } from '../core/index.ts';

/**
 * Runs WAL checkpoints in their own thread for a local database file. Without it, the connection whose
 * commit crosses the auto-checkpoint threshold copies megabytes and fsyncs inside that commit, and every
 * delivery waiting on it waits too.
 */
export function startWalCheckpointer(options: { url: string; logger: Logger; intervalMs?: number }): Running {
  const thread = new Worker(new URL('./wal-checkpoint-thread.ts', import.meta.url), {
    workerData: { url: options.url, intervalMs: options.intervalMs ?? 200 },
  });
  thread.on('message', (message: { error: string }) =>
    options.logger.warn(`store: WAL checkpoint failed: ${message.error}`),
  );
  thread.on('error', (error) =>
    options.logger.error(`store: WAL checkpoint thread stopped: ${error.message}`),
  );
  thread.unref();
  return {
    async stop() {
      thread.ref();
      const exited = new Promise((resolve) => thread.once('exit', resolve));
      thread.postMessage('stop');
      await exited;
    },
  };
}
