/**
 * The in-process {@link LogHub}: live step logs for readers in this sidecar process. It lives beside the runner
 * because the runner is what produces the lines; it holds no Docker state and needs only the log store's reads.
 *
 * A reader registers for live lines before it reads the store, and drops every line not above the last one it
 * gave out: the sink publishes only stored lines, so whatever is published before the registration is in the
 * read, and the rest arrives live. A reader that falls behind by more than `maxQueuedLines` forgets its queue and
 * reads the store again, which bounds memory without ever losing a line.
 */
import type { LogHub, LogLine, LogStore, StepLogKey } from '../core/index.ts';

export interface LogHubOptions {
  store: Pick<LogStore, 'read'>;
  /** Lines queued for one slow reader before it falls back to the store. */
  maxQueuedLines?: number;
  /** How many ended step logs to remember, so that a reader arriving just after the end does not wait for ever. */
  rememberEnded?: number;
}

interface Reader {
  queue: LogLine[];
  overflowed: boolean;
  ended: boolean;
  wake: () => void;
}

const STORE_PAGE = 1000;

function keyString(key: StepLogKey): string {
  return JSON.stringify([key.repo, key.build, key.stage, key.step]);
}

export function createLogHub(options: LogHubOptions): LogHub {
  const { store } = options;
  const maxQueued = options.maxQueuedLines ?? 10_000;
  const rememberEnded = options.rememberEnded ?? 10_000;
  const readers = new Map<string, Set<Reader>>();
  const ended = new Set<string>();

  async function* follow(key: StepLogKey, signal?: AbortSignal): AsyncGenerator<LogLine> {
    const id = keyString(key);
    const reader: Reader = { queue: [], overflowed: false, ended: ended.has(id), wake: () => {} };
    let set = readers.get(id);
    if (set === undefined) {
      set = new Set();
      readers.set(id, set);
    }
    set.add(reader);
    const onAbort = () => reader.wake();
    signal?.addEventListener('abort', onAbort);
    try {
      let last = -1;
      let readStore = true;
      while (!signal?.aborted) {
        if (readStore || reader.overflowed) {
          readStore = false;
          reader.overflowed = false;
          reader.queue = [];
          for (;;) {
            const lines = await store.read(key, { afterLine: last, limit: STORE_PAGE });
            for (const line of lines) {
              last = line.number;
              yield line;
            }
            if (lines.length < STORE_PAGE || signal?.aborted) break;
          }
          continue;
        }
        if (reader.queue.length > 0) {
          const batch = reader.queue;
          reader.queue = [];
          for (const line of batch) {
            if (line.number <= last) continue;
            last = line.number;
            yield line;
          }
          continue;
        }
        if (reader.ended) return;
        await new Promise<void>((resolve) => {
          reader.wake = resolve;
          if (signal?.aborted) resolve();
        });
        reader.wake = () => {};
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      set.delete(reader);
      if (set.size === 0 && readers.get(id) === set) readers.delete(id);
    }
  }

  return {
    publish(key, lines) {
      const id = keyString(key);
      ended.delete(id);
      for (const reader of readers.get(id) ?? []) {
        if (reader.overflowed) continue;
        if (reader.queue.length + lines.length > maxQueued) {
          reader.overflowed = true;
          reader.queue = [];
        } else reader.queue.push(...lines);
        reader.wake();
      }
    },

    end(key) {
      const id = keyString(key);
      ended.add(id);
      if (ended.size > rememberEnded) {
        const oldest = ended.values().next().value;
        if (oldest !== undefined) ended.delete(oldest);
      }
      for (const reader of readers.get(id) ?? []) {
        reader.ended = true;
        reader.wake();
      }
    },

    follow: (key, followOptions = {}) => follow(key, followOptions.signal),
  };
}
