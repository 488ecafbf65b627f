/**
 * Runs tasks one at a time per key, in the order they were queued; tasks of different keys run side by side.
 * Within one process this keeps two builds of a repository from fetching the same commits into its cache at
 * once (other processes are the cache's own concern, see commit-cache.ts).
 */
export interface KeyedQueue {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(task);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      // The last task of a key forgets it, so keys seen once do not stay.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
  };
}
