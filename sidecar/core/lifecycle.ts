/**
 * The one shape of a long-running part (a server, a thread, a timer loop): `startX(deps)` returns it once the
 * part runs, and `stop()` resolves once it has stopped. The composition root starts parts in order and stops
 * them in reverse.
 */
export interface Running {
  stop(): Promise<void>;
}

/**
 * The sleep of a polling loop that can be cut short: `pause()` resolves after `ms`, or at once when `wake()`
 * was called since the loop last `reset()` (so that a wake between two pauses is not lost).
 */
export function createWakeablePause(ms: number): { pause(): Promise<void>; wake(): void; reset(): void } {
  let woken = false;
  let resolveNow: (() => void) | null = null;
  return {
    pause() {
      return new Promise<void>((resolve) => {
        if (woken) return resolve();
        const timer = setTimeout(() => {
          resolveNow = null;
          resolve();
        }, ms);
        resolveNow = () => {
          clearTimeout(timer);
          resolveNow = null;
          resolve();
        };
      });
    },
    wake() {
      woken = true;
      resolveNow?.();
    },
    reset() {
      woken = false;
    },
  };
}
