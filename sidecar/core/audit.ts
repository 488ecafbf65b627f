/**
 * The audit log: every security-relevant action, appended to one hash chain in the database. Each row is sealed
 * with a key the database does not hold (derived from the secret key), over its content and the seal of the row
 * before it, so that an edited, deleted or inserted row is found by `drone-gogs audit verify`.
 */
import type { Principal } from './principal.ts';

export type AuditDecision = 'allow' | 'deny';

/** The `prevHash` of the first row. */
export const GENESIS_AUDIT_HASH = '0'.repeat(64);

/** What happened, named `area.verb`. */
export type AuditAction =
  | 'secret.add'
  | 'secret.update'
  | 'secret.remove'
  | 'repo.enable'
  | 'repo.disable'
  | 'repo.repair'
  | 'repo.settings'
  | 'hook.rotate'
  | 'build.restart'
  | 'build.cancel'
  | 'build.approve'
  | 'build.decline'
  | 'policy.deny'
  | 'token.create'
  | 'token.revoke'
  | 'identity.provider.add'
  | 'identity.provider.remove'
  | 'identity.gogs.link'
  | 'login.failure'
  | 'session.create'
  | 'session.revoke'
  | 'logout'
  | 'gogs-token.rotate'
  | 'session-keys.rotate'
  | 'secret-key.rotate'
  | 'secret-key.retire';

/** Facts about the action; never a secret's value. */
export type AuditDetail = Readonly<Record<string, string | number | boolean | null>>;

export interface AuditEvent {
  actor: Principal;
  action: AuditAction;
  /** What it was done to: `alice/app`, `alice/app#12`, `organisation acme`. */
  target: string;
  decision: AuditDecision;
  detail?: AuditDetail;
}

/** A row of the chain as stored. */
export interface AuditRecord {
  /** 1, 2, 3, … in the order of the chain. */
  seq: number;
  /** Milliseconds since the epoch. */
  at: number;
  /** The principal as a stable word: `local-admin`; later `gogs:alice`, `oidc:okta:SUBJECT`. */
  actor: string;
  action: string;
  target: string;
  decision: AuditDecision;
  /** The detail as canonical JSON (keys sorted). */
  detail: string;
  /** Which key sealed the row (the secret key's id). */
  keyId: string;
  /** The seal of the row before; 64 zeros for the first. */
  prevHash: string;
  /** HMAC-SHA256 over the row's content and `prevHash`, hex. */
  hash: string;
}

export type UnsealedAuditRecord = Omit<AuditRecord, 'hash' | 'keyId' | 'prevHash' | 'seq'>;

export interface AuditStore {
  /**
   * Appends one row after the chain's last, in one write transaction (so appends from several processes chain in
   * one order): `seal` gets the row with its seq and the last row's hash and returns its key id and hash.
   */
  append(
    row: UnsealedAuditRecord,
    seal: (row: Omit<AuditRecord, 'hash' | 'keyId'>) => { keyId: string; hash: string },
  ): Promise<AuditRecord>;
  /** Rows with seq above `afterSeq` (default 0), in order, at most `limit` (default 1000). */
  read(options?: { afterSeq?: number; sinceAt?: number; limit?: number }): Promise<AuditRecord[]>;
}

/** Records events; an event that cannot be recorded throws (the action is then not reported as done). */
export interface AuditLog {
  record(event: AuditEvent): Promise<AuditRecord>;
}

export type ChainVerdict =
  | { ok: true; rows: number; head: { seq: number; hash: string } | null }
  | { ok: false; seq: number; problem: 'altered' | 'missing' | 'inserted' | 'unknown-key'; message: string };

/** Reading the audit log back, for the CLI today and the API later. */
export interface AuditService {
  /** The rows in chain order, from `sinceAt` (ms since the epoch) when given. */
  rows(actor: Principal, options?: { sinceAt?: number }): AsyncIterable<AuditRecord>;
  /** Checks the whole chain with the keys this process holds. */
  verify(actor: Principal): Promise<ChainVerdict>;
}
