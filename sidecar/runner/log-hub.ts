/**
 * The {@link LogHub}: live step logs for readers in this sidecar process, of steps that any process runs. It lives
 * beside the runner because the runner is what produces the lines; it holds no Docker state and needs only the
 * log store's reads and the change feed.
 *
 * A reader reads the store, then waits for news of its step: lines this process's sink published (handed over at
 * once), or an entry of the change feed, which one poller per hub reads while anyone follows: a `log` entry (a
 * chunk stored by any process) sends the reader back to the store, a final `step` entry (or a final `stage`
 * entry, after which the reader asks the store) ends it once it read the store again. The poller's position is
 * taken before a reader's first read, so nothing stored after that read is missed; lines are given out only when
 * numbered above the last one given, so nothing is given twice. A reader that falls behind by more than
 * `maxQueuedLines` forgets its queue and reads the store again, which bounds memory without ever losing a line.
 */
import {
  type BuildStatus,
  type Change,
  type ChangeFeed,
  FINAL_STATUSES,
  type LogHub,
  type LogLine,
  type LogStore,
} from '../core/index.ts';

export interface LogHubOptions {
  store: Pick<LogStore, 'read' | 'logState'>;
  /** How lines stored and steps ended in other processes reach this process's readers. */
  changes: Pick<ChangeFeed, 'after' | 'latestId'>;
  /** How often the change feed is read while anyone follows (default 250 ms). */
  pollMs?: number;
  /** Lines queued for one slow reader before it falls back to the store. */
  maxQueuedLines?: number;
}

interface Reader {
  stageId: number | null;
  queue: LogLine[];
  overflowed: boolean;
  /** Lines were stored that the reader may not have: read the store. */
  stale: boolean;
  /** The stage ended: ask the store whether the step did. */
  recheck: boolean;
  /** No line will be added: read the store a last time, then end. */
  ended: boolean;
  wake: () => void;
}

const STORE_PAGE = 1000;
const FEED_PAGE = 500;

const isFinal = (status: string) => FINAL_STATUSES.has(status as BuildStatus);

export function createLogHub(options: LogHubOptions): LogHub {
  const { store, changes } = options;
  const maxQueued = options.maxQueuedLines ?? 10_000;
  const pollMs = options.pollMs ?? 250;
  const readers = new Map<number, Set<Reader>>();
  let cursor = 0;
  /** Resolves once the poller knows where the feed is; null while nobody follows. */
  let polling: Promise<void> | null = null;

  const notice = (change: Change) => {
    if (change.kind === 'stage') {
      if (change.stageId === null || !isFinal(change.detail)) return;
      for (const set of readers.values())
        for (const reader of set)
          if (reader.stageId === change.stageId) {
            reader.recheck = true;
            reader.wake();
          }
      return;
    }
    if (change.stepId === null) return;
    for (const reader of readers.get(change.stepId) ?? []) {
      if (change.kind === 'log') reader.stale = true;
      else if (change.kind === 'step' && isFinal(change.detail)) {
        reader.ended = true;
        reader.stale = true;
      } else continue;
      reader.wake();
    }
  };

  const poll = async () => {
    for (;;) {
      const batch = await changes.after(cursor, FEED_PAGE);
      for (const change of batch) {
        cursor = change.id;
        notice(change);
      }
      if (batch.length < FEED_PAGE) return;
    }
  };

  /** Starts the poller unless it runs; it stops by itself once nobody follows. */
  const startPolling = (): Promise<void> => {
    if (polling !== null) return polling;
    const ready = changes.latestId().then((id) => {
      cursor = id;
    });
    polling = ready;
    void (async () => {
      try {
        await ready;
        while (readers.size > 0) {
          await new Promise((resolve) => setTimeout(resolve, pollMs).unref());
          if (readers.size === 0) break;
          // A failed read (a busy database) is tried again at the next tick, from the same position.
          await poll().catch(() => {});
        }
      } catch {
        // The position could not be read: the reader that waited for it fails; the next one starts again.
      } finally {
        if (polling === ready) polling = null;
      }
    })();
    return ready;
  };

  async function* follow(stepId: number, signal?: AbortSignal): AsyncGenerator<LogLine> {
    const reader: Reader = {
      stageId: null,
      queue: [],
      overflowed: false,
      stale: true,
      recheck: true,
      ended: false,
      wake: () => {},
    };
    let set = readers.get(stepId);
    if (set === undefined) {
      set = new Set();
      readers.set(stepId, set);
    }
    set.add(reader);
    const onAbort = () => reader.wake();
    signal?.addEventListener('abort', onAbort);
    try {
      await startPolling();
      let last = -1;
      while (!signal?.aborted) {
        if (reader.recheck) {
          reader.recheck = false;
          const state = await store.logState(stepId);
          if (state === null) return;
          reader.stageId = state.stageId;
          if (state.ended) reader.ended = true;
        }
        if (reader.stale || reader.overflowed) {
          reader.stale = false;
          reader.overflowed = false;
          reader.queue = [];
          for (;;) {
            const lines = await store.read(stepId, { afterLine: last, limit: STORE_PAGE });
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
          if (signal?.aborted || reader.stale || reader.recheck || reader.ended) resolve();
        });
        reader.wake = () => {};
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      set.delete(reader);
      if (set.size === 0 && readers.get(stepId) === set) readers.delete(stepId);
    }
  }

  return {
    publish(stepId, lines) {
      for (const reader of readers.get(stepId) ?? []) {
        if (reader.overflowed) continue;
        if (reader.queue.length + lines.length > maxQueued) {
          reader.overflowed = true;
          reader.queue = [];
        } else reader.queue.push(...lines);
        reader.wake();
      }
    },

    end(stepId) {
      for (const reader of readers.get(stepId) ?? []) {
        reader.ended = true;
        reader.stale = true;
        reader.wake();
      }
    },

    follow: (stepId, followOptions = {}) => follow(stepId, followOptions.signal),
  };
}
