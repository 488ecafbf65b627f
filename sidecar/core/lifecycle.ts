/**
 * The one shape of a long-running part (a server, a thread, a timer loop): `startX(deps)` returns it once the
 * part runs, and `stop()` resolves once it has stopped. The composition root starts parts in order and stops
 * them in reverse.
 */
export interface Running {
  stop(): Promise<void>;
}
