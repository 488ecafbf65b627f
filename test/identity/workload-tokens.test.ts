import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
} from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type StoredSigningKey,
  type WorkloadTokenIssuer,
  workloadSigningKeyPlace,
} from '../../sidecar/core/index.ts';
import type { HttpServer } from '../../sidecar/http/index.ts';
import { createSecretCipher } from '../../sidecar/secrets/index.ts';
import { openDatabase, openStores } from '../../sidecar/store/index.ts';
import { upgradeStoredSecrets } from '../../sidecar/store/secret-upgrade.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { encryptAsV1 } from '../secrets/old-format.ts';
import { openTestStores } from '../support/stores.ts';
import {
  manualClock,
  pushClaims,
  servedWorkloadIssuer,
  testWorkloadIssuer,
} from '../support/workload-issuer.ts';

type TestStores = Awaited<ReturnType<typeof openTestStores>>;

const T0 = Date.parse('2030-01-01T00:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const AUDIENCE = 'sts.amazonaws.com';

const at = (ms: number) => new Date(ms);

async function discoveredKeySet(server: HttpServer) {
  const response = await fetch(`${server.url}/.well-known/openid-configuration`);
  const configuration = (await response.json()) as { issuer: string; jwks_uri: string };
  // A fresh set each time: jose caches a fetched key set, and these tests change the published keys.
  return { configuration, keySet: createRemoteJWKSet(new URL(configuration.jwks_uri)) };
}

async function verify(server: HttpServer, token: string, now: number, audience = AUDIENCE) {
  const { configuration, keySet } = await discoveredKeySet(server);
  return jwtVerify(token, keySet, {
    issuer: configuration.issuer,
    audience,
    algorithms: ['ES256'],
    currentDate: at(now),
  });
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

describe('workload tokens verified against the published keys', () => {
  let stores: TestStores;
  let server: HttpServer;
  let issuer: WorkloadTokenIssuer;
  const clock = manualClock(T0);

  beforeEach(async () => {
    clock.set(T0);
    stores = await openTestStores();
    const served = await servedWorkloadIssuer(stores, { clock });
    server = served.server;
    issuer = served.issuer;
  });
  afterEach(async () => {
    await server.stop();
    await stores.dispose();
  });

  it('signs a token that verifies by the discovered key set, with the claims of the step', async () => {
    const { token, expiresAt } = await issuer.issue(pushClaims(), { audience: AUDIENCE });
    const { payload, protectedHeader } = await verify(server, token, T0 + MINUTE);
    const iat = T0 / 1000;
    expect(payload).toEqual({
      iss: server.url,
      sub: 'repo:acme/rocket:ref:refs/heads/main',
      aud: AUDIENCE,
      iat,
      nbf: iat,
      exp: iat + 600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      repository: 'acme/rocket',
      repository_owner: 'acme',
      ref: 'refs/heads/main',
      ref_type: 'branch',
      event: 'push',
      sha: 'a'.repeat(40),
      build_number: 42,
      pipeline: 'default',
      step: 'deploy',
      trigger_user: '@hook',
      trusted: false,
    });
    expect(expiresAt).toBe(T0 + 600_000);
    const [published] = (await issuer.jwks()).keys;
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: published!.kid, typ: 'JWT' });
    expect(published!.kid).toBe(await calculateJwkThumbprint(published!, 'sha256'));
    const second = await issuer.issue(pushClaims(), { audience: AUDIENCE });
    expect(decodeJwt(second.token).jti).not.toBe(payload.jti);
  });

  it('names tags and pull requests in the subject as GitHub does', async () => {
    const tag = await issuer.issue(pushClaims({ ref: 'refs/tags/v1', refType: 'tag', event: 'tag' }), {
      audience: AUDIENCE,
    });
    expect((await verify(server, tag.token, T0)).payload).toMatchObject({
      sub: 'repo:acme/rocket:ref:refs/tags/v1',
      ref_type: 'tag',
    });
    const pull = await issuer.issue(
      pushClaims({ ref: 'refs/pull/7/head', refType: 'pull_request', event: 'pull_request', pullRequest: 7 }),
      { audience: AUDIENCE },
    );
    expect((await verify(server, pull.token, T0)).payload).toMatchObject({
      sub: 'repo:acme/rocket:pull_request',
      ref: 'refs/pull/7/head',
      ref_type: 'pull_request',
      pull_request: 7,
    });
  });

  it('is refused once expired, and lives as long as asked up to an hour', async () => {
    const { token } = await issuer.issue(pushClaims(), { audience: AUDIENCE });
    await expect(verify(server, token, T0 + 599_000)).resolves.toBeTruthy();
    await expect(verify(server, token, T0 + 601_000)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });

    const hour = await issuer.issue(pushClaims(), { audience: AUDIENCE, ttlSeconds: 3600 });
    expect(hour.expiresAt).toBe(T0 + HOUR);
    await expect(verify(server, hour.token, T0 + HOUR - 1000)).resolves.toBeTruthy();
    await expect(verify(server, hour.token, T0 + HOUR + 1000)).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    });
    for (const ttlSeconds of [3601, 0, 1.5]) {
      await expect(issuer.issue(pushClaims(), { audience: AUDIENCE, ttlSeconds })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        details: { field: 'ttlSeconds' },
      });
    }
  });

  it('is refused for another audience', async () => {
    const { token } = await issuer.issue(pushClaims(), { audience: 'vault' });
    await expect(verify(server, token, T0, 'vault')).resolves.toBeTruthy();
    await expect(verify(server, token, T0, AUDIENCE)).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    });
  });

  it('is refused when its signature does not match the published key', async () => {
    const { token } = await issuer.issue(pushClaims(), { audience: AUDIENCE });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'repo:acme/rocket:ref:refs/heads/prod' }));
    await expect(
      verify(server, `${header}.${forged.toString('base64url')}.${signature}`, T0),
    ).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it('rotates with overlap: the old key verifies its tokens until retired, the successor signs once due', async () => {
    const first = await issuer.issue(pushClaims(), { audience: AUDIENCE, ttlSeconds: 3600 });
    const oldKid = kidOf(first.token);
    expect(await issuer.rotate(T0 + DAY)).toEqual({ signingKid: oldKid, created: null, deleted: [] });

    clock.set(T0 + 7 * DAY);
    const rotation = await issuer.rotate();
    expect(rotation.created).toEqual(expect.any(String));
    expect(rotation).toMatchObject({ signingKid: oldKid, deleted: [] });
    const newKid = rotation.created!;
    // Published before it signs, so that a verifier's cached key set has it.
    expect((await issuer.jwks()).keys.map((key) => key.kid)).toEqual([oldKid, newKid]);
    clock.advance(59 * MINUTE);
    const lastOfOld = await issuer.issue(pushClaims(), { audience: AUDIENCE, ttlSeconds: 3600 });
    expect(kidOf(lastOfOld.token)).toBe(oldKid);

    clock.advance(MINUTE);
    const firstOfNew = await issuer.issue(pushClaims(), { audience: AUDIENCE });
    expect(kidOf(firstOfNew.token)).toBe(newKid);
    await expect(verify(server, firstOfNew.token, clock.now())).resolves.toBeTruthy();
    // The old key's last token lives its hour, and the old key is published for all of it.
    const beforeRetirement = clock.now() + 58 * MINUTE;
    expect((await issuer.rotate(beforeRetirement)).deleted).toEqual([]);
    clock.set(beforeRetirement);
    await expect(verify(server, lastOfOld.token, beforeRetirement)).resolves.toBeTruthy();

    // An hour and the margin after the successor began to sign, no token of the old key can be valid.
    const retirement = T0 + 7 * DAY + HOUR + HOUR + 15 * MINUTE;
    clock.set(retirement);
    expect((await issuer.jwks()).keys.map((key) => key.kid)).toEqual([newKid]);
    expect(await issuer.rotate()).toEqual({ signingKid: newKid, created: null, deleted: [oldKid] });
    expect((await stores.workloadSigningKeys.list()).map((key) => key.kid)).toEqual([newKid]);
    await expect(verify(server, lastOfOld.token, beforeRetirement)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    await expect(verify(server, firstOfNew.token, T0 + 7 * DAY + HOUR)).resolves.toBeTruthy();
  });

  it('issuing creates the successor when a rotation is due, without a rotate call', async () => {
    const first = await issuer.issue(pushClaims(), { audience: AUDIENCE });
    clock.set(T0 + 8 * DAY);
    await issuer.issue(pushClaims(), { audience: AUDIENCE });
    const keys = await stores.workloadSigningKeys.list();
    expect(keys.map((key) => key.generation)).toEqual([2, 1]);
    expect(keys[1]!.kid).toBe(kidOf(first.token));
    expect(keys[0]!.notBefore).toBe(T0 + 8 * DAY + HOUR);
  });

  it('passes pusher-chosen text through as JSON strings and refuses what could shift the claims', async () => {
    const ref = `refs/heads/feat/"quoted"</script>{}\u00e9\u{1f680}`;
    const { token } = await issuer.issue(pushClaims({ ref, step: 'say "hi" \\ $X' }), {
      audience: AUDIENCE,
    });
    expect((await verify(server, token, T0)).payload).toMatchObject({
      ref,
      sub: `repo:acme/rocket:ref:${ref}`,
      step: 'say "hi" \\ $X',
    });
    const refused = [
      { change: { ref: `refs/heads/${'b'.repeat(246)}` }, field: 'ref' },
      { change: { ref: 'refs/heads/main:ref:refs/heads/prod' }, field: 'ref' },
      { change: { ref: 'refs/heads/a\nb' }, field: 'ref' },
      { change: { ref: 'refs/tags/v1' }, field: 'ref' },
      { change: { repository: 'acme/rocket:ref:refs/heads/prod' }, field: 'repository' },
      { change: { repository: 'acme' }, field: 'repository' },
      { change: { step: 's'.repeat(257) }, field: 'step' },
      { change: { pipeline: 'a\u0000b' }, field: 'pipeline' },
      { change: { triggerUser: '' }, field: 'triggerUser' },
      { change: { sha: 'abc' }, field: 'sha' },
      { change: { buildNumber: 0 }, field: 'buildNumber' },
      { change: { pullRequest: 3 }, field: 'pullRequest' },
      { change: { refType: 'pull_request' as const, ref: 'refs/pull/3/head' }, field: 'pullRequest' },
    ];
    for (const { change, field } of refused) {
      await expect(
        issuer.issue(pushClaims(change), { audience: AUDIENCE }),
        JSON.stringify(change),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST', details: { field } });
    }
    expect(
      (await issuer.issue(pushClaims({ ref: `refs/heads/${'b'.repeat(245)}` }), { audience: AUDIENCE }))
        .token,
    ).toBeTruthy();
    for (const audience of ['', 'a'.repeat(257), 'a\rb']) {
      await expect(issuer.issue(pushClaims(), { audience })).rejects.toMatchObject({
        details: { field: 'audience' },
      });
    }
  });
});

