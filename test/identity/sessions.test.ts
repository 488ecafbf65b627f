/**
 * Browser sessions over the real stores: a fresh id at every start, kept only as its hash (read from the
 * database file), a signed cookie whose id, key and signature are each checked, idle and absolute expiry on an
 * injected clock, revocation (audited), signing keys made once on first use and kept after a rotation exactly as
 * long as a session they signed is in force.
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANONYMOUS, LOCAL_ADMIN, sessionKeyPlace } from '../../sidecar/core/index.ts';
import { sessionHash } from '../../sidecar/identity/index.ts';
import { gogsSignIn, testSessionService } from '../support/sessions.ts';
import { openTestStores, testAuditLog } from '../support/stores.ts';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const T0 = 1_800_000_000_000;

describe('sessions', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let audit: ReturnType<typeof testAuditLog>;
  let service: ReturnType<typeof testSessionService>;
  let alice: number;
  let bob: number;

  beforeEach(async () => {
    t = await openTestStores();
    audit = testAuditLog(t);
    service = testSessionService(t, audit, { admins: ['alice'] });
    alice = (await t.users.upsert({ gogsId: 1, login: 'alice', email: '', fullName: '' })).id;
    bob = (await t.users.upsert({ gogsId: 2, login: 'bob', email: '', fullName: '' })).id;
  });
  afterEach(() => t.dispose());

  const sql = async (statement: string, args: (string | number)[] = []) => {
    const client = createClient({ url: t.url });
    try {
      return (await client.execute({ sql: statement, args })).rows;
    } finally {
      client.close();
    }
  };
  const idOf = (cookie: string) => cookie.split('.')[0] ?? '';
  const keyIdOf = (cookie: string) => cookie.split('.')[1] ?? '';

  it('starts every session with a fresh id and CSRF token, and resolves it to the person as the rows say', async () => {
    const first = await service.start(gogsSignIn(alice, 'alice'), T0);
    const second = await service.start(gogsSignIn(alice, 'alice'), T0);
    expect(idOf(first.cookie)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(idOf(second.cookie)).not.toBe(idOf(first.cookie));
    expect(second.csrf).not.toBe(first.csrf);
    expect(second.session.id).not.toBe(first.session.id);
    const resolved = await service.resolve(first.cookie, T0 + 1000);
    expect(resolved?.principal).toEqual({
      kind: 'user',
      login: 'alice',
      admin: true,
      roles: [],
      subject: null,
    });
    expect(resolved?.session).toMatchObject({ id: first.session.id, csrf: first.csrf, userId: alice });
    const bobs = await service.start(gogsSignIn(bob, 'bob'), T0);
    expect((await service.resolve(bobs.cookie, T0))?.principal).toMatchObject({ login: 'bob', admin: false });
    const created = (await t.audit.read()).filter((row) => row.action === 'session.create');
    expect(created.map((row) => row.target)).toEqual(['alice', 'alice', 'bob']);
  });

  it('keeps only the hash of a session id: the database file never holds the id', async () => {
    const { cookie, session } = await service.start(gogsSignIn(alice, 'alice'), T0);
    const id = idOf(cookie);
    const [row] = await sql('select * from sessions where id = ?', [session.id]);
    expect(row?.hash).toBe(sessionHash(id));
    expect(Object.values(row ?? {})).not.toContain(id);
    const path = fileURLToPath(t.url);
    const bytes = Buffer.concat([
      await readFile(path),
      await readFile(`${path}-wal`).catch(() => Buffer.alloc(0)),
    ]);
    expect(bytes.includes(id)).toBe(false);
    expect(bytes.includes(sessionHash(id))).toBe(true);
    const [key] = await sql('select secret from session_keys');
    expect(String(key?.secret)).toMatch(/^v2:/);
  });

  it('keeps the ID token of an OIDC login encrypted, bound to its session, for the provider’s logout', async () => {
    const idToken = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LWFsaWNlIn0.c2lnbmF0dXJlLW9mLXRoZS1pZC10b2tlbg';
    const oidc = await service.start(gogsSignIn(alice, 'alice'), T0, { idToken });
    const plain = await service.start(gogsSignIn(bob, 'bob'), T0);
    const [row] = await sql('select id_token from sessions where id = ?', [oidc.session.id]);
    expect(String(row?.id_token)).toMatch(/^v2:/);
    expect(String(row?.id_token)).not.toContain('c2lnbmF0dXJl');
    const stored = (await service.resolve(oidc.cookie, T0))?.session;
    expect(stored && service.idTokenOf(stored)).toBe(idToken);
    const without = (await service.resolve(plain.cookie, T0))?.session;
    expect(without && service.idTokenOf(without)).toBeNull();
    // Moved to another session's row, it does not decrypt there: it is bound to its own session.
    if (stored === undefined || without === undefined) throw new Error('both sessions resolve');
    expect(service.idTokenOf({ ...without, idToken: stored.idToken })).toBeNull();
  });

  it('refuses a cookie whose id, key id or signature was tampered with', async () => {
    const a = await service.start(gogsSignIn(alice, 'alice'), T0);
    const b = await service.start(gogsSignIn(bob, 'bob'), T0);
    const [idA, key, macA] = a.cookie.split('.') as [string, string, string];
    const [idB] = b.cookie.split('.') as [string];
    const flip = (text: string, at: number) =>
      text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    expect(await service.resolve(a.cookie, T0)).not.toBeNull();
    // Bob's valid id under Alice's signature: the signature is checked, not only whether the id exists.
    expect(await service.resolve(`${idB}.${key}.${macA}`, T0)).toBeNull();
    expect(await service.resolve(`${idA}.${key}.${flip(macA, 10)}`, T0)).toBeNull();
    expect(await service.resolve(`${flip(idA, 5)}.${key}.${macA}`, T0)).toBeNull();
    expect(await service.resolve(`${idA}.${flip(key, 3)}.${macA}`, T0)).toBeNull();
    expect(await service.resolve(`${idA}.${key}`, T0)).toBeNull();
    expect(await service.resolve('', T0)).toBeNull();
    // Signed right but with a secret key of another sidecar: the stored key does not decrypt elsewhere.
    const forged = createHmac('sha256', Buffer.alloc(32)).update(idA).digest('base64url');
    expect(await service.resolve(`${idA}.${key}.${forged}`, T0)).toBeNull();
  });

  it('ends a session idle for 12 hours, and slides while it is used', async () => {
    const idle = await service.start(gogsSignIn(alice, 'alice'), T0);
    const justInTime = await service.start(gogsSignIn(alice, 'alice'), T0);
    const used = await service.start(gogsSignIn(alice, 'alice'), T0);
    expect(await service.resolve(justInTime.cookie, T0 + 12 * HOUR - 1000)).not.toBeNull();
    expect(await service.resolve(idle.cookie, T0 + 12 * HOUR)).toBeNull();
    for (let at = T0 + 11 * HOUR; at < T0 + 3 * DAY; at += 11 * HOUR)
      expect(await service.resolve(used.cookie, at), `at +${(at - T0) / HOUR} h`).not.toBeNull();
  });

  it('records a request at most once a minute', async () => {
    const { cookie, session } = await service.start(gogsSignIn(alice, 'alice'), T0);
    await service.resolve(cookie, T0 + 30_000);
    expect((await t.sessions.find(session.id))?.lastSeenAt).toBe(T0);
    await service.resolve(cookie, T0 + 61_000);
    expect((await t.sessions.find(session.id))?.lastSeenAt).toBe(T0 + 61_000);
  });

  it('ends a session 7 days after its start however busy it is', async () => {
    const { cookie } = await service.start(gogsSignIn(alice, 'alice'), T0);
    for (let at = T0 + 11 * HOUR; at < T0 + 7 * DAY; at += 11 * HOUR)
      expect(await service.resolve(cookie, at)).not.toBeNull();
    expect(await service.resolve(cookie, T0 + 7 * DAY - 1000)).not.toBeNull();
    expect(await service.resolve(cookie, T0 + 7 * DAY)).toBeNull();
  });

  it('revokes a session, and every session of a user, for good and audited', async () => {
    const one = await service.start(gogsSignIn(alice, 'alice'), T0);
    const two = await service.start(gogsSignIn(alice, 'alice'), T0);
    const bobs = await service.start(gogsSignIn(bob, 'bob'), T0);
    expect(await service.revoke(one.session.id, LOCAL_ADMIN)).toBe(true);
    expect(await service.resolve(one.cookie, T0)).toBeNull();
    expect(await service.resolve(two.cookie, T0)).not.toBeNull();
    expect(await service.revoke(one.session.id, LOCAL_ADMIN)).toBe(true);
    expect(await service.revoke(999, LOCAL_ADMIN)).toBe(false);
    expect(await service.revokeAllOf(alice, LOCAL_ADMIN)).toBe(1);
    expect(await service.resolve(two.cookie, T0)).toBeNull();
    expect(await service.resolve(bobs.cookie, T0)).not.toBeNull();
    const revoked = (await t.audit.read()).filter((row) => row.action === 'session.revoke');
    expect(revoked.map((row) => [row.actor, JSON.parse(row.detail).session])).toEqual([
      ['local-admin', one.session.id],
      ['local-admin', two.session.id],
    ]);
  });

  it('counts a revocation by another process within the cache time', async () => {
    const { cookie, session } = await service.start(gogsSignIn(alice, 'alice'), T0);
    expect(await service.resolve(cookie, T0)).not.toBeNull();
    const cli = testSessionService(t, audit, { cipher: service.cipher });
    expect(await cli.revoke(session.id, LOCAL_ADMIN)).toBe(true);
    expect(await service.resolve(cookie, T0 + 1000)).toBeNull();
  });

  it('makes one signing key when several processes start the first sessions at once', async () => {
    const other = testSessionService(t, audit, { cipher: service.cipher });
    const started = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? other : service).start(gogsSignIn(alice, 'alice'), T0)),
    );
    expect(await t.sessionKeys.list()).toHaveLength(1);
    expect(new Set(started.map((s) => keyIdOf(s.cookie))).size).toBe(1);
    for (const { cookie } of started) {
      expect(await service.resolve(cookie, T0)).not.toBeNull();
      expect(await other.resolve(cookie, T0)).not.toBeNull();
    }
  });

  it('keeps a rotated-out key verifying until the sessions it signed have ended, then deletes it', async () => {
    const old = await service.start(gogsSignIn(alice, 'alice'), T0);
    const oldKey = keyIdOf(old.cookie);
    const rotated = await service.rotateKeys(T0 + HOUR);
    expect(rotated.signing).not.toBe(oldKey);
    expect(rotated.deleted).toEqual([]);
    expect(await service.resolve(old.cookie, T0 + HOUR)).not.toBeNull();
    const fresh = await service.start(gogsSignIn(bob, 'bob'), T0 + 2 * HOUR);
    expect(keyIdOf(fresh.cookie)).toBe(rotated.signing);

    // Bob's live session signed with the old key's secret: good for as long as the old key is kept.
    const [row] = await sql('select secret from session_keys where id = ?', [oldKey]);
    const oldSecret = Buffer.from(
      service.cipher.decrypt(String(row?.secret), sessionKeyPlace(oldKey)),
      'base64url',
    );
    const underOldKey = `${idOf(fresh.cookie)}.${oldKey}.${createHmac('sha256', oldSecret).update(idOf(fresh.cookie)).digest('base64url')}`;
    const later = () => testSessionService(t, audit, { cipher: service.cipher });
    expect(await later().resolve(underOldKey, T0 + 3 * HOUR)).not.toBeNull();
    // Verified here too, so that its refusal below is not that of a cookie this process never checked.
    expect(await service.resolve(underOldKey, T0 + 3 * HOUR)).not.toBeNull();

    // Alice keeps her old session busy: the old key stays through another rotation.
    expect(await service.resolve(old.cookie, T0 + 10 * HOUR)).not.toBeNull();
    const unused = await service.rotateKeys(T0 + 11 * HOUR);
    expect(unused.deleted).toEqual([]);
    expect(await later().resolve(old.cookie, T0 + 12 * HOUR)).not.toBeNull();

    expect(await later().resolve(fresh.cookie, T0 + 13 * HOUR)).not.toBeNull();
    expect(await later().resolve(fresh.cookie, T0 + 24 * HOUR)).not.toBeNull();
    // Her session idles out; now no session the old key signed is in force, and it goes. The key of Bob's
    // session stays; the one retired just now stays while another process may still be signing with it.
    const { deleted } = await service.rotateKeys(T0 + 25 * HOUR);
    expect(deleted).toEqual([oldKey]);
    expect((await service.rotateKeys(T0 + 26 * HOUR)).deleted).toEqual([unused.signing]);
    expect((await t.sessionKeys.list()).map((key) => key.id)).not.toContain(oldKey);
    expect(await later().resolve(underOldKey, T0 + 25 * HOUR)).toBeNull();
    expect(await service.resolve(underOldKey, T0 + 25 * HOUR)).toBeNull();
    expect(await service.resolve(fresh.cookie, T0 + 25 * HOUR)).not.toBeNull();
  });

  it('rebuilds the principal from the identity row, and counts a session of an unlinked identity as nobody', async () => {
    await sql(
      `insert into identities (provider, subject, user_id, username, groups, created_at, last_login_at) values ('okta', '00u1', ?, 'alice', '[]', 0, 0), ('okta', '00u2', null, 'carol', '[]', 0, 0)`,
      [alice],
    );
    const [linked, unlinked] = (await sql('select id from identities order by id')).map((r) => Number(r.id));
    const withIdentity = await service.start(
      { ...gogsSignIn(alice, 'alice'), identityId: linked ?? 0, subject: 'okta:00u1' },
      T0,
    );
    expect((await service.resolve(withIdentity.cookie, T0))?.principal).toMatchObject({
      login: 'alice',
      subject: 'okta:00u1',
    });
    const pending = await service.start(
      {
        userId: null,
        identityId: unlinked ?? 0,
        login: 'carol',
        admin: false,
        roles: [],
        subject: 'okta:00u2',
      },
      T0,
    );
    const resolved = await service.resolve(pending.cookie, T0);
    expect(resolved?.principal).toEqual(ANONYMOUS);
    expect(resolved?.session.identityId).toBe(unlinked);
  });
});
