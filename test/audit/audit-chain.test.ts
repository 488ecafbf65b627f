/** The audit chain's seal and check, on rows made here: what each kind of tampering looks like to `verify`. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditKeyOf, canonicalDetail, sealOf, verifyAuditChain } from '../../sidecar/audit/index.ts';
import { type AuditRecord, GENESIS_AUDIT_HASH } from '../../sidecar/core/index.ts';

const key = auditKeyOf(randomBytes(32));
const keys = new Map([['k1', key]]);

/** A genuine chain of `count` rows, sealed as the audit log seals them. */
function chain(count: number): AuditRecord[] {
  const rows: AuditRecord[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const unsealed = {
      at: 1_700_000_000_000 + seq,
      actor: 'local-admin',
      action: 'secret.add',
      target: 'alice/app',
      decision: 'allow' as const,
      detail: canonicalDetail({ secret: `S${seq}` }),
      keyId: 'k1',
      prevHash: rows.at(-1)?.hash ?? GENESIS_AUDIT_HASH,
    };
    rows.push({ ...unsealed, seq, hash: sealOf(key, unsealed) });
  }
  return rows;
}

/** Seq numbers again from 1, as a deletion or insertion that renumbers the rows after it leaves them. */
const renumbered = (rows: AuditRecord[]) => rows.map((row, index) => ({ ...row, seq: index + 1 }));

describe('the audit chain', () => {
  it('holds for genuine rows and names the last', () => {
    const rows = chain(5);
    expect(verifyAuditChain(rows, keys)).toEqual({
      ok: true,
      rows: 5,
      head: { seq: 5, hash: rows[4]?.hash },
    });
    expect(verifyAuditChain([], keys)).toEqual({ ok: true, rows: 0, head: null });
  });

  it('seals the detail canonically: the same facts in another key order seal alike', () => {
    expect(canonicalDetail({ b: 1, a: 'x' })).toBe(canonicalDetail({ a: 'x', b: 1 }));
  });

  it('names an altered row, in the middle and at the end', () => {
    const rows = chain(5);
    const middle = rows.map((row) => (row.seq === 3 ? { ...row, actor: 'mallory' } : row));
    expect(verifyAuditChain(middle, keys)).toMatchObject({ ok: false, seq: 3, problem: 'altered' });
    const last = rows.map((row) => (row.seq === 5 ? { ...row, detail: '{}' } : row));
    const verdict = verifyAuditChain(last, keys);
    expect(verdict).toMatchObject({ ok: false, seq: 5, problem: 'altered' });
    expect(verdict.ok ? '' : verdict.message).toMatch(/the last row/);
  });

  it('names a deleted row, whether the rows after it keep their numbers or are renumbered', () => {
    const rows = chain(5);
    const gap = rows.filter((row) => row.seq !== 2);
    expect(verifyAuditChain(gap, keys)).toMatchObject({ ok: false, seq: 2, problem: 'missing' });
    expect(verifyAuditChain(renumbered(gap), keys)).toMatchObject({ ok: false, seq: 2, problem: 'missing' });
  });

  it('names an inserted row: a forged one, and a genuine row copied in again', () => {
    const rows = chain(5);
    const forged = { ...(rows[1] as AuditRecord), action: 'build.approve', hash: 'f'.repeat(64) };
    const withForged = renumbered([...rows.slice(0, 2), forged, ...rows.slice(2)]);
    expect(verifyAuditChain(withForged, keys)).toMatchObject({ ok: false, seq: 3, problem: 'inserted' });
    const copied = renumbered([...rows.slice(0, 3), rows[1] as AuditRecord, ...rows.slice(3)]);
    expect(verifyAuditChain(copied, keys)).toMatchObject({ ok: false, seq: 4, problem: 'inserted' });
  });

  it('refuses rows sealed with a key it was not given, and a seal made with another key', () => {
    const rows = chain(3);
    expect(verifyAuditChain(rows, new Map([['k2', key]]))).toMatchObject({ seq: 1, problem: 'unknown-key' });
    expect(verifyAuditChain(rows, new Map([['k1', auditKeyOf(randomBytes(32))]]))).toMatchObject({
      seq: 1,
      problem: 'altered',
    });
  });

  it('checks a page of a longer chain from the row before it, looking one row ahead', () => {
    const rows = chain(6);
    const [first, second, third] = [rows.slice(0, 2), rows.slice(2, 4), rows.slice(4)];
    const start = { seq: 2, hash: first[1]?.hash ?? '' };
    expect(
      verifyAuditChain(second, keys, { start, beforeStart: first[0]?.hash, next: third[0] }),
    ).toMatchObject({
      ok: true,
      rows: 2,
      head: { seq: 4 },
    });
    const altered = second.map((row) => (row.seq === 4 ? { ...row, target: 'bob/tool' } : row));
    expect(verifyAuditChain(altered, keys, { start, next: third[0] })).toMatchObject({
      seq: 4,
      problem: 'altered',
    });
  });
});
