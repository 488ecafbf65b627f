/**
 * The secret service the CLI calls today and the API tomorrow, and the resolution the stage worker calls, over a
 * real database file migrated from drizzle/: checks, conflicts, views without values, logs naming the actor, and
 * which decrypted values a build of each kind gets.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../sidecar/audit/index.ts';
import {
  type BuildSecrets,
  LOCAL_ADMIN,
  type SecretService,
  type SecretView,
} from '../../sidecar/core/index.ts';
import { createBuildSecrets, createSecretCipher, createSecretService } from '../../sidecar/secrets/index.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import { refusal } from '../support/refusal.ts';
import { openTestStores, repoFacts, testAuditLog, testAuthorizer } from '../support/stores.ts';

const REPO = { repo: 'alice/app' };
const ORG = { org: 'Alice' };
const VALUE = `v-${randomBytes(12).toString('hex')}`;

describe('the secret service', () => {
  let stores: Awaited<ReturnType<typeof openTestStores>>;
  let service: SecretService;
  let buildSecrets: BuildSecrets;
  let logLines: string[];
  let audit: ReturnType<typeof testAuditLog>;
  const repo = { gogsId: 7, owner: 'alice', fullName: 'alice/app' };

  beforeEach(async () => {
    stores = await openTestStores();
    await stores.repos.upsertFacts(repoFacts('alice/app', 7));
    await stores.repos.upsertFacts(repoFacts('bob/tool', 8));
    const cipher = createSecretCipher(randomBytes(32));
    logLines = [];
    const logger = createLogger({ format: 'text', level: 'debug', write: (line) => logLines.push(line) });
    audit = testAuditLog(stores);
    service = createSecretService({
      secrets: stores.secrets,
      repos: stores.repos,
      cipher,
      logger,
      audit,
      authorizer: testAuthorizer(audit),
    });
    buildSecrets = createBuildSecrets({ secrets: stores.secrets, cipher, logger });
  });
  afterEach(() => stores.dispose());

  it('answers with views that have no value, and logs every change with the actor but never the value', async () => {
    const answers: unknown[] = [];
    answers.push(
      await service.add(LOCAL_ADMIN, REPO, { name: 'DEPLOY_TOKEN', value: VALUE, pullRequest: false }),
    );
    answers.push(await service.update(LOCAL_ADMIN, REPO, 'deploy_token', { value: `${VALUE}-2` }));
    answers.push(await service.update(LOCAL_ADMIN, REPO, 'Deploy_Token', { pullRequest: true }));
    answers.push(
      await service.add(LOCAL_ADMIN, ORG, { name: 'org.key-1', value: VALUE, pullRequest: false }),
    );
    const [listed] = (await service.list(LOCAL_ADMIN, REPO)) as [SecretView];
    answers.push(listed, await service.list(LOCAL_ADMIN, ORG));
    answers.push(await service.remove(LOCAL_ADMIN, ORG, 'ORG.KEY-1'));

    expect(Object.keys(listed).sort()).toEqual([
      'created',
      'created_by',
      'name',
      'namespace',
      'pull_request',
      'repo',
      'scope',
      'updated',
    ]);
    expect(listed).toMatchObject({
      name: 'DEPLOY_TOKEN',
      scope: 'repo',
      repo: 'alice/app',
      namespace: '',
      pull_request: true,
      created_by: 'local-admin',
    });
    expect(answers[3]).toMatchObject({
      secret: { name: 'org.key-1', scope: 'org', namespace: 'alice', repo: '' },
    });
    const stored = await stores.secrets.find('repo:7', 'deploy_token');
    expect(stored?.version).toBe(3);
    for (const text of [JSON.stringify(answers), logLines.join('\n')]) {
      expect(text).not.toContain(VALUE);
      expect(text).not.toContain(stored?.data ?? 'no ciphertext');
    }
    expect(logLines.filter((line) => line.includes('secrets: '))).toHaveLength(5);
    for (const line of logLines.filter((each) => each.includes('secrets: ')))
      expect(line).toContain('the local administrator');
    expect(logLines.join('\n')).toMatch(/secrets: updated.*secret=DEPLOY_TOKEN.*value=replaced/);

    // The audit chain, read from the database file: each change by name and rule, sealed, and no value in it.
    const file = createClient({ url: stores.url });
    const rows = (await file.execute('select * from audit_events order by seq')).rows;
    file.close();
    expect(rows.map((row) => [row.actor, row.action, row.target])).toEqual([
      ['local-admin', 'secret.add', 'alice/app'],
      ['local-admin', 'secret.update', 'alice/app'],
      ['local-admin', 'secret.update', 'alice/app'],
      ['local-admin', 'secret.add', 'organisation alice'],
      ['local-admin', 'secret.remove', 'organisation alice'],
    ]);
    expect(JSON.parse(String(rows[1]?.detail))).toEqual({
      pull_request: false,
      secret: 'DEPLOY_TOKEN',
      value: 'replaced',
    });
    expect(JSON.stringify(rows)).not.toContain(VALUE);
    expect(verifyAuditChain(await stores.audit.read(), audit.keys)).toMatchObject({ ok: true, rows: 5 });
  });

  it('refuses bad names and values with what is wrong, and stores nothing', async () => {
    const cases: [string, string, RegExp][] = [
      ['', VALUE, /needs a name/],
      ['has space', VALUE, /letters, digits, underscores, dots and dashes/],
      ['docker/password', VALUE, /letters, digits/],
      ['x'.repeat(129), VALUE, /at most 128 characters/],
      ['EMPTY', '', /empty/],
      ['ONE', 'x', /one character cannot be masked/],
      ['BIG', 'x'.repeat(64 * 1024 + 1), /65537 bytes; the limit is 65536/],
      ['NUL', 'a\u0000b', /NUL/],
    ];
    for (const [name, value, message] of cases) {
      const error = await refusal(service.add(LOCAL_ADMIN, REPO, { name, value, pullRequest: false }));
      expect({ name, code: error.code, message: error.message }).toEqual({
        name,
        code: 'BAD_REQUEST',
        message: expect.stringMatching(message),
      });
    }
    const bigButAllowed = 'é'.repeat(32 * 1024);
    await service.add(LOCAL_ADMIN, REPO, { name: 'AT_LIMIT', value: bigButAllowed, pullRequest: false });
    expect((await service.list(LOCAL_ADMIN, REPO)).map((each) => each.name)).toEqual(['AT_LIMIT']);
    expect(await refusal(service.update(LOCAL_ADMIN, REPO, 'AT_LIMIT', {}))).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('nothing to change'),
    });
  });

  it('names an unknown repository or secret with the command that fixes it, and a taken name as a conflict', async () => {
    expect(
      await refusal(
        service.add(LOCAL_ADMIN, { repo: 'alice/nope' }, { name: 'A', value: VALUE, pullRequest: false }),
      ),
    ).toMatchObject({
      code: 'NOT_FOUND',
      message: 'alice/nope is not known yet; enable it first with `drone-gogs repo enable alice/nope`',
    });
    expect(await refusal(service.update(LOCAL_ADMIN, REPO, 'MISSING', { value: VALUE }))).toMatchObject({
      code: 'NOT_FOUND',
      message: 'alice/app has no secret MISSING; add it with `drone-gogs secret add alice/app MISSING`',
    });
    expect(await refusal(service.remove(LOCAL_ADMIN, ORG, 'MISSING'))).toMatchObject({ code: 'NOT_FOUND' });

    await service.add(LOCAL_ADMIN, REPO, { name: 'TOKEN', value: VALUE, pullRequest: false });
    const conflict = await refusal(
      service.add(LOCAL_ADMIN, REPO, { name: 'token', value: 'other', pullRequest: true }),
    );
    expect(conflict).toMatchObject({
      code: 'CONFLICT',
      message:
        'alice/app has a secret TOKEN already (names are case-insensitive); change it with `drone-gogs secret update alice/app TOKEN`',
    });
    // The same name elsewhere is another secret.
    await service.add(
      LOCAL_ADMIN,
      { repo: 'BOB/TOOL' },
      { name: 'token', value: 'bobs', pullRequest: false },
    );
    expect((await service.list(LOCAL_ADMIN, { repo: 'bob/tool' })).map((each) => each.repo)).toEqual([
      'bob/tool',
    ]);
    expect(await buildSecrets.forBuild(repo, { event: 'push', fork: '' })).toEqual({ TOKEN: VALUE });
  });

  it('warns when an organisation owns no repository drone-gogs knows', async () => {
    const known = await service.add(LOCAL_ADMIN, ORG, { name: 'A', value: VALUE, pullRequest: false });
    expect(known.warnings).toEqual([]);
    const typo = await service.add(
      LOCAL_ADMIN,
      { org: 'alcie' },
      { name: 'A', value: VALUE, pullRequest: false },
    );
    expect(typo.warnings).toEqual([
      'no repository drone-gogs knows belongs to alcie; its builds are the only ones that see this secret',
    ]);
  });

  it("resolves a build's secrets decrypted, through the exposure rules, as they are when its stage starts", async () => {
    await service.add(LOCAL_ADMIN, ORG, { name: 'ORG_ONLY', value: 'org-only', pullRequest: false });
    await service.add(LOCAL_ADMIN, ORG, { name: 'SHARED', value: 'from-the-org', pullRequest: true });
    await service.add(LOCAL_ADMIN, REPO, { name: 'shared', value: 'from-the-repo', pullRequest: true });
    await service.add(LOCAL_ADMIN, REPO, { name: 'DEPLOY', value: VALUE, pullRequest: false });
    await service.add(LOCAL_ADMIN, { org: 'bob' }, { name: 'BOBS', value: 'not-alices', pullRequest: true });

    expect(await buildSecrets.forBuild(repo, { event: 'push', fork: '' })).toEqual({
      ORG_ONLY: 'org-only',
      shared: 'from-the-repo',
      DEPLOY: VALUE,
    });
    expect(await buildSecrets.forBuild(repo, { event: 'pull_request', fork: '' })).toEqual({
      shared: 'from-the-repo',
    });
    expect(await buildSecrets.forBuild(repo, { event: 'pull_request', fork: 'mallory/app' })).toEqual({});
    expect(logLines.join('\n')).toContain(
      'secrets: withheld DEPLOY from a pull_request build: pull requests from forks get no secrets',
    );

    await service.update(LOCAL_ADMIN, REPO, 'deploy', { value: 'replaced', pullRequest: true });
    await service.remove(LOCAL_ADMIN, REPO, 'SHARED');
    expect(await buildSecrets.forBuild(repo, { event: 'pull_request', fork: '' })).toEqual({
      SHARED: 'from-the-org',
      DEPLOY: 'replaced',
    });
    expect(logLines.join('\n')).not.toContain(VALUE);
  });
});
