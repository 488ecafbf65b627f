/** Structured log fields: repo, delivery, build and the like. Never secrets. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * A line-oriented logger. Messages start with the module (`inbox: stored delivery`). Safe to call from
 * anywhere concurrently; never throws.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** Monotonic counters for /metrics (Prometheus text). Names are snake_case with a unit suffix. */
export interface Counters {
  increment(name: string, labels?: Record<string, string>, by?: number): void;
  /** Current values, for /metrics and tests. */
  snapshot(): { name: string; labels: Record<string, string>; value: number }[];
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
