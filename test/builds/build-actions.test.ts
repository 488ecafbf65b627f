/**
 * Approving, declining, restarting and cancelling through the build service over the real stores (a fresh libSQL
 * file migrated from drizzle/) and the real planning thread. Checked in the database rows and the change feed.
 */
import { type Client, createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBuildService } from '../../sidecar/builds/index.ts';
import {
  type BuildService,
  isAppError,
  LOCAL_ADMIN,
  type NewBuild,
  systemClock,
} from '../../sidecar/core/index.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import { createPlanner, type Planner } from '../../sidecar/trigger/index.ts';
import { testBuild, testOrigin, testStage, testStep } from '../support/builds.ts';
import { openTestStores, repoFacts, testAuditLog, testAuthorizer } from '../support/stores.ts';

const PIPELINE = `kind: pipeline
type: docker
name: test
steps:
- name: test
  image: busybox
  commands: [echo test]
---
kind: pipeline
type: docker
name: deploy
depends_on: [test]
steps:
- name: deploy
  image: busybox
  commands: [echo deploy]
`;
const SHA = 'b'.repeat(40);

/** A build waiting for approval: `test`, and `deploy` after it. */
const blockedBuild = (repoId: number, key: string): NewBuild =>
  testBuild(repoId, key, {
    status: 'blocked',
    origin: testOrigin({ event: 'pull_request', fork: 'mallory/app', sender: 'mallory', after: SHA }),
    config: PIPELINE,
    changedPaths: ['src/a.go'],
    stages: [
      testStage(1, 'test', { status: 'blocked', steps: [] }),
      testStage(2, 'deploy', { status: 'blocked', dependsOn: ['test'], steps: [] }),
    ],
  });

