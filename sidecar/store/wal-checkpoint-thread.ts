/**
 * Copies the WAL back into the database file in the background (PASSIVE: never blocks a writer), so that no
 * commit pays for a checkpoint: every connection of a serving sidecar turns auto-checkpoints off.
 */
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'libsql';

const { url, intervalMs } = workerData as { url: string; intervalMs: number };
const db = new Database(fileURLToPath(url));
db.exec('PRAGMA busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
}, intervalMs);
parentPort?.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
