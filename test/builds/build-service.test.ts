/** The build service over the real stores: listing with filters and pages, one build, and what it refuses. */
import { type Client, createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBuildService } from '../../sidecar/builds/index.ts';
import {
  type BuildService,
  type BuildStatus,
  type BuildStore,
  isAppError,
  LOCAL_ADMIN,
  type NewBuild,
} from '../../sidecar/core/index.ts';
import { testBuild, testOrigin, testStage, testStep } from '../support/builds.ts';
import { openTestStores, repoFacts, testAuditLog, testAuthorizer } from '../support/stores.ts';

const newBuild = (repoId: number, key: string, change: Partial<NewBuild['origin']> = {}): NewBuild =>
  testBuild(repoId, key, {
    origin: testOrigin({ message: key, ...change }),
    config: '',
    stages: [testStage(1, 'default', { steps: [testStep(1, 'test')] })],
  });

/** Builds 1..count through the store: every third a tag, every fifth into `dev`, every seventh a failure. */
async function seedBuilds(builds: BuildStore, repoId: number, count: number): Promise<void> {
  for (let number = 1; number <= count; number++)
    await builds.create({
      ...newBuild(repoId, `seed:${repoId}:${number}`, {
        event: number % 3 === 0 ? 'tag' : 'push',
        target: number % 5 === 0 ? 'dev' : 'master',
      }),
      status: number % 7 === 0 ? 'failure' : 'success',
      stages: [],
    });
}

const range = (from: number, to: number, keep: (n: number) => boolean = () => true) => {
  const numbers: number[] = [];
  for (let n = from; n >= to; n--) if (keep(n)) numbers.push(n);
  return numbers;
};

