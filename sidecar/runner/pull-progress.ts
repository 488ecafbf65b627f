/**
 * The engine's pull progress as step-log lines. What `docker pull` redraws in place becomes one line per layer
 * per status change; a layer's Downloading/Extracting counts are written at most once per interval, and the
 * latest count held back is written before the layer's next status (or at the end), so the final one is kept.
 */

/** One JSON message of the engine's pull stream (`POST /images/create`). */
export interface PullEvent {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

export interface PullProgress {
  /** The lines one event adds now: none while a count is throttled or nothing changed. */
  lines(event: PullEvent): string[];
  /** Counts still held back; for the end of the stream. */
  rest(): string[];
}

interface LayerLine {
  status: string;
  written: string;
  writtenAt: number;
  held: string | null;
}

const COUNTED = new Set(['Downloading', 'Extracting']);

/** Decimal units, like the engine's own progress bar. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The failure an event reports, or null. */
export function pullErrorOf(event: PullEvent): string | null {
  return event.errorDetail?.message ?? event.error ?? null;
}

function textOf(status: string, detail: PullEvent['progressDetail']): string {
  const current = detail?.current;
  if (!COUNTED.has(status) || current === undefined) return status;
  const total = detail?.total;
  return total === undefined || total <= 0
    ? `${status} ${formatBytes(current)}`
    : `${status} ${formatBytes(current)} / ${formatBytes(total)}`;
}

export function createPullProgress(now: () => number = Date.now, intervalMs = 1000): PullProgress {
  const layers = new Map<string, LayerLine>();
  return {
    lines(event) {
      const status = event.status;
      if (status === undefined || status === '' || pullErrorOf(event) !== null) return [];
      const text = textOf(status, event.progressDetail);
      if (event.id === undefined || event.id === '') return [text];
      const line = `${event.id}: ${text}`;
      const layer = layers.get(event.id);
      if (layer === undefined || layer.status !== status) {
        layers.set(event.id, { status, written: line, writtenAt: now(), held: null });
        return layer === undefined || layer.held === null ? [line] : [layer.held, line];
      }
      if (line === (layer.held ?? layer.written) || !COUNTED.has(status)) return [];
      if (now() - layer.writtenAt < intervalMs) {
        layer.held = line;
        return [];
      }
      Object.assign(layer, { written: line, writtenAt: now(), held: null });
      return [line];
    },
    rest() {
      const held: string[] = [];
      for (const layer of layers.values()) {
        if (layer.held !== null) held.push(layer.held);
        layer.held = null;
      }
      return held;
    },
  };
}
