/**
 * The {@link GitRemote} of core/, with the real git over HTTP(S).
 */
import { resolve } from 'node:path';
import type { GitRemote } from '../core/index.ts';
import { changedPathsOf } from './changed-paths.ts';
import { commitCachePath } from './commit-cache.ts';
import { checkCacheKey } from './input-checks.ts';
import { createKeyedQueue } from './keyed-queue.ts';
import { resolveRemoteRef } from './remote-refs.ts';

/** Long enough for the first fetch of a large history (commits and trees only). */
export const DEFAULT_GIT_TIMEOUT_MS = 120_000;

export interface GitRemoteOptions {
  /** Holds one bare repository per cache key; made when first needed. May be shared by several processes. */
  cacheDir: string;
  /** The most any one git command may take before it is killed; default {@link DEFAULT_GIT_TIMEOUT_MS}. */
  timeoutMs?: number;
}

export function createGitRemote(options: GitRemoteOptions): GitRemote {
  const cacheDir = resolve(options.cacheDir);
  const timeoutMs = options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
  const queue = createKeyedQueue();
  const underWay = new Set<Promise<unknown>>();
  function tracked<T>(work: Promise<T>): Promise<T> {
    const settled: Promise<unknown> = work.then(
      () => underWay.delete(settled),
      () => underWay.delete(settled),
    );
    underWay.add(settled);
    return work;
  }
  return {
    resolveRef(remote, ref, credentials) {
      return tracked(resolveRemoteRef({ workDir: cacheDir, timeoutMs }, remote, ref, credentials));
    },
    changedPaths(request) {
      return tracked(changedPathsOf({ cacheDir, timeoutMs, queue }, request));
    },
    cachedRepository(cacheKey) {
      checkCacheKey(cacheKey);
      return commitCachePath(cacheDir, cacheKey);
    },
    cacheSettled(cacheKey) {
      return queue.run(cacheKey, async () => {});
    },
    async settled() {
      while (underWay.size > 0) await Promise.all(underWay);
    },
  };
}