describe('the build service', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let client: Client;
  let service: BuildService;
  let repoId: number;
  let otherId: number;
  beforeEach(async () => {
    t = await openTestStores();
    client = createClient({ url: t.url });
    service = createBuildService({
      builds: t.builds,
      repos: t.repos,
      logs: t.logs,
      authorizer: testAuthorizer(testAuditLog(t)),
    });
    repoId = (await t.repos.upsertFacts(repoFacts('alice/app', 1))).id;
    otherId = (await t.repos.upsertFacts(repoFacts('bob/lib', 2))).id;
  });
  afterEach(async () => {
    client.close();
    await t.dispose();
  });

  const numbers = async (query: Parameters<BuildService['list']>[2], fullName = 'alice/app') =>
    (await service.list(LOCAL_ADMIN, fullName, query)).map((build) => build.number);

  it("lists a repository's builds newest first, Drone-shaped without stages, 25 unless asked", async () => {
    await seedBuilds(t.builds, repoId, 30);
    await seedBuilds(t.builds, otherId, 3);
    const listed = await service.list(LOCAL_ADMIN, 'ALICE/App', {});
    expect(listed.map((build) => build.number)).toEqual(range(30, 6));
    expect(listed[0]).toMatchObject({ repo_id: repoId, number: 30, status: 'success', event: 'tag' });
    const stored = await client.execute({
      sql: 'select id, created_at from builds where repo_id = ? and number = 30',
      args: [repoId],
    });
    expect(listed[0]?.id).toBe(stored.rows[0]?.id);
    expect(listed[0]?.created).toBe(Math.floor(Number(stored.rows[0]?.created_at) / 1000));
    expect(listed[0]).not.toHaveProperty('stages');
    expect(listed[0]).not.toHaveProperty('idempotencyKey');
    expect(await numbers({ limit: 100 })).toEqual(range(30, 1));
    expect(await numbers({}, 'bob/lib')).toEqual([3, 2, 1]);
  });

  it('filters by branch, event and status together', async () => {
    await seedBuilds(t.builds, repoId, 60);
    expect(await numbers({ event: 'tag', limit: 100 })).toEqual(range(60, 1, (n) => n % 3 === 0));
    expect(await numbers({ branch: 'dev', limit: 100 })).toEqual(range(60, 1, (n) => n % 5 === 0));
    expect(await numbers({ status: 'failure', limit: 100 })).toEqual(range(60, 1, (n) => n % 7 === 0));
    expect(await numbers({ event: 'tag', branch: 'dev', limit: 100 })).toEqual([60, 45, 30, 15]);
    expect(await numbers({ event: 'cron' })).toEqual([]);
  });

  it('pages past several chunks of skipped builds, with and without filters, and ends with an empty page', async () => {
    await seedBuilds(t.builds, repoId, 1234);
    expect(await numbers({ limit: 100, page: 2 })).toEqual(range(1134, 1035));
    // Page 8 skips 700 builds: two chunks, the second starting below the first one's last number.
    expect(await numbers({ limit: 100, page: 8 })).toEqual(range(534, 435));
    expect(await numbers({ limit: 100, page: 13 })).toEqual(range(34, 1));
    expect(await numbers({ limit: 100, page: 14 })).toEqual([]);
    expect(await numbers({ limit: 100, page: 1_000_000 })).toEqual([]);
    const tags = range(1234, 1, (n) => n % 3 === 0);
    expect(await numbers({ event: 'tag', limit: 50, page: 6 })).toEqual(tags.slice(250, 300));
    expect(await numbers({ event: 'tag', limit: 50, page: 9 })).toEqual(tags.slice(400, 411));
    expect(await numbers({ event: 'tag', limit: 50, page: 11 })).toEqual([]);
    const pushes = range(1234, 1, (n) => n % 3 !== 0);
    expect(await numbers({ event: 'push', limit: 100, page: 7 })).toEqual(pushes.slice(600, 700));
    expect(await numbers({ event: 'tag', limit: 25, page: 3 })).toEqual(tags.slice(50, 75));
  });

  it('shows one build with its stages and steps', async () => {
    await t.builds.create(newBuild(repoId, 'hook:1'));
    await t.builds.create(newBuild(repoId, 'hook:2', { message: 'second' }));
    const build = await service.info(LOCAL_ADMIN, 'alice/app', 2);
    expect(build).toMatchObject({ number: 2, message: 'second', trigger: '@hook' });
    expect(build.stages.map((stage) => [stage.name, stage.steps.map((step) => step.name)])).toEqual([
      ['default', ['test']],
    ]);
    expect(build.provenance.steps).toEqual([
      { stage: 1, number: 1, name: 'test', image: 'golang:1.22', digest: '', machine: '' },
    ]);
  });

  it('answers NOT_FOUND for an unknown repository or build', async () => {
    await t.builds.create(newBuild(repoId, 'hook:1'));
    const refused = async (call: () => Promise<unknown>) => {
      const error = await call().then(
        () => null,
        (caught: unknown) => caught,
      );
      if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`);
      return { code: error.code, message: error.message };
    };
    expect(await refused(() => service.list(LOCAL_ADMIN, 'alice/nope', {}))).toEqual({
      code: 'NOT_FOUND',
      message: 'no repository alice/nope is known to drone-gogs',
    });
    expect(await refused(() => service.info(LOCAL_ADMIN, 'alice/nope', 1))).toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await refused(() => service.info(LOCAL_ADMIN, 'alice/app', 2))).toEqual({
      code: 'NOT_FOUND',
      message: 'alice/app has no build #2',
    });
    // Builds of another repository are not found through this one.
    await seedBuilds(t.builds, otherId, 5);
    expect(await refused(() => service.info(LOCAL_ADMIN, 'alice/app', 5))).toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it("refuses a query that is not Drone's words or out of range, naming the field", async () => {
    await t.builds.create(newBuild(repoId, 'hook:1'));
    const refusal = async (query: Parameters<BuildService['list']>[2]) =>
      service.list(LOCAL_ADMIN, 'alice/app', query).then(
        () => 'answered',
        (error: unknown) => (isAppError(error, 'BAD_REQUEST') ? error.message : String(error)),
      );
    expect(await refusal({ event: 'pushed' })).toBe(
      'event must be one of push, pull_request, tag, promote, rollback, cron, custom',
    );
    expect(await refusal({ status: 'done' as BuildStatus })).toMatch(
      /^status must be one of pending, blocked, /,
    );
    for (const limit of [0, 101, 1.5, Number.NaN])
      expect(await refusal({ limit })).toBe('limit must be a whole number from 1 to 100');
    for (const page of [0, -1, 2.5, Number.POSITIVE_INFINITY])
      expect(await refusal({ page })).toBe('page must be a whole number from 1');
    expect(await refusal({ branch: 'has space' })).toBe('branch is not a branch name: it contains " "');
    expect(await refusal({ branch: 'x'.repeat(4097) })).toBe('branch must be at most 4096 characters');
    expect(await refusal({ limit: 100, page: 1, event: 'push', status: 'pending', branch: 'master' })).toBe(
      'answered',
    );
    await expect(service.info(LOCAL_ADMIN, 'alice/app', 0)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.info(LOCAL_ADMIN, 'alice/app', 1.5)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.list(LOCAL_ADMIN, `a/${'b'.repeat(600)}`, {})).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});
