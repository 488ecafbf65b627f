/**
 * The seal of an audit row and the check of a whole chain. Pure: the key comes in, rows come in, a verdict goes
 * out. The seal covers everything a row says except its seq, and the seal of the row before it; the order of
 * the chain is the order of those links, so a row taken out or put in shows where the links break.
 */
import { createHmac } from 'node:crypto';
import { type AuditRecord, type ChainVerdict, GENESIS_AUDIT_HASH } from '../core/index.ts';

/** The audit key: derived from the secret key, so the database alone cannot forge a seal. */
export function auditKeyOf(secretKey: Buffer): Buffer {
  return createHmac('sha256', secretKey).update('drone-gogs audit log v1').digest();
}

/** Canonical JSON of the detail: keys sorted, so that the same facts always seal alike. */
export function canonicalDetail(detail: Readonly<Record<string, unknown>> = {}): string {
  const sorted = Object.fromEntries(
    Object.keys(detail)
      .sort()
      .map((key) => [key, detail[key] ?? null]),
  );
  return JSON.stringify(sorted);
}

export function sealOf(key: Buffer, row: Omit<AuditRecord, 'hash' | 'seq'>): string {
  const content = JSON.stringify([
    row.at,
    row.actor,
    row.action,
    row.target,
    row.decision,
    row.detail,
    row.keyId,
    row.prevHash,
  ]);
  return createHmac('sha256', key).update(content).digest('hex');
}

/** Where `rows` sit in a longer chain, for checking it page by page. */
export interface ChainWindow {
  /** The last row before `rows` (default: none, the chain's start). */
  start?: { seq: number; hash: string };
  /** The seal of the row before `start`. */
  beforeStart?: string;
  /** The first row after `rows`, looked at but not checked. */
  next?: AuditRecord;
}

/**
 * Checks rows in seq order against the keys by id. Names the first row that was altered (its seal fails, but the
 * next row still links to its stored seal), inserted (its seal fails and the next row links past it), missing (a
 * gap in seq, or a row that links to no row before it) or sealed with a key not given. The last row's seal failing
 * cannot tell an edit from an addition: it is reported as altered, saying so.
 */
export function verifyAuditChain(
  rows: readonly AuditRecord[],
  keys: ReadonlyMap<string, Buffer>,
  window: ChainWindow = {},
): ChainVerdict {
  const start = window.start ?? { seq: 0, hash: GENESIS_AUDIT_HASH };
  let previous = start;
  let beforePrevious: string | null = window.beforeStart ?? null;
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index] as AuditRecord;
    const next = rows[index + 1] ?? window.next;
    if (row.seq !== previous.seq + 1)
      return missing(previous.seq + 1, `row ${previous.seq + 1} is missing: it was deleted`);
    if (row.prevHash !== previous.hash) {
      if (next !== undefined && next.prevHash === previous.hash)
        return inserted(row.seq, `row ${row.seq} was inserted: row ${next.seq} follows the row before it`);
      if (beforePrevious !== null && row.prevHash === beforePrevious)
        return inserted(
          previous.seq,
          `row ${previous.seq} was inserted: row ${row.seq} follows the row before it`,
        );
      return missing(
        row.seq,
        `a row before row ${row.seq} is missing: it was deleted and the rows after renumbered`,
      );
    }
    const key = keys.get(row.keyId);
    if (key === undefined)
      return {
        ok: false,
        seq: row.seq,
        problem: 'unknown-key',
        message: `row ${row.seq} is sealed with key ${row.keyId}, which is not the secret key given`,
      };
    if (sealOf(key, row) !== row.hash) {
      if (next !== undefined && next.prevHash === previous.hash)
        return inserted(
          row.seq,
          `row ${row.seq} was inserted: its seal is not genuine and row ${next.seq} follows the row before it`,
        );
      const last = next === undefined ? ' (the last row: altered, or added without the key)' : '';
      return {
        ok: false,
        seq: row.seq,
        problem: 'altered',
        message: `row ${row.seq} was altered: its content does not match its seal${last}`,
      };
    }
    beforePrevious = previous.hash;
    previous = { seq: row.seq, hash: row.hash };
  }
  const head = previous.seq === 0 ? null : previous;
  return { ok: true, rows: rows.length, head };
}

function missing(seq: number, message: string): ChainVerdict {
  return { ok: false, seq, problem: 'missing', message };
}

function inserted(seq: number, message: string): ChainVerdict {
  return { ok: false, seq, problem: 'inserted', message };
}
