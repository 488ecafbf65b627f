/** Reading dockerode's errors, which carry the engine's HTTP status code. */

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** "No such container/network/volume/image". */
export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** Removal already in progress, container already stopped, and the like: the wanted end state is near. */
export function isConflictOrNotModified(error: unknown): boolean {
  const status = statusOf(error);
  return status === 409 || status === 304;
}

/**
 * Runs a removal, treating "already gone" as done (false: nothing was removed). A conflict means another caller
 * is removing the same container, or a network or volume is still held by a container being removed: retried
 * a few times, then thrown.
 */
export async function ignoringMissing(action: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await action();
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      if (!isConflictOrNotModified(error) || attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
  }
}

/** The engine's own words, without dockerode's "(HTTP code 500) server error - " prefix. */
export function engineMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\(HTTP code \d+\)[^-]*-\s*/, '').trim();
}
