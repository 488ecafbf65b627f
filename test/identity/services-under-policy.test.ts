/**
 * The services behind the policy: every call is decided for the principal with the rights the access source
 * gives (a stand-in for identity's Gogs sync, which is not built yet: a table of rights per login), and every
 * denial is in the audit chain, read from the database file.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBuildService } from '../../sidecar/builds/index.ts';
import {
  ANONYMOUS,
  LOCAL_ADMIN,
  type RepoAccess,
  type RepoAccessSource,
  systemClock,
} from '../../sidecar/core/index.ts';
import { createSecretCipher, createSecretService } from '../../sidecar/secrets/index.ts';
import { silentLogger } from '../../sidecar/telemetry/index.ts';
import { testBuild } from '../support/builds.ts';
import { person, refusal } from '../support/refusal.ts';
import { openTestStores, repoFacts, testAuditLog, testAuthorizer } from '../support/stores.ts';

const ALICE = person('alice');
const BOB = person('bob');
const CAROL = person('carol');

describe('services behind the policy', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let asked: { login: string; fresh: boolean }[];
  /** Rights per login and repository; carol's are an hour old until read again. */
  const rights: Record<string, Partial<RepoAccess>> = {
    'alice acme/private': { admin: true, push: true, pull: true },
    'bob acme/private': { pull: true },
    'carol acme/private': { push: true, pull: true },
  };
  const access: RepoAccessSource = {
    async accessOf(actor, repo, { fresh }) {
      if (actor.kind !== 'user') return null;
      asked.push({ login: actor.login, fresh });
      const held = rights[`${actor.login} ${repo.fullName}`];
      if (held === undefined) return null;
      const age = actor.login === 'carol' && !fresh ? 3_600_000 : 0;
      return { admin: false, push: false, pull: false, ...held, syncedAt: Date.now() - age };
    },
  };

  beforeEach(async () => {
    t = await openTestStores();
    asked = [];
    await t.repos.upsertFacts({ ...repoFacts('acme/private', 1), private: true });
    await t.repos.upsertFacts(repoFacts('acme/public', 2));
  });
  afterEach(() => t.dispose());

  const services = () => {
    const audit = testAuditLog(t);
    const authorizer = testAuthorizer(audit, access);
    return {
      audit,
      secrets: createSecretService({
        secrets: t.secrets,
        repos: t.repos,
        cipher: createSecretCipher(randomBytes(32)),
        logger: silentLogger,
        audit,
        authorizer,
      }),
      builds: createBuildService({
        builds: t.builds,
        repos: t.repos,
        logs: t.logs,
        authorizer,
        actions: {
          queue: t.stageQueue,
          plan: () => Promise.reject(new Error('no restart here plans a file')),
          system: { proto: 'http', host: 'ci.example.com', version: 'test' },
          clock: systemClock,
          logger: silentLogger,
          audit,
        },
      }),
    };
  };
  const denials = async () => {
    const file = createClient({ url: t.url });
    try {
      const rows = await file.execute(
        `select actor, target, detail from audit_events where action = 'policy.deny' order by seq`,
      );
      return rows.rows.map((row) => ({
        actor: row.actor,
        target: row.target,
        ...JSON.parse(String(row.detail)),
      }));
    } finally {
      file.close();
    }
  };

  it('lets secrets be managed with admin rights in Gogs only, and records who was refused', async () => {
    const { secrets } = services();
    const value = { name: 'TOKEN', value: 'v-1', pullRequest: false };
    await secrets.add(ALICE, { repo: 'acme/private' }, value);
    expect((await refusal(secrets.list(BOB, { repo: 'acme/private' }))).code).toBe('FORBIDDEN');
    expect((await refusal(secrets.remove(ANONYMOUS, { repo: 'acme/private' }, 'TOKEN'))).code).toBe(
      'UNAUTHORIZED',
    );
    // Organisation secrets are for the organisation's owners (none known here: no organisation roles) and CI admins.
    expect((await refusal(secrets.add(ALICE, { org: 'acme' }, value))).code).toBe('FORBIDDEN');
    await secrets.add(LOCAL_ADMIN, { org: 'acme' }, value);
    expect(await t.secrets.list(['repo:1'])).toHaveLength(1);
    expect(await denials()).toEqual([
      {
        actor: 'gogs:bob',
        target: 'acme/private',
        action: 'manage-secrets',
        rule: 'gogs-rights',
        reason: 'this needs admin access to acme/private in Gogs',
      },
      {
        actor: 'anonymous',
        target: 'acme/private',
        action: 'manage-secrets',
        rule: 'signed-in',
        reason: 'log in to see or act on this private repository',
      },
      {
        actor: 'gogs:alice',
        target: 'organisation acme',
        action: 'manage-secrets',
        rule: 'organisation-role',
        reason: expect.stringMatching(
          /^only owners of organisation acme in Gogs and CI admins may manage its secrets/,
        ),
      },
    ]);
  });

  it('shows builds of a public repository to anyone and of a private one to readers; acting needs push', async () => {
    const { builds } = services();
    const [priv, pub] = [
      await t.repos.findByFullName('acme/private'),
      await t.repos.findByFullName('acme/public'),
    ];
    await t.builds.create(testBuild(priv?.id ?? 0, 'one'));
    await t.builds.create(testBuild(pub?.id ?? 0, 'two'));
    expect(await builds.list(ANONYMOUS, 'acme/public', {})).toHaveLength(1);
    expect((await refusal(builds.list(ANONYMOUS, 'acme/private', {}))).code).toBe('UNAUTHORIZED');
    expect(await builds.info(BOB, 'acme/private', 1)).toMatchObject({ number: 1 });
    expect(
      (await refusal(builds.log(person('dave'), 'acme/private', { build: 1, stage: 1, step: 1 }))).code,
    ).toBe('FORBIDDEN');
    expect((await refusal(builds.cancel(BOB, 'acme/private', 1))).message).toBe(
      'this needs write (push) access to acme/private in Gogs',
    );
    expect((await refusal(builds.cancel(ANONYMOUS, 'acme/public', 1))).code).toBe('UNAUTHORIZED');
    expect((await denials()).map((row) => [row.actor, row.action])).toEqual([
      ['anonymous', 'view'],
      ['gogs:dave', 'view-logs'],
      ['gogs:bob', 'cancel'],
      ['anonymous', 'cancel'],
    ]);
  });

  it('reads rights from Gogs again before a change when the cached ones are old', async () => {
    const { builds } = services();
    const repo = await t.repos.findByFullName('acme/private');
    await t.builds.create(testBuild(repo?.id ?? 0, 'one'));
    // Carol's cached push right is an hour old: the cancel asks again, then acts (the build was pending).
    await builds.cancel(CAROL, 'acme/private', 1);
    expect(asked.filter((each) => each.login === 'carol')).toEqual([
      { login: 'carol', fresh: false },
      { login: 'carol', fresh: true },
    ]);
    // Reading needs no fresh rights: the cached ones do.
    asked.length = 0;
    await builds.info(CAROL, 'acme/private', 1);
    expect(asked).toEqual([{ login: 'carol', fresh: false }]);
    expect(await denials()).toEqual([]);
  });
});