describe('workload signing keys at rest', () => {
  let stores: TestStores;
  beforeEach(async () => {
    stores = await openTestStores();
  });
  afterEach(() => stores.dispose());

  const storedRows = async () => {
    const client = createClient({ url: stores.url });
    try {
      return (await client.execute('SELECT * FROM workload_signing_keys ORDER BY generation')).rows;
    } finally {
      client.close();
    }
  };

  it('publishes public members only, and keeps the private key in the database encrypted', async () => {
    const clock = manualClock(T0);
    const { issuer, cipher } = testWorkloadIssuer(stores, { clock });
    await issuer.issue(pushClaims(), { audience: AUDIENCE });
    clock.set(T0 + 7 * DAY);
    await issuer.rotate();

    const { keys } = await issuer.jwks();
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    }

    const rows = await storedRows();
    expect(rows.map((row) => row.kid)).toEqual(keys.map((key) => key.kid));
    const dbDir = dirname(fileURLToPath(stores.url));
    const files = (await readdir(dbDir)).filter((name) => name.startsWith('test.db'));
    expect(files).toContain('test.db');
    const bytes = Buffer.concat(await Promise.all(files.map((name) => readFile(join(dbDir, name)))));
    for (const row of rows) {
      const stored = String(row.private_key);
      expect(stored).toMatch(/^v2:[0-9a-f]{8}:/);
      expect(JSON.parse(String(row.public_jwk))).not.toHaveProperty('d');
      const { d } = JSON.parse(cipher.decrypt(stored, workloadSigningKeyPlace(String(row.kid))));
      expect(d).toMatch(/^[\w-]{43}$/);
      expect(stored).not.toContain(d);
      expect(bytes.includes(Buffer.from(d, 'utf8'))).toBe(false);
      expect(bytes.includes(Buffer.from(d, 'base64url'))).toBe(false);
      // The search would find it: the public point is in the file as stored.
      expect(bytes.includes(Buffer.from(JSON.parse(String(row.public_jwk)).x, 'utf8'))).toBe(true);
    }
  });

  it('refuses to sign with a private key copied from another key’s row', async () => {
    const clock = manualClock(T0);
    const { issuer, cipher } = testWorkloadIssuer(stores, { clock });
    await issuer.rotate();
    clock.set(T0 + 7 * DAY);
    await issuer.rotate();
    const client = createClient({ url: stores.url });
    try {
      await client.execute(
        'UPDATE workload_signing_keys SET private_key = (SELECT private_key FROM workload_signing_keys WHERE generation = 2) WHERE generation = 1',
      );
    } finally {
      client.close();
    }
    // A fresh issuer: nothing decrypted before the copy.
    const { issuer: fresh } = testWorkloadIssuer(stores, { clock, cipher });
    await expect(fresh.issue(pushClaims(), { audience: AUDIENCE })).rejects.toMatchObject({
      code: 'DECRYPT_FAILED',
    });
  });

  it('migrate re-encrypts a private key stored in an older format, and it still signs', async () => {
    const clock = manualClock(T0);
    const key = randomBytes(32);
    const cipher = createSecretCipher(key);
    const { issuer } = testWorkloadIssuer(stores, { clock, cipher });
    await issuer.rotate();
    const [row] = await stores.workloadSigningKeys.list();
    const plaintext = cipher.decrypt(row!.privateKey, workloadSigningKeyPlace(row!.kid));
    const old: StoredSigningKey = { ...row!, privateKey: encryptAsV1(key, Buffer.alloc(12, 7), plaintext) };
    const client = createClient({ url: stores.url });
    try {
      await client.execute({
        sql: 'UPDATE workload_signing_keys SET private_key = ? WHERE kid = ?',
        args: [old.privateKey, old.kid],
      });
    } finally {
      client.close();
    }
    const database = await openDatabase({ url: stores.url });
    try {
      expect(await upgradeStoredSecrets(database.db, cipher, silentLogger)).toBe(1);
    } finally {
      database.close();
    }
    const [upgraded] = await stores.workloadSigningKeys.list();
    expect(upgraded!.privateKey).toMatch(/^v2:/);
    expect(cipher.decrypt(upgraded!.privateKey, workloadSigningKeyPlace(row!.kid))).toBe(plaintext);
    const { issuer: fresh } = testWorkloadIssuer(stores, { clock, cipher });
    const { token } = await fresh.issue(pushClaims(), { audience: AUDIENCE });
    expect(kidOf(token)).toBe(row!.kid);
  });
});

