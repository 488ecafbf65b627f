/**
 * Which signing key signs, when a successor is due and which keys may go. Pure: the stored keys and the time
 * in, the answer out. A key signs from its `notBefore` until its successor's; a token it signed lives at most
 * the longest token lifetime after that, so the key is kept (and published) until then plus a margin.
 */
import type { StoredSigningKey } from '../core/index.ts';

export interface RotationTimes {
  /** A key this old (since its creation) gets a successor. */
  rotationPeriodMs: number;
  /** How long a successor is published before it signs, so that verifiers caching the key set know it. */
  publishLeadMs: number;
  /** How long a key is kept after it stopped signing: the longest token lifetime plus a margin. */
  retentionMs: number;
}

/** Oldest first, whatever order the store gave. */
const byGeneration = (keys: readonly StoredSigningKey[]) =>
  [...keys].sort((a, b) => a.generation - b.generation);

/**
 * The newest key whose `notBefore` has come; when none has (only the first key, seen from a clock behind the
 * one that made it), the oldest. Undefined when there is no key.
 */
export function signingKeyOf(keys: readonly StoredSigningKey[], now: number): StoredSigningKey | undefined {
  const ordered = byGeneration(keys);
  return ordered.findLast((key) => key.notBefore <= now) ?? ordered[0];
}

export function successorDue(keys: readonly StoredSigningKey[], now: number, times: RotationTimes): boolean {
  const newest = byGeneration(keys).at(-1);
  return newest === undefined || now - newest.createdAt >= times.rotationPeriodMs;
}

/**
 * The generation below which every key may be deleted: the longest run of oldest keys whose successor has
 * signed for longer than the retention. 0 when none may go. The signing key never goes: a key that may go
 * always has a successor that has come.
 */
export function deletableBelow(keys: readonly StoredSigningKey[], now: number, times: RotationTimes): number {
  const ordered = byGeneration(keys);
  let below = 0;
  for (let i = 0; i + 1 < ordered.length; i++) {
    const successor = ordered[i + 1]!;
    if (now < successor.notBefore + times.retentionMs) break;
    below = successor.generation;
  }
  return below;
}

/** The keys to publish: every stored key but those that may already go. */
export function publishedKeys(
  keys: readonly StoredSigningKey[],
  now: number,
  times: RotationTimes,
): StoredSigningKey[] {
  const below = deletableBelow(keys, now, times);
  return byGeneration(keys).filter((key) => key.generation >= below);
}

/** When a successor made now starts to sign: at once for the first key, else after the publishing lead. */
export function successorNotBefore(
  keys: readonly StoredSigningKey[],
  now: number,
  times: RotationTimes,
): number {
  return keys.length === 0 ? now : now + times.publishLeadMs;
}