describe('build actions', () => {
  let t: Awaited<ReturnType<typeof openTestStores>>;
  let client: Client;
  let planner: Planner;
  let service: BuildService;
  let repoId: number;
  let changed: number;
  const logLines: string[] = [];

  beforeEach(async () => {
    t = await openTestStores();
    client = createClient({ url: t.url });
    planner = createPlanner();
    changed = 0;
    logLines.length = 0;
    service = createBuildService({
      builds: t.builds,
      repos: t.repos,
      logs: t.logs,
      authorizer: testAuthorizer(testAuditLog(t)),
      actions: {
        queue: t.stageQueue,
        plan: (file, context, options) => planner.plan(file, context, options),
        system: { proto: 'http', host: 'ci.example.com', version: 'test' },
        clock: systemClock,
        logger: createLogger({ format: 'text', level: 'info', write: (line) => logLines.push(line) }),
        audit: testAuditLog(t),
        changed: () => {
          changed++;
        },
      },
    });
    repoId = (await t.repos.upsertFacts(repoFacts('alice/app', 1))).id;
  });
  afterEach(async () => {
    client.close();
    await planner.stop();
    await t.dispose();
  });

  const rows = async (number: number) => {
    const build = await client.execute({
      sql: 'select id, status, error, finished_at from builds where repo_id = ? and number = ?',
      args: [repoId, number],
    });
    const id = build.rows[0]?.id;
    const stages = await client.execute({
      sql: 'select number, status from stages where build_id = ? order by number',
      args: [id ?? 0],
    });
    return {
      status: build.rows[0]?.status,
      error: build.rows[0]?.error,
      finishedAt: Number(build.rows[0]?.finished_at),
      stages: stages.rows.map((row) => [row.number, row.status]),
    };
  };
  const feed = async () =>
    (await t.changes.after(0, 1000)).map((entry) => `${entry.kind}:${entry.stageId ?? '-'}:${entry.detail}`);
  const refused = (call: Promise<unknown>) =>
    call.then(
      () => 'done',
      (error: unknown) => (isAppError(error) ? `${error.code}: ${error.message}` : String(error)),
    );

  it('approves one stage, then the rest: each back to its planned status, the build pending, each in the feed', async () => {
    await t.builds.create(blockedBuild(repoId, 'hook:1'));
    const before = (await feed()).length;

    const one = await service.approve(LOCAL_ADMIN, 'alice/app', 1, 2);
    expect(one.stages.map((stage) => stage.status)).toEqual(['blocked', 'waiting_on_dependencies']);
    expect(await rows(1)).toMatchObject({
      status: 'blocked',
      stages: [
        [1, 'blocked'],
        [2, 'waiting_on_dependencies'],
      ],
    });
    const all = await service.approve(LOCAL_ADMIN, 'ALICE/app', 1);
    expect(all).toMatchObject({ number: 1, status: 'pending' });
    expect(await rows(1)).toMatchObject({
      status: 'pending',
      stages: [
        [1, 'pending'],
        [2, 'waiting_on_dependencies'],
      ],
    });
    const stageIds = all.stages.map((stage) => stage.id);
    expect((await feed()).slice(before)).toEqual([
      `stage:${stageIds[1]}:waiting_on_dependencies`,
      `stage:${stageIds[0]}:pending`,
      'build:-:pending',
    ]);
    expect(changed).toBe(2);
    expect(logLines.filter((line) => line.includes('builds: approved'))).toHaveLength(2);
    expect(logLines.join('\n')).toContain('the local administrator');

    expect(await refused(service.approve(LOCAL_ADMIN, 'alice/app', 1))).toBe(
      'BAD_REQUEST: build #1 of alice/app is pending, with no stage waiting for approval: there is nothing to approve; `drone-gogs build info alice/app 1` shows its stages',
    );
    expect(await refused(service.approve(LOCAL_ADMIN, 'alice/app', 1, 9))).toMatch(/^NOT_FOUND: /);
    expect(await refused(service.approve(LOCAL_ADMIN, 'alice/app', 7))).toBe(
      'NOT_FOUND: alice/app has no build #7',
    );
  });

  it('declines: the declined stage ends, what waits on it is skipped, the build ends declined', async () => {
    await t.builds.create(blockedBuild(repoId, 'hook:1'));
    await service.decline(LOCAL_ADMIN, 'alice/app', 1, 1);
    expect(await rows(1)).toMatchObject({
      status: 'blocked',
      stages: [
        [1, 'declined'],
        [2, 'blocked'],
      ],
    });
    // Approving the stage that waits on the declined one skips it: it can never run.
    const approved = await service.approve(LOCAL_ADMIN, 'alice/app', 1, 2);
    expect(approved.status).toBe('declined');
    const ended = await rows(1);
    expect(ended).toMatchObject({
      status: 'declined',
      stages: [
        [1, 'declined'],
        [2, 'skipped'],
      ],
    });
    expect(ended.finishedAt).toBeGreaterThan(0);

    await t.builds.create(blockedBuild(repoId, 'hook:2'));
    const declined = await service.decline(LOCAL_ADMIN, 'alice/app', 2);
    expect(declined.stages.map((stage) => stage.status)).toEqual(['declined', 'declined']);
    expect(await rows(2)).toMatchObject({ status: 'declined' });
    expect(await t.stageQueue.pending(10)).toEqual([]);
    expect(await refused(service.decline(LOCAL_ADMIN, 'alice/app', 2))).toMatch(
      /^BAD_REQUEST: build #2 of alice\/app is declined, with no stage waiting/,
    );
  });

  it('restarts as a new build of the same commit, file and changed files, once per request id', async () => {
    await t.builds.create({ ...blockedBuild(repoId, 'hook:1'), status: 'failure', stages: [] });
    const old = await t.builds.find(repoId, 1);

    const first = await service.restart(LOCAL_ADMIN, 'alice/app', 1, { requestId: 'req-1' });
    const again = await service.restart(LOCAL_ADMIN, 'alice/app', 1, { requestId: 'req-1' });
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({
      number: 2,
      parent: 1,
      status: 'pending',
      after: SHA,
      event: 'pull_request',
    });
    expect(first.provenance.config_sha256).toBe(old?.build.configSha256);
    // Planned again, never blocked: whoever may restart may approve.
    expect(first.stages.map((stage) => [stage.name, stage.status])).toEqual([
      ['test', 'pending'],
      ['deploy', 'waiting_on_dependencies'],
    ]);
    const stored = await t.builds.find(repoId, 2);
    expect(stored?.build).toMatchObject({
      idempotencyKey: `restart:${repoId}:1:req-1`,
      changedPaths: ['src/a.go'],
      origin: { fork: 'mallory/app', sender: 'mallory' },
    });
    const fresh = await service.restart(LOCAL_ADMIN, 'alice/app', 1);
    expect(fresh.number).toBe(3);
    expect((await t.builds.list(repoId, { limit: 10 })).map((build) => build.number)).toEqual([3, 2, 1]);
    // The retry found the build its request id made: nothing new to log.
    expect(logLines.filter((line) => line.includes('builds: restarted'))).toHaveLength(2);

    await t.builds.create(blockedBuild(repoId, 'hook:4'));
    expect(await refused(service.restart(LOCAL_ADMIN, 'alice/app', 4))).toBe(
      'BAD_REQUEST: build #4 of alice/app waits for approval; `drone-gogs build approve alice/app 4` runs it',
    );
    expect(await refused(service.restart(LOCAL_ADMIN, 'alice/app', 1, { requestId: 'a b' }))).toMatch(
      /^BAD_REQUEST: a request id is/,
    );
  });

  it('restarts a build whose file does not plan as an errored build carrying the message', async () => {
    await t.builds.create({
      ...blockedBuild(repoId, 'hook:1'),
      config: 'kind: pipeline\nsteps:\n- name: a\n  image: [\n',
      status: 'error',
      error: 'broken',
      stages: [],
    });
    const restarted = await service.restart(LOCAL_ADMIN, 'alice/app', 1);
    expect(restarted).toMatchObject({ number: 2, parent: 1, status: 'error', stages: [] });
    expect(restarted.error).toMatch(/^\.drone\.yml:\d+:\d+: /);
  });

  it('cancels: the build and its stages killed, the running step killed, the pending one skipped, in one batch', async () => {
    const { build } = await t.builds.create(
      testBuild(repoId, 'hook:1', {
        stages: [testStage(1, 'test', { steps: [] }), testStage(2, 'lint', { steps: [] })],
      }),
    );
    const [first] = await t.stageQueue.pending(1);
    if (first === undefined) throw new Error('no pending stage');
    expect(await t.stageQueue.claim(first, 'serve-elsewhere', 'docker-1', Date.now())).toBe(true);
    const steps = await t.stageQueue.addSteps(first, [testStep(1, 'clone'), testStep(2, 'test')]);
    await t.stageQueue.updateStep(first, steps[0] as (typeof steps)[0], {
      status: 'running',
      exitCode: null,
      error: null,
      startedAt: Date.now(),
      finishedAt: 0,
    });
    const before = (await feed()).length;

    const cancelled = await service.cancel(LOCAL_ADMIN, 'alice/app', 1);
    expect(cancelled.status).toBe('killed');
    expect(await rows(1)).toMatchObject({
      status: 'killed',
      error: null,
      stages: [
        [1, 'killed'],
        [2, 'killed'],
      ],
    });
    const stepRows = await client.execute({
      sql: 'select name, status, exit_code from steps where build_id = ? order by number',
      args: [build.id],
    });
    expect(stepRows.rows.map((row) => [row.name, row.status, row.exit_code])).toEqual([
      ['clone', 'killed', 137],
      ['test', 'skipped', null],
    ]);
    // The process holding the stage learns it from the database.
    expect(await t.stageQueue.stillRunning([first.id])).toEqual([]);
    // A late end from the runner does not overwrite the kill.
    await t.stageQueue.finishStage(first, {
      status: 'error',
      error: 'late',
      exitCode: 1,
      finishedAt: Date.now(),
      machine: 'docker-1',
    });
    await t.stageQueue.updateStep(first, steps[0] as (typeof steps)[0], {
      status: 'error',
      exitCode: 1,
      error: 'late',
      startedAt: 1,
      finishedAt: Date.now(),
    });
    expect((await rows(1)).stages[0]).toEqual([1, 'killed']);
    expect((await client.execute("select status from steps where name = 'clone'")).rows[0]?.status).toBe(
      'killed',
    );
    const entries = (await feed()).slice(before);
    expect(entries.slice(0, 5)).toEqual([
      `step:${first.id}:killed`,
      `step:${first.id}:skipped`,
      `stage:${first.id}:killed`,
      `stage:${first.id + 1}:killed`,
      'build:-:killed',
    ]);
    expect(changed).toBe(1);
    expect(await refused(service.cancel(LOCAL_ADMIN, 'alice/app', 1))).toBe(
      'BAD_REQUEST: build #1 of alice/app already ended (killed): there is nothing to cancel; `drone-gogs build restart alice/app 1` runs it again',
    );

    // A blocked build is cancelled too.
    await t.builds.create(blockedBuild(repoId, 'hook:2'));
    expect((await service.cancel(LOCAL_ADMIN, 'alice/app', 2)).stages.map((stage) => stage.status)).toEqual([
      'killed',
      'killed',
    ]);
  });
});