describe('workload signing keys shared by processes', () => {
  let one: TestStores;
  let two: Awaited<ReturnType<typeof openStores>>;
  beforeEach(async () => {
    one = await openTestStores();
    two = await openStores({ url: one.url, sync: 'normal' });
  });
  afterEach(async () => {
    await two.close();
    await one.dispose();
  });

  it('two issuers on one database rotating at once make one new key per rotation', async () => {
    const clock = manualClock(T0);
    const { issuer: first, cipher } = testWorkloadIssuer(one, { clock });
    const { issuer: second } = testWorkloadIssuer(two, { clock, cipher });

    const [fromFirst, fromSecond] = await Promise.all([
      first.issue(pushClaims(), { audience: AUDIENCE }),
      second.issue(pushClaims(), { audience: AUDIENCE }),
      first.rotate(),
      second.rotate(),
    ]);
    expect(await one.workloadSigningKeys.list()).toHaveLength(1);
    expect(kidOf(fromFirst.token)).toBe(kidOf(fromSecond.token));

    clock.set(T0 + 7 * DAY);
    const rotations = await Promise.all([first.rotate(), second.rotate(), first.rotate(), second.rotate()]);
    const keys = await one.workloadSigningKeys.list();
    expect(keys.map((key) => key.generation)).toEqual([2, 1]);
    expect(rotations.map((rotation) => rotation.created).filter((kid) => kid !== null)).toEqual([
      keys[0]!.kid,
    ]);
    expect(new Set(rotations.map((rotation) => rotation.signingKid))).toEqual(new Set([keys[1]!.kid]));
    // The key the other process made signs here too, once due.
    clock.set(T0 + 7 * DAY + HOUR);
    const { token } = await second.issue(pushClaims(), { audience: AUDIENCE });
    expect(kidOf(token)).toBe(keys[0]!.kid);
  });
});
