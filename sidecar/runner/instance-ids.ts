/**
 * Who owns labelled Docker resources, and whether that owner still lives. A sidecar (`serve-…`) beats in the
 * instances table; `drone-gogs exec` has no database, so its id names its host and process instead. An owner
 * that cannot be judged (another host's exec, an id from another database sharing the engine) counts as alive:
 * reaping it would kill builds that still run.
 */
import { randomBytes } from 'node:crypto';
import type { Instance } from '../core/index.ts';

export function newInstanceId(kind: 'serve' | 'exec', hostname: string, pid: number): string {
  return `${kind}-${hostname}-${pid}-${randomBytes(4).toString('hex')}`;
}

export interface LivenessFacts {
  /** The rows of the instances table. */
  known: readonly Instance[];
  now: number;
  /** A sidecar whose last heartbeat is older than this is dead. */
  staleAfterMs: number;
  hostname: string;
  processAlive(pid: number): boolean;
}

export function livenessOf(facts: LivenessFacts): (instance: string) => boolean {
  const known = new Map(facts.known.map((row) => [row.id, row]));
  return (instance) => {
    const row = known.get(instance);
    if (row !== undefined) {
      if (row.stoppedAt !== null || facts.now - row.heartbeatAt > facts.staleAfterMs) return false;
      // A sidecar of this host whose process is gone is dead now, not only once its heartbeat is stale.
      return row.hostname !== facts.hostname || facts.processAlive(row.pid);
    }
    const exec = /^exec-(.+)-(\d+)-[0-9a-f]+$/.exec(instance);
    if (exec !== null && exec[1] === facts.hostname) return facts.processAlive(Number(exec[2]));
    return true;
  };
}

/** Whether a process of this host exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
