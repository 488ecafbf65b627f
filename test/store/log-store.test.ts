import { createClient } from '@libsql/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../sidecar/core/index.ts';
import { createStoredLogSink } from '../../sidecar/store/index.ts';
import { testBuild, testStage, testStep } from '../support/builds.ts';
import { openTestStores, repoFacts } from '../support/stores.ts';

type TestStores = Awaited<ReturnType<typeof openTestStores>>;

function lines(from: number, count: number, text = (n: number) => `line ${n}`): LogLine[] {
  return Array.from({ length: count }, (_, index) => ({
    number: from + index,
    text: text(from + index),
    time: 0,
  }));
}

/** A build of alice/app with one stage of steps `clone` and `test`; their row ids and the build's. */
async function seedSteps(stores: TestStores, key = 'hook:1') {
  const repo = await stores.repos.upsertFacts(repoFacts('alice/app', 1));
  const { build } = await stores.builds.create(
    testBuild(repo.id, key, {
      stages: [testStage(1, 'default', { steps: [testStep(1, 'clone'), testStep(2, 'test')] })],
    }),
  );
  const found = await stores.builds.get(build.id);
  const stage = found?.stages[0];
  const [clone, test] = stage?.steps ?? [];
  if (stage === undefined || clone === undefined || test === undefined) throw new Error('no steps stored');
  return { repoId: repo.id, buildId: build.id, stageId: stage.id, clone: clone.id, test: test.id };
}

describe('log store on a freshly migrated libSQL file', () => {
  let stores: TestStores;
  let ids: Awaited<ReturnType<typeof seedSteps>>;
  beforeEach(async () => {
    stores = await openTestStores();
    ids = await seedSteps(stores);
  });
  afterEach(async () => {
    await stores.dispose();
  });

  it('keeps each step log apart under its step row, in order, and reads it from any line on, in pages', async () => {
    await stores.logs.append(ids.test, lines(0, 3));
    await stores.logs.append(
      ids.clone,
      lines(0, 2, (n) => `other ${n}`),
    );
    await stores.logs.append(ids.test, lines(3, 4000));
    expect(await stores.logs.lastLine(ids.test)).toBe(4002);
    expect(await stores.logs.lastLine(ids.test + 1000)).toBe(-1);
    const all = await stores.logs.read(ids.test);
    expect(all.map((line) => line.number)).toEqual(lines(0, 4003).map((line) => line.number));
    expect(all[4002]?.text).toBe('line 4002');
    const page = await stores.logs.read(ids.test, { afterLine: 1, limit: 2 });
    expect(page.map((line) => line.text)).toEqual(['line 2', 'line 3']);
    expect((await stores.logs.read(ids.clone)).map((line) => line.text)).toEqual(['other 0', 'other 1']);
  });

  it('never stores a line twice: a retried or replayed write keeps only lines above what is stored', async () => {
    expect(await stores.logs.append(ids.test, lines(0, 5))).toHaveLength(5);
    expect(await stores.logs.append(ids.test, lines(0, 5))).toEqual([]);
    expect((await stores.logs.append(ids.test, lines(3, 4))).map((line) => line.number)).toEqual([5, 6]);
    expect((await stores.logs.read(ids.test)).map((line) => line.number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('splits a huge chunk into bounded rows and reads it back whole', async () => {
    const big = lines(0, 40, (n) => `${n}:${'x'.repeat(60_000)}`);
    await stores.logs.append(ids.test, big);
    const client = createClient({ url: stores.url });
    const rows = await client.execute(
      'select count(*) as n, max(length(lines)) as longest from step_log_chunks',
    );
    client.close();
    expect(Number(rows.rows[0]?.n)).toBeGreaterThan(5);
    expect(Number(rows.rows[0]?.longest)).toBeLessThan(300_000);
    expect(await stores.logs.read(ids.test)).toEqual(big);
  });

  it('writes a log entry to the change feed with each stored chunk, naming the step, its stage, build and repository', async () => {
    const before = await stores.changes.latestId();
    await stores.logs.append(ids.test, lines(0, 3));
    await stores.logs.append(ids.test, lines(0, 3));
    await stores.logs.append(ids.test, lines(3, 2));
    const logEntries = (await stores.changes.after(before, 100)).filter((change) => change.kind === 'log');
    expect(
      logEntries.map(({ repoId, buildId, stageId, stepId, detail }) => ({
        repoId,
        buildId,
        stageId,
        stepId,
        detail,
      })),
    ).toEqual([
      { repoId: ids.repoId, buildId: ids.buildId, stageId: ids.stageId, stepId: ids.test, detail: '0' },
      { repoId: ids.repoId, buildId: ids.buildId, stageId: ids.stageId, stepId: ids.test, detail: '3' },
    ]);
  });

  it('refuses lines of a step that is not stored, and keeps nothing of them', async () => {
    await expect(stores.logs.append(ids.test + 1000, lines(0, 1))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const client = createClient({ url: stores.url });
    const rows = await client.execute('select count(*) as n from step_log_chunks');
    client.close();
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });

  it('keeps a log through a rename of its repository and drops it with its build', async () => {
    await stores.logs.append(ids.test, lines(0, 2));
    await stores.repos.upsertFacts({ ...repoFacts('alice/renamed', 1) });
    expect((await stores.repos.findByFullName('alice/renamed'))?.id).toBe(ids.repoId);
    expect((await stores.logs.read(ids.test)).map((line) => line.text)).toEqual(['line 0', 'line 1']);
    const client = createClient({ url: stores.url });
    await client.execute('PRAGMA foreign_keys = ON');
    await client.execute({ sql: 'delete from builds where id = ?', args: [ids.buildId] });
    const rows = await client.execute('select count(*) as n from step_log_chunks');
    client.close();
    expect(Number(rows.rows[0]?.n)).toBe(0);
  });

  it('tells whether a step has ended from its stored status, and where it is', async () => {
    expect(await stores.logs.logState(ids.test)).toEqual({ stageId: ids.stageId, ended: false });
    const found = await stores.builds.get(ids.buildId);
    const stage = found?.stages[0];
    const step = stage?.steps.find((each) => each.id === ids.test);
    if (stage === undefined || step === undefined) throw new Error('no step');
    const change = { exitCode: null, error: null, startedAt: 1, finishedAt: 0 } as const;
    await stores.stageQueue.updateStep(stage, step, { ...change, status: 'running' });
    expect(await stores.logs.logState(ids.test)).toEqual({ stageId: ids.stageId, ended: false });
    await stores.stageQueue.updateStep(stage, step, {
      ...change,
      status: 'failure',
      exitCode: 1,
      finishedAt: 2,
    });
    expect(await stores.logs.logState(ids.test)).toEqual({ stageId: ids.stageId, ended: true });
    expect(await stores.logs.logState(ids.test + 1000)).toBeNull();
  });

  it('is the sink of a stage run: stores each chunk under the step row of its name, then publishes it', async () => {
    const published: [number, number[]][] = [];
    const endedSteps: number[] = [];
    const sink = createStoredLogSink({
      store: stores.logs,
      stepIds: new Map([
        ['clone', ids.clone],
        ['test', ids.test],
      ]),
      live: {
        publish: (at, chunk) => published.push([at, chunk.map((line) => line.number)]),
        end: (at) => endedSteps.push(at),
        follow: () => {
          throw new Error('not used');
        },
      },
    });
    await sink.write('test', lines(0, 2));
    await sink.write('test', lines(0, 3));
    await sink.end?.('test');
    await expect(sink.write('nameless', lines(0, 1))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await stores.logs.read(ids.test)).map((line) => line.number)).toEqual([0, 1, 2]);
    expect(await stores.logs.read(ids.clone)).toEqual([]);
    expect(published).toEqual([
      [ids.test, [0, 1]],
      [ids.test, [2]],
    ]);
    expect(endedSteps).toEqual([ids.test]);
  });
});
